"""The referral queue and one referral's page: criteria, transcript, workflow, notes."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot import staff
from bot.console.context import CONSOLE, Staff, in_thread, route
from bot.console.i18n import Translator
from bot.reports import review
from bot.screening.criteria import Question
from bot.store.models import (
    Answer,
    Referral,
    Screening,
    StaffNote,
    StaffUser,
    StatusChange,
)


def answer_text(t: Translator, question: Question, answer: Answer | None) -> str:
    """An answer's normalized value in the page's language.

    English reads exactly as :func:`bot.reports.review.format_value` (the exports
    use it too); Chinese puts the catalogue's words around the same dates and
    numbers, and the choice labels of the Chinese wording.
    """
    if answer is None:
        return t("referral.not_asked")
    value, unknown = answer.normalized, bool(answer.unknown)
    if t.language == "en":
        return review.format_value(question, value, unknown)
    if unknown or value is None:
        return t("value.unknown")
    if question.type == "yes_no" and str(value) in review.YES_NO_LABELS:
        return t(f"value.{value}")
    if (
        question.type == "number"
        and question.unit in ("years", "points")
        and isinstance(value, (int, float))
        and not isinstance(value, bool)
    ):
        return t(f"value.{question.unit}", number=review.format_number(value))
    if question.type == "time_ago" and isinstance(value, dict):
        if value.get("never"):
            return t("value.never")
        earliest, latest = value.get("earliest"), value.get("latest")
        if earliest and latest:
            if earliest == latest:
                return t("value.on", date=earliest)
            return t("value.between", earliest=earliest, latest=latest)
        if latest:
            return t("value.on_or_before", date=latest)
        if earliest:
            return t("value.on_or_after", date=earliest)
        return t("value.unknown")
    return review.format_value(question, value, unknown)


@route("GET", "/referrals", permission=staff.VIEW)
async def queue(request: web.Request) -> web.StreamResponse:
    """The referral queue: newest first, filters, counts."""
    console = request.app[CONSOLE]
    params = {k: v for k, v in request.query.items()}
    filters, problems = staff.parse_queue_filters(params)
    try:
        page = max(1, int(params.get("page", "1")))
    except ValueError:
        page = 1

    def work(session: Session) -> web.StreamResponse:
        result = staff.referral_queue(session, filters, page=page)
        users = staff.active_users(session)
        keep = {k: v for k, v in params.items() if k not in ("page", "msg") and v}
        return console.render(
            request,
            "queue.html",
            queue=result,
            filters=filters,
            raw=params,
            problems=problems,
            users=users,
            page_link=lambda n: "/referrals?" + urlencode({**keep, "page": n}),
            status_link=lambda s: "/referrals?" + urlencode({"status": s}),
            outcome_link=lambda o: "/referrals?" + urlencode({"outcome": o}),
        )

    return await in_thread(request, work)


def _load_referral(session: Session, reference: str) -> Referral:
    referral: Referral | None = session.execute(
        select(Referral)
        .options(
            selectinload(Referral.screening).selectinload(Screening.answers),
            selectinload(Referral.screening).selectinload(Screening.verdicts),
            selectinload(Referral.notes).selectinload(StaffNote.author),
            selectinload(Referral.status_changes).selectinload(StatusChange.actor),
        )
        .where(Referral.reference == staff.clean_text(reference).strip().upper()[:16])
    ).scalar_one_or_none()
    if referral is None:
        raise web.HTTPNotFound()
    return referral


def _referral_page(
    request: web.Request,
    session: Session,
    referral: Referral,
    *,
    status: int = 200,
    contacts: staff.ContactDetails | None = None,
    error: str | None = None,
    note_text: str = "",
) -> web.Response:
    console = request.app[CONSOLE]
    screening = referral.screening
    known: tuple[str | None, ...] = ()
    if contacts is None:
        # Hide these wherever the person typed them in the chat, too.
        known = (
            referral.contact_name,
            referral.contact_phone,
            referral.contact_email,
            referral.best_time,
        )
    transcript = (
        console.tracker.transcript(
            screening.conversation_id, reveal=contacts is not None, known_contacts=known
        )
        if console.tracker is not None
        else None
    )
    t = console.t(request)
    wording = console.wording(request)
    answers = review.current_answers(screening)

    def value_of(question: Question) -> str:
        return answer_text(t, question, answers.get(question.id))

    all_answers = [
        (q, answers[q.id], value_of(q)) for q in wording.questions if q.id in answers
    ]
    corrections = sum(1 for a in screening.answers if a.superseded)
    return console.render(
        request,
        "referral.html",
        status=status,
        referral=referral,
        screening=screening,
        rows=review.criteria_summary(wording, screening),
        value_of=value_of,
        investigator=review.investigator_note(wording),
        all_answers=all_answers,
        corrections=corrections,
        transcript=transcript,
        contacts=contacts,
        next_statuses=staff.TRANSITIONS[referral.status],
        users=staff.active_users(session),
        error=error,
        note_text=note_text,
        trial=console.trial,
    )


@route("GET", "/referrals/{reference}", permission=staff.VIEW)
async def referral_detail(request: web.Request) -> web.StreamResponse:
    """One referral: criteria, transcript, workflow, notes (contacts hidden)."""
    reference = request.match_info["reference"]

    def work(session: Session) -> web.StreamResponse:
        return _referral_page(request, session, _load_referral(session, reference))

    return await in_thread(request, work)


@route("POST", "/referrals/{reference}/reveal", permission=staff.REVEAL)
async def referral_reveal(request: web.Request) -> web.StreamResponse:
    """Show the contact details once (audited). Reloading the page hides them."""
    console = request.app[CONSOLE]
    who: Staff = request["staff"]
    reference = request.match_info["reference"]

    def work(session: Session) -> web.StreamResponse:
        referral = _load_referral(session, reference)
        actor = session.get(StaffUser, who.user_id)
        contacts = staff.reveal_contacts(
            session, referral, actor=actor, now=console.clock()
        )
        return _referral_page(request, session, referral, contacts=contacts)

    return await in_thread(request, work)


@route("POST", "/referrals/{reference}/status", permission=staff.UPDATE)
async def referral_status(request: web.Request) -> web.StreamResponse:
    """Move the referral along its workflow (audited)."""
    console = request.app[CONSOLE]
    who: Staff = request["staff"]
    reference = request.match_info["reference"]
    form = await request.post()

    def work(session: Session) -> web.StreamResponse:
        referral = _load_referral(session, reference)
        actor = session.get(StaffUser, who.user_id)
        try:
            staff.change_status(
                session,
                referral,
                str(form.get("status") or ""),
                actor=actor,
                reason=str(form.get("reason") or ""),
                now=console.clock(),
            )
        except staff.StaffError as exc:
            return _referral_page(
                request, session, referral, status=400, error=str(exc)
            )
        return web.HTTPSeeOther(f"/referrals/{referral.reference}?msg=status")

    return await in_thread(request, work)


@route("POST", "/referrals/{reference}/notes", permission=staff.UPDATE)
async def referral_note(request: web.Request) -> web.StreamResponse:
    """Add a note (at most 5,000 characters; longer ones are refused with a
    message and kept in the form)."""
    console = request.app[CONSOLE]
    who: Staff = request["staff"]
    reference = request.match_info["reference"]
    form = await request.post()
    body = str(form.get("body") or "")

    def work(session: Session) -> web.StreamResponse:
        referral = _load_referral(session, reference)
        actor = session.get(StaffUser, who.user_id)
        try:
            staff.add_note(session, referral, body, actor=actor, now=console.clock())
        except staff.StaffError as exc:
            return _referral_page(
                request,
                session,
                referral,
                status=400,
                error=str(exc),
                note_text=body[: staff.NOTE_MAX_CHARS * 4],
            )
        return web.HTTPSeeOther(f"/referrals/{referral.reference}?msg=note#notes")

    return await in_thread(request, work)


@route("POST", "/referrals/{reference}/assignee", permission=staff.UPDATE)
async def referral_assignee(request: web.Request) -> web.StreamResponse:
    """Assign the referral to a staff member, or to nobody (audited)."""
    console = request.app[CONSOLE]
    who: Staff = request["staff"]
    reference = request.match_info["reference"]
    form = await request.post()
    raw = str(form.get("assignee") or "")

    def work(session: Session) -> web.StreamResponse:
        referral = _load_referral(session, reference)
        actor = session.get(StaffUser, who.user_id)
        assignee = session.get(StaffUser, int(raw)) if raw.isdigit() else None
        if raw and assignee is None:
            return _referral_page(
                request,
                session,
                referral,
                status=400,
                error=console.t(request)("referral.unknown_staff"),
            )
        try:
            staff.assign(session, referral, assignee, actor=actor, now=console.clock())
        except staff.StaffError as exc:
            return _referral_page(
                request, session, referral, status=400, error=str(exc)
            )
        return web.HTTPSeeOther(f"/referrals/{referral.reference}?msg=assigned")

    return await in_thread(request, work)
