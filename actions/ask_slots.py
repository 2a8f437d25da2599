"""action_ask_<slot>: the forms' fixed questions, from the message catalogue.

Each is a one-line subclass naming its slot; the text (and its quick replies) lives
in ``bot/screening/messages/en.yml`` under ``ask_<slot>``, with shorter
``retry_<slot>`` and simpler ``clarify_<slot>`` wordings where the catalogue has
them. Each asking is counted in the ``asks`` slot, so the form can settle a question
on its last asking.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import common
from actions import constants as c
from actions.answer_first import asks_for
from bot.screening.messages import catalogue


def counted(tracker: Tracker, key: str) -> List[Dict[str, Any]]:
    """The events that count one more asking of the question ``key`` (and clear
    a "what?", when there was one)."""
    events = [SlotSet(c.ASKS, {"key": key, "n": asks_for(tracker, key) + 1})]
    if tracker.get_slot(c.CLARIFY) is not None:
        events.append(SlotSet(c.CLARIFY, None))
    return events


class AskSlot(Action, ABC):
    """Asks for one form slot with the catalogue message ``ask_<slot>``."""

    @property
    @abstractmethod
    def slot(self) -> str:
        """The slot asked for (a class attribute in each subclass)."""

    def name(self) -> str:
        """``action_ask_<slot>``."""
        return f"action_ask_{self.slot}"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> List[Dict[str, Any]]:
        """Send the question (shorter when asked again, simpler after "what?")."""
        messages = catalogue(common.language(tracker))
        key = f"ask_{self.slot}"
        if tracker.get_slot(c.CLARIFY) and f"clarify_{self.slot}" in messages:
            key = f"clarify_{self.slot}"
        elif asks_for(tracker, self.slot) and f"retry_{self.slot}" in messages:
            key = f"retry_{self.slot}"
        common.say(dispatcher, tracker, key)
        return counted(tracker, self.slot)


class AskScreeningConsent(AskSlot):
    """The introduction, and consent to continue."""

    slot = c.SCREENING_CONSENT


class AskRespondent(AskSlot):
    """For yourself, or for someone else?"""

    slot = c.RESPONDENT


class AskShareConsent(AskSlot):
    """May we share your details with the study team?"""

    slot = c.SHARE_CONSENT


class AskContactName(AskSlot):
    """The name to ask for."""

    slot = c.CONTACT_NAME


class AskContactPhone(AskSlot):
    """The phone number."""

    slot = c.CONTACT_PHONE


class AskContactEmail(AskSlot):
    """An optional email address."""

    slot = c.CONTACT_EMAIL


class AskBestTime(AskSlot):
    """The best time to call."""

    slot = c.BEST_TIME


class AskContactConfirmed(AskSlot):
    """The read-back of the details, to confirm."""

    slot = c.CONTACT_CONFIRMED


class AskErasureAnswer(AskSlot):
    """ "Delete your answers?": what would be deleted, and that it cannot be undone
    (asked by erasure_form; see actions/confirm_erasure.py)."""

    slot = c.ERASURE_ANSWER
