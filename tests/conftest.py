"""Shared pytest fixtures.

Database fixtures run each test on SQLite (a file in the test's tmp_path) and on
PostgreSQL (127.0.0.1:5432, user postgres, trust auth). For PostgreSQL one database
with a unique name is created per test session and dropped at its end; each test gets
its own schema in it (through ``search_path`` in the URL), dropped after the test.
When PostgreSQL cannot be reached the PostgreSQL variants are skipped, except under
CI (``CI=true``), where they fail: CI must test what production runs on.

SMTP fixtures start a real SMTP server (aiosmtpd) on loopback.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPProtocol
from aiosmtpd.smtp import Envelope
from aiosmtpd.smtp import Session as SMTPSession
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.schema import CreateSchema, DropSchema

from bot.db import create_all, make_engine, make_session_factory
from bot.settings import Settings, load_settings

#: Where the PostgreSQL tests look for a server.
POSTGRES_ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


# --------------------------------------------------------------------------- #
# Helpers
# --------------------------------------------------------------------------- #


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RecordingHandler:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(
        self, server: SMTPProtocol, session: SMTPSession, envelope: Envelope
    ) -> str:
        """Accept and record a message."""
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@dataclasses.dataclass
class SMTPServer:
    """A real SMTP server on loopback, started and stopped on demand.

    Attributes:
        port: Its port on 127.0.0.1 (reserved even while stopped).
        handler: Records the messages received.
    """

    port: int
    handler: RecordingHandler = dataclasses.field(default_factory=RecordingHandler)
    _controller: Controller | None = None

    @property
    def messages(self) -> list[Envelope]:
        """The messages received so far."""
        return self.handler.envelopes

    def start(self) -> None:
        """Start listening (no-op if running)."""
        if self._controller is None:
            self._controller = Controller(
                self.handler, hostname="127.0.0.1", port=self.port
            )
            self._controller.start()

    def stop(self) -> None:
        """Stop listening (no-op if stopped)."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


# --------------------------------------------------------------------------- #
# Settings and keys
# --------------------------------------------------------------------------- #


@pytest.fixture
def contact_key() -> bytes:
    """A fresh Fernet key for contact details."""
    return Fernet.generate_key()


@pytest.fixture
def settings(tmp_path: Path, contact_key: bytes) -> Settings:
    """Settings for a test: test key, test addresses, a database in tmp_path.

    The SMTP port points at a closed port; SMTP tests replace it with
    ``dataclasses.replace(settings, smtp_port=...)``.
    """
    return load_settings(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'settings.db'}",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(free_port()),
            "MAIL_FROM": "prescreening@bot.test",
            "SITE_CONTACT_EMAIL": "study-team@site.test",
            "CONSOLE_BASE_URL": "http://console.test:8080",
            "CONTACT_KEY": contact_key.decode("ascii"),
            "CONTACT_KEY_FILE": str(tmp_path / "unused.key"),
        }
    )


# --------------------------------------------------------------------------- #
# Databases
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="session")
def postgres_database_url() -> Iterator[URL]:
    """A uniquely named PostgreSQL database for this test session, dropped after.

    Skips when PostgreSQL is unreachable, or fails when ``CI`` is ``"true"``.
    """
    admin = create_engine(
        POSTGRES_ADMIN_URL,
        future=True,
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 3},
    )
    name = f"prescreening_test_{uuid.uuid4().hex[:12]}"
    quoted = admin.dialect.identifier_preparer.quote(name)
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {quoted}"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        admin.dispose()
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        reason = f"PostgreSQL not reachable at 127.0.0.1:5432: {first_line}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, on SQLite and on PostgreSQL (one test each).

    Yields:
        A SQLAlchemy URL string. For PostgreSQL it selects a schema of its own
        through ``search_path``, so tests never see each other's tables.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    database: URL = request.getfixturevalue("postgres_database_url")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    owner = create_engine(database, future=True)
    try:
        with owner.begin() as connection:
            connection.execute(CreateSchema(schema))
        yield database.update_query_dict(
            {"options": f"-csearch_path={schema}"}
        ).render_as_string(hide_password=False)
        with owner.begin() as connection:
            connection.execute(DropSchema(schema, cascade=True))
    finally:
        owner.dispose()


@pytest.fixture
def engine(db_url: str, contact_key: bytes) -> Iterator[Engine]:
    """An engine on ``db_url`` with every table created from the models."""
    engine = make_engine(db_url, contact_key=contact_key)
    create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker:
    """A session factory on ``engine`` (as the application builds it)."""
    return make_session_factory(engine)


@pytest.fixture
def session(session_factory: sessionmaker) -> Iterator[Session]:
    """A session on ``engine``; the test commits what it wants kept."""
    with session_factory() as session:
        yield session


# --------------------------------------------------------------------------- #
# SMTP
# --------------------------------------------------------------------------- #


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1, running, stopped after the test."""
    server = SMTPServer(port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def stopped_smtp_server() -> Iterator[SMTPServer]:
    """An SMTP server on a reserved loopback port, not yet listening.

    Call ``start()`` to bring it up during the test; it is stopped after.
    """
    server = SMTPServer(port=free_port())
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------- #
# Actions: a domain, a tracker factory and a dispatcher (rasa_sdk, no server)
# --------------------------------------------------------------------------- #

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def domain() -> dict:
    """The assistant's domain, as the action server receives it."""
    import yaml

    return yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture
def dispatcher():
    """A fresh dispatcher collecting the messages an action sends."""
    from rasa_sdk.executor import CollectingDispatcher

    return CollectingDispatcher()


@pytest.fixture
def make_tracker(domain: dict):
    """Build a rasa_sdk Tracker from slot values and a latest message.

    Usage: ``make_tracker({"respondent": "self"}, text="45", intent="inform",
    entities=[...], active_loop="screening_form")``.
    """
    from rasa_sdk import Tracker

    def _make(
        slots: dict | None = None,
        *,
        text: str = "",
        intent: str = "inform",
        entities: list | None = None,
        active_loop: str | None = None,
        sender_id: str = "test-sender",
        events: list | None = None,
    ) -> Tracker:
        all_slots = {name: None for name in domain["slots"]}
        all_slots.update({"retries": 0.0, "requested_slot": None})
        all_slots.update(slots or {})
        latest = {
            "text": text,
            "intent": {"name": intent, "confidence": 1.0},
            "entities": entities or [],
        }
        return Tracker(
            sender_id=sender_id,
            slots=all_slots,
            latest_message=latest,
            events=events or [{"event": "user", "text": text, "input_channel": "rest"}],
            paused=False,
            followup_action=None,
            active_loop={"name": active_loop} if active_loop else {},
            latest_action_name="action_listen",
        )

    return _make


@pytest.fixture
def app_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, contact_key: bytes):
    """Point the actions at a fresh SQLite database (and a fresh recorder)."""
    import bot.service

    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CONTACT_KEY", contact_key.decode())
    monkeypatch.setattr(bot.service, "_recorder", None)
    yield url
    monkeypatch.setattr(bot.service, "_recorder", None)
