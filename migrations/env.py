"""Alembic environment: migrates the database named by DATABASE_URL.

The URL comes, in this order, from ``config.attributes["url"]`` (set by
``bot.store.db.upgrade_to_head``), ``-x url=...`` on the command line, and
``DATABASE_URL`` read through ``bot.settings``. A caller may also pass an open
connection in ``config.attributes["connection"]``.

SQLite cannot alter most things in place, so operations are rendered in batch mode
(``render_as_batch``), and foreign keys are not enforced while migrating (a batch
rebuild drops and recreates tables).
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeDecorator

from bot.settings import load_settings, resolve_database_url
from bot.store.db import make_engine
from bot.store.models import Base

config = context.config

if config.config_file_name is not None and config.attributes.get(
    "configure_logger", True
):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _database_url() -> str:
    x_arguments = context.get_x_argument(as_dictionary=True)
    url = config.attributes.get("url") or x_arguments.get("url")
    return resolve_database_url(url) if url else load_settings().database_url


def _render_item(
    type_: str, obj: Any, autogen_context: AutogenContext
) -> str | Literal[False]:
    """Render the project's column types as their plain SQL types.

    Revisions then do not import application code, which may change after them.
    """
    if type_ == "type" and isinstance(obj, TypeDecorator):
        impl = obj.impl
        autogen_context.imports.add("import sqlalchemy as sa")
        return f"sa.{impl!r}"
    return False


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
        **kwargs,
    )


def run_migrations_offline() -> None:
    """Emit the SQL to stdout instead of running it (``alembic upgrade --sql``)."""
    _configure(
        url=_database_url(),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_with(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations over a live connection."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_with(connection)
        return
    engine = make_engine(_database_url(), sqlite_foreign_keys=False)
    try:
        with engine.connect() as connection:
            _run_with(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
