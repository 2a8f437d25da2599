"""action_restart_screening: start the questions again from the beginning."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import common
from actions import constants as c
from bot import vocab

ACTION_NAME = "action_restart_screening"

_CLEARED = [
    c.RESPONDENT,
    c.RELATION,
    c.ANSWER,
    c.CURRENT_QUESTION,
    c.ANSWERS,
    c.OUTCOME,
    c.SCREENING_REF,
    c.SHARE_CONSENT,
    c.CONTACT_NAME,
    c.CONTACT_PHONE,
    c.CONTACT_EMAIL,
    c.BEST_TIME,
    c.CONTACT_CONFIRMED,
    c.REQUESTED_SLOT,
    c.ASKS,
    c.CLARIFY,
]


class RestartScreening(Action):
    """Closes the running screening as incomplete and clears the answers."""

    def name(self) -> str:
        """The action's name in the domain."""
        return ACTION_NAME

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> List[Dict[str, Any]]:
        """Keep the consent to continue; ask everything else again."""
        state = common.answers(tracker)
        if state and tracker.get_slot(c.OUTCOME) is None:
            common.record(
                tracker,
                state,
                common.evaluation(tracker, state),
                final_outcome=vocab.INCOMPLETE,
            )
        common.say(dispatcher, tracker, "restarted")
        return (
            [ActiveLoop(None)]
            + [SlotSet(slot, None) for slot in _CLEARED]
            + [SlotSet(c.RETRIES, 0.0)]
        )
