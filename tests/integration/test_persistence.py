"""Persistence: settings, migrations, screenings, answers, verdicts and referrals.

Database tests run on SQLite and on PostgreSQL (see ``conftest.db_url``).
"""

from __future__ import annotations

import stat
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot import vocab
from bot.settings import (
    PROJECT_ROOT,
    Settings,
    load_contact_key,
    load_settings,
    resolve_database_url,
    sender_secret,
)
from bot.store import repository
from bot.store.db import alembic_config, make_engine, session_scope, upgrade_to_head
from bot.store.models import (
    UTC,
    Answer,
    AuditEvent,
    Base,
    CriterionVerdict,
    OutboxMessage,
    Referral,
    Screening,
    StatusChange,
)

T0 = datetime(2025, 6, 6, 9, 30, tzinfo=UTC)
PHONE = "+86 138 0013 8000"
NAME = "Li Wei"
EMAIL = "li.wei@example.cn"
BEST_TIME = "weekday mornings"
BILIRUBIN_WORDS = "bilirubin was 342 umol/L last week"


def start(session: Session, sender: str = "user-1", *, now: datetime = T0) -> Screening:
    """Start (or resume) a screening for ``sender`` on the test channel."""
    return repository.get_or_start_screening(
        session,
        sender_key=repository.sender_key(b"k" * 32, "rest", sender),
        channel="rest",
        criteria_version="2025-06-06",
        trial_id="NCT05985863",
        now=now,
    )


def finished_with_answers(session: Session) -> Screening:
    """A finished screening with an answer and verdicts, ready for referral."""
    screening = start(session)
    repository.record_answer(
        session,
        screening,
        fact_id="bilirubin",
        as_given=BILIRUBIN_WORDS,
        normalized={"value": 342, "unit": "umol/L"},
        unknown=False,
        error=None,
        now=T0,
    )
    repository.save_verdicts(
        session, screening, [("inc_2_aclf", vocab.MET, "bilirubin 342 umol/L")], T0
    )
    repository.finish_screening(session, screening, vocab.LIKELY_ELIGIBLE, T0)
    return screening


def refer(session: Session, screening: Screening, settings: Settings) -> Referral:
    """Refer ``screening`` with the test person's contact details."""
    return repository.create_referral(
        session,
        screening,
        name=NAME,
        phone=PHONE,
        email=EMAIL,
        best_time=BEST_TIME,
        consent_at=T0,
        settings=settings,
        now=T0,
    )


def count(session: Session, model: type) -> int:
    """Number of rows of ``model``."""
    return session.execute(select(func.count()).select_from(model)).scalar_one()


# --------------------------------------------------------------------------- #
# Settings
# --------------------------------------------------------------------------- #


def test_settings_defaults_are_the_documented_ones() -> None:
    settings = load_settings({})

    assert settings.database_url == (
        f"sqlite:///{PROJECT_ROOT / 'var' / 'screening.db'}"
    )
    assert (settings.smtp_host, settings.smtp_port) == ("127.0.0.1", 8025)
    assert settings.smtp_user is None and settings.smtp_password is None
    assert settings.smtp_starttls is False
    assert settings.mail_from == "prescreening@localhost"
    assert settings.site_contact_name == "Ming Shi, PhD (Principal Investigator)"
    assert settings.site_contact_org.startswith("Beijing 302 Hospital")
    assert settings.site_contact_email == "study-team@localhost"
    assert settings.site_contact_phone == ""
    assert settings.console_base_url == "http://127.0.0.1:8080"
    assert settings.emergency_number == "120"
    assert settings.contact_key is None
    assert settings.contact_key_file == PROJECT_ROOT / "var" / "contact.key"
    assert (settings.outbox_max_attempts, settings.retention_days) == (10, 90)


