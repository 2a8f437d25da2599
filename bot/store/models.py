"""The application database: SQLAlchemy declarative models.

Conventions:
    * Every timestamp is a timezone-aware UTC ``datetime`` (:class:`UTCDateTime`); a
      naive one is refused when written, so a local-time slip cannot go unnoticed.
    * Fixed vocabularies (``bot.vocab``) are enforced with CHECK constraints.
    * Nothing a patient said is ever deleted by a correction: a corrected
      :class:`Answer` is marked ``superseded`` and a new row added.
    * Contact details on :class:`Referral` are encrypted with Fernet
      (:class:`EncryptedText`); the raw table holds only ciphertext.
    * A channel's sender id is never stored in clear: :attr:`Screening.sender_key`
      holds a keyed hash of it (``bot.store.repository.sender_key``), and
      :attr:`Screening.conversation_id`, which the staff console needs to find the
      transcript in Rasa's tracker store, is encrypted like contact details (on SMS
      and WhatsApp the sender id is the person's phone number).

The schema is created by the Alembic migrations in ``migrations/``; ``create_all`` in
``bot.store.db`` is for tests and throwaway databases.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.types import TypeDecorator

from bot import vocab
from bot.screening.language import LANGUAGES

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

# Explicit constraint names: Alembic needs them to alter constraints, in particular
# in SQLite's batch mode.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: UTC (``datetime.UTC`` is Python 3.11+; the project runs on 3.10).
UTC = timezone.utc  # noqa: UP017

Base: Any = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp that is always an aware UTC ``datetime`` in Python.

    PostgreSQL stores ``timestamp with time zone``; SQLite, which has no time zones,
    stores the UTC wall time. Either way the value read back is aware UTC.
    """

    impl = DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def process_bind_param(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        """Convert to UTC; refuse naive datetimes."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime: pass a timezone-aware (UTC) datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            value = value.replace(tzinfo=None)
        return value

    def process_result_value(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# The Fernet used for contact details, per engine (keyed by its dialect object, which
# is what a TypeDecorator sees). Set by bot.store.db.make_engine; otherwise resolved
# from the settings on first use.
_CIPHERS: weakref.WeakKeyDictionary[Dialect, Fernet] = weakref.WeakKeyDictionary()


def bind_contact_key(dialect: Dialect, key: bytes) -> None:
    """Use ``key`` to encrypt and decrypt contact details through ``dialect``.

    Args:
        dialect: The engine's dialect (``engine.dialect``).
        key: A Fernet key.
    """
    from cryptography.fernet import Fernet

    _CIPHERS[dialect] = Fernet(key)


def _cipher(dialect: Dialect) -> Fernet:
    cipher = _CIPHERS.get(dialect)
    if cipher is None:
        from bot.settings import load_contact_key, load_settings

        bind_contact_key(dialect, load_contact_key(load_settings()))
        cipher = _CIPHERS[dialect]
    return cipher


class EncryptedText(TypeDecorator):
    """Text encrypted at rest with Fernet (AES-128-CBC with HMAC-SHA256).

    The key comes from the engine (``bot.store.db.make_engine(contact_key=...)``) or, by
    default, from ``CONTACT_KEY`` / ``CONTACT_KEY_FILE``. Ciphertext is randomized,
    so these columns cannot be searched or compared in SQL.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        """Encrypt a value on its way to the database."""
        if value is None:
            return None
        return _cipher(dialect).encrypt(value.encode("utf-8")).decode("ascii")

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        """Decrypt a value read from the database."""
        if value is None:
            return None
        return _cipher(dialect).decrypt(value.encode("ascii")).decode("utf-8")


def _one_of(column: str, values: Iterable[str], name: str) -> CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name)


