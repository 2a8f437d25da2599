"""Simulated patients: complete screenings through the REST channel, as people type.

A :class:`Player` plays one :class:`~ops.sim_cases.Case` in one answer style
(:mod:`ops.sim_phrases`) against the running servers: it reads the assistant's last
replies, recognises the pending question (the screening questions come from the
criteria file, the fixed ones from the message catalogue), answers it from the
case's true facts, taps buttons where that is what the person would do, and stops
after the result and the contact form. What it cannot recognise gets a confused
"sorry, what?" (counted). A hard cap on turns ends a loop; a capped screening never
reached a result.

The expected outcome of a case is computed from its facts by the engine
(:func:`bot.screening.engine.evaluate`), with the answers normalised as the assistant
stores them (:func:`expected`), never typed by hand; only a person who stops partway is
expected to be ``incomplete``. The outcome the assistant reached is read from its
result message and from the application database (authoritative).

:func:`run_suite` plays many screenings in threads and :func:`report` scores them
against the targets (:data:`TARGETS`). ``scripts/simulate.py`` is the command line;
``tests/e2e/test_simulator.py`` runs a sample in ``make test``.
"""

from __future__ import annotations

import random
import re
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta

from bot import parsing
from bot.screening.conversation import time_ago_json
from bot.screening.criteria import load_trial
from bot.screening.engine import Answer, evaluate
from bot.vocab import INCOMPLETE, INELIGIBLE, LIKELY_ELIGIBLE, NEEDS_REVIEW
from ops import sim_phrases as P
from ops import sim_phrases_zh
from ops.sim_cases import (
    NEVER,
    UNKNOWN,
    Ago,
    Case,
    Correction,
    Emergency,
    Interrupt,
    Lab,
    Stop,
)

Say = Callable[[str, str], list]

TRIAL = load_trial()
QUESTION = {q.id: q for q in TRIAL.questions}
#: Turns (messages sent) after which a screening counts as never finished.
MAX_TURNS = 80
#: Unrecognised turns in a row after which the person gives up (never finished).
GIVE_UP_AFTER = 8
OUTCOMES = (LIKELY_ELIGIBLE, NEEDS_REVIEW, INELIGIBLE, INCOMPLETE)

#: The targets every run is checked against (never weakened to make a run pass).
TARGETS = {
    "correct_share": (
        "share of screenings reaching the outcome the criteria imply",
        "==",
        1.0,
    ),
    "unsafe": ("likely_eligible although the facts exclude", "==", 0),
    "repeats_per_screening": ("mean questions asked again per screening", "<=", 1.0),
    "max_consecutive_asks": ("most consecutive asks of one question", "<=", 3),
}

# --------------------------------------------------------------------------- #
# Expected outcome: the facts through the engine
# --------------------------------------------------------------------------- #


def ago_date(ago: Ago, screening_date: date) -> date:
    """The date something happened ``ago`` before the screening date."""
    return screening_date - relativedelta(**{ago.unit: ago.n})


def normalised(fact_id: str, value: Any, screening_date: date) -> Answer:
    """A true fact as the engine stores it (the forms of
    ``bot.screening.conversation.interpret``)."""
    question = QUESTION[fact_id]
    text = str(value)
    if value == UNKNOWN:
        if question.type == "yes_no":
            return Answer(fact_id, value="unsure", text=text, unknown=True)
        return Answer(fact_id, value=None, text=text, unknown=True)
    if question.type == "time_ago":
        if value == NEVER:
            stored = time_ago_json(parsing.TimeAgo(never=True))
        else:
            day = ago_date(value, screening_date)
            stored = time_ago_json(parsing.TimeAgo(earliest=day, latest=day))
        return Answer(fact_id, value=stored, text=text)
    if fact_id == "bilirubin":
        lab: Lab = value
        umol = lab.value if lab.unit == "umol/L" else parsing.mgdl_to_umol(lab.value)
        return Answer(fact_id, value=float(umol), text=text)
    if fact_id == "child_pugh" and isinstance(value, str):
        return Answer(
            fact_id,
            value=parsing.child_pugh_classes()[value.upper()].counts_as,
            text=text,
        )
    return Answer(fact_id, value=value, text=text)


@dataclass(frozen=True)
class Expected:
    """What the criteria imply for a case."""

    outcome: str  # what the screening must end in (incomplete for a stop)
    facts_outcome: str  # what the facts alone imply (for the unsafe check)
    questions: tuple[str, ...]  # the questions the engine asks, in order


