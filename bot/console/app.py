"""The staff console: an aiohttp application with Jinja2 templates.

Why aiohttp (3.9, pinned by Rasa) rather than Sanic 21.12: an aiohttp application
is a plain object with no process-wide registry of app names, no signal handlers
installed behind our back, and a documented runner (``AppRunner`` + ``TCPSite``)
that serves it on any port from any event loop, so tests run the real server on a
free loopback port and talk to it over HTTP. aiohttp also ships the HTTP client.

Security model:

* **Default deny.** Every route is declared with :func:`route` and the permission
  it needs (:mod:`bot.staff`); only the sign-in page is public. The middleware
  checks the session and the role before any handler runs.
* **Server-side sessions.** The cookie holds a random token; the database holds its
  SHA-256, the user, the CSRF token and the last use. Cookies are ``HttpOnly``,
  ``SameSite=Strict`` and ``Secure`` when configured; sessions end after
  ``SESSION_IDLE_MINUTES`` idle or ``SESSION_MAX_HOURS`` in all.
* **CSRF.** Every state-changing request carries the session's synchronizer token
  (a hidden form field, or the ``X-CSRF-Token`` header); the sign-in form uses a
  double-submit cookie. A foreign ``Origin`` header is refused as well.
* **Output.** Jinja2 autoescaping is on for every template; a strict
  Content-Security-Policy allows no script at all and only the console's own
  inline style (by hash); pages are ``no-store``.
* **Work off the event loop.** Database work, password hashing and rendering run
  in worker threads, one unit of work (one transaction) per request.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

import jinja2
from aiohttp import web
from argon2 import PasswordHasher
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot import staff, vocab
from bot.console.charts import bar_chart
from bot.jobs.retention import erase_person
from bot.reports import export, funnel, review
from bot.screening.criteria import Trial, load_trial
from bot.settings import Settings
from bot.store.db import make_session_factory, session_scope
from bot.store.models import (
    UTC,
    AuditEvent,
    Referral,
    Screening,
    StaffNote,
    StaffUser,
    StatusChange,
)
from bot.store.transcripts import TrackerStore

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
#: Largest request body accepted (a 5,000-character note is at most 20 kB).
MAX_BODY_BYTES = 256 * 1024
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: Messages shown after a redirect, by key (never text taken from the request).
FLASH = {
    "status": "Status changed.",
    "note": "Note added.",
    "assigned": "Assignee changed.",
    "user_created": "Account created.",
    "user_updated": "Account updated.",
    "user_unchanged": "Nothing to change.",
    "signed_out": "You are signed out.",
    "expired": "Your session timed out. Please sign in again.",
}


@dataclass
class Staff:
    """Who is making a request (a snapshot, safe to use in any thread)."""

    user_id: int
    username: str
    role: str
    csrf_token: str

    def can(self, permission: str) -> bool:
        """Whether the role has ``permission``."""
        return staff.can(self.role, permission)


@dataclass
class Console:
    """Everything the handlers share.

    Attributes:
        settings: The settings.
        factory: Session factory of the application database.
        tracker: Rasa's tracker store (transcripts), or ``None``.
        trial: The trial's criteria.
        hasher: The password hasher.
        clock: The current time (replaceable in tests).
    """

    settings: Settings
    factory: sessionmaker
    tracker: TrackerStore | None
    trial: Trial
    hasher: PasswordHasher
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    templates: jinja2.Environment = field(init=False)
    css: str = field(init=False)
    csp: str = field(init=False)

    def __post_init__(self) -> None:
        self.css = (HERE / "console.css").read_text(encoding="utf-8")
        digest = base64.b64encode(hashlib.sha256(self.css.encode()).digest()).decode()
        self.csp = (
            "default-src 'none'; "
            f"style-src 'sha256-{digest}'; "
            "img-src 'self' data:; "
            "form-action 'self'; "
            "frame-ancestors 'none'; "
            "base-uri 'none'"
        )
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(HERE / "templates")),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters["dt"] = _format_datetime
        self.templates.filters["day"] = _format_day
        self.templates.globals.update(
            STATUS_LABELS=staff.STATUS_LABELS,
            OUTCOME_LABELS=staff.OUTCOME_LABELS,
            OUTCOMES=vocab.OUTCOMES,
            STATUSES=vocab.REFERRAL_STATUSES,
            ROLES=vocab.STAFF_ROLES,
            NOTE_MAX_CHARS=staff.NOTE_MAX_CHARS,
            perms=staff,
        )

    @property
    def cookie_secure(self) -> bool:
        """Whether cookies carry ``Secure``."""
        return self.settings.console_secure_cookies

    @property
    def session_cookie(self) -> str:
        """The session cookie's name (``__Host-`` prefixed when secure)."""
        return "__Host-console_session" if self.cookie_secure else "console_session"

    @property
    def login_cookie(self) -> str:
        """The sign-in form's double-submit CSRF cookie."""
        return "__Host-console_login" if self.cookie_secure else "console_login"

    def render(
        self,
        request: web.Request,
        template: str,
        *,
        status: int = 200,
        **context: Any,
    ) -> web.Response:
        """Render a template into an HTML response."""
        who: Staff | None = request.get("staff")
        message = FLASH.get(request.query.get("msg", ""))
        html = self.templates.get_template(template).render(
            css=Markup(self.css),
            staff=who,
            csrf_token=who.csrf_token if who else "",
            flash=message,
            path=request.path,
            **context,
        )
        return web.Response(text=html, status=status, content_type="text/html")


