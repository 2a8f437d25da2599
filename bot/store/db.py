"""Engines, sessions and migrations, all built on demand (nothing at import time).

Typical use::

    engine = make_engine(settings.database_url)
    upgrade_to_head(settings.database_url)
    with session_scope(engine) as session:
        screening = repository.get_or_start_screening(session, ...)
"""

from __future__ import annotations

import datetime as _dt
import decimal
import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeAlias

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from bot.settings import PROJECT_ROOT, resolve_database_url
from bot.store import models

#: What ``session_scope`` accepts: an engine, or a factory such as a sessionmaker.
SessionSource: TypeAlias = Engine | Callable[[], Session]


def make_engine(
    url: str,
    *,
    contact_key: bytes | None = None,
    sqlite_foreign_keys: bool = True,
    **kwargs: Any,
) -> Engine:
    """Create an engine (SQLAlchemy 2.0 style) for the application database.

    A relative SQLite path is taken from the project root and its directory is
    created if missing. SQLite connections get ``PRAGMA foreign_keys=ON`` and, for
    a file, write-ahead logging (``journal_mode=WAL``).

    Args:
        url: The database URL.
        contact_key: The Fernet key for contact details; by default it is resolved
            from the settings the first time a contact detail is read or written.
        sqlite_foreign_keys: Turn SQLite's foreign-key enforcement on. Migrations
            turn it off: batch mode rebuilds tables, and dropping a table with
            enforcement on would cascade deletes into its children.
        **kwargs: Passed on to ``sqlalchemy.create_engine``.

    Returns:
        The engine.
    """
    url = resolve_database_url(url)
    parsed = make_url(url)
    is_sqlite = parsed.get_backend_name() == "sqlite"
    database = parsed.database or ""
    if is_sqlite:
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    else:
        kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("json_serializer", _json_dumps)
    is_file = (
        is_sqlite
        and bool(database)
        and database != ":memory:"
        and "mode=memory" not in url
    )
    if is_file and "poolclass" not in kwargs:
        # SQLAlchemy 1.4 opens a new SQLite connection for every session (NullPool);
        # a pool keeps them open (SQLAlchemy 2.0's default), which saved about a
        # tenth of the action server's time per turn (py-spy, README "Benchmark").
        kwargs["poolclass"] = QueuePool
        connect_args = dict(kwargs.get("connect_args") or {})
        connect_args.setdefault("check_same_thread", False)
        kwargs["connect_args"] = connect_args
    engine = create_engine(url, future=True, **kwargs)
    if is_sqlite:
        event.listen(
            engine,
            "connect",
            functools.partial(
                _sqlite_on_connect, foreign_keys=sqlite_foreign_keys, wal=is_file
            ),
        )
    if contact_key is not None:
        models.bind_contact_key(engine.dialect, contact_key)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker:
    """Return a session factory bound to ``engine``.

    Sessions keep their objects readable after commit (``expire_on_commit=False``),
    so a dialogue action can use what a repository function returned after the
    unit of work has ended.

    Args:
        engine: The engine.

    Returns:
        A ``sessionmaker`` producing 2.0-style sessions.
    """
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


@contextmanager
def session_scope(bind: SessionSource) -> Iterator[Session]:
    """Run one unit of work: commit on success, roll back on error, always close.

    Args:
        bind: An engine, or a session factory such as :func:`make_session_factory`
            returns.

    Yields:
        The session.
    """
    if isinstance(bind, Engine):
        session = Session(bind=bind, future=True, expire_on_commit=False)
    else:
        session = bind()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def create_all(engine: Engine) -> None:
    """Create every table from the models (tests and throwaway databases).

    Production databases are built with :func:`upgrade_to_head` instead, so their
    migration history is recorded.

    Args:
        engine: The engine.
    """
    models.Base.metadata.create_all(engine)


def alembic_config(url: str | None = None) -> Any:
    """Return the Alembic configuration of the project.

    Args:
        url: The database to migrate; by default ``DATABASE_URL`` from the settings.

    Returns:
        An ``alembic.config.Config`` for ``alembic.ini`` at the project root.
    """
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if url is not None:
        config.attributes["url"] = url
    # Called from the application: keep its logging configuration.
    config.attributes["configure_logger"] = False
    return config


def upgrade_to_head(url: str | None = None) -> None:
    """Apply every pending migration to the database at ``url``.

    Args:
        url: The database URL; by default ``DATABASE_URL`` from the settings.
    """
    from alembic import command

    command.upgrade(alembic_config(url), "head")


def _sqlite_on_connect(
    dbapi_connection: Any, connection_record: Any, *, foreign_keys: bool, wal: bool
) -> None:
    cursor = dbapi_connection.cursor()
    try:
        if foreign_keys:
            cursor.execute("PRAGMA foreign_keys=ON")
        if wal:
            # Readers do not block the writer: the action server, the console and
            # the outbox worker share one file.
            cursor.execute("PRAGMA journal_mode=WAL")
    finally:
        cursor.close()


def _json_default(value: Any) -> Any:
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _json_dumps(value: Any) -> str:
    """Serialize JSON columns; dates become ISO strings, Decimals floats."""
    return json.dumps(value, default=_json_default, ensure_ascii=False)