def expected(case: Case, screening_date: date | None = None) -> Expected:
    """Walk the engine over the case's facts, asking what it would ask."""
    screening_date = screening_date or date.today()
    answers: dict[str, Answer] = {}
    asked: list[str] = []
    for _ in range(len(QUESTION) + 1):
        evaluation = evaluate(TRIAL, answers, screening_date)
        question = evaluation.next_question
        if question is None:
            break
        asked.append(question.id)
        answers[question.id] = normalised(
            question.id, case.facts[question.id], screening_date
        )
    outcome = evaluation.outcome
    return Expected(INCOMPLETE if case.stops else outcome, outcome, tuple(asked))


# --------------------------------------------------------------------------- #
# Recognising what the assistant asked
# --------------------------------------------------------------------------- #


def _pattern(wording: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[Pp]atient\})", wording)
    body = "".join(
        r".{1,40}?" if p in ("{patient}", "{Patient}") else re.escape(p) for p in parts
    )
    return re.compile(body)


def _question_patterns(
    language: str = "en",
) -> dict[str, tuple[re.Pattern[str], ...]]:
    """Screening questions: a pattern per wording (self, caregiver with any name)."""
    trial = load_trial(language=language)
    return {
        q.id: (_pattern(q.ask_self), _pattern(q.ask_caregiver)) for q in trial.questions
    }


#: Screening questions: a pattern per wording (self, caregiver with any name).
QUESTION_PATTERNS = _question_patterns()


def _catalogue(language: str = "en") -> dict[str, dict[str, Any]]:
    from bot.screening.messages import catalogue

    return catalogue(language)


def _lead(text: str, *, last: bool = False) -> str:
    """The recognisable part of a catalogue text: its first (or last) non-empty line,
    cut before the first ``{variable}``."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    line = lines[-1] if last else lines[0]
    return line.split("{", 1)[0].strip()


_SENTENCE_END = re.compile(r"\?|？|。|！|\. ")


def _fixed_markers(language: str = "en") -> dict[str, tuple[str, ...]]:
    cat = _catalogue(language)

    def first(key: str) -> str:
        return _lead(cat[key]["text"])

    def sentence(key: str) -> str:
        lead = first(key)
        end = _SENTENCE_END.search(lead)
        return lead[: end.start() + 1] if end else lead

    return {
        "start": (_lead(cat["ask_screening_consent"]["text"], last=True),),
        "respondent": (first("ask_respondent"),),
        "share": (first("ask_share_consent"),),
        "name": (first("ask_contact_name"),),
        "phone": (sentence("ask_contact_phone"), sentence("invalid_phone")),
        "email": (sentence("ask_contact_email"), sentence("invalid_email")),
        "best_time": (sentence("ask_best_time"),),
        "confirm": (first("ask_contact_confirmed"),),
        "welcome_back": (first("welcome_back"),),
        "which": (sentence("correction_which"),),
        "anything_else": (first("anything_else"),),
        # The consent question settled after three unclear replies: "say hello".
        "say_hello": (first("limit_consent"),),
    }


FIXED = _fixed_markers()


def _taps(language: str = "en") -> dict[str, str]:
    """The button a terse person taps for each fixed question (the first one)."""
    cat = _catalogue(language)
    keys = {
        "start": "ask_screening_consent",
        "respondent": "ask_respondent",
        "share": "ask_share_consent",
        "email": "ask_contact_email",
        "confirm": "ask_contact_confirmed",
        "welcome_back": "welcome_back",
    }
    taps = {}
    for name, key in keys.items():
        first = cat[key]["buttons"][0]
        taps[name] = str(first.get("title") if isinstance(first, dict) else first)
    return taps


#: Fixed questions whose first button a terse person taps.
TAPS = _taps()


def _ends(language: str = "en") -> dict[str, str]:
    cat = _catalogue(language)
    ends = {
        o: _lead(cat[f"result_{o}"]["text"])
        for o in (LIKELY_ELIGIBLE, NEEDS_REVIEW, INELIGIBLE)
    }
    return {
        **ends,
        "stopped": _lead(cat["stopped"]["text"]),
        "referral_sent": _lead(cat["referral_sent"]["text"]),
        "no_share": _lead(cat["no_share"]["text"]),
        "declined": _lead(cat["declined"]["text"]),
        # Only to mark turns in the report: absent from the catalogue -> "".
        "retry": _lead(cat.get("question_retry", {}).get("text", "")),
        "noted_unknown": _lead(cat.get("noted_unknown", {}).get("text", "")),
        "emergency": _emergency_lead(language),
    }


def _emergency_lead(language: str = "en") -> str:
    """The start of the emergency advice (domain.yml), or "" if it cannot be read."""
    try:
        import yaml

        from ops.stack import ROOT

        domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
        for variant in domain["responses"]["utter_emergency"]:
            conditions = variant.get("condition") or []
            said = {c.get("value") for c in conditions if c.get("name") == "language"}
            if (language in said) or (not conditions and language == "en"):
                text = str(variant["text"]).split("{", 1)[0]
                return re.split(r"[.。！!]", text)[0]
        return ""
    except Exception:  # noqa: BLE001 - only used to mark turns in the report
        return ""


ENDS = _ends()


@dataclass(frozen=True)
class Markers:
    """What the assistant's messages look like in one language."""

    questions: dict[str, tuple[re.Pattern[str], ...]]
    fixed: dict[str, tuple[str, ...]]
    taps: dict[str, str]
    ends: dict[str, str]


