"""The staff console: an aiohttp application with Jinja2 templates.

Why aiohttp (3.9, pinned by Rasa) rather than Sanic 21.12: an aiohttp application
is a plain object with no process-wide registry of app names, no signal handlers
installed behind our back, and a documented runner (``AppRunner`` + ``TCPSite``)
that serves it on any port from any event loop, so tests run the real server on a
free loopback port and talk to it over HTTP. aiohttp also ships the HTTP client.

Security model:

* **Default deny.** Every route is declared with
  :func:`~bot.console.context.route` and the permission it needs
  (:mod:`bot.staff.permissions`); only the sign-in page is public. The middleware
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

This module wires the parts together: :mod:`~bot.console.context` (what the views
share), :mod:`~bot.console.middleware` (the checks above), :mod:`~bot.console.views`
(the pages), :mod:`~bot.console.charts` and ``templates/``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from aiohttp import web
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine

from bot import staff
from bot.console import views
from bot.console.context import CONSOLE, ROUTES, Console
from bot.console.middleware import (
    MAX_BODY_BYTES,
    auth_middleware,
    error_middleware,
    security_headers,
)
from bot.screening.criteria import CriteriaError, Trial, load_trial
from bot.settings import Settings
from bot.store.db import make_session_factory
from bot.store.transcripts import TrackerStore

logger = logging.getLogger(__name__)

#: ``CONSOLE`` is the application key of the :class:`Console` (tests read it).
__all__ = ["CONSOLE", "make_app", "views"]


def make_app(
    settings: Settings,
    *,
    engine: Engine,
    tracker: TrackerStore | None = None,
    trial: Trial | None = None,
    trial_zh: Trial | None = None,
    hasher: PasswordHasher | None = None,
    clock: Callable[[], datetime] | None = None,
) -> web.Application:
    """Build the console application.

    Args:
        settings: The settings.
        engine: The application database (already migrated).
        tracker: Rasa's tracker store; by default ``settings.tracker_db_url``.
        trial: The criteria; by default the project's trial file.
        trial_zh: The same criteria in Chinese wording; by default the project's
            wording file, when it exists and matches ``trial`` (else English).
        hasher: The password hasher; by default argon2id (``staff.make_hasher``).
        clock: The current time; by default the system clock (UTC).

    Returns:
        The aiohttp application.
    """
    trial = trial or load_trial()
    console = Console(
        settings=settings,
        factory=make_session_factory(engine),
        tracker=tracker
        if tracker is not None
        else TrackerStore(settings.tracker_db_url),
        trial=trial,
        trial_zh=trial_zh or chinese_wording(trial),
        hasher=hasher or staff.make_hasher(),
    )
    if clock is not None:
        console.clock = clock
    app = web.Application(
        middlewares=[error_middleware, auth_middleware], client_max_size=MAX_BODY_BYTES
    )
    app[CONSOLE] = console
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
    # aiohttp 3.9 types this signal's callbacks wrongly (aiosignal's generic).
    app.on_response_prepare.append(security_headers)  # type: ignore[arg-type]
    return app


def chinese_wording(trial: Trial) -> Trial:
    """The project's Chinese wording of ``trial``, or ``trial`` itself when the
    wording file is missing, broken or words another version of the criteria.

    The console then shows English where Chinese is missing rather than failing.
    """
    try:
        worded = load_trial(language="zh")
    except CriteriaError as exc:
        logger.warning("console: no Chinese criteria wording, using English (%s)", exc)
        return trial
    same = (
        worded.version == trial.version
        and [c.id for c in worded.criteria] == [c.id for c in trial.criteria]
        and [q.id for q in worded.questions] == [q.id for q in trial.questions]
    )
    return worded if same else trial
