"""action_confirm_erasure: pause for "Delete my answers?" before anything is deleted.

The question itself is ``erasure_form``'s (``action_ask_erasure_answer``, catalogue
``ask_erasure_answer``), which takes the next message whatever it is, so no other
form can take the reply as one of its answers. This action clears the way for it
and remembers the form it paused, to go back to when the person keeps their data.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import constants as c

ACTION_NAME = "action_confirm_erasure"

#: ``erasure_pending`` when no form was active.
NO_FORM = "none"


class ConfirmErasure(Action):
    """Pauses the running form and remembers it; ``erasure_form`` asks next."""

    def name(self) -> str:
        """The action's name in the domain."""
        return ACTION_NAME

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> List[Dict[str, Any]]:
        """Remember the paused form; deactivate it for ``erasure_form``."""
        loop = tracker.active_loop.get("name")
        if loop == c.ERASURE_FORM:  # asked again while confirming: keep the first
            loop = tracker.get_slot(c.ERASURE_PENDING)
        return [
            SlotSet(c.ERASURE_PENDING, loop or NO_FORM),
            SlotSet(c.ERASURE_ANSWER, None),
            SlotSet(c.REQUESTED_SLOT, None),
            ActiveLoop(None),
        ]
