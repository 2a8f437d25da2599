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
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.schema import CreateSchema, DropSchema
from support.net import RecordingHandler, SMTPServer, free_port  # noqa: F401
from support.services import need_service

from bot.settings import Settings, load_settings
from bot.store.db import create_all, make_engine, make_session_factory

#: Where the PostgreSQL tests look for a server.
POSTGRES_ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


# --------------------------------------------------------------------------- #
# Helpers
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
        need_service(f"PostgreSQL not reachable at 127.0.0.1:5432: {first_line}")
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
    import bot.store.recorder

    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CONTACT_KEY", contact_key.decode())
    monkeypatch.setattr(bot.store.recorder, "_recorder", None)
    yield url
    monkeypatch.setattr(bot.store.recorder, "_recorder", None)


# --------------------------------------------------------------------------- #
# Staff side: the trial, fast password hashing, a tracker store, a seeded world,
# and the console served on a loopback port
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="session")
def trial():
    """The project's trial (criteria file), loaded once."""
    from bot.screening.criteria import load_trial

    return load_trial()


@pytest.fixture(scope="session")
def fast_hasher():
    """argon2id with tiny costs: the same code path, milliseconds per hash."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def tracker_url(tmp_path: Path) -> str:
    """A SQLite tracker store (Rasa's ``events`` table, empty) in tmp_path."""
    from bot.store.transcripts import EVENTS

    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = create_engine(url, future=True)
    EVENTS.metadata.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def staff_world_template(tmp_path_factory: pytest.TempPathFactory, trial, fast_hasher):
    """The seeded databases, built once per session (tests get copies).

    Three referrals (likely eligible, needs review, ineligible), an abandoned and a
    running screening, their transcripts, and one account per role.
    """
    from datetime import timedelta

    from support import staffdata as sd

    from bot import staff
    from bot.store.db import session_scope

    work = tmp_path_factory.mktemp("staff-world")
    key = Fernet.generate_key()
    app_url = f"sqlite:///{work / 'app.db'}"
    tracker = f"sqlite:///{work / 'tracker.db'}"
    settings = load_settings(
        {
            "DATABASE_URL": app_url,
            "TRACKER_DB_URL": tracker,
            "CONTACT_KEY": key.decode("ascii"),
            "CONTACT_KEY_FILE": str(work / "unused.key"),
            "SITE_CONTACT_EMAIL": "study-team@site.test",
            "CONSOLE_BASE_URL": "http://console.test:8080",
        }
    )
    engine = make_engine(app_url, contact_key=key)
    create_all(engine)
    clock_start = sd.T0 + timedelta(days=30)
    made = {}
    other = sd.Contact("Zhang Min", "+86 139 1234 5678", None, "after 6 pm")
    plan = [
        ("likely", "web-likely", sd.LIKELY, "rest", 0, True, sd.CONTACT),
        ("review", "tg-review", sd.NEEDS_REVIEW, "telegram", 1, True, other),
        ("ineligible", "web-inel", sd.INELIGIBLE, "socketio", 2, True, sd.CONTACT),
        ("stopped", "web-stop", sd.STOPPED, "rest", -10, False, None),
    ]
    with session_scope(engine) as session:
        for name, sender, answers, channel, days, refer, contact in plan:
            started = sd.T0 + timedelta(days=days)
            made[name] = sd.make_screening(
                session,
                trial,
                settings,
                sender=sender,
                answers=answers,
                started_at=started,
                channel=channel,
                refer=refer,
                contact=contact or sd.CONTACT,
                outcome="incomplete" if name == "stopped" else None,
            )
            sd.write_events(
                tracker,
                sender,
                sd.conversation_events(
                    sender, started, answers, trial, channel=channel, contact=contact
                ),
            )
        made["running"] = sd.make_screening(
            session,
            trial,
            settings,
            sender="web-running",
            answers=dict(list(sd.LIKELY.items())[:3]),
            started_at=sd.T0 + timedelta(days=3),
            finish=False,
        )
        sd.write_events(
            tracker,
            "web-running",
            sd.conversation_events(
                "web-running",
                sd.T0 + timedelta(days=3),
                dict(list(sd.LIKELY.items())[:3]),
                trial,
            ),
        )
        user_ids = {}
        for role, (username, password) in sd.STAFF_ACCOUNTS.items():
            user = staff.create_user(
                session,
                username=username,
                password=password,
                role=role,
                actor="test",
                hasher=fast_hasher,
                now=clock_start,
            )
            user_ids[username] = user.id
    engine.dispose()  # checkpoints the write-ahead log into app.db
    return {
        "dir": work,
        "key": key,
        "settings": settings,
        "made": made,
        "user_ids": user_ids,
        "clock_start": clock_start,
    }


@pytest.fixture
def staff_world(staff_world_template, tmp_path: Path, trial, fast_hasher):
    """A private copy of the seeded databases, and a clock the test can move."""
    import copy
    import shutil

    from support import staffdata as sd

    template = staff_world_template
    for name in ("app.db", "tracker.db"):
        shutil.copyfile(template["dir"] / name, tmp_path / name)
    settings = dataclasses.replace(
        template["settings"],
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        tracker_db_url=f"sqlite:///{tmp_path / 'tracker.db'}",
    )
    engine = make_engine(settings.database_url, contact_key=template["key"])
    try:
        yield sd.StaffWorld(
            settings,
            engine,
            settings.tracker_db_url,
            sd.MutableClock(template["clock_start"]),
            trial,
            fast_hasher,
            copy.deepcopy(template["made"]),
            dict(template["user_ids"]),
        )
    finally:
        engine.dispose()


@pytest.fixture
def console(staff_world):
    """The real console application on a free loopback port."""
    from support.staffdata import ConsoleHandle, LiveServer

    from bot.console import make_app
    from bot.store.transcripts import TrackerStore

    tracker = TrackerStore(staff_world.tracker_url)
    app = make_app(
        staff_world.settings,
        engine=staff_world.engine,
        tracker=tracker,
        trial=staff_world.trial,
        hasher=staff_world.hasher,
        clock=staff_world.clock,
    )
    server = LiveServer(app)
    server.start()
    try:
        yield ConsoleHandle(server.url, app, staff_world)
    finally:
        server.stop()
        tracker.dispose()
