"""Scripted screenings: a person who answers whatever question the assistant asks.

Shared by the production tests, the fault tests, the fuzzer and the benchmark. A
script is a mapping from the criteria file's fact ids to what the person types;
:func:`run_screening` drives a whole conversation through any ``say(sender, text)``
function and returns what happened, turn by turn.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from bot.screening.conversation import patient_label
from bot.screening.criteria import CriteriaError, Trial, load_trial
from bot.screening.messages import catalogue
from ops import answers

Say = Callable[[str, str], list]

TRIAL = load_trial()


def _wordings(trial: Trial) -> dict[str, tuple[str, ...]]:
    """Every wording of every question in ``trial``'s language (to the patient, to a
    relative with and without a relation)."""
    label = lambda relation: patient_label("caregiver", relation, trial.language)  # noqa: E731
    return {
        q.id: (
            q.ask_self,
            q.text_for("caregiver", label("father")),
            q.text_for("caregiver", label(None)),
        )
        for q in trial.questions
    }


def _all_wordings() -> dict[str, tuple[str, ...]]:
    found = _wordings(TRIAL)
    try:
        chinese = _wordings(load_trial(language="zh"))
    except CriteriaError:  # no Chinese wording yet
        return found
    return {fact: found[fact] + chinese[fact] for fact in found}


#: Every wording of every question, in both languages.
QUESTIONS = _all_wordings()

#: A person who is likely eligible (answers as people type them): ops/answers.py.
LIKELY = answers.LIKELY
#: Excluded by a liver transplant (the questions stop after two answers).
EXCLUDED = {**LIKELY, "liver_transplant": "yes, two years ago"}
#: A caregiver without lab results: staff review.
REVIEW = {**LIKELY, "has_lab_results": "No, we don't have them", "sex": "female"}

#: What each script must end in.
EXPECTED = {
    "likely": "likely_eligible",
    "excluded": "ineligible",
    "review": "needs_review",
}
SCRIPTS = {"likely": LIKELY, "excluded": EXCLUDED, "review": REVIEW}


def texts(replies: list[dict]) -> str:
    """The replies' texts, one per line."""
    return "\n".join(r.get("text") or "" for r in replies)


def asked_fact(replies: list[dict]) -> str | None:
    """The screening question the replies end with, if any."""
    for reply in reversed(replies):
        text = reply.get("text") or ""
        for fact, wordings in QUESTIONS.items():
            if any(w in text for w in wordings):
                return fact
    return None


@dataclass
class Transcript:
    """What was said in one scripted screening."""

    sender: str
    turns: list[tuple[str, list[dict]]] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)

    @property
    def last(self) -> list[dict]:
        """The replies to the last message."""
        return self.turns[-1][1] if self.turns else []


OPENING = (
    ("hi", "Shall we start?"),
    ("Yes, go ahead", "answering for yourself"),
)


def opening(
    language: str = "en", greeting: str | None = None
) -> tuple[tuple[str, str], ...]:
    """The first two turns in ``language``: a greeting, then a yes to "Shall we
    start?" (the consent question's first button); each with a text the reply must
    hold (a button title of the next question, from the message catalogue)."""
    if language == "en" and greeting is None:
        return OPENING
    messages = catalogue(language)
    consent = messages["ask_screening_consent"]["buttons"]
    respondent = messages["ask_respondent"]["buttons"]
    return (
        (greeting or ("你好" if language == "zh" else "hi"), consent[0]),
        (consent[0], respondent[0]),
    )


def button_titles(replies: list[dict]) -> list[str]:
    """The quick-reply titles of the replies."""
    return [str(b.get("title")) for r in replies for b in (r.get("buttons") or [])]


def run_screening(
    say: Say,
    sender: str,
    answers: Mapping[str, str],
    *,
    respondent: str = "For myself",
    max_turns: int = 60,
    steps: tuple[tuple[str, str], ...] = OPENING,
) -> Transcript:
    """Run one screening from hello to the result (``steps``: the opening, e.g.
    :func:`opening` ``("zh")``).

    Raises AssertionError when the assistant does not say what the script expects
    (the opening, a known question) or never reaches a result.
    """
    transcript = Transcript(sender)

    def turn(text: str) -> list[dict]:
        replies = say(sender, text)
        transcript.turns.append((text, replies))
        return replies

    for text, expect in steps:
        replies = turn(text)
        shown = texts(replies) + "\n" + "\n".join(button_titles(replies))
        assert expect in shown, f"{sender}: {text!r} -> {shown!r}"
    replies = turn(respondent)
    for _ in range(max_turns):
        fact = asked_fact(replies)
        if fact is None:
            return transcript
        transcript.asked.append(fact)
        replies = turn(answers[fact])
    raise AssertionError(f"{sender}: no result after {max_turns} turns")