class Screening(Base):
    """One person's pass through the questions for one trial."""

    __tablename__ = "screenings"
    __table_args__ = (
        _one_of("outcome", vocab.OUTCOMES, "outcome"),
        _one_of("respondent", vocab.RESPONDENTS, "respondent"),
    )

    id = Column(Integer, primary_key=True)
    #: Public reference quoted to the person and to staff, e.g. "SCR-7F3K9Q".
    reference = Column(String(16), nullable=False, unique=True)
    #: HMAC-SHA256 (hex) of channel and sender id; never the raw id.
    sender_key = Column(String(64), nullable=False, index=True)
    channel = Column(String(32), nullable=False)
    #: "self", "caregiver", or None until asked.
    respondent = Column(String(16))
    #: The caregiver's relation to the patient, as given.
    relation = Column(String(64))
    started_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    finished_at = Column(UTCDateTime())
    #: One of vocab.OUTCOMES, or None while the screening is running.
    outcome = Column(String(20))
    criteria_version = Column(String(32), nullable=False)
    trial_id = Column(String(64), nullable=False)
    #: The tracker store's sender id of the conversation (encrypted at rest), so the
    #: console can show the transcript; cleared when the transcript is purged.
    conversation_id = Column(EncryptedText())
    #: When the retention job purged this screening's answers and transcript.
    purged_at = Column(UTCDateTime())

    answers = relationship(
        "Answer",
        back_populates="screening",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Answer.id",
    )
    verdicts = relationship(
        "CriterionVerdict",
        back_populates="screening",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="CriterionVerdict.id",
    )
    referral = relationship(
        "Referral",
        back_populates="screening",
        uselist=False,
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"<Screening {self.reference} outcome={self.outcome}>"


class Answer(Base):
    """One answer to one fact. Corrections add rows; nothing is deleted."""

    __tablename__ = "answers"
    __table_args__ = (
        Index("ix_answers_screening_fact", "screening_id", "fact_id"),
        # At most one current (not superseded) answer per fact.
        Index(
            "uq_answers_current_fact",
            "screening_id",
            "fact_id",
            unique=True,
            sqlite_where=text("NOT superseded"),
            postgresql_where=text("NOT superseded"),
        ),
    )

    id = Column(Integer, primary_key=True)
    screening_id = Column(
        Integer, ForeignKey("screenings.id", ondelete="CASCADE"), nullable=False
    )
    fact_id = Column(String(64), nullable=False)
    #: The person's own words.
    as_given = Column(Text)
    #: The parsed value (JSON: numbers, strings, lists, objects).
    normalized = Column(JSON(none_as_null=True))
    #: The person said they do not know.
    unknown = Column(Boolean, nullable=False, default=False)
    #: Parser error code when the answer could not be understood.
    error = Column(String(64))
    answered_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    superseded = Column(Boolean, nullable=False, default=False)

    screening = relationship("Screening", back_populates="answers")

    def __repr__(self) -> str:
        state = " superseded" if self.superseded else ""
        return f"<Answer {self.fact_id}{state}>"


class CriterionVerdict(Base):
    """The engine's verdict on one criterion; replaced on each evaluation."""

    __tablename__ = "criterion_verdicts"
    __table_args__ = (
        UniqueConstraint(
            "screening_id", "criterion_id", name="uq_criterion_verdicts_criterion"
        ),
        _one_of("verdict", vocab.VERDICTS, "verdict"),
    )

    id = Column(Integer, primary_key=True)
    screening_id = Column(
        Integer, ForeignKey("screenings.id", ondelete="CASCADE"), nullable=False
    )
    criterion_id = Column(String(64), nullable=False)
    verdict = Column(String(16), nullable=False)
    reason = Column(Text)
    evaluated_at = Column(UTCDateTime(), nullable=False, default=utcnow)

    screening = relationship("Screening", back_populates="verdicts")


class StaffUser(Base):
    """A study team member who signs in to the console."""

    __tablename__ = "staff_users"
    __table_args__ = (
        _one_of("role", vocab.STAFF_ROLES, "role"),
        _one_of("language", LANGUAGES, "language"),
    )

    id = Column(Integer, primary_key=True)
    username = Column(String(64), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(16), nullable=False)
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(UTCDateTime())
    #: Accounts are deactivated, not deleted, so the audit trail keeps its actors.
    is_active = Column(Boolean, nullable=False, default=True)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    #: The console language the person chose ("zh" or "en"); ``None``: not chosen
    #: yet, the site's language (``SITE_LANGUAGE``) applies.
    language = Column(String(8))

    def __repr__(self) -> str:
        return f"<StaffUser {self.username} {self.role}>"


@dataclass(frozen=True)
class ContactDetails:
    """What a person agreed to share with the study team, in the clear.

    The chat gives them to the recorder, which stores them encrypted on a
    :class:`Referral`; the console reads them back for one audited reveal. Every field
    may be missing (optional fields the person skipped, or purged).
    """

    name: str | None
    phone: str | None
    email: str | None
    best_time: str | None
    #: When the person consented to being contacted (``None``: now, when referring).
    consent_given_at: datetime | None = None


class Referral(Base):
    """A consented hand-over of a screening to the site's study team."""

    __tablename__ = "referrals"
    __table_args__ = (_one_of("status", vocab.REFERRAL_STATUSES, "status"),)

    id = Column(Integer, primary_key=True)
    screening_id = Column(
        Integer,
        ForeignKey("screenings.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    )
    #: The screening's public reference (the one the person was given).
    reference = Column(String(16), nullable=False, unique=True)
    contact_name = Column(EncryptedText())
    contact_phone = Column(EncryptedText())
    contact_email = Column(EncryptedText())
    best_time = Column(EncryptedText())
    consent_given_at = Column(UTCDateTime(), nullable=False)
    status = Column(String(20), nullable=False, default=vocab.REFERRAL_NEW)
    status_reason = Column(Text)
    assignee_id = Column(Integer, ForeignKey("staff_users.id", ondelete="SET NULL"))
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)

    screening = relationship("Screening", back_populates="referral")
    assignee = relationship("StaffUser")
    status_changes = relationship(
        "StatusChange",
        back_populates="referral",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="StatusChange.id",
    )
    notes = relationship(
        "StaffNote",
        back_populates="referral",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="StaffNote.id",
    )

    def __repr__(self) -> str:
        return f"<Referral {self.reference} {self.status}>"


class StatusChange(Base):
    """One step of a referral's status workflow (the first is ``None`` -> new)."""

    __tablename__ = "status_changes"
    __table_args__ = (
        _one_of("from_status", vocab.REFERRAL_STATUSES, "from_status"),
        _one_of("to_status", vocab.REFERRAL_STATUSES, "to_status"),
    )

    id = Column(Integer, primary_key=True)
    referral_id = Column(
        Integer,
        ForeignKey("referrals.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    from_status = Column(String(20))
    to_status = Column(String(20), nullable=False)
    reason = Column(Text)
    #: The staff member, or None for the assistant itself.
    actor_id = Column(Integer, ForeignKey("staff_users.id", ondelete="SET NULL"))
    at = Column(UTCDateTime(), nullable=False, default=utcnow)

    referral = relationship("Referral", back_populates="status_changes")
    actor = relationship("StaffUser")


class StaffNote(Base):
    """A free-text note by a staff member on a referral."""

    __tablename__ = "staff_notes"

    id = Column(Integer, primary_key=True)
    referral_id = Column(
        Integer,
        ForeignKey("referrals.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    author_id = Column(Integer, ForeignKey("staff_users.id", ondelete="SET NULL"))
    body = Column(Text, nullable=False)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)

    referral = relationship("Referral", back_populates="notes")
    author = relationship("StaffUser")


class StaffSession(Base):
    """A signed-in console session (server-side; the cookie holds only a random id).

    The primary key is the SHA-256 of the cookie's value, so a copy of the database
    does not hand out live sessions. ``csrf_token`` is the session's synchronizer
    token, sent back with every form.
    """

    __tablename__ = "staff_sessions"

    id = Column(String(64), primary_key=True)
    user_id = Column(
        Integer,
        ForeignKey("staff_users.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    last_seen_at = Column(UTCDateTime(), nullable=False, default=utcnow)

    user = relationship("StaffUser")


class AuditEvent(Base):
    """Who did what to which record, when. ``detail`` never holds contact details."""

    __tablename__ = "audit_events"

    id = Column(Integer, primary_key=True)
    #: A staff username, "assistant", or "system".
    actor = Column(String(64), nullable=False)
    action = Column(String(64), nullable=False)
    target = Column(String(128))
    at = Column(UTCDateTime(), nullable=False, default=utcnow, index=True)
    detail = Column(JSON(none_as_null=True))


class OutboxMessage(Base):
    """A notification waiting to be sent (transactional outbox).

    Written in the same transaction as the record it announces, sent later by
    ``bot.jobs.notify.deliver_outbox``; never deleted when delivery fails.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        _one_of("kind", vocab.OUTBOX_KINDS, "kind"),
        Index("ix_outbox_messages_due", "sent_at", "next_attempt_at"),
    )

    id = Column(Integer, primary_key=True)
    kind = Column(String(32), nullable=False)
    #: The screening reference the message is about (for erasure and tracing).
    reference = Column(String(16), index=True)
    #: Recipient address (column "recipient": TO is an SQL keyword).
    to = Column("recipient", String(320), nullable=False)
    subject = Column(String(255), nullable=False)
    body = Column(Text, nullable=False)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    sent_at = Column(UTCDateTime())
    last_error = Column(Text)

    def __repr__(self) -> str:
        state = "sent" if self.sent_at else f"attempts={self.attempts}"
        return f"<OutboxMessage {self.id} {self.kind} {state}>"


class AnalyticsEvent(Base):
    """One conversation event from Rasa's event broker, cut down to what the
    screening analytics needs (``bot.jobs.analytics``).

    Never the message text and never the sender id: ``sender_key`` is a keyed hash of
    the conversation id (``bot.jobs.analytics.conversation_key``). ``event_key`` is
    unique, so an event that RabbitMQ delivers twice (Rasa republishes after a
    reconnect) is stored once.
    """

    __tablename__ = "analytics_events"
    __table_args__ = (
        Index("ix_analytics_events_type_occurred", "event_type", "occurred_at"),
    )

    id = Column(Integer, primary_key=True)
    #: SHA-256 of (sender key, event timestamp, type, name): the idempotency key.
    event_key = Column(String(64), nullable=False, unique=True)
    #: Rasa's event type: user, bot, action, session_started, restart.
    event_type = Column(String(32), nullable=False)
    #: When Rasa created the event (its ``timestamp``).
    occurred_at = Column(UTCDateTime(), nullable=False)
    sender_key = Column(String(64), nullable=False, index=True)
    #: User events: the intent NLU predicted, and its confidence.
    intent = Column(String(128))
    confidence = Column(Float)
    #: Action events: the action's name.
    action = Column(String(128))
    #: User events: the input channel (rest, socketio, telegram, ...).
    channel = Column(String(64))
    recorded_at = Column(UTCDateTime(), nullable=False, default=utcnow)