def test_settings_read_and_check_the_environment() -> None:
    settings = load_settings(
        {"SMTP_PORT": "2525", "SMTP_STARTTLS": "Yes", "SMTP_PASSWORD": "s3cret"}
    )

    assert settings.smtp_port == 2525
    assert settings.smtp_starttls is True
    assert "s3cret" not in repr(settings)
    with pytest.raises(ValueError, match="SMTP_PORT"):
        load_settings({"SMTP_PORT": "twenty"})
    with pytest.raises(ValueError, match="SMTP_STARTTLS"):
        load_settings({"SMTP_STARTTLS": "maybe"})
    with pytest.raises(ValueError, match="OUTBOX_MAX_ATTEMPTS"):
        load_settings({"OUTBOX_MAX_ATTEMPTS": "0"})


def test_contact_key_file_is_generated_once_and_private(tmp_path: Path) -> None:
    key_file = tmp_path / "var" / "contact.key"
    settings = load_settings({"CONTACT_KEY_FILE": str(key_file)})
    assert not key_file.exists()  # load_settings() has no side effects

    first = load_contact_key(settings)
    second = load_contact_key(settings)

    assert first == second
    Fernet(first)  # a valid key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in key_file.parent.iterdir()] == ["contact.key"]


def test_contact_key_from_environment_wins_and_is_checked(tmp_path: Path) -> None:
    key = Fernet.generate_key()
    key_file = tmp_path / "contact.key"
    settings = load_settings(
        {"CONTACT_KEY": key.decode(), "CONTACT_KEY_FILE": str(key_file)}
    )

    assert load_contact_key(settings) == key
    assert not key_file.exists()
    with pytest.raises(ValueError, match="Fernet key"):
        load_contact_key(load_settings({"CONTACT_KEY": "not-a-key"}))


def test_sender_key_is_a_keyed_hash_not_the_id(settings: Settings) -> None:
    secret = sender_secret(settings)
    key = repository.sender_key(secret, "telegram", "123456789")

    assert len(key) == 64 and "123456789" not in key
    assert key == repository.sender_key(secret, "telegram", "123456789")
    assert key != repository.sender_key(secret, "twilio", "123456789")
    assert key != repository.sender_key(b"x" * 32, "telegram", "123456789")


def test_relative_sqlite_path_is_taken_from_the_project_root() -> None:
    assert resolve_database_url("sqlite:///var/x.db") == (
        f"sqlite:///{PROJECT_ROOT / 'var' / 'x.db'}"
    )
    for unchanged in ("sqlite:////tmp/x.db", "sqlite://", "postgresql://u@h/db"):
        assert resolve_database_url(unchanged) == unchanged


