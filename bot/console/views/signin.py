"""Sign-in and sign-out pages, the language switch; the home page redirects to
the queue."""

from __future__ import annotations

import asyncio
import secrets

from aiohttp import web
from sqlalchemy.orm import Session

from bot import staff
from bot.console import i18n
from bot.console.context import CONSOLE, Staff, in_thread, route, with_session
from bot.console.middleware import same_secret, set_cookie
from bot.staff.accounts import set_language
from bot.store.models import StaffUser

#: How long the language cookie is kept (a year).
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


def _safe_next(value: str | None) -> str:
    if not value or not value.startswith("/") or value.startswith("//"):
        return "/referrals"
    if "\\" in value or len(value) > 512 or value.startswith("/login"):
        return "/referrals"
    return value


def _login_page(
    request: web.Request, *, status: int = 200, error: str | None = None
) -> web.Response:
    console = request.app[CONSOLE]
    # The switch on the sign-in page is a link (?lang=zh): it only sets a cookie.
    chosen = i18n.normalize(request.query.get("lang"))
    if chosen:
        request["language"] = chosen
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
    set_cookie(console, response, console.login_cookie, token, max_age=3600)
    if chosen:
        set_cookie(
            console,
            response,
            i18n.LANGUAGE_COOKIE,
            chosen,
            max_age=LANGUAGE_COOKIE_SECONDS,
        )
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
    if not cookie or not sent or not same_secret(cookie, sent):
        return _login_page(
            request,
            status=403,
            error=console.t(request)("login.expired_form"),
        )
    username = str(form.get("username") or "")
    password = str(form.get("password") or "")
    # A language chosen on the sign-in page becomes the account's, unless the
    # account already has one.
    chosen = i18n.normalize(request.cookies.get(i18n.LANGUAGE_COOKIE))

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
        if result.user is None:  # not result.ok
            return None
        if chosen and result.user.language is None:
            set_language(session, result.user, chosen)
        old = request.cookies.get(console.session_cookie)
        staff.end_session(session, old)
        return staff.start_session(session, result.user, now)

    started = await asyncio.to_thread(with_session, console, work)
    if started is None:
        return _login_page(
            request,
            status=401,
            error=console.t(request)(
                "login.failed",
                failures=console.settings.login_max_failures,
                minutes=console.settings.lockout_minutes,
            ),
        )
    token, _ = started
    response = web.HTTPSeeOther(_safe_next(str(form.get("next") or "")))
    set_cookie(console, response, console.session_cookie, token)
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

    await asyncio.to_thread(with_session, console, work)
    response = web.HTTPSeeOther("/login?msg=signed_out")
    response.del_cookie(console.session_cookie, path="/")
    raise response


@route("GET", "/", permission=staff.VIEW)
async def home(request: web.Request) -> web.StreamResponse:
    """The queue is the home page."""
    raise web.HTTPSeeOther("/referrals")


@route("POST", "/language", permission=staff.VIEW)
async def choose_language(request: web.Request) -> web.StreamResponse:
    """The 中文 / English switch: remember the choice on the account (and in a
    cookie, for the sign-in page), then go back to the page it was made on."""
    console = request.app[CONSOLE]
    who: Staff = request["staff"]
    form = await request.post()
    chosen = i18n.normalize(str(form.get("language") or ""))
    if chosen is None:
        exc = web.HTTPBadRequest(text=console.t(request)("error.unknown_language"))
        exc.console_message = True  # type: ignore[attr-defined]
        raise exc
    back = _safe_next(str(form.get("next") or ""))

    def work(session: Session) -> web.StreamResponse:
        user = session.get(StaffUser, who.user_id)
        if user is None:
            raise web.HTTPNotFound()
        set_language(session, user, chosen)
        response = web.HTTPSeeOther(back)
        set_cookie(
            console,
            response,
            i18n.LANGUAGE_COOKIE,
            chosen,
            max_age=LANGUAGE_COOKIE_SECONDS,
        )
        return response

    return await in_thread(request, work)
