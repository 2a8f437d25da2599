"""Middleware: error pages, default deny, CSRF and origin checks, cookies, headers."""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any
from urllib.parse import urlencode, urlparse

from aiohttp import web
from sqlalchemy.orm import Session

from bot import staff
from bot.console.context import CONSOLE, Console, Handler, Staff, with_session

logger = logging.getLogger(__name__)

#: Largest request body accepted (a 5,000-character note is at most 20 kB).
MAX_BODY_BYTES = 256 * 1024
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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
        t = console.t(request)
        messages = {
            400: t("error.m400"),
            401: t("error.m401"),
            403: t("error.m403"),
            404: t("error.m404"),
            405: t("error.m405"),
            413: t("error.m413", max=f"{staff.NOTE_MAX_CHARS:,}"),
        }
        title_key = f"error.title_{exc.status}"
        if t.has(title_key):
            title = t(title_key)
        else:
            title = exc.reason if t.language == "en" else t("error.title_other")
        text = exc.text if getattr(exc, "console_message", False) else None
        return console.render(
            request,
            "error.html",
            status=exc.status,
            title=title,
            message=text or messages.get(exc.status, exc.reason),
        )
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.exception("error handling %s %s", request.method, request.path)
        t = console.t(request)
        return console.render(
            request,
            "error.html",
            status=500,
            title=t("error.title_500"),
            message=t("error.m500"),
        )


def forbidden(message: str) -> web.HTTPForbidden:
    """A 403 whose message the error page shows as it is."""
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
        raise forbidden(console.t(request)("error.cross_site"))
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
            row.user.id,
            row.user.username,
            row.user.role,
            row.csrf_token,
            row.user.language,
        ), False

    who, expired = await asyncio.to_thread(with_session, console, load)
    if who is None:
        if request.method in SAFE_METHODS:
            query = {"next": request.path_qs}
            if expired:
                query["msg"] = "expired"
            response = web.HTTPSeeOther(f"/login?{urlencode(query)}")
            response.del_cookie(console.session_cookie, path="/")
            raise response
        exc = web.HTTPUnauthorized(text=console.t(request)("error.session_ended"))
        exc.console_message = True  # type: ignore[attr-defined]
        raise exc
    request["staff"] = who
    t = console.t(request)
    if permission is None or not who.can(permission):
        await asyncio.to_thread(
            with_session,
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
        raise forbidden(t("error.role_denied", role=who.role))
    if request.method not in SAFE_METHODS:
        form = await request.post()
        sent = str(form.get("csrf_token") or request.headers.get("X-CSRF-Token") or "")
        if not sent or not same_secret(sent, who.csrf_token):
            raise forbidden(t("error.csrf"))
    return await handler(request)


def same_secret(a: str, b: str) -> bool:
    """Constant-time comparison of two tokens (as bytes: any text is accepted)."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


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


def set_cookie(
    console: Console, response: web.StreamResponse, name: str, value: str, **extra: Any
) -> None:
    """Set a console cookie: ``HttpOnly``, ``SameSite=Strict``, ``Secure`` if set."""
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="Strict",
        secure=console.cookie_secure,
        path="/",
        **extra,
    )
