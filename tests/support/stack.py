"""Test helpers for the channel tests: the running servers and a stub platform API.

* :func:`running_stack` starts the action server, the Rasa server (the trained
  model, a given credentials file, optional ``--cors``) and optionally the widget
  server, each in a temporary folder with its own databases; once per test module.
* :class:`StubAPI` is an HTTP server on loopback standing in for the Telegram Bot
  API, Twilio's REST API and Meta's Graph API: it records every call and answers
  as those APIs document (``{"ok": true, ...}``, a message resource, a message id).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ops.stack import wait_until_up
from support import MODEL, ROOT
from support.net import free_port

VENV_BIN = Path(sys.executable).parent

#: The messaging channels' secrets in the tests (test values, not real ones).
SECRETS = {
    "TELEGRAM_BOT_TOKEN": "123456789:AAE-test-token_abcdefghijklmnopqrstuv",
    "TELEGRAM_SECRET_TOKEN": "tg-secret_0123456789abcdef",
    "TWILIO_ACCOUNT_SID": "AC11111111111111111111111111111111",
    "TWILIO_AUTH_TOKEN": "0123456789abcdef0123456789abcdef",
    "TWILIO_SMS_NUMBER": "+15005550006",
    "TWILIO_WHATSAPP_NUMBER": "+14155238886",
    "FACEBOOK_PAGE_ACCESS_TOKEN": "EAAGtestpagetoken0123456789",
    "FACEBOOK_APP_SECRET": "fb-app-secret-0123456789",
    "FACEBOOK_VERIFY_TOKEN": "fb-verify-0123456789",
}
#: SMS parts are capped this low in the tests, so that the opening message splits.
SMS_LIMIT = 320


def message(key: str) -> dict[str, Any]:
    """A message of the catalogue (bot/screening/messages/en.yml): text and buttons."""
    from bot.screening.messages import catalogue

    return catalogue()[key]


def shown_outcome(text: str) -> str | None:
    """Which result message (``result_<outcome>`` in the catalogue) ``text`` shows."""
    for outcome in ("likely_eligible", "needs_review", "ineligible"):
        first_line = message(f"result_{outcome}")["text"].strip().splitlines()[0]
        if first_line in text:
            return outcome
    return None


def last_line(key: str) -> str:
    """The last line of a catalogue message (its question)."""
    return message(key)["text"].strip().splitlines()[-1]


@dataclass
class Stack:
    """The running servers of one test module."""

    rasa_url: str
    env: dict[str, str]
    logs: dict[str, Path]
    widget_url: str | None = None

    def log(self, name: str) -> str:
        """A server's output so far."""
        return self.logs[name].read_text(errors="replace")


def _spawn(
    args: list[str], env: dict[str, str], log: Path, stack: ExitStack
) -> subprocess.Popen:
    handle = stack.enter_context(log.open("w"))
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
    )

    def stop() -> None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    stack.callback(stop)
    return proc


