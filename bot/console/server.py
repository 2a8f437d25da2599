"""Running the console: ``python -m bot console``.

Migrates the application database, then serves the console on
``CONSOLE_HOST:CONSOLE_PORT`` (127.0.0.1:8080 by default) until stopped. Put it
behind an HTTPS reverse proxy for anything but local use, and set
``CONSOLE_BASE_URL=https://...`` (which also turns on ``Secure`` cookies).
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.console.app import make_app
from bot.settings import Settings
from bot.store.db import make_engine, upgrade_to_head

logger = logging.getLogger(__name__)

#: The access log names method, path and status; paths hold references only.
ACCESS_LOG_FORMAT = '%a "%r" %s %b %Tf'


def serve(settings: Settings) -> None:
    """Serve the console until interrupted."""
    upgrade_to_head(settings.database_url)
    engine = make_engine(settings.database_url)
    app = make_app(settings, engine=engine)
    url = f"http://{settings.console_host}:{settings.console_port}"
    print(f"staff console on {url} (links in mails: {settings.console_base_url})")
    print("first time? create an admin: python -m bot create-admin --username NAME")
    try:
        web.run_app(
            app,
            host=settings.console_host,
            port=settings.console_port,
            print=None,
            access_log_format=ACCESS_LOG_FORMAT,
        )
    finally:
        engine.dispose()
