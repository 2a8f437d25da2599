"""Shared by the production and fault tests: a stack of processes, a client that
remembers what it sent, and the checks that nothing was lost or duplicated.

A plain module (not a conftest), like ``support.net``.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.client import HTTPException
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine

from bot.settings import Settings, load_contact_key, load_settings, sender_secret
from bot.store.db import make_engine, session_scope
from bot.store.models import Answer, OutboxMessage, Referral, Screening
from bot.store.repository import sender_key
from ops import stack as st
from ops.screening import EXPECTED, OPENING, SCRIPTS, Transcript, asked_fact, texts
from support.services import need_model, need_service

#: The contact turns after a likely-eligible result: (message, expected reply).
REFERRAL_TURNS = (
    ("Yes, please", "What name"),
    ("Li Wei", "phone number"),
    ("138 0013 8000", "email"),
    ("Skip", "best time"),
    # Not "weekday mornings": the model takes "mornings" for a greeting (greet is
    # not mapped to best_time) and asks again.
    ("after 6 pm on weekdays", "Please check these details"),
    ("Yes, that's right", "Your reference is SCR-"),
)

#: Errors that mean "this server did not answer" (refused, reset, killed mid-reply).
CONNECTION_ERRORS = (urllib.error.URLError, ConnectionError, HTTPException, OSError)


def need_production_services() -> None:
    """Skip (fail under CI) without a trained model or the production services."""
    need_model()
    missing = st.services_missing()
    if missing:
        need_service(missing)


# --------------------------------------------------------------------------- #
# The stack
# --------------------------------------------------------------------------- #


@dataclass
class Cluster:
    """An action server and Rasa replicas on ``deploy/endpoints.production.yml``."""

    work: Path
    databases: st.ProductionDatabases
    env: dict[str, str]
    actions: st.Server
    replicas: list[st.Server]

    @classmethod
    def start(
        cls,
        work: Path,
        databases: st.ProductionDatabases,
        *,
        replicas: int = 2,
        endpoints: Path = st.PRODUCTION_ENDPOINTS,
        **extra: str,
    ) -> Cluster:
        """Start every process at once and wait until all answer."""
        env = st.production_env(work, databases, **extra)
        actions = st.action_server(work, env).start()
        action_port = int(actions.env["ACTION_PORT"])
        servers = [
            st.rasa_server(
                work,
                env,
                action_port=action_port,
                endpoints=endpoints,
                name=f"rasa{i}",
            ).start()
            for i in range(replicas)
        ]
        made = cls(work, databases, env, actions, servers)
        try:
            made.actions.wait_ready(180)
            made.wait_ready(*servers)
        except BaseException:
            made.close()
            raise
        return made

    def wait_ready(self, *servers: st.Server, seconds: float = 400) -> None:
        """Wait until the given servers answer (in parallel)."""
        with ThreadPoolExecutor(len(servers)) as pool:
            for done in [pool.submit(s.wait_ready, seconds) for s in servers]:
                done.result()

    def url(self, index: int) -> str:
        """The base URL of replica ``index``."""
        return st.rasa_url(self.replicas[index])

    @property
    def settings(self) -> Settings:
        """The application's settings, as the servers read them."""
        return load_settings(self.env)

    def app_engine(self) -> Engine:
        """An engine on the application database (contact key of the stack)."""
        settings = self.settings
        return make_engine(
            settings.database_url, contact_key=load_contact_key(settings)
        )

    def tracker_engine(self) -> Engine:
        """An engine on Rasa's tracker store database."""
        return create_engine(self.env["TRACKER_DB_URL"], future=True)

    @property
    def queue(self) -> str:
        """The RabbitMQ queue Rasa's broker publishes to."""
        return self.env["RASA_EVENT_QUEUE"]

    def close(self) -> None:
        """Stop every process (the databases and the queue stay)."""
        for server in [*self.replicas, self.actions]:
            server.close()

    def logs(self) -> str:
        """The tail of every log, for a failing test's message."""
        return "\n".join(
            f"--- {s.name} ---\n{s.tail(2000)}" for s in [*self.replicas, self.actions]
        )


# --------------------------------------------------------------------------- #
# The client
# --------------------------------------------------------------------------- #


@dataclass
class Sent:
    """One message as the client sent it."""

    text: str
    url: str
    answered: bool
    seconds: float
    error: str | None = None