@contextmanager
def running_stack(
    work: Path,
    env: dict[str, str],
    credentials: Path,
    *,
    cors: list[str] | None = None,
    widget_port: int | None = None,
) -> Iterator[Stack]:
    """Action server + Rasa server (+ widget server), stopped on exit.

    Args:
        work: A temporary folder for the databases and logs.
        env: Extra environment variables (secrets, API stub URLs).
        credentials: The credentials file Rasa gets.
        cors: Origins for Rasa's ``--cors``.
        widget_port: Also start ``python -m channels.widget`` on this port.
    """
    from cryptography.fernet import Fernet

    action_port, rasa_port = free_port(), free_port()
    full_env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "DATABASE_URL": f"sqlite:///{work / 'app.db'}",
        "TRACKER_DB": str(work / "tracker.db"),
        "CONTACT_KEY": Fernet.generate_key().decode(),
        "ACTION_PORT": str(action_port),
        "RASA_PORT": str(rasa_port),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(free_port()),
        **env,
    }
    logs = {name: work / f"{name}.log" for name in ("actions", "rasa", "widget")}
    with ExitStack() as stack:
        subprocess.run(
            [str(VENV_BIN / "python"), "-m", "bot", "migrate"],
            cwd=ROOT,
            env=full_env,
            check=True,
            capture_output=True,
        )
        actions = _spawn(
            [
                str(VENV_BIN / "rasa"),
                "run",
                "actions",
                "--port",
                str(action_port),
                "--actions",
                "actions",
            ],
            full_env,
            logs["actions"],
            stack,
        )
        rasa_args = [
            str(VENV_BIN / "rasa"),
            "run",
            "--model",
            str(MODEL),
            "--port",
            str(rasa_port),
            "--endpoints",
            "endpoints.yml",
            "--credentials",
            str(credentials),
        ]
        if cors:
            rasa_args += ["--cors", *cors]
            # As scripts/run.sh: socket.io refuses browsers from other origins.
            full_env["SOCKETIO_ALLOWED_ORIGINS"] = " ".join(cors)
        rasa = _spawn(rasa_args, full_env, logs["rasa"], stack)
        widget_url = None
        if widget_port:
            widget_env = {
                **full_env,
                "WIDGET_PORT": str(widget_port),
                "RASA_PUBLIC_URL": f"http://127.0.0.1:{rasa_port}",
            }
            widget = _spawn(
                [str(VENV_BIN / "python"), "-m", "channels.widget"],
                widget_env,
                logs["widget"],
                stack,
            )
            widget_url = f"http://127.0.0.1:{widget_port}"
            wait_until_up(f"{widget_url}/healthz", 30, widget, logs["widget"])
        action_health = f"http://127.0.0.1:{action_port}/health"
        wait_until_up(action_health, 90, actions, logs["actions"])
        wait_until_up(f"http://127.0.0.1:{rasa_port}/", 420, rasa, logs["rasa"])
        yield Stack(f"http://127.0.0.1:{rasa_port}", full_env, logs, widget_url)


# --------------------------------------------------------------------------- #
# The stub platform API
# --------------------------------------------------------------------------- #


@dataclass
class Call:
    """One request the stub received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body or b"null")

    @property
    def form(self) -> dict[str, str]:
        """The body as a form (first value of each field)."""
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class StubAPI:
    """Telegram, Twilio and Graph API stand-in on 127.0.0.1."""

    port: int = field(default_factory=free_port)
    calls: list[Call] = field(default_factory=list)
    history: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                call = Call(
                    "POST",
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
                with stub._lock:
                    stub.calls.append(call)
                    stub.history.append(call)
                status, answer = stub.answer(call)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The stub's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start serving."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()

    def take(self) -> list[Call]:
        """The calls received since the last take, oldest first."""
        with self._lock:
            taken, self.calls = self.calls, []
        return taken

    @staticmethod
    def answer(call: Call) -> tuple[int, Any]:
        """What the real API answers (enough of it for the connectors)."""
        if call.path.startswith("/bot"):
            return 200, {"ok": True, "result": {"message_id": 1, "date": 0}}
        if call.path.startswith("/2010-04-01/"):
            return 201, {"sid": "SM" + "0" * 32, "status": "queued"}
        if call.path.endswith("/me/messages"):
            return 200, {"recipient_id": "1", "message_id": "m_1"}
        return 404, {"error": "unknown path"}


# --------------------------------------------------------------------------- #
# What was recorded
# --------------------------------------------------------------------------- #


def screening_of(stack: Stack, channel: str, conversation_key: str) -> Any:
    """The latest screening of a conversation, found as the recorder finds it."""
    from sqlalchemy import select

    from bot.settings import load_contact_key, load_settings, sender_secret
    from bot.store.db import make_engine, session_scope
    from bot.store.models import Screening
    from bot.store.repository import sender_key

    settings = load_settings(stack.env)
    key = sender_key(sender_secret(settings), channel, conversation_key)
    engine = make_engine(settings.database_url, contact_key=load_contact_key(settings))
    try:
        with session_scope(engine) as session:
            screening = session.execute(
                select(Screening)
                .where(Screening.sender_key == key)
                .order_by(Screening.id.desc())
            ).scalar()
            assert screening is not None, f"no screening recorded on {channel}"
            session.expunge(screening)
            return screening
    finally:
        engine.dispose()


def sender_secret_of(stack: Stack) -> bytes:
    """The running servers' secret for keyed sender hashes."""
    from bot.settings import load_settings, sender_secret

    return sender_secret(load_settings(stack.env))
