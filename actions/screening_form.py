"""validate_screening_form: consent, who is answering, then one question at a time.

The eligibility engine chooses the questions: ``required_slots`` asks for the
``answer`` slot again and again until the engine has nothing left to ask, and each
answer is parsed, recorded and evaluated by ``bot.conversation``.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import common
from actions import constants as c
from bot import vocab
from bot.conversation import answer_question, is_quick_reply
from bot.safety import is_emergency
from bot.service import utcnow

ACTION_NAME = "validate_screening_form"


class ValidateScreeningForm(FormValidationAction):
    """Validates the screening form's slots and picks the next question."""

    def name(self) -> str:
        """The action's name in the domain."""
        return ACTION_NAME

    async def required_slots(
        self,
        domain_slots: List[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        """Consent first; if declined, nothing more. Then the engine's questions."""
        if tracker.get_slot(c.SCREENING_CONSENT) is False:
            return [c.SCREENING_CONSENT]
        if tracker.get_slot(c.SCREENING_CONSENT) and tracker.get_slot(c.RESPONDENT):
            if common.evaluation(tracker).complete:
                return [c.SCREENING_CONSENT, c.RESPONDENT]
        return [c.SCREENING_CONSENT, c.RESPONDENT, c.ANSWER]

    def extract_answer(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """The user's message as the answer to the pending question, if it is one."""
        if tracker.get_slot(c.REQUESTED_SLOT) != c.ANSWER or not _fresh_user_turn(
            tracker
        ):
            return {}
        message = tracker.latest_message or {}
        text = str(message.get("text") or "")
        evaluation = common.evaluation(tracker)
        current = tracker.get_slot(c.CURRENT_QUESTION)
        if current in evaluation.open_facts:
            question = common.trial().question(current)
            if is_quick_reply(common.trial(), question, text):
                return {c.ANSWER: text}
        intent = (message.get("intent") or {}).get("name")
        if intent in c.INTERRUPTION_INTENTS:
            return {}
        return {c.ANSWER: text}

    def validate_screening_consent(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Yes starts the screening (and fixes its date); no ends it politely."""
        if value is False:
            common.say(dispatcher, tracker, "declined")
            return {c.SCREENING_CONSENT: False, c.OUTCOME: vocab.INCOMPLETE}
        return {
            c.SCREENING_CONSENT: True,
            c.SCREENING_DATE: utcnow().date().isoformat(),
        }

    def validate_respondent(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Self or caregiver: the questions are worded for them."""
        if value not in (vocab.RESPONDENT_SELF, vocab.RESPONDENT_CAREGIVER):
            dispatcher.utter_message(response="utter_please_choose")
            return {c.RESPONDENT: None}
        return {c.RESPONDENT: value}

    def validate_answer(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Parse, record and evaluate one answer to the pending question."""
        state = common.answers(tracker)
        current = tracker.get_slot(c.CURRENT_QUESTION)
        evaluation = common.evaluation(tracker, state)
        if current not in evaluation.open_facts:
            if evaluation.next_question is None:
                return {c.ANSWER: None}
            current = evaluation.next_question.id
        turn = answer_question(
            common.trial(),
            state,
            current,
            str(value if value is not None else ""),
            common.screening_date(tracker),
            retries=int(tracker.get_slot(c.RETRIES) or 0),
        )
        if turn.interpretation.urgent or is_emergency(str(value or "")):
            # Emergency advice first: an urgent answer ("cannot be woken"), or an
            # emergency the NLU missed (bot.safety is a deterministic backstop).
            dispatcher.utter_message(response="utter_emergency")
        if not turn.recorded:
            # Asked again once, in other words (action_ask_answer reads `retries`).
            return {c.ANSWER: None, c.RETRIES: float(turn.retries)}
        if turn.interpretation.error:
            common.say(dispatcher, tracker, "noted_unknown")
        reference = common.record(tracker, turn.answers, turn.evaluation)
        next_question = turn.evaluation.next_question
        slots: Dict[str, Any] = {
            c.ANSWERS: turn.answers,
            c.ANSWER: None,
            c.RETRIES: 0.0,
            c.CURRENT_QUESTION: next_question.id if next_question else None,
        }
        if reference:
            slots[c.SCREENING_REF] = reference
        return slots


def _fresh_user_turn(tracker: Tracker) -> bool:
    """True when the form runs straight after the user's message (not when it comes
    back after an interruption was answered)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return True
        if event.get("event") == "action" and event.get("name") not in (
            c.SCREENING_FORM,
            "action_listen",
            None,
        ):
            return False
    return False