@dataclass
class Client:
    """Sends messages and remembers each, answered or not, per sender.

    ``route(sender, turn)`` picks the replica URLs to try, in order: when one does
    not answer (refused, reset, killed mid-reply) the message goes to the next,
    as a load balancer with retries would do. When the answer is the channel's
    kind ``no_reply`` message (the turn failed), the message is sent again after
    a pause, as the message asks the person to, up to ``resends`` times.
    """

    route: object
    timeout: float = 180
    resends: int = 4
    sent: dict[str, list[Sent]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def say(self, sender: str, message: str) -> list[dict]:
        """Send one message; return the replies (raise if no replica answers)."""
        with self._lock:
            log = self.sent.setdefault(sender, [])
        error: Exception | str | None = None
        # One id for every attempt of this message, as a client that retries does:
        # a resend after a lost reply is then not taken as the next answer.
        message_id = uuid.uuid4().hex
        for attempt in range(self.resends + 1):
            if attempt:
                time.sleep(2**attempt)  # the person waits a little, then resends
            turn = sum(1 for s in log if s.answered)
            for url in self.route(sender, turn):  # type: ignore[operator]
                began = time.monotonic()
                try:
                    replies = st.say(
                        url,
                        sender,
                        message,
                        timeout=self.timeout,
                        message_id=message_id,
                    )
                except urllib.error.HTTPError as exc:  # an answer: an error status
                    log.append(
                        Sent(
                            message,
                            url,
                            False,
                            time.monotonic() - began,
                            f"HTTP {exc.code}",
                        )
                    )
                    raise
                except CONNECTION_ERRORS as exc:
                    log.append(
                        Sent(message, url, False, time.monotonic() - began, repr(exc))
                    )
                    error = exc
                    continue
                seconds = time.monotonic() - began
                if failed_turn(replies):
                    log.append(Sent(message, url, False, seconds, "no_reply"))
                    error = "no_reply"
                    break
                log.append(Sent(message, url, True, seconds))
                return replies
        raise AssertionError(f"{sender}: no replica answered {message!r}: {error!r}")

    def fixed(self, url: str):
        """A ``say(sender, text)`` bound to one URL only (no fail-over)."""

        def say(sender: str, message: str) -> list[dict]:
            began = time.monotonic()
            try:
                replies = st.say(url, sender, message, timeout=self.timeout)
            except Exception as exc:
                self.sent.setdefault(sender, []).append(
                    Sent(message, url, False, time.monotonic() - began, repr(exc))
                )
                raise
            self.sent.setdefault(sender, []).append(
                Sent(message, url, True, time.monotonic() - began)
            )
            return replies

        return say


def failed_turn(replies: list[dict]) -> bool:
    """Whether the replies are the channel's kind message for a failed turn."""
    from channels.common import kind_text

    return any(kind_text("no_reply") in (r.get("text") or "") for r in replies)


def describe(log: list[Sent]) -> str:
    """One line per message sent, for a failing test's message."""
    return "\n".join(
        f"  {s.text!r:40} {s.url[-5:]} {'ok' if s.answered else 'FAILED'} "
        f"{s.seconds:6.2f}s {s.error or ''}"
        for s in log
    )


def refer(say, sender: str) -> str:
    """Give contact details after a likely-eligible result; return the reference."""
    replies: list[dict] = []
    for message, expect in REFERRAL_TURNS:
        replies = say(sender, message)
        assert expect in texts(replies), f"{sender}: {message!r} -> {texts(replies)!r}"
    reference = texts(replies).split("Your reference is ", 1)[1][:10]
    assert reference.startswith("SCR-"), texts(replies)
    return reference


# --------------------------------------------------------------------------- #
# The checks
# --------------------------------------------------------------------------- #


def tracker_user_texts(engine: Engine, sender: str) -> list[str]:
    """The user messages of one conversation in Rasa's tracker store, in order."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT data FROM events WHERE sender_id = :sender "
                "AND type_name = 'user' ORDER BY id"
            ),
            {"sender": sender},
        ).scalars()
        return [json.loads(row).get("text") for row in rows]


def broker_user_texts(
    events: list[dict], *, arrival: bool = False
) -> dict[str, list[str]]:
    """The user messages per conversation among Rasa's broker events.

    In the order of the events' timestamps (``arrival``: in the order they came).
    With several replicas the queue's order is not the conversation's: each replica
    publishes on its own connection, from background tasks, so a turn published by
    one replica can arrive after the next turn published by the other. A consumer
    must order by timestamp.
    """
    by_sender: dict[str, list[tuple[float, int, str]]] = {}
    for position, event in enumerate(events):
        if event.get("event") == "user":
            key = position if arrival else event.get("timestamp") or 0.0
            by_sender.setdefault(event["sender_id"], []).append(
                (key, position, event.get("text"))
            )
    return {
        sender: [text for _, _, text in sorted(items)]
        for sender, items in by_sender.items()
    }


def matches_log(recorded: list[str], log: list[Sent]) -> bool:
    """Whether ``recorded`` is what was sent: every answered message once, in order,
    and each unanswered one at most once in its place (it may have been processed
    before the server went away, or not)."""
    # Dynamic programming over (position in log, position in recorded).
    reachable = {0}
    for sent in log:
        step = set()
        for j in reachable:
            if not sent.answered:
                step.add(j)  # not processed
            if j < len(recorded) and recorded[j] == sent.text:
                step.add(j + 1)
        reachable = step
        if not reachable:
            return False
    return len(recorded) in reachable


@dataclass
class Recorded:
    """What the application database holds for one sender."""

    screenings: list[Screening]
    answers: list[Answer]
    referrals: list[Referral]
    outbox: list[OutboxMessage]


def recorded(engine: Engine, settings: Settings, sender: str) -> Recorded:
    """Load one sender's screenings, answers, referrals and outbox messages."""
    key = sender_key(sender_secret(settings), "rest", sender)
    with session_scope(engine) as session:
        screenings = list(
            session.execute(
                select(Screening)
                .where(Screening.sender_key == key)
                .order_by(Screening.id)
            ).scalars()
        )
        ids = [s.id for s in screenings]
        answers = list(
            session.execute(
                select(Answer).where(Answer.screening_id.in_(ids)).order_by(Answer.id)
            ).scalars()
        )
        referrals = list(
            session.execute(
                select(Referral).where(Referral.screening_id.in_(ids))
            ).scalars()
        )
        references = [s.reference for s in screenings]
        outbox = list(
            session.execute(
                select(OutboxMessage).where(OutboxMessage.reference.in_(references))
            ).scalars()
        )
        session.expunge_all()
    return Recorded(screenings, answers, referrals, outbox)


def check_screening(
    rec: Recorded,
    transcript: Transcript,
    script: str,
    answers: dict[str, str],
    *,
    referral: str | None = None,
) -> list[str]:
    """What is wrong with one conversation's records (an empty list: nothing).

    Exactly one screening, with the script's outcome; exactly one answer row per
    asked fact (current, not superseded: nobody corrected anything), in the
    person's words; and exactly one referral and one outbox message when
    ``referral`` (the reference the person was given) is set, none otherwise.
    """
    who = transcript.sender
    problems = []
    if len(rec.screenings) != 1:
        return [f"{who}: {len(rec.screenings)} screenings, expected 1"]
    screening = rec.screenings[0]
    if screening.outcome != EXPECTED[script]:
        problems.append(
            f"{who}: outcome {screening.outcome}, expected {EXPECTED[script]}"
        )
    rows = Counter(a.fact_id for a in rec.answers)
    duplicated = {fact: n for fact, n in rows.items() if n > 1}
    if duplicated:
        problems.append(f"{who}: duplicate answer rows {duplicated}")
    if any(a.superseded for a in rec.answers):
        problems.append(f"{who}: superseded answers, though nothing was corrected")
    if set(rows) != set(transcript.asked):
        problems.append(
            f"{who}: answers for {sorted(rows)}, asked {sorted(transcript.asked)}"
        )
    for answer in rec.answers:
        if answer.as_given != answers.get(answer.fact_id):
            problems.append(f"{who}: {answer.fact_id} recorded as {answer.as_given!r}")
    expected = 1 if referral else 0
    if len(rec.referrals) != expected or len(rec.outbox) != expected:
        problems.append(
            f"{who}: {len(rec.referrals)} referrals and {len(rec.outbox)} outbox "
            f"messages, expected {expected}"
        )
    elif referral and rec.referrals[0].reference != referral:
        problems.append(f"{who}: referral {rec.referrals[0].reference} != {referral}")
    return problems


def wait_for(condition, seconds: float, interval: float = 0.2):
    """Poll ``condition()`` until it returns something true; return that (or the
    last false value after ``seconds``)."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


# --------------------------------------------------------------------------- #
# A conversation driven turn by turn (the fault tests break things in between)
# --------------------------------------------------------------------------- #


@dataclass
class Conversation:
    """A scripted screening the test drives one answer at a time."""

    say: object
    sender: str
    script: str
    transcript: Transcript = field(init=False)
    replies: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.transcript = Transcript(self.sender)

    @property
    def answers(self) -> dict[str, str]:
        """The script's answers."""
        return SCRIPTS[self.script]

    def send(self, message: str) -> list[dict]:
        """Send one message; keep the replies."""
        self.replies = self.say(self.sender, message)  # type: ignore[operator]
        self.transcript.turns.append((message, self.replies))
        return self.replies

    def open(self, respondent: str = "For myself") -> Conversation:
        """Greet, agree and say who answers: the first question is pending."""
        for message, expect in OPENING:
            self.send(message)
            assert expect in texts(self.replies), f"{self.sender}: {self.replies}"
        self.send(respondent)
        assert self.pending, f"{self.sender}: no question after the opening"
        return self

    @property
    def pending(self) -> str | None:
        """The question the last replies asked, if any."""
        return asked_fact(self.replies)

    def answer(self, count: int = 1) -> Conversation:
        """Answer the pending question, ``count`` times in a row."""
        for _ in range(count):
            fact = self.pending
            assert fact, f"{self.sender}: no question pending: {texts(self.replies)!r}"
            if fact not in self.transcript.asked:
                self.transcript.asked.append(fact)
            self.send(self.answers[fact])
        return self

    def resend(self) -> Conversation:
        """Send the last message again (its turn failed)."""
        self.send(self.transcript.turns[-1][0])
        return self

    def finish(self, max_turns: int = 60) -> Conversation:
        """Answer until the result."""
        for _ in range(max_turns):
            if self.pending is None:
                return self
            self.answer()
        raise AssertionError(f"{self.sender}: no result after {max_turns} turns")