_MARKERS: dict[str, Markers] = {}


def markers(language: str = "en") -> Markers:
    """The markers of ``language`` (read once)."""
    if language not in _MARKERS:
        _MARKERS[language] = Markers(
            _question_patterns(language),
            _fixed_markers(language),
            _taps(language),
            _ends(language),
        )
    return _MARKERS[language]


def phrases(language: str = "en") -> Any:
    """The phrase bank of ``language`` (ops.sim_phrases, ops.sim_phrases_zh)."""
    return sim_phrases_zh if language == "zh" else P


def _short(turn: Turn) -> dict[str, Any]:
    return {
        "user": turn.sent[:200],
        "kind": turn.kind,
        "pending": turn.pending,
        "bot": texts(turn.replies)[-400:],
        **({"error": turn.error} if turn.error else {}),
    }


def texts(replies: list[dict]) -> str:
    """The replies' texts, one per line."""
    return "\n".join(str(r.get("text") or "") for r in replies)


def pending(replies: list[dict], language: str = "en") -> str | None:
    """The question the replies end with: a fact id, or a fixed question's name
    (``start``, ``respondent``, ``share``, ``name``, ``phone``, ...), else None."""
    text = texts(replies)
    best: tuple[int, str] | None = None
    m = markers(language)
    for fact, patterns in m.questions.items():
        for pattern in patterns:
            for match in pattern.finditer(text):
                if best is None or match.end() > best[0]:
                    best = (match.end(), fact)
    for name, fixed in m.fixed.items():
        for marker in fixed:
            at = text.rfind(marker)
            if at >= 0 and (best is None or at + len(marker) > best[0]):
                best = (at + len(marker), name)
    return best[1] if best else None


def shown_outcome(replies: list[dict], language: str = "en") -> str | None:
    """The outcome a result message shows (``incomplete`` for "we have stopped")."""
    text = texts(replies)
    ends = markers(language).ends
    for outcome in (LIKELY_ELIGIBLE, NEEDS_REVIEW, INELIGIBLE):
        if ends[outcome] in text:
            return outcome
    if ends["stopped"] in text:
        return INCOMPLETE
    return None


def buttons(replies: list[dict]) -> list[dict]:
    """The buttons of the replies (the last reply's last)."""
    found: list[dict] = []
    for reply in replies:
        found.extend(reply.get("buttons") or [])
    return found


# --------------------------------------------------------------------------- #
# Playing one screening
# --------------------------------------------------------------------------- #


@dataclass
class Turn:
    """One message sent and what came back."""

    sent: str
    #: answer | fixed | interrupt | emergency | correction | stop | confused | raw
    kind: str
    replies: list[dict]
    pending: str | None
    error: str | None = None