def test_sqlite_engine_creates_its_folder_and_enforces_foreign_keys(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new' / 'dir' / 'x.db'}")
    try:
        with engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA foreign_keys").scalar() == 1
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
        assert (tmp_path / "new" / "dir" / "x.db").exists()
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- #
# Migrations
# --------------------------------------------------------------------------- #


def test_migrations_reach_head_and_match_the_models(db_url: str) -> None:
    upgrade_to_head(db_url)

    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True}
            )
            head = ScriptDirectory.from_config(alembic_config()).get_current_head()
            assert context.get_current_revision() == head
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_migrations_downgrade_to_base_and_up_again(db_url: str) -> None:
    from alembic import command

    upgrade_to_head(db_url)
    command.downgrade(alembic_config(db_url), "base")
    engine = make_engine(db_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade_to_head(db_url)
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- #
# Screenings and answers
# --------------------------------------------------------------------------- #


def test_unfinished_screening_is_resumed_and_finished_one_is_not(
    session: Session,
) -> None:
    first = start(session)
    again = start(session, now=T0 + timedelta(minutes=5))

    assert again.id == first.id
    assert first.reference.startswith("SCR-") and len(first.reference) == 10
    assert first.outcome is None

    repository.finish_screening(session, first, vocab.INCOMPLETE, T0)
    second = start(session, now=T0 + timedelta(days=1))

    assert second.id != first.id and second.reference != first.reference
    latest = repository.latest_screening(session, second.sender_key)
    assert latest is not None and latest.id == second.id
    assert repository.latest_screening(session, "0" * 64) is None
    with pytest.raises(ValueError):
        repository.finish_screening(session, second, "eligible", T0)


def test_correction_supersedes_the_previous_answer(
    session_factory: sessionmaker,
) -> None:
    with session_scope(session_factory) as session:
        screening = start(session)
        repository.record_answer(
            session,
            screening,
            fact_id="bilirubin",
            as_given="about 3",
            normalized={"value": 3, "unit": "mg/dL"},
            unknown=False,
            error=None,
            now=T0,
        )
        repository.record_answer(
            session,
            screening,
            fact_id="age",
            as_given="I don't know",
            normalized=None,
            unknown=True,
            error=None,
            now=T0,
        )
        screening_id = screening.id

    with session_scope(session_factory) as session:
        screening = session.get(Screening, screening_id)
        corrected = repository.record_answer(
            session,
            screening,
            fact_id="bilirubin",
            as_given="sorry, it was 6.2 mg/dL",
            normalized={"value": 6.2, "unit": "mg/dL"},
            unknown=False,
            error=None,
            now=T0 + timedelta(minutes=2),
        )

    with session_scope(session_factory) as session:
        screening = session.get(Screening, screening_id)
        current = repository.current_answers(session, screening)
        rows = (
            session.execute(
                select(Answer).where(Answer.fact_id == "bilirubin").order_by(Answer.id)
            )
            .scalars()
            .all()
        )

        assert set(current) == {"bilirubin", "age"}
        assert current["bilirubin"].id == corrected.id
        assert current["bilirubin"].normalized == {"value": 6.2, "unit": "mg/dL"}
        assert current["age"].unknown is True
        assert [(a.as_given, a.superseded) for a in rows] == [
            ("about 3", True),
            ("sorry, it was 6.2 mg/dL", False),
        ]
        assert rows[1].answered_at == T0 + timedelta(minutes=2)
        assert screening.updated_at == T0 + timedelta(minutes=2)


def test_database_allows_one_current_answer_per_fact(engine: Engine) -> None:
    with session_scope(engine) as session:
        screening_id = start(session).id

    with pytest.raises(IntegrityError), session_scope(engine) as session:
        for words in ("yes", "no"):
            session.add(
                Answer(
                    screening_id=screening_id,
                    fact_id="pregnant",
                    as_given=words,
                    answered_at=T0,
                )
            )


def test_verdicts_are_replaced_on_each_evaluation(session: Session) -> None:
    screening = start(session)
    repository.save_verdicts(
        session,
        screening,
        [("inc_1_age", vocab.MET, None), ("exc_7_pregnancy", vocab.UNKNOWN, "?")],
        T0,
    )
    later = T0 + timedelta(minutes=1)
    repository.save_verdicts(
        session,
        screening,
        [("inc_1_age", vocab.NOT_MET, "age 74 is over 70")],
        later,
    )
    session.commit()

    rows = session.execute(select(CriterionVerdict)).scalars().all()
    assert [(r.criterion_id, r.verdict, r.reason) for r in rows] == [
        ("inc_1_age", vocab.NOT_MET, "age 74 is over 70")
    ]
    assert rows[0].evaluated_at == later
    with pytest.raises(ValueError):
        repository.save_verdicts(session, screening, [("x", "maybe", None)], T0)


def test_naive_datetimes_are_refused(session: Session) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        start(session, now=datetime(2025, 6, 6, 9, 30))


# --------------------------------------------------------------------------- #
# Referrals
# --------------------------------------------------------------------------- #


def test_referral_is_idempotent_and_enqueues_exactly_one_message(
    session_factory: sessionmaker, settings: Settings
) -> None:
    with session_scope(session_factory) as session:
        screening = finished_with_answers(session)
        first = refer(session, screening, settings)
        reference = screening.reference
        screening_id = screening.id

    with session_scope(session_factory) as session:
        screening = session.get(Screening, screening_id)
        second = refer(session, screening, settings)
        assert second.id == first.id

    with session_scope(session_factory) as session:
        assert count(session, Referral) == 1
        assert count(session, StatusChange) == 1
        messages = session.execute(select(OutboxMessage)).scalars().all()
        assert len(messages) == 1
        message = messages[0]
        assert message.kind == vocab.OUTBOX_REFERRAL_EMAIL
        assert message.to == "study-team@site.test"
        assert message.reference == reference
        assert (message.attempts, message.sent_at) == (0, None)
        assert message.next_attempt_at == T0
        assert reference in message.subject
        assert reference in message.body
        assert vocab.LIKELY_ELIGIBLE in message.body
        assert f"http://console.test:8080/referrals/{reference}" in message.body
        for private in (PHONE, NAME, EMAIL, BEST_TIME, "342", "bilirubin"):
            assert private not in message.body
            assert private not in message.subject

        referral = session.execute(select(Referral)).scalar_one()
        assert referral.reference == reference
        assert referral.status == vocab.REFERRAL_NEW
        assert referral.consent_given_at == T0


def test_referral_needs_a_finished_screening(
    session: Session, settings: Settings
) -> None:
    screening = start(session)

    with pytest.raises(ValueError, match="finish"):
        refer(session, screening, settings)
    assert count(session, OutboxMessage) == 0


def test_contact_details_are_encrypted_at_rest(
    engine: Engine, settings: Settings, db_url: str
) -> None:
    with session_scope(engine) as session:
        refer(session, finished_with_answers(session), settings)

    with engine.connect() as connection:
        raw = connection.execute(
            text(
                "SELECT contact_name, contact_phone, contact_email, best_time "
                "FROM referrals"
            )
        ).one()
    stored = " ".join(raw)
    for plain in (PHONE, "13800138000", "138 0013", NAME, EMAIL, BEST_TIME):
        assert plain not in stored
    assert all(value.startswith("gAAAA") for value in raw)  # Fernet tokens

    with session_scope(engine) as session:
        referral = session.execute(select(Referral)).scalar_one()
        assert (referral.contact_name, referral.contact_phone) == (NAME, PHONE)
        assert (referral.contact_email, referral.best_time) == (EMAIL, BEST_TIME)

    other_key = make_engine(db_url, contact_key=Fernet.generate_key())
    try:
        with pytest.raises(InvalidToken), session_scope(other_key) as session:
            session.execute(select(Referral)).scalar_one().contact_phone  # noqa: B018
    finally:
        other_key.dispose()


def test_delete_screening_data_erases_everything_about_the_person(
    session_factory: sessionmaker, settings: Settings
) -> None:
    with session_scope(session_factory) as session:
        screening = finished_with_answers(session)
        refer(session, screening, settings)
        keep = start(session, "someone-else")
        repository.record_answer(
            session,
            keep,
            fact_id="age",
            as_given="52",
            normalized=52,
            unknown=False,
            error=None,
            now=T0,
        )
        reference = screening.reference

    with session_scope(session_factory) as session:
        assert repository.delete_screening_data(session, reference.lower(), actor="ms")
        assert not repository.delete_screening_data(session, "SCR-NOPE22")

    with session_scope(session_factory) as session:
        assert count(session, Screening) == 1
        assert count(session, Answer) == 1  # the other person's
        for model in (CriterionVerdict, Referral, StatusChange, OutboxMessage):
            assert count(session, model) == 0
        event = session.execute(
            select(AuditEvent).where(AuditEvent.action == "screening.deleted")
        ).scalar_one()
        assert (event.actor, event.target) == ("ms", reference)
