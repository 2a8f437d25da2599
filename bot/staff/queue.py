"""The referral queue: filters read from request parameters, one page, the counts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from bot import vocab
from bot.staff.text import clean_text
from bot.store.models import UTC, Referral, Screening

#: The period filters (parameter name, label in messages), on the queue and the funnel.
PERIOD_PARAMS = (("date_from", "From"), ("date_to", "To"))


@dataclass
class QueueFilters:
    """Filters of the referral queue; ``None`` means "any".

    Attributes:
        outcome: A screening outcome word.
        status: A referral status word.
        channel: A channel name.
        date_from: Referred on or after this day (UTC).
        date_to: Referred on or before this day (UTC).
        search: Part of a reference (case-insensitive).
        assignee_id: Assigned to this staff member.
    """

    outcome: str | None = None
    status: str | None = None
    channel: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    search: str | None = None
    assignee_id: int | None = None


@dataclass
class Queue:
    """One page of the referral queue and the counts shown above it."""

    referrals: list[Referral]
    total: int
    by_status: dict[str, int]
    by_outcome: dict[str, int]
    channels: list[str]
    page: int = 1
    pages: int = 1
    per_page: int = 50
    problems: list[str] = field(default_factory=list)


def parse_queue_filters(params: dict[str, str]) -> tuple[QueueFilters, list[str]]:
    """Read queue filters from request parameters; report what was ignored.

    Nothing a user types can make this fail: unknown words and malformed dates are
    ignored with a message.

    Returns:
        The filters, and messages about ignored values.
    """
    params = {k: clean_text(v) for k, v in params.items()}
    problems: list[str] = []
    filters = QueueFilters()
    outcome = (params.get("outcome") or "").strip()
    if outcome:
        if outcome in vocab.OUTCOMES:
            filters.outcome = outcome
        else:
            problems.append("Unknown outcome ignored.")
    status = (params.get("status") or "").strip()
    if status:
        if status in vocab.REFERRAL_STATUSES:
            filters.status = status
        else:
            problems.append("Unknown status ignored.")
    filters.channel = parse_channel(params)
    filters.date_from, filters.date_to = parse_period(params, problems)
    search = (params.get("q") or "").strip()
    if search:
        filters.search = search[:64]
    assignee = (params.get("assignee") or "").strip()
    if assignee:
        if assignee.isdigit():
            filters.assignee_id = int(assignee)
        else:
            problems.append("Unknown assignee ignored.")
    return filters, problems


def parse_channel(params: Mapping[str, str]) -> str | None:
    """The ``channel`` filter of request parameters (any name, cut to 32 characters)."""
    return clean_text(params.get("channel")).strip()[:32] or None


def parse_period(
    params: Mapping[str, str], problems: list[str]
) -> tuple[date | None, date | None]:
    """The ``date_from`` and ``date_to`` filters (days, inclusive) of parameters.

    A date that is not ``YYYY-MM-DD`` is ignored, with a message in ``problems``.
    """
    days: list[date | None] = []
    for name, label in PERIOD_PARAMS:
        raw = clean_text(params.get(name)).strip()
        day = None
        if raw:
            try:
                day = date.fromisoformat(raw[:10])
            except ValueError:
                problems.append(f"{label} date not understood (use YYYY-MM-DD).")
        days.append(day)
    return days[0], days[1]


def screening_channels(session: Session) -> list[str]:
    """Every channel a screening came from, sorted (the channel filter's choices)."""
    return sorted(
        c for (c,) in session.execute(select(Screening.channel).distinct()) if c
    )


def referral_queue(
    session: Session, filters: QueueFilters, *, page: int = 1, per_page: int = 50
) -> Queue:
    """Return referrals matching ``filters``, newest first, with counts.

    The counts by status and by outcome cover every referral, so the team sees
    the whole workload whatever the filter.
    """
    query = select(Referral).join(Screening, Referral.screening_id == Screening.id)
    if filters.outcome:
        query = query.where(Screening.outcome == filters.outcome)
    if filters.status:
        query = query.where(Referral.status == filters.status)
    if filters.channel:
        query = query.where(Screening.channel == filters.channel)
    if filters.date_from:
        query = query.where(
            Referral.created_at >= datetime.combine(filters.date_from, time(), UTC)
        )
    if filters.date_to:
        query = query.where(
            Referral.created_at
            < datetime.combine(filters.date_to + timedelta(days=1), time(), UTC)
        )
    if filters.search:
        # A bound parameter: whatever was typed is data, never SQL.
        like = "%" + _escape_like(filters.search.upper()) + "%"
        query = query.where(Referral.reference.like(like, escape="\\"))
    if filters.assignee_id is not None:
        query = query.where(Referral.assignee_id == filters.assignee_id)

    total = session.execute(
        select(func.count()).select_from(query.subquery())
    ).scalar_one()
    per_page = max(1, per_page)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    referrals = (
        session.execute(
            query.options(joinedload(Referral.screening), joinedload(Referral.assignee))
            .order_by(Referral.created_at.desc(), Referral.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        .scalars()
        .unique()
        .all()
    )
    by_status = dict.fromkeys(vocab.REFERRAL_STATUSES, 0)
    for status, count in session.execute(
        select(Referral.status, func.count()).group_by(Referral.status)
    ):
        by_status[status] = count
    by_outcome = dict.fromkeys(vocab.OUTCOMES, 0)
    for outcome, count in session.execute(
        select(Screening.outcome, func.count())
        .join(Referral, Referral.screening_id == Screening.id)
        .group_by(Screening.outcome)
    ):
        if outcome in by_outcome:
            by_outcome[outcome] = count
    channels = screening_channels(session)
    return Queue(
        referrals=list(referrals),
        total=total,
        by_status=by_status,
        by_outcome=by_outcome,
        channels=channels,
        page=page,
        pages=pages,
        per_page=per_page,
    )


def referral_by_reference(session: Session, reference: str) -> Referral | None:
    """Return the referral with this reference (case-insensitive), or ``None``."""
    referral: Referral | None = session.execute(
        select(Referral)
        .options(joinedload(Referral.screening))
        .where(Referral.reference == clean_text(reference).strip().upper()[:16])
    ).scalar_one_or_none()
    return referral


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
