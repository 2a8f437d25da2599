"""What every view shares: the console object, who is asking, routes, units of work.

Every route is declared with :func:`route` and the permission it needs
(:mod:`bot.staff.permissions`); :mod:`bot.console.middleware` enforces it before the
handler runs.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from argon2 import PasswordHasher
from markupsafe import Markup
from sqlalchemy.orm import Session, sessionmaker

from bot import staff, vocab
from bot.console import i18n
from bot.screening.criteria import Trial
from bot.settings import Settings
from bot.store.db import session_scope
from bot.store.models import UTC
from bot.store.transcripts import TrackerStore

HERE = Path(__file__).parent

#: Messages shown after a redirect, by key (never text taken from the request);
#: the texts are the catalogue's ``flash.<key>``.
FLASH = frozenset(
    {
        "status",
        "note",
        "assigned",
        "user_created",
        "user_updated",
        "user_unchanged",
        "signed_out",
        "expired",
        "language",
    }
)


@dataclass
class Staff:
    """Who is making a request (a snapshot, safe to use in any thread)."""

    user_id: int
    username: str
    role: str
    csrf_token: str
    #: The console language the account chose, or ``None`` (the site's).
    language: str | None = None

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
        trial: The trial's criteria (English wording: codes, registry texts).
        trial_zh: The same criteria in Chinese wording (the English trial when
            the Chinese wording file is missing).
        hasher: The password hasher.
        clock: The current time (replaceable in tests).
    """

    settings: Settings
    factory: sessionmaker
    tracker: TrackerStore | None
    trial: Trial
    hasher: PasswordHasher
    trial_zh: Trial | None = None
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
        if self.trial_zh is None:
            self.trial_zh = self.trial
        self.templates.filters["dt"] = format_datetime
        self.templates.filters["day"] = format_day
        self.templates.globals.update(
            LANGUAGES=i18n.LANGUAGES,
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

    def language(self, request: web.Request) -> str:
        """The language of this request's pages (decided once per request).

        Signed in: the account's choice, else the one made before sign-in (the
        cookie), else the site's. Before sign-in: the cookie, else the browser's
        ``Accept-Language``, else the site's.
        """
        chosen: str | None = request.get("language")
        if chosen:
            return chosen
        who: Staff | None = request.get("staff")
        cookie = request.cookies.get(i18n.LANGUAGE_COOKIE)
        if who is not None:
            chosen = i18n.choose_language(
                account=who.language,
                cookie=cookie,
                accept_language=None,
                site=self.settings.site_language,
            )
        else:
            chosen = i18n.choose_language(
                account=None,
                cookie=cookie,
                accept_language=request.headers.get("Accept-Language"),
                site=self.settings.site_language,
            )
        request["language"] = chosen
        return chosen

    def t(self, request: web.Request) -> i18n.Translator:
        """The catalogue of this request's language."""
        return i18n.Translator(self.language(request))

    def wording(self, request: web.Request) -> Trial:
        """The criteria worded in this request's language (rules are the same)."""
        if self.language(request) == "zh" and self.trial_zh is not None:
            return self.trial_zh
        return self.trial

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
        t = self.t(request)
        key = request.query.get("msg", "")
        message = t(f"flash.{key}") if key in FLASH else None
        page: dict[str, Any] = {
            "t": t,
            "lang": t.language,
            "css": Markup(self.css),
            "staff": who,
            "csrf_token": who.csrf_token if who else "",
            "flash": message,
            "path": request.path,
            # Where the language switch comes back to: this page, when it can
            # be loaded again (a page shown after a form was sent cannot).
            "here": (
                str(
                    request.rel_url.with_query(
                        [(k, v) for k, v in request.query.items() if k != "msg"]
                    )
                )
                if request.method == "GET"
                else "/referrals"
            ),
            "login_next": request.query.get("next", "/referrals"),
        }
        page.update(context)
        html = self.templates.get_template(template).render(**page)
        return web.Response(text=html, status=status, content_type="text/html")


CONSOLE = web.AppKey("console", Console)

#: Every route, as declared by :func:`route`: ``(method, path, handler)``.
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ROUTES: list[tuple[str, str, Handler]] = []


def route(
    method: str, path: str, *, permission: str | None
) -> Callable[[Handler], Handler]:
    """Declare a route and the permission it needs (``None``: public).

    The permission is enforced by
    :func:`bot.console.middleware.auth_middleware` before the handler runs.
    """

    def decorate(handler: Handler) -> Handler:
        handler.permission = permission  # type: ignore[attr-defined]
        handler.public = permission is None  # type: ignore[attr-defined]
        ROUTES.append((method, path, handler))
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


def with_session(console: Console, work: Callable[[Session], Any]) -> Any:
    """Run ``work(session)`` as one committed unit of work (call it in a thread)."""
    with session_scope(console.factory) as session:
        return work(session)


def format_datetime(value: datetime | None) -> str:
    """Template filter ``dt``: a moment in UTC, to the minute."""
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def format_day(value: datetime | None) -> str:
    """Template filter ``day``: the UTC day of a moment."""
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d")
