"""Test data for the staff side: realistic screenings, referrals and transcripts.

Screenings are built through ``bot.store.repository`` and evaluated by the real engine,
so their verdicts and outcomes are what the assistant would have recorded. Transcripts
are written to a tracker store with Rasa's ``events`` schema, as Rasa writes them.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import create_engine, insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from bot.screening.criteria import Trial
from bot.screening.engine import Answer as EngineAnswer
from bot.screening.engine import evaluate
from bot.settings import Settings
from bot.store import repository
from bot.store.models import UTC, Answer
from bot.store.transcripts import EVENTS

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)  # a Monday: ISO week 2026-W45

NEVER = {"never": True, "earliest": None, "latest": None}

#: A person who fits: (the words they used, the normalized value).
LIKELY: dict[str, tuple[str, Any]] = {
    "age": ("I'm 45", 45),
    "liver_transplant": ("no", "no"),
    "stem_cell_therapy": ("never", "no"),
    "liver_cancer": ("no", "no"),
    "chronic_liver_disease": ("yes, hepatitis B for 20 years", "yes"),
    "jaundice": ("yes my eyes are yellow", "yes"),
    "ascites": ("yes", "yes"),
    "encephalopathy": ("a bit forgetful", 1),
    "gi_bleeding": ("no", "no"),
    "kidney_injury": ("no", "no"),
    "infection": ("no", "no"),
    "sex": ("male", "male"),
    "planning_baby": ("no", "no"),
    "other_trial": ("never", NEVER),
    "immune_drugs": ("never", NEVER),
    "organ_disease": ("no", "no"),
    "thrombosis": ("no", "no"),
    "allergy": ("no", "no"),
    "alcohol_withdrawal": ("no", "no"),
    "drug_misuse": ("never", NEVER),
    "mental_health": ("never", NEVER),
    "has_lab_results": ("yes", "yes"),
    "bilirubin": ("bilirubin 342 umol/L", 342.0),
    "inr": ("INR 1.8", 1.8),
    "pta": ("35%", 35.0),
    "platelets": ("120", 120.0),
    "child_pugh": ("7", 7.0),
    "consent": ("yes", "yes"),
}

#: Unknown lab values: the study team must verify (needs_review).
NEEDS_REVIEW = {
    **{k: v for k, v in LIKELY.items() if k not in ("bilirubin", "inr", "pta")},
    "bilirubin": ("I don't know", None),
    "inr": ("no idea", None),
    "pta": ("not sure", None),
    "platelets": ("don't know", None),
    "child_pugh": ("I don't know", None),
}

#: Past stem cell treatment: ineligible.
INELIGIBLE = {**LIKELY, "stem_cell_therapy": ("yes, in 2019", "yes")}

#: Stopped after the jaundice question.
STOPPED = {
    k: LIKELY[k]
    for k in (
        "age",
        "liver_transplant",
        "stem_cell_therapy",
        "liver_cancer",
        "chronic_liver_disease",
        "jaundice",
    )
}


@dataclass(frozen=True)
class Contact:
    """Contact details a person gave."""

    name: str = "Li Wei"
    phone: str = "+86 138 0013 8000"
    email: str | None = "li.wei@example.cn"
    best_time: str = "weekday mornings"


CONTACT = Contact()


@dataclass
class Made:
    """A screening made for a test."""

    reference: str
    sender: str
    outcome: str | None
    referred: bool
    contact: Contact | None = None
    screening_id: int = 0


def make_screening(
    session: Session,
    trial: Trial,
    settings: Settings,
    *,
    sender: str,
    answers: Mapping[str, tuple[str, Any]],
    started_at: datetime = T0,
    channel: str = "rest",
    finish: bool = True,
    outcome: str | None = None,
    refer: bool = False,
    contact: Contact = CONTACT,
    respondent: str = "self",
) -> Made:
    """Record a screening as the assistant would, optionally finished and referred.

    The verdicts and (unless ``outcome`` is given) the outcome come from the engine.
    """
    screening = repository.get_or_start_screening(
        session,
        sender_key=repository.sender_key(b"s" * 32, channel, sender),
        channel=channel,
        criteria_version=trial.version,
        trial_id=trial.id,
        now=started_at,
    )
    screening.conversation_id = sender
    screening.respondent = respondent
    # Fresh screenings have nothing to supersede, so answers are added in bulk
    # (what repository.record_answer does, without its per-answer queries).
    engine_answers = {}
    rows = []
    for offset, (fact_id, (words, value)) in enumerate(answers.items()):
        unknown = value is None
        rows.append(
            Answer(
                screening=screening,
                fact_id=fact_id,
                as_given=words,
                normalized=value,
                unknown=unknown,
                answered_at=started_at + timedelta(seconds=20 * (offset + 1)),
                superseded=False,
            )
        )
        engine_answers[fact_id] = EngineAnswer(fact_id, value, words, unknown)
    session.add_all(rows)
    evaluation = evaluate(trial, engine_answers, started_at.date())
    end = started_at + timedelta(minutes=12)
    repository.save_verdicts(
        session,
        screening,
        [(r.criterion_id, r.verdict, r.reason) for r in evaluation.results],
        end,
    )
    final = outcome or evaluation.outcome
    if finish:
        repository.finish_screening(session, screening, final, end)
    if refer:
        repository.create_referral(
            session,
            screening,
            name=contact.name,
            phone=contact.phone,
            email=contact.email,
            best_time=contact.best_time,
            consent_at=end,
            settings=settings,
            now=end,
        )
    session.flush()
    return Made(
        reference=screening.reference,
        sender=sender,
        outcome=final if finish else None,
        referred=refer,
        contact=contact if refer else None,
        screening_id=screening.id,
    )


def conversation_events(
    sender: str,
    started_at: datetime,
    answers: Mapping[str, tuple[str, Any]],
    trial: Trial,
    *,
    channel: str = "rest",
    contact: Contact | None = None,
) -> list[dict[str, Any]]:
    """Tracker events of a conversation, in the shape Rasa stores them."""
    clock = [started_at.timestamp()]

    def at() -> float:
        clock[0] += 7
        return clock[0]

    def user(text: str, intent: str = "inform") -> dict[str, Any]:
        return {
            "event": "user",
            "timestamp": at(),
            "text": text,
            "parse_data": {"intent": {"name": intent, "confidence": 0.98}},
            "input_channel": channel,
        }

    def bot(text: str, buttons: Iterable[str] = ()) -> dict[str, Any]:
        return {
            "event": "bot",
            "timestamp": at(),
            "text": text,
            "data": {"buttons": [{"title": b, "payload": b} for b in buttons]},
        }

    def slot(name: str, value: Any) -> dict[str, Any]:
        return {"event": "slot", "timestamp": at(), "name": name, "value": value}

    events = [
        {"event": "action", "timestamp": at(), "name": "action_session_start"},
        {"event": "session_started", "timestamp": at()},
        user("hello", "greet"),
        bot(
            "Hello. I am an automated helper for a medical research study. Shall "
            "we start?",
            ["Yes, let's start", "No, thanks"],
        ),
        user("Yes, let's start", "affirm"),
    ]
    for number, (fact_id, (words, _)) in enumerate(answers.items(), start=1):
        question = trial.question(fact_id)
        events.append(slot("requested_slot", fact_id))
        events.append(bot(f"Question {number} of about 25:\n{question.ask_self}"))
        events.append(user(words))
    if contact is not None:
        events.append(
            {"event": "active_loop", "timestamp": at(), "name": "contact_form"}
        )
        for name, question, value in (
            ("contact_name", "What name should the study team ask for?", contact.name),
            ("contact_phone", "What phone number should they call?", contact.phone),
            ("contact_email", "What email address can they use?", contact.email),
            ("best_time", "When is the best time to call?", contact.best_time),
        ):
            events.append(slot("requested_slot", name))
            events.append(bot(question))
            events.append(user(value or "skip"))
            events.append(slot(name, value))
        events.append(slot("requested_slot", "contact_confirmed"))
        events.append(
            bot(
                "Please check these details:\n"
                f"Name: {contact.name}\nPhone: {contact.phone}\n"
                f"Best time: {contact.best_time}\nIs this right?",
                ["Yes", "No"],
            )
        )
        events.append(user("yes", "affirm"))
        events.append({"event": "active_loop", "timestamp": at(), "name": None})
        events.append(bot("Thank you. The study team will call you."))
    return events


def write_events(url: str, sender: str, events: Iterable[dict[str, Any]]) -> None:
    """Append events to a tracker store's ``events`` table (created if missing)."""
    rows = [
        {
            "sender_id": sender,
            "type_name": event["event"],
            "timestamp": event.get("timestamp"),
            "intent_name": ((event.get("parse_data") or {}).get("intent") or {}).get(
                "name"
            ),
            "action_name": event.get("name") if event["event"] == "action" else None,
            "data": json.dumps(event),
        }
        for event in events
    ]
    engine = _tracker_engine(url)
    EVENTS.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(EVENTS), rows)


