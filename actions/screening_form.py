"""validate_screening_form: consent, who is answering, then one question at a time.

The eligibility engine chooses the questions: ``required_slots`` asks for the
``answer`` slot again and again until the engine has nothing left to ask, and each
answer is parsed, recorded and evaluated by ``bot.screening.conversation``.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from actions import constants as c
from actions.answer_first import (
    ANSWER,
    CLARIFY,
    AnswerFirstForm,
    asks_for,
    fresh_user_turn,
    intent_of,
    is_denial,
    reply_to_interruption,
    say_emergency_if_needed,
    unpack,
)
from bot import parsing, vocab
from bot.screening.answer_first import settles
from bot.screening.commands import command_intent
from bot.screening.conversation import (
    Turn,
    answer_question,
    interpret,
    record_values,
    split_other_values,
    values_for_other_facts,
)
from bot.screening.criteria import Question
from bot.store.models import utcnow

ACTION_NAME = "validate_screening_form"

#: The reading of a message that changes an earlier answer ("sorry, actually I'm 72").
CORRECTION = "correction"


class ValidateScreeningForm(AnswerFirstForm):
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

    # Extraction: the message is tried as the pending answer first.

    def extract_screening_consent(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """ "Shall we start?": any clear yes or no."""
        return self.read(
            tracker,
            c.SCREENING_CONSENT,
            lambda text: common.yes_or_no(tracker, text) is not None,
        )

    def extract_respondent(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """ "For yourself, or for someone else?"."""
        return self.read(
            tracker, c.RESPONDENT, lambda text: parsing.parse_respondent(text).ok
        )

    def extract_answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """The pending screening question, read by its own parser."""
        question = _pending_question(tracker)
        if question is None:
            return {}
        text = str((tracker.latest_message or {}).get("text") or "")
        if (
            tracker.get_slot(c.REQUESTED_SLOT) == c.ANSWER
            and fresh_user_turn(tracker)
            and _corrections(tracker, question.id)
            and command_intent(text) is None
            and intent_of(tracker) != "stop"
            and not parsing.looks_like_question(text)
        ):
            # A new value for an earlier answer, whatever else the words say: the
            # correction is applied, and the pending question stays pending. (A
            # question that names a value, "can a 72 year old join?", is no
            # correction.)
            return {c.ANSWER: {"reading": CORRECTION, "text": text}}
        date = common.screening_date(tracker)
        return self.read(
            tracker,
            c.ANSWER,
            lambda text: (
                interpret(common.trial(tracker), question, text, date).understood
            ),
            key=question.id,
        )

    # Validation.

    def validate_screening_consent(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Yes starts the screening (and fixes its date); no ends it politely."""
        reading, text = unpack(value)
        answer = common.yes_or_no(tracker, text) if reading == ANSWER else None
        if answer is None:
            return self.miss(
                dispatcher,
                tracker,
                c.SCREENING_CONSENT,
                reading,
                fallback=lambda: self._declined(dispatcher, tracker, "limit_consent"),
            )
        if answer is False:
            return self._declined(dispatcher, tracker, "declined")
        return {
            c.SCREENING_CONSENT: True,
            c.SCREENING_DATE: utcnow().date().isoformat(),
            c.RETRIES: 0.0,
            c.OUTCOME: None,  # a person who declined before and came back
        }

    def _declined(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, key: str
    ) -> Dict[str, Any]:
        common.say(dispatcher, tracker, key)
        return {c.SCREENING_CONSENT: False, c.OUTCOME: vocab.INCOMPLETE}

    def validate_respondent(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Self or caregiver: the questions are worded for them."""
        reading, text = unpack(value)
        parsed = parsing.parse_respondent(text) if reading == ANSWER else None
        if parsed is None or not parsed.ok:
            # On the last asking: "the patient", which reads right for both.
            return self.miss(
                dispatcher,
                tracker,
                c.RESPONDENT,
                reading,
                fallback=lambda: common.settle(
                    dispatcher,
                    tracker,
                    "limit_respondent",
                    {c.RESPONDENT: vocab.RESPONDENT_CAREGIVER},
                ),
            )
        slots: Dict[str, Any] = {c.RESPONDENT: parsed.value, c.RETRIES: 0.0}
        relation = (parsed.detail or {}).get("relation")
        if relation and not tracker.get_slot(c.RELATION):
            slots[c.RELATION] = relation
        return slots

    def validate_answer(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Parse, record and evaluate one answer to the pending question."""
        reading, text = unpack(value)
        question = _pending_question(tracker)
        if question is None:
            return {c.ANSWER: None}
        final = settles(asks_for(tracker, question.id))
        if reading == CORRECTION:
            return self._correct(dispatcher, tracker, question.id, text)
        if reading == CLARIFY and not final:
            return {c.ANSWER: None, c.CLARIFY: True}
        turn = answer_question(
            common.trial(tracker),
            common.answers(tracker),
            question.id,
            text,
            common.screening_date(tracker),
            final=final,
            taken=reading == ANSWER,
        )
        say_emergency_if_needed(
            dispatcher,
            tracker,
            text,
            urgent=turn.interpretation.urgent,
            denied=is_denial(turn.interpretation.value),
        )
        if not turn.recorded:
            # Asked again, in other words (action_ask_answer reads `retries`).
            retries = int(tracker.get_slot(c.RETRIES) or 0) + 1
            return {c.ANSWER: None, c.RETRIES: float(retries)}
        if turn.settled_unknown:
            reply_to_interruption(dispatcher, tracker)
            common.say(dispatcher, tracker, "limit_answer")
        elif reading == ANSWER:
            turn = _with_volunteered(dispatcher, tracker, turn, question.id, text)
        return _after(tracker, turn, None)

    def _correct(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        pending: str,
        text: str,
    ) -> Dict[str, Any]:
        """Apply the new values for earlier answers; the pending question stays."""
        corrections = _corrections(tracker, pending)
        turn = record_values(
            common.trial(tracker),
            common.answers(tracker),
            corrections,
            text,
            common.screening_date(tracker),
        )
        labels = common.join(
            tracker, (common.trial(tracker).question(f).label for f in corrections)
        )
        common.say(dispatcher, tracker, "correction_saved", label=labels)
        return _after(tracker, turn, pending)


def _other_values(tracker: Tracker, pending: str) -> Dict[str, Any]:
    return values_for_other_facts(
        common.trial(tracker),
        pending,
        (tracker.latest_message or {}).get("entities") or [],
    )


def _corrections(tracker: Tracker, pending: str) -> Dict[str, Any]:
    """New values for questions answered earlier, found in the latest message."""
    corrections, _ = split_other_values(
        common.answers(tracker), _other_values(tracker, pending)
    )
    return corrections


def _with_volunteered(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    turn: Turn,
    pending: str,
    text: str,
) -> Turn:
    """Also record values given for questions still to come ("no, and she is 62"),
    and say so, so the person can correct them."""
    _, volunteered = split_other_values(turn.answers, _other_values(tracker, pending))
    volunteered = {
        fact: value
        for fact, value in volunteered.items()
        if fact in turn.evaluation.open_facts
    }
    if not volunteered:
        return turn
    labels = common.join(
        tracker, (common.trial(tracker).question(f).label for f in volunteered)
    )
    common.say(dispatcher, tracker, "noted_volunteered", label=labels)
    return record_values(
        common.trial(tracker),
        turn.answers,
        volunteered,
        text,
        common.screening_date(tracker),
        volunteered=True,
    )


def _after(tracker: Tracker, turn: Turn, keep: str | None) -> Dict[str, Any]:
    """The slots after answers were recorded: the next question is the engine's,
    or ``keep`` while it is still open."""
    reference = common.record(tracker, turn.answers, turn.evaluation)
    nxt = turn.evaluation.next_question
    current = nxt.id if nxt else None
    if nxt is not None and keep is not None and keep in turn.evaluation.open_facts:
        current = keep
    slots: Dict[str, Any] = {
        c.ANSWERS: turn.answers,
        c.ANSWER: None,
        c.RETRIES: 0.0,
        c.CURRENT_QUESTION: current,
    }
    if reference:
        slots[c.SCREENING_REF] = reference
    return slots


def _pending_question(tracker: Tracker) -> Question | None:
    """The question waiting for an answer (the engine's next one if none is set)."""
    evaluation = common.evaluation(tracker)
    current = tracker.get_slot(c.CURRENT_QUESTION)
    if current in evaluation.open_facts:
        return common.trial(tracker).question(current)
    return evaluation.next_question
