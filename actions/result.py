"""action_screening_result: the outcome, with the reasons, in plain words."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import common
from actions import constants as c
from bot import vocab
from bot.screening.conversation import result_variables
from bot.screening.engine import Evaluation

ACTION_NAME = "action_screening_result"


def announce(
    dispatcher: CollectingDispatcher, tracker: Tracker, evaluation: Evaluation
) -> List[Dict[str, Any]]:
    """Tell the person the result, record it, and set the ``outcome`` slot."""
    state = common.answers(tracker)
    if evaluation.outcome == vocab.INCOMPLETE:
        return [SlotSet(c.OUTCOME, vocab.INCOMPLETE)]
    common.say(
        dispatcher,
        tracker,
        f"result_{evaluation.outcome}",
        **result_variables(common.trial(tracker), evaluation),
    )
    events: List[Dict[str, Any]] = [SlotSet(c.OUTCOME, evaluation.outcome)]
    reference = common.record(
        tracker, state, evaluation, final_outcome=evaluation.outcome
    )
    if reference:
        events.append(SlotSet(c.SCREENING_REF, reference))
    return events


class ScreeningResult(Action):
    """Explains the result once the screening form is done."""

    def name(self) -> str:
        """The action's name in the domain."""
        return ACTION_NAME

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> List[Dict[str, Any]]:
        """Announce the result (nothing when consent was declined).

        A person who declined is asked again when they come back ("If you change
        your mind, just say hello"): the declined consent is not kept.
        """
        if not tracker.get_slot(c.SCREENING_CONSENT):
            return [
                SlotSet(c.OUTCOME, vocab.INCOMPLETE),
                SlotSet(c.SCREENING_CONSENT, None),
                SlotSet(c.ASKS, None),
            ]
        return announce(dispatcher, tracker, common.evaluation(tracker))