CONSOLE = web.AppKey("console", Console)

# --------------------------------------------------------------------------- #
# Route declaration: every route says who may use it
# --------------------------------------------------------------------------- #

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_ROUTES: list[tuple[str, str, Handler]] = []


def route(
    method: str, path: str, *, permission: str | None
) -> Callable[[Handler], Handler]:
    """Declare a route and the permission it needs (``None``: public).

    The permission is enforced by :func:`auth_middleware` before the handler runs.
    """

    def decorate(handler: Handler) -> Handler:
        handler.permission = permission  # type: ignore[attr-defined]
        handler.public = permission is None  # type: ignore[attr-defined]
        _ROUTES.append((method, path, handler))
        return handler

    return decorate


async def in_thread(
    request: web.Request, work: Callable[[Session], web.StreamResponse]
) -> web.StreamResponse:
    """Run ``work(session)`` in a worker thread, as one committed unit of work.

    ``work`` *returns* redirects (``web.HTTPSeeOther``) rather than raising them:
    an exception inside the unit of work rolls it back. They are raised here,
    after the commit.
    """
    console = request.app[CONSOLE]

    def run() -> web.StreamResponse:
        with session_scope(console.factory) as session:
            return work(session)

    response = await asyncio.to_thread(run)
    if isinstance(response, web.HTTPException):
        raise response
    return response


# --------------------------------------------------------------------------- #
# Middleware
# --------------------------------------------------------------------------- #


