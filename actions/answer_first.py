"""The forms' shared base: every message is first tried as the pending answer.

``bot.screening.answer_first.read_message`` decides what a message is for the pending
question; this base applies it to Rasa's form loop, once, for every slot of every form:

* a command or an interruption: the extraction returns nothing, so the form rejects
  the message and the rules answer it (then the form asks its question again);
* anything else fills the requested slot with ``{"reading": ..., "text": ...}``, and
  the form's ``validate_<slot>`` parses it: an answer is kept; a miss is asked again
  (:meth:`miss`), and on the last asking settled with the slot's fallback; "what?"
  asks the question again in simpler words.

How many times the pending question has been asked in a row is kept in the ``asks``
slot by the ask actions (``actions/ask_slots.py``, ``actions/ask_answer.py``).
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from typing import Any, Callable, Dict, List, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions import common
from actions import constants as c
from bot.screening.answer_first import (
    ANSWER,
    CLARIFY,
    COMMAND,
    INTERRUPTION,
    MISS,
    read_message,
    settles,
)
from bot.screening.safety import is_emergency

#: How sure the model must be of an emergency in a message that is an answer.
_SURE = 0.8
#: The retrieval intent: an FAQ answer, a word explained, small talk, "I can only
#: help with the study"; the response selector picks which.
_RETRIEVAL_INTENTS = ("faq",)
#: The forms' bookkeeping slots: sent back only when their value changes. Every
#: event is stored, read back on every turn and sent to the action server on every
#: call, so a slot set again to the value it has costs on every later turn.
_BOOKKEEPING = (
    c.ANSWERS,
    c.CLARIFY,
    c.CURRENT_QUESTION,
    c.QUESTION_TOTAL,
    c.RETRIES,
    c.SCREENING_REF,
)


def asks_for(tracker: Tracker, key: str) -> int:
    """How many times the question ``key`` has been asked in a row."""
    asks = tracker.get_slot(c.ASKS)
    if isinstance(asks, dict) and asks.get("key") == key:
        return int(asks.get("n") or 0)
    return 0


def unpack(value: Any) -> Tuple[str, str]:
    """The reading and the text of an extracted slot value."""
    if isinstance(value, dict):
        return str(value.get("reading") or MISS), str(value.get("text") or "")
    return ANSWER, "" if value is None else str(value)


def intent_of(tracker: Tracker) -> str | None:
    """The latest message's intent name."""
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def fresh_user_turn(tracker: Tracker) -> bool:
    """True when the form runs straight after the user's message (not when it comes
    back after an interruption was answered)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return True
        if event.get("event") == "action" and event.get("name") not in (
            c.SCREENING_FORM,
            c.CONTACT_FORM,
            "action_listen",
            None,
        ):
            return False
    return False


def say_emergency_if_needed(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    text: str,
    *,
    urgent: bool = False,
    denied: bool = False,
) -> None:
    """Emergency advice first, when the answer itself describes an emergency.

    ``urgent``: the parsed answer is urgent for its question (grade IV confusion,
    bleeding now). The model's emergency intent counts when it is sure, unless the
    answer was a plain "no", "never" or "no confusion" (``denied``): "no, no blood".
    """
    intent = (tracker.latest_message or {}).get("intent") or {}
    model_says = (
        intent.get("name") == "emergency"
        and float(intent.get("confidence") or 0.0) >= _SURE
        and not denied
    )
    if urgent or model_says or is_emergency(text):
        dispatcher.utter_message(response="utter_emergency")


def is_denial(value: Any) -> bool:
    """An answer that says the thing is absent: "no", "never", grade 0."""
    if isinstance(value, dict):
        return bool(value.get("never"))
    return value == "no" or (value == 0 and not isinstance(value, bool))


def reply_to_interruption(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """On the last asking, an interruption still gets its answer before the question
    is settled: the response the model selected, or why the question is asked."""
    intent = intent_of(tracker)
    message = tracker.latest_message or {}
    current = tracker.get_slot(c.CURRENT_QUESTION)
    if (
        intent == "why_ask"
        and current
        and tracker.get_slot(c.REQUESTED_SLOT) == c.ANSWER
    ):
        why = common.trial(tracker).question(current).why
        common.say(dispatcher, tracker, "why_ask", why=why)
        return
    if intent in _RETRIEVAL_INTENTS:
        selectors = message.get("response_selector") or {}
        # One selector over every retrieval intent answers under "default".
        selected = selectors.get(intent) or selectors.get("default") or {}
        utter = (selected.get("response") or {}).get("utter_action")
        if utter:
            dispatcher.utter_message(response=utter)


def _unchanged(event: Dict[str, Any], before: Dict[str, Any]) -> bool:
    """A bookkeeping slot set to the value it already had."""
    return (
        event.get("event") == "slot"
        and event.get("name") in before
        and event.get("value") == before[event["name"]]
    )


class AnswerFirstForm(FormValidationAction, ABC):
    """Answer-first extraction and bounded asking for a form's slots (abstract, so
    that rasa_sdk registers only the concrete forms)."""

    @abstractmethod
    def name(self) -> str:
        """``validate_<form>``."""

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> List[Dict[str, Any]]:
        """rasa_sdk's form validation, without bookkeeping slots that did not change."""
        before = {name: copy.deepcopy(tracker.get_slot(name)) for name in _BOOKKEEPING}
        events = await super().run(dispatcher, tracker, domain)
        return [event for event in events if not _unchanged(event, before)]

    def read(
        self,
        tracker: Tracker,
        slot: str,
        understood: Callable[[str], bool],
        *,
        key: str | None = None,
    ) -> Dict[str, Any]:
        """``extract_<slot>``: the message as a reading for ``slot``, or nothing."""
        if tracker.get_slot(c.REQUESTED_SLOT) != slot or not fresh_user_turn(tracker):
            return {}
        text = str((tracker.latest_message or {}).get("text") or "")
        try:
            parsed = bool(understood(text))
        except Exception:  # noqa: BLE001 - a parser fault is a miss, never a crash
            parsed = False
        intent = (tracker.latest_message or {}).get("intent") or {}
        reading = read_message(
            text,
            intent_of(tracker),
            understood=parsed,
            asks=asks_for(tracker, key or slot),
            confidence=float(intent.get("confidence", 1.0) or 0.0),
        )
        if reading in (COMMAND, INTERRUPTION):
            return {}
        return {slot: {"reading": reading, "text": text}}

    def miss(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        slot: str,
        reading: str,
        *,
        key: str | None = None,
        hint: str | None = None,
        fallback: Callable[[], Dict[str, Any]],
    ) -> Dict[str, Any]:
        """A message that did not answer ``slot``: ask again, or settle it.

        Args:
            hint: a catalogue key sent before asking again (e.g. ``invalid_phone``).
            fallback: the slots that settle the question on its last asking (and
                say so to the person).
        """
        if reading == CLARIFY and not settles(asks_for(tracker, key or slot)):
            return {slot: None, c.CLARIFY: True}
        if settles(asks_for(tracker, key or slot)):
            reply_to_interruption(dispatcher, tracker)
            return fallback()
        if hint:
            common.say(dispatcher, tracker, hint)
        return {
            slot: None,
            c.RETRIES: float(int(tracker.get_slot(c.RETRIES) or 0) + 1),
        }


__all__ = [
    "ANSWER",
    "AnswerFirstForm",
    "CLARIFY",
    "MISS",
    "asks_for",
    "intent_of",
    "is_denial",
    "reply_to_interruption",
    "fresh_user_turn",
    "say_emergency_if_needed",
    "unpack",
]
