"""The REST end-to-end stack: the channel tests' servers (``support.stack``'s
``running_stack``) with the project's ``credentials.yml`` and a real SMTP server.

``tests/e2e/test_rest.py`` and ``tests/e2e/test_chat_erasure.py`` import the
module-scoped ``stack`` fixture: each module gets its servers (Rasa takes about 20 s
to load a model).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.settings import load_contact_key, load_settings, sender_secret
from bot.store.db import make_engine, session_scope
from bot.store.models import Screening
from bot.store.repository import sender_key
from ops.screening import run_screening
from support import ROOT
from support.net import SMTPServer, free_port
from support.services import need_model
from support.stack import running_stack


class Stack:
    """The running servers and how to talk to them."""

    def __init__(self, rasa_url: str, env: dict[str, str], smtp: SMTPServer):
        self.rasa_url = rasa_url
        self.env = env
        self.smtp = smtp
        self.settings = load_settings(env)
        self.engine = make_engine(
            self.settings.database_url, contact_key=load_contact_key(self.settings)
        )

    def say(self, sender: str, text: str) -> list[dict]:
        """Send one message; return the bot's replies (HTTP errors fail the test)."""
        body = json.dumps({"sender": sender, "message": text}).encode()
        request = urllib.request.Request(
            f"{self.rasa_url}/webhooks/rest/webhook",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 200
            return json.loads(response.read())


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Action server + Rasa server + SMTP server, for the whole module."""
    need_model()
    work = tmp_path_factory.mktemp("e2e")
    smtp = SMTPServer(port=free_port())
    smtp.start()
    env = {"SMTP_PORT": str(smtp.port), "SITE_CONTACT_EMAIL": "site@study.test"}
    try:
        with running_stack(work, env, ROOT / "credentials.yml") as running:
            made = Stack(running.rasa_url, running.env, smtp)
            try:
                yield made
            finally:
                made.engine.dispose()
    finally:
        smtp.stop()


def screen(
    stack: Stack,
    sender: str,
    answers: dict[str, str],
    *,
    respondent: str = "For myself",
) -> list[dict]:
    """Run a screening from hello to the result; return the last replies."""
    return run_screening(stack.say, sender, answers, respondent=respondent).last


def screening_of(stack: Stack, sender: str) -> Screening:
    """The latest screening of a REST sender."""
    key = sender_key(sender_secret(stack.settings), "rest", sender)
    with session_scope(stack.engine) as session:
        rows = (
            session.execute(
                select(Screening)
                .where(Screening.sender_key == key)
                .order_by(Screening.id)
            )
            .scalars()
            .all()
        )
        assert rows, f"no screening recorded for {sender}"
        return rows[-1]