@web.middleware
async def error_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Turn errors into plain pages; never show a traceback."""
    console = request.app[CONSOLE]
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        messages = {
            400: "The request could not be understood.",
            401: "Please sign in.",
            403: "You do not have permission to do this.",
            404: "Not found.",
            405: "This page does not accept that kind of request.",
            413: "What you sent is too large. Notes may have at most "
            f"{staff.NOTE_MAX_CHARS:,} characters.",
        }
        text = exc.text if getattr(exc, "console_message", False) else None
        return console.render(
            request,
            "error.html",
            status=exc.status,
            title=exc.reason,
            message=text or messages.get(exc.status, exc.reason),
        )
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.exception("error handling %s %s", request.method, request.path)
        return console.render(
            request,
            "error.html",
            status=500,
            title="Something went wrong",
            message="The error was logged. Please try again, or tell the admin.",
        )


def _forbidden(message: str) -> web.HTTPForbidden:
    exc = web.HTTPForbidden(text=message)
    exc.console_message = True  # type: ignore[attr-defined]
    return exc


def _same_origin(request: web.Request) -> bool:
    # Browsers send Origin on every POST. (With "Referrer-Policy: no-referrer"
    # they would send "null", which is why the console uses "same-origin".)
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    parsed = urlparse(origin)
    return origin != "null" and parsed.netloc.lower() == request.host.lower()


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Default deny: find the session, check the role, check CSRF on changes."""
    console = request.app[CONSOLE]
    route_handler = getattr(request.match_info, "handler", None)
    if getattr(request.match_info, "http_exception", None) is not None:
        return await handler(request)
    if request.method not in SAFE_METHODS and not _same_origin(request):
        raise _forbidden("Cross-site request refused.")
    if getattr(route_handler, "public", False):
        return await handler(request)
    permission = getattr(route_handler, "permission", None)
    token = request.cookies.get(console.session_cookie)

    def load(session: Session) -> tuple[Staff | None, bool]:
        state = staff.load_session(
            session, token, settings=console.settings, now=console.clock()
        )
        row = state.staff_session
        if row is None:
            return None, state.expired
        return Staff(
            row.user.id, row.user.username, row.user.role, row.csrf_token
        ), False

    who, expired = await asyncio.to_thread(_with_session, console, load)
    if who is None:
        if request.method in SAFE_METHODS:
            query = {"next": request.path_qs}
            if expired:
                query["msg"] = "expired"
            response = web.HTTPSeeOther(f"/login?{urlencode(query)}")
            response.del_cookie(console.session_cookie, path="/")
            raise response
        exc = web.HTTPUnauthorized(text="Your session has ended. Please sign in again.")
        exc.console_message = True  # type: ignore[attr-defined]
        raise exc
    request["staff"] = who
    if permission is None or not who.can(permission):
        await asyncio.to_thread(
            _with_session,
            console,
            lambda session: staff.audit(
                session,
                who.username,
                "access.denied",
                request.path[:128],
                console.clock(),
                method=request.method,
                role=who.role,
            ),
        )
        raise _forbidden(f"Your role ({who.role}) does not allow this.")
    if request.method not in SAFE_METHODS:
        form = await request.post()
        sent = str(form.get("csrf_token") or request.headers.get("X-CSRF-Token") or "")
        if not sent or not _same_secret(sent, who.csrf_token):
            raise _forbidden(
                "The form had expired or was not sent by the console. Reload the "
                "page and try again."
            )
    return await handler(request)


def _same_secret(a: str, b: str) -> bool:
    """Constant-time comparison of two tokens (as bytes: any text is accepted)."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def _with_session(console: Console, work: Callable[[Session], Any]) -> Any:
    with session_scope(console.factory) as session:
        return work(session)


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Headers on every response (``on_response_prepare``)."""
    console = request.app[CONSOLE]
    response.headers["Content-Security-Policy"] = console.csp
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if console.cookie_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"


# --------------------------------------------------------------------------- #
# Sign-in
# --------------------------------------------------------------------------- #


def _safe_next(value: str | None) -> str:
    if not value or not value.startswith("/") or value.startswith("//"):
        return "/referrals"
    if "\\" in value or len(value) > 512 or value.startswith("/login"):
        return "/referrals"
    return value


def _set_cookie(
    console: Console, response: web.StreamResponse, name: str, value: str, **extra: Any
) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="Strict",
        secure=console.cookie_secure,
        path="/",
        **extra,
    )


def _login_page(
    request: web.Request, *, status: int = 200, error: str | None = None
) -> web.Response:
    console = request.app[CONSOLE]
    token = secrets.token_urlsafe(32)
    response = console.render(
        request,
        "login.html",
        status=status,
        login_token=token,
        next=_safe_next(request.query.get("next")),
        error=error,
        lockout=(console.settings.login_max_failures, console.settings.lockout_minutes),
    )
    _set_cookie(console, response, console.login_cookie, token, max_age=3600)
    return response


@route("GET", "/login", permission=None)
async def login_form(request: web.Request) -> web.StreamResponse:
    """The sign-in page."""
    return _login_page(request)


@route("POST", "/login", permission=None)
async def login_submit(request: web.Request) -> web.StreamResponse:
    """Check the password; on success start a session (a fresh id)."""
    console = request.app[CONSOLE]
    form = await request.post()
    cookie = request.cookies.get(console.login_cookie, "")
    sent = str(form.get("login_token") or "")
    if not cookie or not sent or not _same_secret(cookie, sent):
        return _login_page(
            request,
            status=403,
            error="The sign-in form had expired. Please try again.",
        )
    username = str(form.get("username") or "")
    password = str(form.get("password") or "")

    def work(session: Session) -> tuple[str, str] | None:
        now = console.clock()
        staff.purge_expired_sessions(session, settings=console.settings, now=now)
        result = staff.authenticate(
            session,
            username,
            password,
            settings=console.settings,
            hasher=console.hasher,
            now=now,
        )
        if not result.ok:
            return None
        old = request.cookies.get(console.session_cookie)
        staff.end_session(session, old)
        return staff.start_session(session, result.user, now)

    started = await asyncio.to_thread(_with_session, console, work)
    if started is None:
        return _login_page(
            request,
            status=401,
            error="Sign-in failed. Check the username and password. After "
            f"{console.settings.login_max_failures} failed attempts an account is "
            f"locked for {console.settings.lockout_minutes} minutes.",
        )
    token, _ = started
    response = web.HTTPSeeOther(_safe_next(str(form.get("next") or "")))
    _set_cookie(console, response, console.session_cookie, token)
    response.del_cookie(console.login_cookie, path="/")
    raise response


