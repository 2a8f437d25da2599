"""action_ask_<slot>: the forms' fixed questions, from the message catalogue.

Each is a one-line subclass naming its slot; the text (and its quick replies) lives
in ``bot/messages/en.yml`` under ``ask_<slot>``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import common
from actions import constants as c


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
        """Send the question."""
        common.say(dispatcher, tracker, f"ask_{self.slot}")
        return []


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