@dataclass
class Played:
    """What happened in one screening."""

    case: str
    style: str
    sender: str
    expected: str
    facts_outcome: str
    turns: list[Turn] = field(default_factory=list)
    shown: str | None = None  # the last result message shown
    db_outcome: str | None = None
    confused: int = 0
    capped: bool = False
    gave_up: bool = False
    finished: bool = False
    language: str = "en"

    @property
    def outcome(self) -> str | None:
        """The outcome the assistant reached: the database's, else the message's."""
        return self.db_outcome if self.db_outcome is not None else self.shown

    @property
    def asks(self) -> list[str | None]:
        """The pending question after each assistant turn."""
        return [t.pending for t in self.turns]

    @property
    def repeats(self) -> int:
        """Times the same question was pending in two consecutive assistant turns."""
        asks = self.asks
        return sum(
            1 for a, b in zip(asks, asks[1:], strict=False) if b is not None and a == b
        )

    @property
    def repeats_after_answer(self) -> int:
        """Repeats that followed an answer (not an interruption the person chose)."""
        asks, turns = self.asks, self.turns
        return sum(
            1
            for i in range(1, len(asks))
            if asks[i] is not None
            and asks[i] == asks[i - 1]
            and turns[i].kind in ("answer", "fixed")
        )

    @property
    def max_consecutive(self) -> int:
        """The most consecutive assistant turns with one question pending."""
        best = run = 0
        previous: str | None = None
        for ask in self.asks:
            run = run + 1 if ask is not None and ask == previous else (1 if ask else 0)
            previous = ask
            best = max(best, run)
        return best

    @property
    def correct(self) -> bool:
        """The assistant reached the outcome the criteria imply."""
        return self.outcome == self.expected and not (self.capped or self.gave_up)

    @property
    def unsafe(self) -> bool:
        """Told "likely eligible" although the facts exclude the person."""
        return self.facts_outcome == INELIGIBLE and LIKELY_ELIGIBLE in (
            self.db_outcome,
            self.shown,
        )

    @property
    def never_finished(self) -> bool:
        """Capped, or never shown a result although the person went to the end."""
        if self.capped or self.gave_up:
            return True
        return self.expected != INCOMPLETE and self.shown is None

    def tail(self, n: int = 6) -> list[dict[str, Any]]:
        """The last ``n`` turns up to the (last) result message, short."""
        end = len(self.turns)
        for index, turn in enumerate(self.turns):
            if shown_outcome(turn.replies, self.language) is not None:
                end = index + 1
        return [_short(t) for t in self.turns[max(0, end - n) : end]]

    def notable(self, limit: int = 12) -> list[dict[str, Any]]:
        """Turns worth reading: asked again, noted as unknown, emergency advice,
        an unrecognised reply, an HTTP error."""
        ends = markers(self.language).ends
        marks = (ends["retry"], ends["noted_unknown"], ends["emergency"])
        found = []
        for index, turn in enumerate(self.turns):
            again = (
                index > 0
                and turn.pending
                and turn.pending == self.turns[index - 1].pending
            )
            said = texts(turn.replies)
            if (
                again
                or turn.error
                or turn.kind == "confused"
                or any(m and m in said for m in marks)
            ):
                found.append({"turn": index + 1, **_short(turn)})
        return found[:limit]

    def summary(self) -> dict[str, Any]:
        """A JSON-able record for the report."""
        return {
            "case": self.case,
            "style": self.style,
            "sender": self.sender,
            "expected": self.expected,
            "facts_outcome": self.facts_outcome,
            "shown": self.shown,
            "db_outcome": self.db_outcome,
            "correct": self.correct,
            "unsafe": self.unsafe,
            "never_finished": self.never_finished,
            "capped": self.capped,
            "gave_up": self.gave_up,
            "turns": len(self.turns),
            "repeats": self.repeats,
            "repeats_after_answer": self.repeats_after_answer,
            "max_consecutive": self.max_consecutive,
            "confused": self.confused,
            "message_db_mismatch": (
                self.shown is not None
                and self.db_outcome is not None
                and self.shown != self.db_outcome
            ),
        }


