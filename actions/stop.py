"""action_stop_screening: stop at once, kindly; the screening ends as incomplete."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import common
from actions import constants as c
from bot import vocab

ACTION_NAME = "action_stop_screening"


class StopScreening(Action):
    """Ends any form, records the outcome `incomplete` unless already decided."""

    def name(self) -> str:
        """The action's name in the domain."""
        return ACTION_NAME

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> List[Dict[str, Any]]:
        """Stop, say so, and leave the site contact."""
        common.say(dispatcher, tracker, "stopped")
        events: List[Dict[str, Any]] = [
            ActiveLoop(None),
            SlotSet(c.REQUESTED_SLOT, None),
        ]
        if tracker.get_slot(c.OUTCOME) is None:
            state = common.answers(tracker)
            evaluation = common.evaluation(tracker, state)
            outcome = (
                evaluation.outcome
                if evaluation.outcome == vocab.INELIGIBLE
                else vocab.INCOMPLETE
            )
            common.record(tracker, state, evaluation, final_outcome=outcome)
            events.append(SlotSet(c.OUTCOME, vocab.INCOMPLETE))
        return events
