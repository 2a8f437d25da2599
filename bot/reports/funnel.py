"""The recruitment funnel: how many people start, consent, finish, and are referred.

Stages, in order:

* **started**: conversations in Rasa's tracker store in which the person wrote at
  least once (by the time of their first message), plus screenings whose
  conversation is no longer there (purged);
* **consented**: screenings; a screening is recorded only once the person has
  agreed to start the questions;
* **completed**: screenings that reached a result (likely eligible, needs review,
  or ineligible); "incomplete" ones stopped, opted out or went quiet;
* **referred**: screenings whose person asked the study team to contact them.

Drop-off per question: for each screening that stopped before a result (outcome
"incomplete", or still open with nothing new for a day), the question it stopped at,
i.e. the next question the engine would have asked. Screenings whose answers were
purged by the retention job count as "answers purged".

Everything is grouped by ISO week (of the start) and channel. Dates are UTC.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot import vocab
from bot.screening.criteria import Trial
from bot.screening.engine import Answer as EngineAnswer
from bot.screening.engine import evaluate
from bot.store.models import UTC, Screening
from bot.store.transcripts import ConversationStart, TrackerStore

COMPLETED = (vocab.LIKELY_ELIGIBLE, vocab.NEEDS_REVIEW, vocab.INELIGIBLE)
#: The drop-off key of a screening that answered every question but did not finish
#: (it stopped at the result or the contact questions).
AFTER_LAST_QUESTION = "(after the last question)"
PURGED = "(answers purged)"

#: An open screening with no activity for this long counts as dropped off.
ABANDONED_AFTER = timedelta(days=1)
COLUMNS = ("started", "consented", "completed", *vocab.OUTCOMES, "running", "referred")


def iso_week(moment: datetime) -> str:
    """The ISO week of a moment, e.g. ``"2025-W23"``."""
    year, week, _ = moment.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class Funnel:
    """The funnel for a period.

    Attributes:
        totals: Count per column (see :data:`COLUMNS`).
        rows: ``(week, channel) -> counts`` per column.
        drop_off: ``[(question id, label, count)]``, in question order.
        tracker_available: Whether conversations could be counted from the tracker
            store ("started" is then the number of screenings).
    """

    totals: Counter[str] = field(default_factory=Counter)
    rows: dict[tuple[str, str], Counter[str]] = field(default_factory=dict)
    drop_off: list[tuple[str, str, int]] = field(default_factory=list)
    tracker_available: bool = True

    def conversion(self, stage: str) -> float | None:
        """Share of started conversations that reached ``stage`` (0..1)."""
        started = self.totals["started"]
        return self.totals[stage] / started if started else None


def _in_range(
    moment: datetime | None, start: datetime | None, end: datetime | None
) -> bool:
    if moment is None:
        return False
    if start is not None and moment < start:
        return False
    return not (end is not None and moment >= end)


def compute_funnel(
    session: Session,
    trial: Trial,
    tracker: TrackerStore | None,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    channel: str | None = None,
    now: datetime | None = None,
) -> Funnel:
    """Compute the funnel for conversations started between two days (inclusive).

    Args:
        session: The application database session.
        trial: The trial (question order and labels for the drop-off).
        tracker: Rasa's tracker store, or ``None`` to count screenings only.
        date_from: First day (UTC), or ``None`` for no lower bound.
        date_to: Last day (UTC), inclusive, or ``None``.
        channel: Only this channel, or ``None`` for all.
        now: The current time (for open screenings), the clock by default.

    Returns:
        The funnel.
    """
    start = datetime.combine(date_from, time(), UTC) if date_from else None
    end = (
        datetime.combine(date_to + timedelta(days=1), time(), UTC) if date_to else None
    )
    funnel = Funnel()
    now = now or datetime.now(UTC)

    def bump(week: str, chan: str, column: str) -> None:
        funnel.totals[column] += 1
        funnel.rows.setdefault((week, chan), Counter())[column] += 1

    starts: list[ConversationStart] = []
    if tracker is not None:
        try:
            starts = tracker.conversation_starts()
        except Exception:  # noqa: BLE001 - the funnel still shows the screenings
            funnel.tracker_available = False
    else:
        funnel.tracker_available = False
    tracked = {conversation.sender_id for conversation in starts}
    for conversation in starts:
        if channel and conversation.channel != channel:
            continue
        started_at = conversation.started_at
        if started_at is not None and _in_range(started_at, start, end):
            bump(iso_week(started_at), conversation.channel, "started")

    screenings = (
        session.execute(
            select(Screening).options(
                selectinload(Screening.answers), selectinload(Screening.referral)
            )
        )
        .scalars()
        .all()
    )
    drop: Counter[str] = Counter()
    for screening in screenings:
        if channel and screening.channel != channel:
            continue
        if not _in_range(screening.started_at, start, end):
            continue
        week, chan = iso_week(screening.started_at), screening.channel
        if screening.conversation_id not in tracked:
            # Its conversation is not in the tracker store (purged, or another
            # store): the screening itself shows that a conversation started.
            bump(week, chan, "started")
        bump(week, chan, "consented")
        if screening.outcome in COMPLETED:
            bump(week, chan, "completed")
        bump(week, chan, screening.outcome or "running")
        if screening.referral is not None:
            bump(week, chan, "referred")
        abandoned = (
            screening.outcome is None and now - screening.updated_at > ABANDONED_AFTER
        )
        if screening.outcome == vocab.INCOMPLETE or abandoned:
            drop[_stopped_at(trial, screening)] += 1

    order = {q.id: (q.order, q.label) for q in trial.questions}
    funnel.drop_off = sorted(
        (
            (key, order[key][1] if key in order else key, count)
            for key, count in drop.items()
        ),
        key=lambda item: (order.get(item[0], (10**6, ""))[0], item[0]),
    )
    funnel.rows = dict(sorted(funnel.rows.items()))
    return funnel


def _stopped_at(trial: Trial, screening: Screening) -> str:
    if screening.purged_at is not None:
        return PURGED
    answers = {
        a.fact_id: EngineAnswer(a.fact_id, a.normalized, a.as_given or "", a.unknown)
        for a in screening.answers
        if not a.superseded
    }
    evaluation = evaluate(trial, answers, screening.started_at.date())
    if evaluation.next_question is None:
        return AFTER_LAST_QUESTION
    return evaluation.next_question.id
