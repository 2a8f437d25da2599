"""Patient rights: erasure on request, and the retention job. Both audited.

* :func:`erase_person` deletes everything about the person behind a reference:
  every screening of the same conversation (same sender), their answers, verdicts,
  referral with contact details, notes and status history, queued mail, and the
  transcript in Rasa's tracker store. :func:`erase_conversation` does the same for
  the person asking in the chat ("delete my answers"), found by their sender.
* :func:`run_retention` (``python -m bot retention``) purges, for screenings that did
  not lead to a referral and have been quiet for ``RETENTION_DAYS``, the answers, the
  criterion verdicts and the transcript. What remains of such a screening is its
  reference, channel, dates and outcome, which the funnel counts. Conversations in
  the tracker store that never became a screening are purged after the same time.
  Transcripts of referred screenings are kept: the study team works from them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.staff import audit
from bot.store import repository
from bot.store.models import Answer, CriterionVerdict, Referral, Screening
from bot.store.transcripts import TrackerStore

logger = logging.getLogger(__name__)


@dataclass
class ErasureReport:
    """What :func:`erase_person` deleted."""

    references: list[str] = field(default_factory=list)
    transcript_events: int = 0

    @property
    def found(self) -> bool:
        """Whether the reference named a screening."""
        return bool(self.references)


def erase_person(
    session: Session,
    tracker: TrackerStore | None,
    reference: str,
    *,
    actor: str,
    now: datetime,
) -> ErasureReport:
    """Delete everything stored about the person behind ``reference``.

    The screenings are found by the reference and by the keyed sender hash (the
    same person in the same conversation); the transcript by the conversation id.
    Each deleted screening is audited by ``repository.delete_screening_data``, and
    the request as a whole as ``person.erased``. The tracker store is written after
    the application database has flushed; the caller commits.

    Args:
        session: The application database session.
        tracker: Rasa's tracker store (``None``: transcripts are not touched).
        reference: The reference the person quoted (case-insensitive).
        actor: The admin's username, or ``cli:<user>``.
        now: The current time.

    Returns:
        What was deleted; ``found`` is False when no screening has the reference.
    """
    screening = repository.screening_by_reference(session, reference or "")
    if screening is None:
        return ErasureReport()
    return _erase_sender(
        session,
        tracker,
        screening.sender_key,
        screening.reference,
        actor=actor,
        now=now,
    )


def erase_conversation(
    session: Session,
    tracker: TrackerStore | None,
    sender_key: str,
    *,
    actor: str,
    now: datetime,
) -> ErasureReport:
    """Delete everything stored about the person in one conversation (the chat's
    "delete my answers"), found by the keyed sender hash as the recorder files it.

    The same erasure as :func:`erase_person`, audited the same way
    (``person.erased``, by reference only; ``None`` as the target when the person
    had no screening yet). The caller commits.

    Args:
        session: The application database session.
        tracker: Rasa's tracker store, or ``None`` when the caller cannot delete
            the transcript itself: the chat cannot, because Rasa saves the running
            turn afterwards (``stores.tracker_store`` deletes it on that save).
        sender_key: ``repository.sender_key`` of the conversation's channel and id.
        actor: Who asked, e.g. ``"patient (chat)"``.
        now: The current time.

    Returns:
        What was deleted (``references`` may be empty).
    """
    latest = repository.latest_screening(session, sender_key)
    return _erase_sender(
        session,
        tracker,
        sender_key,
        latest.reference if latest is not None else None,
        actor=actor,
        now=now,
    )


def _erase_sender(
    session: Session,
    tracker: TrackerStore | None,
    sender_key: str,
    target: str | None,
    *,
    actor: str,
    now: datetime,
) -> ErasureReport:
    report = ErasureReport()
    same_person = (
        session.execute(select(Screening).where(Screening.sender_key == sender_key))
        .scalars()
        .all()
    )
    conversations = {s.conversation_id for s in same_person if s.conversation_id}
    for other in same_person:
        report.references.append(other.reference)
    for ref in report.references:
        repository.delete_screening_data(session, ref, actor=actor, now=now)
    if tracker is not None and conversations:
        report.transcript_events = tracker.delete_conversations(sorted(conversations))
    audit(
        session,
        actor,
        "person.erased",
        target,
        now,
        references=report.references,
        transcript_events=report.transcript_events,
    )
    session.flush()
    return report


@dataclass
class RetentionReport:
    """What one retention run purged (or would purge, in a dry run)."""

    cutoff: datetime
    screenings: list[str] = field(default_factory=list)
    conversations: int = 0
    transcript_events: int = 0
    answers: int = 0
    dry_run: bool = False


def run_retention(
    session: Session,
    tracker: TrackerStore | None,
    *,
    days: int,
    now: datetime,
    actor: str = "system",
    dry_run: bool = False,
) -> RetentionReport:
    """Purge transcripts and answers of screenings without a referral after ``days``.

    A screening is purged when it has no referral, has not been purged yet, and was
    last updated before ``now - days``. A tracker conversation is purged when its
    latest event is older than that and no referred screening belongs to it. The
    run is audited as ``retention.purged`` (counts only). The caller commits.

    Args:
        session: The application database session.
        tracker: Rasa's tracker store (``None``: transcripts are not touched).
        days: Retention period in days (``RETENTION_DAYS``).
        now: The current time.
        actor: Who runs the job.
        dry_run: Count what would be purged; change nothing.

    Returns:
        The report.
    """
    cutoff = now - timedelta(days=days)
    report = RetentionReport(cutoff=cutoff, dry_run=dry_run)

    referred_conversations = {
        conversation_id
        for (conversation_id,) in session.execute(
            select(Screening.conversation_id).join(
                Referral, Referral.screening_id == Screening.id
            )
        )
        if conversation_id
    }
    expired = (
        session.execute(
            select(Screening)
            .outerjoin(Referral, Referral.screening_id == Screening.id)
            .where(
                Referral.id.is_(None),
                Screening.purged_at.is_(None),
                Screening.updated_at < cutoff,
            )
            .order_by(Screening.id)
        )
        .scalars()
        .all()
    )
    recent_conversations = {
        conversation_id
        for (conversation_id, updated_at) in session.execute(
            select(Screening.conversation_id, Screening.updated_at)
        )
        if conversation_id and updated_at >= cutoff
    }
    for screening in expired:
        report.screenings.append(screening.reference)
        report.answers += len(screening.answers)
        if dry_run:
            continue
        for model in (Answer, CriterionVerdict):
            session.execute(
                delete(model).where(model.screening_id == screening.id),
                execution_options={"synchronize_session": "fetch"},
            )
        screening.conversation_id = None
        screening.purged_at = now

    if tracker is not None:
        keep = referred_conversations | recent_conversations
        stale = sorted(
            sender
            for sender, last in tracker.last_activity().items()
            if last is not None and last < cutoff and sender not in keep
        )
        report.conversations = len(stale)
        if not dry_run:
            session.flush()
            report.transcript_events = tracker.delete_conversations(stale)

    if not dry_run:
        audit(
            session,
            actor,
            "retention.purged",
            None,
            now,
            days=days,
            cutoff=cutoff.isoformat(),
            screenings=len(report.screenings),
            answers=report.answers,
            conversations=report.conversations,
            transcript_events=report.transcript_events,
        )
        session.flush()
    logger.info(
        "retention%s: %d screenings, %d answers, %d conversations before %s",
        " (dry run)" if dry_run else "",
        len(report.screenings),
        report.answers,
        report.conversations,
        cutoff.isoformat(),
    )
    return report
