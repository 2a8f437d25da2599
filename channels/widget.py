"""The public web widget's page, served locally: ``python -m channels.widget``.

A small static server (standard library only) for ``web/static`` (the page, the
widget's script and styles, the privacy notice) and the socket.io client installed
from npm into ``web/node_modules`` (``npm ci`` in ``web/``; no CDN at run time).
The widget talks to Rasa's socket.io channel at ``RASA_PUBLIC_URL``; Rasa's
``--cors`` must allow this server's origin (``scripts/run.sh`` does).

Settings (environment): ``WIDGET_HOST`` [127.0.0.1], ``WIDGET_PORT`` [8081],
``RASA_PUBLIC_URL`` [http://127.0.0.1:$RASA_PORT, port 5005], and
``WIDGET_KEEP_MINUTES`` [120], how long a browser keeps a quiet conversation.
Every page gets a strict Content-Security-Policy: scripts and styles from this
server only, connections to this server and the Rasa server only.

The pages are in English and Simplified Chinese: ``?lang=zh`` serves the Chinese
template beside the English one (``index.zh.html`` for ``index.html``), whose
``<html lang>`` says so; anything else serves English. The widget reads the same
``?lang=`` for its own start language.
"""

from __future__ import annotations

import argparse
import html
import logging
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.screening.language import DEFAULT, LANGUAGES, normalize
from bot.settings import PROJECT_ROOT, load_settings

logger = logging.getLogger(__name__)

WEB = PROJECT_ROOT / "web"
STATIC = WEB / "static"
SOCKET_IO = WEB / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"

#: URL path -> (file, content type, filled in from the settings).
FILES: dict[str, tuple[Path, str, bool]] = {
    "/": (STATIC / "index.html", "text/html; charset=utf-8", True),
    "/index.html": (STATIC / "index.html", "text/html; charset=utf-8", True),
    "/privacy.html": (STATIC / "privacy.html", "text/html; charset=utf-8", True),
    "/widget.js": (STATIC / "widget.js", "text/javascript; charset=utf-8", False),
    "/widget.css": (STATIC / "widget.css", "text/css; charset=utf-8", False),
    "/page.css": (STATIC / "page.css", "text/css; charset=utf-8", False),
    "/vendor/socket.io.min.js": (SOCKET_IO, "text/javascript; charset=utf-8", False),
}


@dataclass(frozen=True)
class WidgetConfig:
    """Where the widget is served and which Rasa server it talks to."""

    host: str = "127.0.0.1"
    port: int = 8081
    rasa_url: str = "http://127.0.0.1:5005"
    keep_minutes: int = 120

    @property
    def origin(self) -> str:
        """This server's origin, for Rasa's ``--cors``."""
        return f"http://{self.host}:{self.port}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WidgetConfig:
        """Read the ``WIDGET_*`` and ``RASA_*`` variables (through
        :func:`bot.settings.load_settings`; the process environment by default)."""
        settings = load_settings(env)
        return cls(
            host=settings.widget_host,
            port=settings.widget_port,
            rasa_url=settings.rasa_public_url,
            keep_minutes=settings.widget_keep_minutes,
        )


def content_security_policy(rasa_url: str) -> str:
    """Scripts and styles from here; connections here and to Rasa (http and ws)."""
    parts = urlsplit(rasa_url)
    socket_scheme = "wss" if parts.scheme == "https" else "ws"
    rasa = f"{parts.scheme}://{parts.netloc}"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self' {rasa} {socket_scheme}://{parts.netloc}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'self'",
        ]
    )


def page_language(query: str) -> str:
    """The language a page's query string asks for (``lang=zh``), else English."""
    asked = parse_qs(query).get("lang") or [""]
    language = normalize(asked[0][:35])
    return language if language in LANGUAGES else DEFAULT


def template_for(file: Path, language: str) -> Path:
    """The page's template in ``language`` (``index.zh.html``), else ``file``."""
    if language == DEFAULT:
        return file
    translated = file.with_name(f"{file.stem}.{language}{file.suffix}")
    return translated if translated.is_file() else file


def render(template: str, config: WidgetConfig) -> str:
    """Fill the page's ``{{name}}`` placeholders (HTML-escaped)."""
    settings = load_settings()
    contact = settings.site_contact_name
    if settings.site_contact_email:
        contact += f", {settings.site_contact_email}"
    if settings.site_contact_phone:
        contact += f", {settings.site_contact_phone}"
    values = {
        "rasa_url": config.rasa_url,
        "site_org": settings.site_contact_org,
        "site_contact": contact,
        "emergency_number": settings.emergency_number,
        "retention_days": str(settings.retention_days),
        "keep_minutes": str(config.keep_minutes),
    }
    for name, value in values.items():
        template = template.replace("{{" + name + "}}", html.escape(value))
    return template


class WidgetHandler(BaseHTTPRequestHandler):
    """GET and HEAD of the known files; anything else is 404 or 405."""

    server_version = "widget"
    sys_version = ""

    def __init__(self, *args: Any, config: WidgetConfig, **kwargs: Any) -> None:  # noqa: D107
        self.config = config
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        """Serve a file."""
        self._serve(body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        """Headers only."""
        self._serve(body=False)

    def do_POST(self) -> None:  # noqa: N802
        """Nothing to post to."""
        self.send_error(HTTPStatus.METHOD_NOT_ALLOWED)

    def _serve(self, *, body: bool) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        if path == "/healthz":
            self._send(HTTPStatus.OK, b"ok\n", "text/plain; charset=utf-8", body)
            return
        entry = FILES.get(path)
        if entry is None:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        file, content_type, templated = entry
        language = DEFAULT
        if templated:
            language = page_language(parts.query)
            file = template_for(file, language)
        try:
            data = file.read_bytes()
        except FileNotFoundError:
            logger.error("widget: %s is missing (run `npm ci` in web/)", file.name)
            self.send_error(HTTPStatus.SERVICE_UNAVAILABLE)
            return
        if templated:
            data = render(data.decode("utf-8"), self.config).encode("utf-8")
        self._send(
            HTTPStatus.OK, data, content_type, body, language if templated else None
        )

    def _send(
        self,
        status: HTTPStatus,
        data: bytes,
        content_type: str,
        body: bool,
        language: str | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if language:
            self.send_header("Content-Language", "zh-CN" if language == "zh" else "en")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        if content_type.startswith("text/html"):
            self.send_header(
                "Content-Security-Policy", content_security_policy(self.config.rasa_url)
            )
        else:
            # The script, styles and socket.io client may be embedded elsewhere.
            self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """No access log: visitors' addresses are not needed."""


def make_server(config: WidgetConfig) -> ThreadingHTTPServer:
    """A server for ``config`` (not yet serving)."""
    server = ThreadingHTTPServer(
        (config.host, config.port), partial(WidgetHandler, config=config)
    )
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> int:
    """Serve the widget until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", help="interface [WIDGET_HOST or 127.0.0.1]")
    parser.add_argument("--port", type=int, help="port [WIDGET_PORT or 8081]")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    config = WidgetConfig.from_env()
    if args.host or args.port:
        config = WidgetConfig(
            host=args.host or config.host,
            port=args.port or config.port,
            rasa_url=config.rasa_url,
            keep_minutes=config.keep_minutes,
        )
    if not SOCKET_IO.exists():
        logger.error(
            "widget: web/node_modules is missing: run `npm ci` in web/ (make web)"
        )
    server = make_server(config)
    logger.info(
        "widget: http://%s:%s/ (talks to %s)", config.host, config.port, config.rasa_url
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
