"""What the dialogue actions and the console do to the database.

Every function takes an open :class:`~sqlalchemy.orm.Session` and leaves committing
to the caller (``bot.store.db.session_scope``), so one dialogue turn is one transaction.
Times are passed in (``now``) rather than read from the clock, which keeps tests
deterministic; they must be timezone-aware.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot import vocab
from bot.settings import Settings
from bot.store.models import (
    Answer,
    AuditEvent,
    CriterionVerdict,
    OutboxMessage,
    Referral,
    Screening,
    StaffNote,
    StatusChange,
    utcnow,
)

#: Characters of a public reference: digits and capitals without 0/O, 1/I/L and U,
#: so a reference read out on the phone is not misheard.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PREFIX = "SCR-"
REFERENCE_LENGTH = 6

#: The actor name recorded for what the assistant itself does.
ASSISTANT_ACTOR = "assistant"


def sender_key(secret: bytes, channel: str, sender_id: str) -> str:
    """Return the keyed hash that stands for a channel's sender id.

    The raw sender id (a phone number on SMS, a Telegram user id) is never stored;
    this HMAC-SHA256 of channel and id still lets a returning person resume.

    Args:
        secret: The secret key (``bot.settings.sender_secret``).
        channel: The channel name, e.g. ``"rest"`` or ``"telegram"``.
        sender_id: The channel's id for the person.

    Returns:
        64 hexadecimal characters.
    """
    message = f"{channel}\x00{sender_id}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def new_reference() -> str:
    """Return a random public reference such as ``"SCR-7F3K9Q"``."""
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return REFERENCE_PREFIX + body


def get_or_start_screening(
    session: Session,
    *,
    sender_key: str,
    channel: str,
    criteria_version: str,
    trial_id: str,
    now: datetime,
) -> Screening:
    """Return the sender's latest unfinished screening, or start a new one.

    Only a screening of the same trial and criteria version is resumed: answers
    given under other criteria may not mean the same thing.

    Args:
        session: The session.
        sender_key: The keyed hash of the sender (:func:`sender_key`).
        channel: The channel the person is using now.
        criteria_version: Version of the criteria data in use.
        trial_id: The trial's id.
        now: The current time.

    Returns:
        The screening, flushed (it has an id and a reference).
    """
    running: Screening | None = session.execute(
        select(Screening)
        .where(
            Screening.sender_key == sender_key,
            Screening.trial_id == trial_id,
            Screening.criteria_version == criteria_version,
            Screening.finished_at.is_(None),
        )
        .order_by(Screening.started_at.desc(), Screening.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if running is not None:
        return running
    screening = Screening(
        reference=_unused_reference(session),
        sender_key=sender_key,
        channel=channel,
        criteria_version=criteria_version,
        trial_id=trial_id,
        started_at=now,
        updated_at=now,
    )
    session.add(screening)
    session.flush()
    return screening


def latest_screening(session: Session, sender_key: str) -> Screening | None:
    """Return the sender's most recently started screening, finished or not.

    Args:
        session: The session.
        sender_key: The keyed hash of the sender.

    Returns:
        The screening, or ``None`` if the sender has none.
    """
    latest: Screening | None = session.execute(
        select(Screening)
        .where(Screening.sender_key == sender_key)
        .order_by(Screening.started_at.desc(), Screening.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return latest


def screening_by_reference(session: Session, reference: str) -> Screening | None:
    """Return the screening with this public reference, or ``None``.

    Args:
        session: The session.
        reference: A reference such as ``"SCR-7F3K9Q"`` (case-insensitive).

    Returns:
        The screening, or ``None``.
    """
    found: Screening | None = session.execute(
        select(Screening).where(Screening.reference == reference.strip().upper())
    ).scalar_one_or_none()
    return found


def record_answer(
    session: Session,
    screening: Screening,
    *,
    fact_id: str,
    as_given: str | None,
    normalized: Any,
    unknown: bool = False,
    error: str | None = None,
    now: datetime,
) -> Answer:
    """Record an answer; a previous answer to the same fact is marked superseded.

    Nothing is deleted: a correction keeps the earlier answer for the transcript.

    Args:
        session: The session.
        screening: The screening being answered.
        fact_id: The fact the question asked about.
        as_given: The person's words.
        normalized: The parsed value; anything JSON can hold (dates are stored as
            ISO strings).
        unknown: The person said they don't know.
        error: A parser error code when the answer was not understood.
        now: The current time.

    Returns:
        The new, current answer (flushed).
    """
    if screening.id is None:
        session.flush()
    previous = session.execute(
        select(Answer).where(
            Answer.screening_id == screening.id,
            Answer.fact_id == fact_id,
            Answer.superseded.is_(False),
        )
    ).scalars()
    for answer in previous:
        answer.superseded = True
    # The old row must be marked before the new one is inserted: at most one
    # current answer per fact is a unique index.
    session.flush()
    answer = Answer(
        screening=screening,
        fact_id=fact_id,
        as_given=as_given,
        normalized=normalized,
        unknown=unknown,
        error=error,
        answered_at=now,
        superseded=False,
    )
    session.add(answer)
    screening.updated_at = now
    session.flush()
    return answer


def current_answers(session: Session, screening: Screening) -> dict[str, Answer]:
    """Return the current (not superseded) answer for each answered fact.

    Args:
        session: The session.
        screening: The screening.

    Returns:
        The answers keyed by fact id.
    """
    rows = session.execute(
        select(Answer)
        .where(Answer.screening_id == screening.id, Answer.superseded.is_(False))
        .order_by(Answer.id)
    ).scalars()
    return {answer.fact_id: answer for answer in rows}


def save_verdicts(
    session: Session,
    screening: Screening,
    verdicts: Iterable[tuple[str, str, str | None]],
    now: datetime,
) -> list[CriterionVerdict]:
    """Replace the screening's criterion verdicts with a new evaluation.

    Criteria absent from ``verdicts`` lose their old verdict.

    Args:
        session: The session.
        screening: The screening evaluated.
        verdicts: ``(criterion_id, verdict, reason)`` for each criterion; the
            verdict is one of ``bot.vocab.VERDICTS``.
        now: The evaluation time.

    Returns:
        The verdict rows, in the order given.

    Raises:
        ValueError: An unknown verdict word, or a criterion given twice.
    """
    if screening.id is None:
        session.flush()
    existing = {
        row.criterion_id: row
        for row in session.execute(
            select(CriterionVerdict).where(
                CriterionVerdict.screening_id == screening.id
            )
        ).scalars()
    }
    saved: list[CriterionVerdict] = []
    seen: set[str] = set()
    for criterion_id, verdict, reason in verdicts:
        if verdict not in vocab.VERDICTS:
            raise ValueError(f"unknown verdict {verdict!r} for {criterion_id}")
        if criterion_id in seen:
            raise ValueError(f"criterion {criterion_id} given twice")
        seen.add(criterion_id)
        row = existing.pop(criterion_id, None)
        if row is None:
            row = CriterionVerdict(screening=screening, criterion_id=criterion_id)
            session.add(row)
        row.verdict = verdict
        row.reason = reason
        row.evaluated_at = now
        saved.append(row)
    for stale in existing.values():
        session.delete(stale)
    screening.updated_at = now
    session.flush()
    return saved


def finish_screening(
    session: Session, screening: Screening, outcome: str, now: datetime
) -> Screening:
    """Record the screening's outcome and close it.

    Args:
        session: The session.
        screening: The screening.
        outcome: One of ``bot.vocab.OUTCOMES``.
        now: The current time.

    Returns:
        The screening.

    Raises:
        ValueError: ``outcome`` is not an outcome word.
    """
    if outcome not in vocab.OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    screening.outcome = outcome
    screening.finished_at = now
    screening.updated_at = now
    session.flush()
    return screening


def referral_link(settings: Settings, reference: str) -> str:
    """Return the console address of a referral.

    Args:
        settings: The settings (``CONSOLE_BASE_URL``).
        reference: The referral's reference.

    Returns:
        ``{CONSOLE_BASE_URL}/referrals/{reference}``.
    """
    return f"{settings.console_base_url.rstrip('/')}/referrals/{reference}"


def create_referral(
    session: Session,
    screening: Screening,
    *,
    name: str | None,
    phone: str | None,
    email: str | None,
    best_time: str | None,
    consent_at: datetime,
    settings: Settings,
    now: datetime,
) -> Referral:
    """Refer a finished screening to the study team, once.

    In the same transaction, queue a notification to the site contact. The
    notification holds only the reference, the outcome word and a console link:
    never health or contact details, which staff read in the console after signing
    in. Contact details are stored encrypted.

    Calling this again for the same screening returns the existing referral and
    queues nothing. (Two racing transactions cannot both insert: the screening id is
    unique on referrals, and the loser's commit fails.)

    Args:
        session: The session.
        screening: A finished screening (its outcome is set).
        name: The name the person gave.
        phone: The phone number the person gave.
        email: The e-mail address the person gave.
        best_time: When the person prefers to be called.
        consent_at: When the person consented to being contacted.
        settings: The settings (site contact address, console URL).
        now: The current time.

    Returns:
        The referral.

    Raises:
        ValueError: The screening has no outcome yet, or consent is missing.
    """
    if screening.id is not None:
        existing: Referral | None = session.execute(
            select(Referral).where(Referral.screening_id == screening.id)
        ).scalar_one_or_none()
        if existing is not None:
            return existing
    if screening.outcome is None:
        raise ValueError("finish the screening before referring it")
    if consent_at is None:
        raise ValueError("a referral needs the person's consent")
    reference = screening.reference
    referral = Referral(
        screening=screening,
        reference=reference,
        contact_name=name,
        contact_phone=phone,
        contact_email=email,
        best_time=best_time,
        consent_given_at=consent_at,
        status=vocab.REFERRAL_NEW,
        created_at=now,
    )
    referral.status_changes.append(
        StatusChange(
            from_status=None,
            to_status=vocab.REFERRAL_NEW,
            reason="referred by the assistant with consent",
            at=now,
        )
    )
    session.add(referral)
    session.add(
        OutboxMessage(
            kind=vocab.OUTBOX_REFERRAL_EMAIL,
            reference=reference,
            to=settings.site_contact_email,
            subject=f"New pre-screening referral {reference}",
            body=_referral_email_body(settings, reference, screening.outcome),
            created_at=now,
            attempts=0,
            next_attempt_at=now,
        )
    )
    session.add(
        AuditEvent(
            actor=ASSISTANT_ACTOR,
            action="referral.created",
            target=reference,
            at=now,
            detail={"outcome": screening.outcome},
        )
    )
    session.flush()
    return referral


def delete_screening_data(
    session: Session,
    reference: str,
    *,
    actor: str = "system",
    now: datetime | None = None,
) -> bool:
    """Erase a screening and everything recorded about the person.

    Deletes the answers, verdicts, referral (with its contact details, status
    history and staff notes) and any notification about it, sent or not. The
    deletion itself is recorded in the audit trail, by reference only. Children
    are deleted explicitly, so erasure does not depend on the database enforcing
    ``ON DELETE CASCADE``.

    Args:
        session: The session.
        reference: The screening's public reference.
        actor: Who asked for the deletion (a staff username, or "system").
        now: The current time; the clock by default.

    Returns:
        ``True`` if a screening was deleted, ``False`` if none had that reference.
    """
    screening = screening_by_reference(session, reference)
    if screening is None:
        return False
    reference = screening.reference
    had_referral = screening.referral is not None
    referral_ids = select(Referral.id).where(Referral.screening_id == screening.id)
    fetch: dict[str, Any] = {"synchronize_session": "fetch"}
    session.execute(
        delete(StaffNote).where(StaffNote.referral_id.in_(referral_ids)),
        execution_options=fetch,
    )
    session.execute(
        delete(StatusChange).where(StatusChange.referral_id.in_(referral_ids)),
        execution_options=fetch,
    )
    for model in (Referral, CriterionVerdict, Answer):
        session.execute(
            delete(model).where(model.screening_id == screening.id),
            execution_options=fetch,
        )
    session.execute(
        delete(OutboxMessage).where(OutboxMessage.reference == reference),
        execution_options=fetch,
    )
    session.execute(
        delete(Screening).where(Screening.id == screening.id),
        execution_options=fetch,
    )
    session.add(
        AuditEvent(
            actor=actor,
            action="screening.deleted",
            target=reference,
            at=now or utcnow(),
            detail={"had_referral": had_referral},
        )
    )
    session.flush()
    return True


def _unused_reference(session: Session) -> str:
    # 30**6 (about 7e8) references: a clash is rare, but check rather than hope.
    for _ in range(20):
        reference = new_reference()
        taken = session.execute(
            select(Screening.id).where(Screening.reference == reference)
        ).first()
        if taken is None:
            return reference
    raise RuntimeError("could not find an unused screening reference")


def _referral_email_body(settings: Settings, reference: str, outcome: str) -> str:
    return (
        "A person has asked the study team to contact them about the trial.\n"
        "\n"
        f"Reference: {reference}\n"
        f"Pre-screening outcome: {outcome}\n"
        "\n"
        "Open the referral in the staff console (sign-in required):\n"
        f"{referral_link(settings, reference)}\n"
        "\n"
        "This message deliberately holds no health or contact details.\n"
    )