_ENGINES: dict[str, Engine] = {}


def _tracker_engine(url: str) -> Engine:
    # One engine per URL for the test session (NullPool: no connection is kept
    # open, so files can be copied and schemas dropped).
    if url not in _ENGINES:
        _ENGINES[url] = create_engine(url, future=True, poolclass=NullPool)
    return _ENGINES[url]


# --------------------------------------------------------------------------- #
# A real console server on a loopback port, in a background thread
# --------------------------------------------------------------------------- #


class MutableClock:
    """A clock the test moves forward."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        """Move forward by ``timedelta(**kwargs)``."""
        self.now += timedelta(**kwargs)


@dataclass
class LiveServer:
    """Serves an aiohttp application on 127.0.0.1 from a thread of its own."""

    app: web.Application
    port: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _runner: web.AppRunner | None = None
    errors: list[BaseException] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start serving; returns once the port is listening."""
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()

        async def setup() -> None:
            self._runner = web.AppRunner(self.app, access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(setup())
            except BaseException as exc:  # noqa: BLE001 - reported to the test
                self.errors.append(exc)
                ready.set()
                return
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="console", daemon=True)
        self._thread.start()
        ready.wait(10)
        if self.errors:
            raise self.errors[0]

    def stop(self) -> None:
        """Stop serving and close the loop."""
        if self._loop is None:
            return
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(
                10
            )
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self._loop.close()
        self._loop = None


#: Console accounts of the seeded world: role -> (username, password).
STAFF_ACCOUNTS = {
    "admin": ("ada", "admin password 1!"),
    "coordinator": ("cora", "coordinator pass 2"),
    "investigator": ("ivan", "investigator pass 3"),
}


@dataclass
class StaffWorld:
    """A seeded application database and tracker store for console tests.

    Attributes:
        settings: Settings pointing at both databases.
        engine: The application database (SQLite in tmp_path).
        tracker_url: The tracker store.
        clock: The console's clock (moved by tests).
        made: The screenings made, by name: likely, review, ineligible (referred),
            stopped and running (not referred).
        user_ids: Account ids by username.
    """

    settings: Settings
    engine: Engine
    tracker_url: str
    clock: object
    trial: object
    hasher: object
    made: dict
    user_ids: dict


@dataclass
class ConsoleHandle:
    """The console served for a test: its URL, app and world."""

    url: str
    app: object
    world: StaffWorld