class Player:
    """A simulated person playing one case in one style."""

    def __init__(
        self,
        case: Case,
        style: str,
        say: Say,
        sender: str | None = None,
        *,
        max_turns: int = MAX_TURNS,
        screening_date: date | None = None,
        language: str = "en",
    ):
        self.P = phrases(language)
        self.m = markers(language)
        self.language = language
        self.trial = load_trial(language=language)
        if style not in self.P.STYLES:
            raise ValueError(f"unknown style {style!r}")
        self.case, self.style, self.say = case, style, say
        tag = "" if language == "en" else f"{language}-"
        self.sender = sender or f"sim-{tag}{case.id}-{style}-{uuid.uuid4().hex[:8]}"
        self.max_turns = max_turns
        want = expected(case, screening_date)
        self.played = Played(
            case.id,
            style,
            self.sender,
            want.outcome,
            want.facts_outcome,
            language=language,
        )
        self.voice = self.P.Voice.of(case.respondent, case.facts.get("sex"))
        self.replies: list[dict] = []
        self.answered = 0  # screening questions answered
        self.attempts: dict[str, int] = {}
        self.done_behaviours: set[int] = set()
        self.correction_state = "none"  # none | said | sent
        self.answered_since_wrong = 0
        self.anything_else = 0

    # -- talking --------------------------------------------------------------

    def send(self, text: str, kind: str) -> list[dict]:
        """Send one message; remember the replies and the pending question."""
        error = None
        try:
            replies = self.say(self.sender, text)
        except Exception as exc:  # noqa: BLE001 - an HTTP error is a finding, not a crash
            replies, error = [], f"{type(exc).__name__}: {exc}"
        self.replies = replies
        ask = pending(replies, self.language)
        shown = shown_outcome(replies, self.language)
        if shown is not None:
            self.played.shown = shown
        self.played.turns.append(Turn(text, kind, replies, ask, error))
        return replies

    def pick(self, bank: Any, key: str, **values: Any) -> str:
        """A phrase of a bank (a list, or a dict by style), filled in."""
        options = bank[self.style] if isinstance(bank, dict) else bank
        attempt = self.attempts.get(key, 0)
        rng = random.Random(f"{self.case.id}|{self.style}|{key}")
        start = rng.randrange(len(options))
        template = options[(start + attempt) % len(options)]
        return template.format(**self.voice.fields(), **values)

    # -- answers ----------------------------------------------------------------

    def answer(self, fact: str, value: Any) -> str:
        """What this person types to answer ``fact`` with ``value``."""
        question = QUESTION[fact]
        style = self.style
        if value == UNKNOWN:
            if question.type == "number":
                return (
                    self._tap([self._label(question, "unsure")])
                    if style == "terse"
                    else self.pick(self.P.LAB_UNKNOWN, fact)
                )
            return self.pick(self.P.UNSURE, fact)
        if fact == "age":
            return self.pick(
                self.P.AGE, fact, n=value, words=self.P.number_words(int(value))
            )
        if fact == "sex":
            return self.pick(self.P.SEX[style][value], fact)
        if fact == "encephalopathy":
            if style == "terse":
                label = self.trial.question(fact).choices[int(value)].label
                return self._tap([label])
            return self.pick(self.P.CONFUSION[style][int(value)], fact)
        if question.type == "yes_no":
            if style == "chatty" and (fact, value) in self.P.CHATTY_YES_NO:
                return self.pick(self.P.CHATTY_YES_NO[(fact, value)], fact)
            return self.pick(self.P.YES if value == "yes" else self.P.NO, fact)
        if question.type == "time_ago":
            if value == NEVER:
                return (
                    self._tap([self._label(question, "never")])
                    if style == "terse"
                    else self.pick(self.P.NEVER, fact)
                )
            return self.pick(
                self.P.AGO,
                fact,
                n=value.n,
                unit=self.P.unit_text(value.unit, value.n),
                unit_short=self.P.UNIT_SHORT[value.unit],
            )
        return self._lab(fact, value)

    def _lab(self, fact: str, value: Any) -> str:
        bank = self.P.LAB[fact][self.style]
        if fact == "bilirubin":
            return self.pick(bank[value.unit], fact, value=_num(value.value))
        if fact == "child_pugh":
            if isinstance(value, str):
                return self.pick(bank["class"], fact, value=value, lower=value.lower())
            return self.pick(bank["score"], fact, value=value)
        if fact == "platelets":
            wan = _num(value / 10) if isinstance(value, (int, float)) else value
            return self.pick(bank, fact, value=_num(value), k=_num(value), wan=wan)
        return self.pick(bank, fact, value=_num(value))

    def _label(self, question: Any, value: str) -> str:
        """The quick reply of ``question`` that says ``value``, in this language."""
        trial = self.trial
        for choice in trial.quick_replies.get(question.type, ()):
            if choice.value == value:
                return choice.label
        return value

    def _tap(self, labels: list[str]) -> str:
        """The payload of the button with one of these titles, else the title typed."""
        for button in buttons(self.replies):
            title = str(button.get("title", ""))
            if any(title.casefold() == label.casefold() for label in labels):
                return str(button.get("payload") or title)
        return labels[0]

    def fixed(self, name: str) -> str:
        """The answer to a fixed (non-screening) question."""
        case = self.case
        tap_ok = name != "respondent" or case.respondent == "self"
        if (
            self.style == "terse"
            and name in self.m.taps
            and tap_ok
            and not (name == "email" and case.email)
        ):
            return self._tap([self.m.taps[name]])
        if name == "start":
            return self.pick(self.P.START, name)
        if name == "respondent":
            if case.respondent == "self":
                return self.pick(self.P.FOR_SELF, name)
            relation = self.P.relation_text(case.relation or "a relative")
            return self.pick(self.P.FOR_OTHER, name, relation=relation)
        if name == "share":
            return self.pick(self.P.SHARE_YES, name)
        if name == "name":
            person = self.P.NAMES[sum(map(ord, case.id)) % len(self.P.NAMES)]
            return self.pick(self.P.NAME, name, name=person, name_lower=person.lower())
        if name == "phone":
            return self.pick(self.P.PHONE, name)
        if name == "email":
            return case.email or self.pick(self.P.EMAIL, name)
        if name == "best_time":
            return self.pick(self.P.BEST_TIME, name)
        if name == "confirm":
            return self.pick(self.P.CONFIRM, name)
        if name == "welcome_back":
            return self.pick(self.P.CARRY_ON, name)
        if name == "which":
            return self.P.WHICH_AGE.format(n=case.facts["age"])
        return self.pick(self.P.NOTHING_ELSE, name)

    # -- the game -------------------------------------------------------------------

    def start(self) -> None:
        """Say hello."""
        self.send(self.pick(self.P.GREETING, "greeting"), "fixed")

    def step(self) -> bool:
        """Send the next message; False when the screening is over."""
        played = self.played
        if len(played.turns) >= self.max_turns:
            played.capped = True
            return False
        last = texts(self.replies)
        ask = played.turns[-1].pending if played.turns else None
        if (
            self.m.ends["stopped"] in last
            or self.m.ends["referral_sent"] in last
            or (self.m.ends["no_share"] in last or self.m.ends["declined"] in last)
        ):
            if not self._correction_due(result=True):
                played.finished = True
                return False
        # A correction owed and the result already shown: say it now.
        if self._correction_due(
            result=played.shown is not None and ask in (None, "share")
        ):
            self._send_correction()
            return True
        if ask is None:
            if played.shown is not None:
                played.finished = True
                return False
            played.confused += 1
            recent = [t.kind for t in played.turns[-GIVE_UP_AFTER:]]
            if len(recent) == GIVE_UP_AFTER and set(recent) == {"confused"}:
                played.gave_up = True  # a person leaves; counted as never finished
                return False
            if not any(t.pending for t in played.turns):
                # Nothing asked yet: a person says what they came for.
                # ... and after two tries, the plainest thing: "hello".
                self.attempts["want"] = played.confused - 1
                text = (
                    self.pick(self.P.WANT_TO_START, "want")
                    if played.confused < 3
                    else self.P.HELLO
                )
                self.send(text, "confused")
            elif played.confused % 3 == 0:
                # Nothing pending and no result (the screening was declined, or
                # settled): after a while, a person says "hello" again.
                self.send(self.P.HELLO, "confused")
            else:
                self.send(
                    self.P.CONFUSED[played.confused % len(self.P.CONFUSED)], "confused"
                )
            return True
        if ask in QUESTION:
            return self._answer_fact(ask)
        if ask == "say_hello":
            self.send(self.P.HELLO, "fixed")
            return True
        if ask == "anything_else":
            self.anything_else += 1
            if self.anything_else > 1:
                played.finished = True
                return False
        self._count(ask)
        self.send(self.fixed(ask), "fixed")
        return True

    def play(self) -> Played:
        """Play the whole screening."""
        if not self.played.turns:
            self.start()
        while self.step():
            pass
        return self.played

    def _count(self, key: str) -> None:
        previous = self.played.turns[-2].pending if len(self.played.turns) > 1 else None
        if previous == key and self.played.turns[-1].kind in ("answer", "fixed"):
            self.attempts[key] = self.attempts.get(key, 0) + 1

    def _answer_fact(self, fact: str) -> bool:
        case = self.case
        for index, behaviour in enumerate(case.behaviours):
            if index in self.done_behaviours:
                continue
            if isinstance(behaviour, Stop) and self.answered >= behaviour.after:
                self.done_behaviours.add(index)
                self.send(self.pick(self.P.STOP, "stop"), "stop")
                return True
            if isinstance(behaviour, Emergency) and behaviour.before == fact:
                self.done_behaviours.add(index)
                self.send(self.pick(self.P.EMERGENCY, "emergency"), "emergency")
                return True
            if isinstance(behaviour, Interrupt) and behaviour.before == fact:
                self.done_behaviours.add(index)
                if behaviour.kind == "term" and fact in self.P.TERM:
                    text = self.pick(self.P.TERM[fact], f"term-{fact}")
                else:
                    text = self.pick(self.P.WHY, "why")
                self.send(text, "interrupt")
                return True
        if self._correction_due(result=False):
            self._send_correction()
            return True
        value = case.facts[fact]
        correction = case.behaviour(Correction)
        if correction and correction.fact == fact and self.correction_state == "none":
            value = correction.said
            self.correction_state = "said"
            self.answered_since_wrong = -1
        self._count(fact)
        self.answered += 1
        if self.correction_state == "said":
            self.answered_since_wrong += 1
        self.send(self.answer(fact, value), "answer")
        return True

    def _correction_due(self, *, result: bool) -> bool:
        correction = self.case.behaviour(Correction)
        if correction is None or self.correction_state != "said":
            return False
        return result or self.answered_since_wrong >= correction.after

    def _send_correction(self) -> None:
        correction = self.case.behaviour(Correction)
        self.correction_state = "sent"
        true = self.case.facts[correction.fact]
        self.send(self.pick(self.P.CORRECT_AGE, "correction", n=true), "correction")


