"""action_submit_referral: record the referral and queue the site's notification."""

from __future__ import annotations

import logging
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import common
from actions import constants as c
from bot.store.models import ContactDetails

ACTION_NAME = "action_submit_referral"
logger = logging.getLogger(__name__)


class SubmitReferral(Action):
    """Refers the person to the study team, with their consent, exactly once."""

    def name(self) -> str:
        """The action's name in the domain."""
        return ACTION_NAME

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> List[Dict[str, Any]]:
        """Write the referral; the outbox worker sends the email (and retries)."""
        if not tracker.get_slot(c.SHARE_CONSENT) or not tracker.get_slot(
            c.CONTACT_CONFIRMED
        ):
            common.say(dispatcher, tracker, "no_share")
            return []
        email = tracker.get_slot(c.CONTACT_EMAIL)
        contact = ContactDetails(
            name=tracker.get_slot(c.CONTACT_NAME),
            phone=tracker.get_slot(c.CONTACT_PHONE),
            email=None if email in (None, c.NOT_GIVEN) else email,
            best_time=tracker.get_slot(c.BEST_TIME),
        )
        try:
            reference = common.recorder().refer(
                sender_id=tracker.sender_id,
                channel=common.channel(tracker),
                contact=contact,
            )
        except Exception:  # noqa: BLE001 - tell the person, keep the details in the tracker
            logger.exception("could not record the referral")
            common.say(dispatcher, tracker, "referral_failed")
            return []
        common.say(dispatcher, tracker, "referral_sent", screening_ref=reference)
        return [SlotSet(c.SCREENING_REF, reference)]
