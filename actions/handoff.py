"""action_handoff: the site contact, and an offer to pass on the person's details."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import common
from actions import constants as c

ACTION_NAME = "action_handoff"


class Handoff(Action):
    """Gives the study team's contact; mid-screening, the questions carry on."""

    def name(self) -> str:
        """The action's name in the domain."""
        return ACTION_NAME

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> List[Dict[str, Any]]:
        """Mid-screening the details are offered at the end; otherwise now."""
        in_form = tracker.active_loop.get("name") == c.SCREENING_FORM
        common.say(dispatcher, tracker, "handoff_in_form" if in_form else "handoff")
        return []