def _num(value: float) -> str:
    """A number as a person writes it: no trailing ".0" except where the report
    has one (5.0 mg/dL stays "5.0")."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:g}"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


# --------------------------------------------------------------------------- #
# The servers and the database
# --------------------------------------------------------------------------- #

#: The simulator is one machine talking fast: no rate limits.
NO_LIMITS = {
    "RATE_LIMIT_PER_SENDER": "1000000/1",
    "RATE_LIMIT_PER_ADDRESS": "1000000/1",
}


@dataclass
class Servers:
    """An action server and a Rasa server on SQLite in ``work``."""

    url: str
    env: dict[str, str]
    work: Path
    logs: list[Path]

    def say(self, sender: str, text: str) -> list[dict]:
        """One message through the REST channel."""
        from ops import stack

        return stack.say(self.url, sender, text, timeout=120)


@contextmanager
def running_servers(work: Path, model: Path | None = None) -> Iterator[Servers]:
    """Start the action server and the Rasa server (ops.stack, SQLite in ``work``)."""
    from ops import stack

    work.mkdir(parents=True, exist_ok=True)
    env = stack.base_env(work, **NO_LIMITS)
    subprocess.run(
        [str(stack.BIN / "python"), "-m", "bot", "migrate"],
        cwd=stack.ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    actions = stack.action_server(work, env)
    rasa = stack.rasa_server(
        work,
        env,
        action_port=int(actions.env["ACTION_PORT"]),
        model=model or stack.MODEL,
    )
    servers = [actions, rasa]
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready(600)
        yield Servers(stack.rasa_url(rasa), env, work, [s.log for s in servers])
    finally:
        for server in servers:
            server.close()


class OutcomeReader:
    """Reads screenings' outcomes from the action server's application database."""

    def __init__(self, env: Mapping[str, str]):
        from bot.settings import load_contact_key, load_settings, sender_secret
        from bot.store.db import make_engine
        from bot.store.repository import sender_key  # noqa: F401 - checked importable here

        self.settings = load_settings(dict(env))
        self.secret = sender_secret(self.settings)
        self.engine = make_engine(
            self.settings.database_url, contact_key=load_contact_key(self.settings)
        )
        self._lock = threading.Lock()

    def outcome(self, sender: str, channel: str = "rest") -> str | None:
        """The outcome of the sender's latest screening (None: none, or no outcome)."""
        from sqlalchemy import select

        from bot.store.db import session_scope
        from bot.store.models import Screening
        from bot.store.repository import sender_key

        key = sender_key(self.secret, channel, sender)
        with self._lock, session_scope(self.engine) as session:
            row = session.execute(
                select(Screening.outcome)
                .where(Screening.sender_key == key)
                .order_by(Screening.id.desc())
                .limit(1)
            ).first()
        return row[0] if row else None

    def close(self) -> None:
        """Dispose of the engine."""
        self.engine.dispose()


