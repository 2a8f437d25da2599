"""action_session_start: settings into slots; "welcome back" for a returning person."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import common
from actions import constants as c
from bot.screening.conversation import question_total
from bot.screening.language import METADATA_CHOICE, METADATA_HINT, normalize
from bot.settings import load_settings

ACTION_NAME = "action_session_start"
#: Rasa's slot holding the metadata of the message that started the session.
SESSION_START_METADATA = "session_started_metadata"


class SessionStart(Action):
    """Starts a session, carrying the slots over, and welcomes a returning person."""

    def name(self) -> str:
        """The action's name in the domain."""
        return ACTION_NAME

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> List[Dict[str, Any]]:
        """Carry slots over; offer to continue an unfinished screening."""
        settings = load_settings()
        events: List[Dict[str, Any]] = [SessionStarted()]
        events += [
            SlotSet(name, value)
            for name, value in tracker.slots.items()
            if value is not None and name != c.REQUESTED_SLOT
        ]
        # The language, before the first message is read: the channel's choice or
        # the platform's hint (the message's own script may still choose Chinese).
        lang = common.language(tracker)
        if tracker.get_slot(c.LANGUAGE) is None:
            metadata = tracker.get_slot(SESSION_START_METADATA)
            metadata = metadata if isinstance(metadata, dict) else {}
            chosen = normalize(metadata.get(METADATA_CHOICE)) or normalize(
                metadata.get(METADATA_HINT)
            )
            if chosen:
                lang = chosen
                events.append(SlotSet(c.LANGUAGE, lang))
        events += [
            SlotSet(c.EMERGENCY_NUMBER, settings.emergency_number),
            SlotSet(c.SITE_CONTACT, common.site_contact(lang)),
            SlotSet(c.QUESTION_TOTAL, str(question_total(common.evaluation(tracker)))),
        ]
        unfinished = tracker.get_slot(c.ANSWERS) and tracker.get_slot(c.OUTCOME) is None
        if unfinished:
            common.say(dispatcher, tracker, "welcome_back")
        events.append(ActionExecuted("action_listen"))
        return events
