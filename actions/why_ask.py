"""action_why_ask: why the pending question is asked, from the criteria file."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import common
from actions import constants as c

ACTION_NAME = "action_why_ask"


class WhyAsk(Action):
    """Answers "why do you ask this?" for the question being asked."""

    def name(self) -> str:
        """The action's name in the domain."""
        return ACTION_NAME

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> List[Dict[str, Any]]:
        """The question's `why` text, or a general answer between questions."""
        current = tracker.get_slot(c.CURRENT_QUESTION)
        asking_answer = tracker.get_slot(c.REQUESTED_SLOT) == c.ANSWER
        if current and asking_answer:
            why = common.trial(tracker).question(current).why
            common.say(dispatcher, tracker, "why_ask", why=why)
        else:
            common.say(dispatcher, tracker, "why_ask_nothing")
        return []