# --------------------------------------------------------------------------- #
# Many screenings, and the report
# --------------------------------------------------------------------------- #


def play_one(
    case: Case,
    style: str,
    say: Say,
    reader: OutcomeReader | None,
    max_turns: int = MAX_TURNS,
    language: str = "en",
) -> Played:
    """Play one screening and read its outcome from the database."""
    played = Player(case, style, say, max_turns=max_turns, language=language).play()
    if reader is not None:
        try:
            played.db_outcome = reader.outcome(played.sender)
        except Exception as exc:  # noqa: BLE001 - reported, not fatal
            played.turns.append(Turn("", "raw", [], None, f"database: {exc}"))
    return played


def run_suite(
    pairs: list[tuple[Case, str]],
    say: Say,
    reader: OutcomeReader | None,
    *,
    concurrency: int = 4,
    progress: Callable[[Played], None] | None = None,
    max_turns: int = MAX_TURNS,
    language: str = "en",
) -> list[Played]:
    """Play every (case, style) pair, ``concurrency`` at a time, in order, in
    ``language`` (the phrase bank and what the assistant's messages look like)."""

    def one(pair: tuple[Case, str]) -> Played:
        played = play_one(pair[0], pair[1], say, reader, max_turns, language)
        if progress:
            progress(played)
        return played

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(one, pairs))


def _check(value: float, op: str, limit: float) -> bool:
    return value == limit if op == "==" else value <= limit


