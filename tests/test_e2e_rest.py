"""End to end: complete screenings through Rasa's REST channel.

Starts the real action server and Rasa server (the trained model, a SQLite tracker
store and application database in a temporary folder), and a real SMTP server on
loopback. Each conversation answers whatever question the assistant asks, as a person
would, then the recorded outcome, answers and referral are checked in the database,
and the referral email is delivered to the SMTP server.

The servers start once per module (Rasa takes about 20 s to load a model).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from channelstack import need_model
from netsupport import SMTPServer, free_port
from sqlalchemy import select

from bot.jobs.notify import deliver_outbox
from bot.settings import load_contact_key, load_settings
from bot.store.db import make_engine, make_session_factory, session_scope
from bot.store.models import Answer, Referral, Screening
from ops.screening import LIKELY, asked_fact, run_screening, texts

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "current.tar.gz"
VENV_BIN = Path(sys.executable).parent




def _wait(url: str, seconds: float, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} died:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise RuntimeError(f"{url} not up after {seconds}s:\n{log.read_text()[-3000:]}")


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
    from cryptography.fernet import Fernet

    work = tmp_path_factory.mktemp("e2e")
    smtp = SMTPServer(port=free_port())
    smtp.start()
    action_port, rasa_port = free_port(), free_port()
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "DATABASE_URL": f"sqlite:///{work / 'app.db'}",
        "TRACKER_DB": str(work / "tracker.db"),
        "CONTACT_KEY": Fernet.generate_key().decode(),
        "ACTION_PORT": str(action_port),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "SITE_CONTACT_EMAIL": "site@study.test",
    }
    logs = {name: work / f"{name}.log" for name in ("actions", "rasa")}
    actions = subprocess.Popen(
        [
            str(VENV_BIN / "rasa"),
            "run",
            "actions",
            "--port",
            str(action_port),
            "--actions",
            "actions",
        ],
        cwd=ROOT,
        env=env,
        stdout=logs["actions"].open("w"),
        stderr=subprocess.STDOUT,
    )
    rasa = subprocess.Popen(
        [
            str(VENV_BIN / "rasa"),
            "run",
            "--model",
            str(MODEL),
            "--port",
            str(rasa_port),
            "--endpoints",
            "endpoints.yml",
            "--credentials",
            "credentials.yml",
        ],
        cwd=ROOT,
        env=env,
        stdout=logs["rasa"].open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        _wait(f"http://127.0.0.1:{action_port}/health", 90, actions, logs["actions"])
        _wait(f"http://127.0.0.1:{rasa_port}/", 240, rasa, logs["rasa"])
        yield Stack(f"http://127.0.0.1:{rasa_port}", env, smtp)
    finally:
        for proc in (rasa, actions):
            proc.terminate()
        for proc in (rasa, actions):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
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
    from bot.settings import sender_secret
    from bot.store.repository import sender_key

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


def test_likely_eligible_screening_is_referred_and_the_site_is_mailed(stack: Stack):
    replies = screen(stack, "e2e-likely", LIKELY)

    assert "may be a good fit" in texts(replies)
    assert "share your name and phone number" in texts(replies)
    for text, expect in [
        ("Yes, please", "What name"),
        ("Li Wei", "phone number"),
        ("138 0013 8000", "email"),
        ("Skip", "best time"),
        ("weekday mornings", "Please check these details"),
    ]:
        replies = stack.say("e2e-likely", text)
        assert expect in texts(replies), texts(replies)
    assert "+8613800138000" in texts(replies)
    replies = stack.say("e2e-likely", "Yes, that's right")
    assert "Your reference is SCR-" in texts(replies)

    screening = screening_of(stack, "e2e-likely")
    assert screening.outcome == "likely_eligible"
    with session_scope(stack.engine) as session:
        referral = session.execute(
            select(Referral).where(Referral.screening_id == screening.id)
        ).scalar_one()
        assert referral.contact_phone == "+8613800138000"
        answers = (
            session.execute(
                select(Answer).where(
                    Answer.screening_id == screening.id, Answer.superseded.is_(False)
                )
            )
            .scalars()
            .all()
        )
        by_fact = {a.fact_id: a for a in answers}
        assert by_fact["bilirubin"].normalized == 171.0
        assert by_fact["bilirubin"].as_given == "bilirubin 171 umol/L"
        assert set(by_fact) >= {"age", "inr", "platelets", "consent"}
        # INR 1.8 already shows the clotting problem: PTA was not asked.
        assert "pta" not in by_fact

    report = deliver_outbox(make_session_factory(stack.engine), stack.settings)
    assert report.sent == 1
    message = stack.smtp.messages[-1]
    body = message.content.decode()
    assert message.rcpt_tos == ["site@study.test"]
    assert referral.reference in body and "/referrals/" in body
    assert "8000" not in body and "Li Wei" not in body and "bilirubin" not in body


def test_an_exclusion_ends_the_questions_with_a_kind_reason(stack: Stack):
    answers = {**LIKELY, "liver_transplant": "yes, two years ago"}

    replies = screen(stack, "e2e-excluded", answers)

    assert "does not seem to fit" in texts(replies)
    assert "liver transplant" in texts(replies)
    assert "study team makes the decision" in texts(replies)
    screening = screening_of(stack, "e2e-excluded")
    assert screening.outcome == "ineligible"
    with session_scope(stack.engine) as session:
        count = session.query(Answer).filter_by(screening_id=screening.id).count()
    assert count == 2  # age, then the transplant: no more of their time spent


def test_caregiver_without_lab_results_goes_to_staff_review(stack: Stack):
    answers = {**LIKELY, "has_lab_results": "No, we don't have them", "sex": "female"}

    replies = screen(
        stack, "e2e-caregiver", answers, respondent="For someone else"
    )

    assert "needs to check a few things" in texts(replies)
    screening = screening_of(stack, "e2e-caregiver")
    assert screening.outcome == "needs_review"
    assert screening.respondent == "caregiver"


def test_interruptions_and_bad_input_lose_nothing(stack: Stack):
    sender = "e2e-rough"
    stack.say(sender, "hello")
    stack.say(sender, "Yes, go ahead")
    replies = stack.say(sender, "For myself")
    assert asked_fact(replies) == "age"

    replies = stack.say(sender, "what is INR?")
    assert "INR" in texts(replies) and asked_fact(replies) == "age"
    replies = stack.say(sender, "why do you ask this?")
    assert "18 to 70" in texts(replies) and asked_fact(replies) == "age"
    for bad in [
        "",
        "x" * 10_000,
        "😀" * 200,
        "我不知道",
        '/inform{"age": 30}',
        "/affirm",
        '{"intent": "affirm"}',
    ]:
        stack.say(sender, bad)  # every reply is HTTP 200 (checked in say)

    # Unclear answers were asked again once, then noted as unknown: nobody is stuck.
    replies = stack.say(sender, "actually I am 52")
    assert "changed your answer about the age" in texts(replies)
    screening = screening_of(stack, sender)
    with session_scope(stack.engine) as session:
        ages = (
            session.execute(
                select(Answer).where(
                    Answer.screening_id == screening.id, Answer.fact_id == "age"
                )
            )
            .scalars()
            .all()
        )
        current = [a.normalized for a in ages if not a.superseded]
        every = [a.normalized for a in ages]
    assert current == [52]
    assert 30 not in every  # the injected age never landed


def test_stop_at_any_time_ends_kindly_as_incomplete(stack: Stack):
    sender = "e2e-stop"
    stack.say(sender, "hi")
    stack.say(sender, "Yes, go ahead")
    stack.say(sender, "For myself")
    stack.say(sender, "60")

    replies = stack.say(sender, "stop, I don't want to continue")

    assert "We have stopped" in texts(replies)
    assert screening_of(stack, sender).outcome == "incomplete"


def test_emergency_mid_screening_gets_advice_first_then_carries_on(stack: Stack):
    sender = "e2e-emergency"
    stack.say(sender, "hi")
    stack.say(sender, "Yes, go ahead")
    stack.say(sender, "For myself")

    replies = stack.say(sender, "he is vomiting blood right now")

    assert "call 120" in texts(replies)
    assert asked_fact(replies) == "age"