@route("POST", "/logout", permission=staff.VIEW)
async def logout(request: web.Request) -> web.StreamResponse:
    """End the session."""
    console = request.app[CONSOLE]
    token = request.cookies.get(console.session_cookie)
    who: Staff = request["staff"]

    def work(session: Session) -> None:
        staff.end_session(session, token)
        staff.audit(session, who.username, "logout", who.username, console.clock())

    await asyncio.to_thread(_with_session, console, work)
    response = web.HTTPSeeOther("/login?msg=signed_out")
    response.del_cookie(console.session_cookie, path="/")
    raise response


@route("GET", "/", permission=staff.VIEW)
async def home(request: web.Request) -> web.StreamResponse:
    """The queue is the home page."""
    raise web.HTTPSeeOther("/referrals")


# --------------------------------------------------------------------------- #
# Queue and referral
# --------------------------------------------------------------------------- #


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
    referral = session.execute(
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
    known = ()
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
    answers = review.current_answers(screening)
    all_answers = [
        (
            q,
            answers[q.id],
            review.format_value(q, answers[q.id].normalized, answers[q.id].unknown),
        )
        for q in console.trial.questions
        if q.id in answers
    ]
    corrections = sum(1 for a in screening.answers if a.superseded)
    return console.render(
        request,
        "referral.html",
        status=status,
        referral=referral,
        screening=screening,
        rows=review.criteria_summary(console.trial, screening),
        investigator=review.investigator_note(console.trial),
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
                request, session, referral, status=400, error="Unknown staff member."
            )
        try:
            staff.assign(session, referral, assignee, actor=actor, now=console.clock())
        except staff.StaffError as exc:
            return _referral_page(
                request, session, referral, status=400, error=str(exc)
            )
        return web.HTTPSeeOther(f"/referrals/{referral.reference}?msg=assigned")

    return await in_thread(request, work)


# --------------------------------------------------------------------------- #
# Funnel
# --------------------------------------------------------------------------- #


@route("GET", "/funnel", permission=staff.VIEW)
async def funnel_page(request: web.Request) -> web.StreamResponse:
    """Conversations started, consented, completed, outcomes, drop-off."""
    console = request.app[CONSOLE]
    problems = []
    dates: dict[str, date | None] = {}
    for name in ("date_from", "date_to"):
        raw = (request.query.get(name) or "").strip()
        dates[name] = None
        if raw:
            try:
                dates[name] = date.fromisoformat(raw[:10])
            except ValueError:
                problems.append("A date was not understood (use YYYY-MM-DD).")
    channel = staff.clean_text(request.query.get("channel")).strip()[:32] or None

    def work(session: Session) -> web.StreamResponse:
        result = funnel.compute_funnel(
            session,
            console.trial,
            console.tracker,
            date_from=dates["date_from"],
            date_to=dates["date_to"],
            channel=channel,
            now=console.clock(),
        )
        stages = [
            ("Conversations started", result.totals["started"]),
            ("Consented to screening", result.totals["consented"]),
            ("Completed", result.totals["completed"]),
            ("Referred to the team", result.totals["referred"]),
        ]
        outcomes = [
            (staff.OUTCOME_LABELS[o], result.totals[o]) for o in vocab.OUTCOMES
        ] + [("Still running", result.totals["running"])]
        channels = sorted(
            c for (c,) in session.execute(select(Screening.channel).distinct()) if c
        )
        return console.render(
            request,
            "funnel.html",
            funnel=result,
            columns=funnel.COLUMNS,
            stage_chart=bar_chart(
                stages,
                title="Funnel stages",
                colour="#2f5d8a",
                width=500,
                label_width=180,
            ),
            outcome_chart=bar_chart(
                outcomes, title="Screening outcomes", width=500, label_width=150
            ),
            drop_chart=bar_chart(
                [(label, count) for _, label, count in result.drop_off],
                title="Where screenings stopped",
                colour="#a8652a",
            ),
            raw=dict(request.query),
            problems=problems,
            channels=channels,
        )

    return await in_thread(request, work)


# --------------------------------------------------------------------------- #
# Exports
# --------------------------------------------------------------------------- #

EXPORT_CHOICES = {
    "json": "JSON: every screening with outcome and answers",
    "csv": "CSV for REDCap: one row per screening",
    "redcap-dictionary": "REDCap data dictionary for the CSV (no patient data)",
    "fhir": "FHIR R4 Bundle: ResearchStudy, ResearchSubject, QuestionnaireResponse",
}


@route("GET", "/exports", permission=staff.EXPORT)
async def exports_page(request: web.Request) -> web.StreamResponse:
    """Choose an export."""
    console = request.app[CONSOLE]
    return console.render(request, "exports.html", choices=EXPORT_CHOICES, error=None)


@route("POST", "/exports", permission=staff.EXPORT)
async def exports_download(request: web.Request) -> web.StreamResponse:
    """Download an export (audited); contacts only for roles allowed to see them."""
    console = request.app[CONSOLE]
    who: Staff = request["staff"]
    form = await request.post()
    fmt = str(form.get("format") or "")
    with_contacts = form.get("with_contacts") == "1"
    if fmt not in EXPORT_CHOICES:
        return console.render(
            request,
            "exports.html",
            status=400,
            choices=EXPORT_CHOICES,
            error="Choose one of the formats.",
        )
    if with_contacts and not who.can(staff.EXPORT_CONTACTS):
        raise _forbidden(f"Your role ({who.role}) cannot export contact details.")

    def work(session: Session) -> web.StreamResponse:
        now = console.clock()
        options = export.ExportOptions(with_contacts=with_contacts)
        if fmt == "redcap-dictionary":
            text = export.redcap_data_dictionary(console.trial, options)
            media, name, count = "text/csv", "prescreening-redcap-dictionary.csv", 0
        else:
            screenings = export.load_screenings(session)
            text, media, name = export.render(
                fmt, console.trial, screenings, options, now=now
            )
            count = len(screenings)
        staff.audit(
            session,
            who.username,
            "export.created",
            None,
            now,
            format=fmt,
            with_contacts=with_contacts,
            screenings=count,
        )
        return web.Response(
            text=text,
            content_type=media,
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    return await in_thread(request, work)


# --------------------------------------------------------------------------- #
# Admin: accounts, erasure, audit trail
# --------------------------------------------------------------------------- #


def _users_page(
    request: web.Request,
    session: Session,
    *,
    status: int = 200,
    error: str | None = None,
) -> web.Response:
    console = request.app[CONSOLE]
    users = session.execute(select(StaffUser).order_by(StaffUser.username)).scalars()
    return console.render(
        request,
        "admin_users.html",
        status=status,
        users=list(users),
        error=error,
        now=console.clock(),
    )


@route("GET", "/admin/users", permission=staff.MANAGE_USERS)
async def users_page(request: web.Request) -> web.StreamResponse:
    """Staff accounts."""
    return await in_thread(request, lambda session: _users_page(request, session))


@route("POST", "/admin/users", permission=staff.MANAGE_USERS)
async def users_create(request: web.Request) -> web.StreamResponse:
    """Create a staff account (audited)."""
    console = request.app[CONSOLE]
    who: Staff = request["staff"]
    form = await request.post()

    def work(session: Session) -> web.StreamResponse:
        try:
            staff.create_user(
                session,
                username=str(form.get("username") or ""),
                password=str(form.get("password") or ""),
                role=str(form.get("role") or ""),
                actor=who.username,
                hasher=console.hasher,
                now=console.clock(),
            )
        except staff.StaffError as exc:
            session.rollback()
            return _users_page(request, session, status=400, error=str(exc))
        return web.HTTPSeeOther("/admin/users?msg=user_created")

    return await in_thread(request, work)


@route("POST", "/admin/users/{user_id}", permission=staff.MANAGE_USERS)
async def users_update(request: web.Request) -> web.StreamResponse:
    """Change an account's role, activity, lock or password (audited)."""
    console = request.app[CONSOLE]
    who: Staff = request["staff"]
    form = await request.post()
    raw_id = request.match_info["user_id"]

    def work(session: Session) -> web.StreamResponse:
        user = session.get(StaffUser, int(raw_id)) if raw_id.isdigit() else None
        if user is None:
            raise web.HTTPNotFound()
        actor = session.get(StaffUser, who.user_id)
        try:
            changed = staff.update_user(
                session,
                user,
                actor=actor,
                now=console.clock(),
                role=str(form.get("role") or "") or None,
                active=form.get("active") == "1",
                unlock=form.get("unlock") == "1",
                new_password=str(form.get("new_password") or "") or None,
                hasher=console.hasher,
            )
        except staff.StaffError as exc:
            session.rollback()
            return _users_page(request, session, status=400, error=str(exc))
        msg = "user_updated" if changed else "user_unchanged"
        return web.HTTPSeeOther(f"/admin/users?msg={msg}")

    return await in_thread(request, work)


@route("GET", "/admin/erase", permission=staff.ERASE)
async def erase_page(request: web.Request) -> web.StreamResponse:
    """Delete a person's data on request."""
    console = request.app[CONSOLE]
    return console.render(
        request, "admin_erase.html", report=None, error=None, value=""
    )


@route("POST", "/admin/erase", permission=staff.ERASE)
async def erase_submit(request: web.Request) -> web.StreamResponse:
    """Delete everything about the person behind a reference (audited)."""
    console = request.app[CONSOLE]
    who: Staff = request["staff"]
    form = await request.post()
    reference = staff.clean_text(str(form.get("reference") or "")).strip()[:32]
    confirm = staff.clean_text(str(form.get("confirm") or "")).strip()

    def work(session: Session) -> web.StreamResponse:
        if not reference or confirm.upper() != reference.upper():
            return console.render(
                request,
                "admin_erase.html",
                status=400,
                report=None,
                value=reference,
                error="Type the reference twice to confirm the deletion.",
            )
        report = erase_person(
            session, console.tracker, reference, actor=who.username, now=console.clock()
        )
        if not report.found:
            return console.render(
                request,
                "admin_erase.html",
                status=404,
                report=None,
                value=reference,
                error="No screening has that reference.",
            )
        return console.render(
            request, "admin_erase.html", report=report, error=None, value=""
        )

    return await in_thread(request, work)


@route("GET", "/admin/audit", permission=staff.READ_AUDIT)
async def audit_page(request: web.Request) -> web.StreamResponse:
    """The latest audit events."""
    console = request.app[CONSOLE]
    action = staff.clean_text(request.query.get("action")).strip()[:64]

    def work(session: Session) -> web.StreamResponse:
        query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        if action:
            query = query.where(AuditEvent.action == action)
        events = session.execute(query.limit(300)).scalars().all()
        return console.render(request, "admin_audit.html", events=events, action=action)

    return await in_thread(request, work)


# --------------------------------------------------------------------------- #
# The application
# --------------------------------------------------------------------------- #


def make_app(
    settings: Settings,
    *,
    engine: Engine,
    tracker: TrackerStore | None = None,
    trial: Trial | None = None,
    hasher: PasswordHasher | None = None,
    clock: Callable[[], datetime] | None = None,
) -> web.Application:
    """Build the console application.

    Args:
        settings: The settings.
        engine: The application database (already migrated).
        tracker: Rasa's tracker store; by default ``settings.tracker_db_url``.
        trial: The criteria; by default the project's trial file.
        hasher: The password hasher; by default argon2id (``staff.make_hasher``).
        clock: The current time; by default the system clock (UTC).

    Returns:
        The aiohttp application.
    """
    console = Console(
        settings=settings,
        factory=make_session_factory(engine),
        tracker=tracker
        if tracker is not None
        else TrackerStore(settings.tracker_db_url),
        trial=trial or load_trial(),
        hasher=hasher or staff.make_hasher(),
    )
    if clock is not None:
        console.clock = clock
    app = web.Application(
        middlewares=[error_middleware, auth_middleware], client_max_size=MAX_BODY_BYTES
    )
    app[CONSOLE] = console
    for method, path, handler in _ROUTES:
        app.router.add_route(method, path, handler)
    app.on_response_prepare.append(security_headers)
    return app


def _format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _format_day(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d")