def report(played: list[Played], *, tail: int = 6) -> dict[str, Any]:
    """Score the screenings against :data:`TARGETS`."""
    n = len(played)
    figures = {
        "screenings": n,
        "correct": sum(p.correct for p in played),
        "correct_share": round(sum(p.correct for p in played) / n, 4) if n else 0.0,
        "unsafe": sum(p.unsafe for p in played),
        "never_finished": sum(p.never_finished for p in played),
        "capped": sum(p.capped for p in played),
        "gave_up": sum(p.gave_up for p in played),
        "mean_turns": round(sum(len(p.turns) for p in played) / n, 2) if n else 0.0,
        "repeats": sum(p.repeats for p in played),
        "repeats_per_screening": round(sum(p.repeats for p in played) / n, 3)
        if n
        else 0.0,
        "repeats_after_answer": sum(p.repeats_after_answer for p in played),
        "max_consecutive_asks": max((p.max_consecutive for p in played), default=0),
        "confused_replies": sum(p.confused for p in played),
        "message_db_mismatch": sum(p.summary()["message_db_mismatch"] for p in played),
    }
    targets = {
        name: {
            "what": what,
            "target": f"{op} {limit}",
            "value": figures[name],
            "pass": _check(figures[name], op, limit),
        }
        for name, (what, op, limit) in TARGETS.items()
    }
    by_style: dict[str, dict[str, Any]] = {}
    for style in sorted({p.style for p in played}):
        some = [p for p in played if p.style == style]
        by_style[style] = {
            "screenings": len(some),
            "correct": sum(p.correct for p in some),
            "unsafe": sum(p.unsafe for p in some),
            "never_finished": sum(p.never_finished for p in some),
            "mean_turns": round(sum(len(p.turns) for p in some) / len(some), 1),
            "repeats": sum(p.repeats for p in some),
            "max_consecutive": max(p.max_consecutive for p in some),
        }
    failures = [
        {**p.summary(), "transcript_tail": p.tail(tail), "notable_turns": p.notable()}
        for p in played
        if not p.correct or p.unsafe or p.never_finished or p.max_consecutive > 3
    ]
    return {
        "figures": figures,
        "targets": targets,
        "passed": all(t["pass"] for t in targets.values()),
        "by_style": by_style,
        "screenings": [p.summary() for p in played],
        "failures": failures,
    }


def table(result: dict[str, Any]) -> str:
    """The report as a short plain-text table."""
    f = result["figures"]
    lines = [
        f"{'style':<8} {'n':>4} {'correct':>8} {'unsafe':>7} {'unfinished':>11} "
        f"{'turns':>6} {'repeats':>8} {'max-run':>8}",
    ]
    for style, s in result["by_style"].items():
        lines.append(
            f"{style:<8} {s['screenings']:>4} {s['correct']:>8} {s['unsafe']:>7} "
            f"{s['never_finished']:>11} {s['mean_turns']:>6} {s['repeats']:>8} "
            f"{s['max_consecutive']:>8}"
        )
    lines.append(
        f"{'all':<8} {f['screenings']:>4} {f['correct']:>8} {f['unsafe']:>7} "
        f"{f['never_finished']:>11} {f['mean_turns']:>6} {f['repeats']:>8} "
        f"{f['max_consecutive_asks']:>8}"
    )
    lines.append(
        f"confused replies: {f['confused_replies']}, repeats after an answer: "
        f"{f['repeats_after_answer']}, message/database disagreements: "
        f"{f['message_db_mismatch']}"
    )
    for name, t in result["targets"].items():
        lines.append(
            f"{'PASS' if t['pass'] else 'FAIL'}  {name} {t['target']}: {t['value']}"
            f"  ({t['what']})"
        )
    if result["failures"]:
        lines.append("failures:")
        for fail in result["failures"]:
            lines.append(
                f"  {fail['case']:<24} {fail['style']:<7} "
                f"expected {fail['expected']:<15} "
                f"got {fail['db_outcome'] or fail['shown'] or '-':<15} "
                f"turns {fail['turns']:>3}"
                f" max-run {fail['max_consecutive']}"
            )
    return "\n".join(lines)


def sample_pairs() -> list[tuple[Case, str]]:
    """The deterministic sample of ``make test`` (:data:`ops.sim_cases.SAMPLE`)."""
    from ops.sim_cases import SAMPLE, all_cases

    by_id = {c.id: c for c in all_cases()}
    return [(by_id[cid], style) for cid, style in SAMPLE]


def all_pairs(styles: tuple[str, ...] = P.STYLES) -> list[tuple[Case, str]]:
    """Every case in every style."""
    from ops.sim_cases import all_cases

    return [(case, style) for case in all_cases() for style in styles]
