"""validate_contact_form: consent to share, name, phone, optional email, best time."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import common
from actions import constants as c
from bot import parsing

ACTION_NAME = "validate_contact_form"

_SKIP_WORDS = {"skip", "no", "none", "no email", "n/a", "na", "-", "nope", "no thanks"}
_CONTACT_SLOTS = [c.CONTACT_NAME, c.CONTACT_PHONE, c.CONTACT_EMAIL, c.BEST_TIME]


class ValidateContactForm(FormValidationAction):
    """Validates the contact details a person agrees to share."""

    def name(self) -> str:
        """The action's name in the domain."""
        return ACTION_NAME

    async def required_slots(
        self,
        domain_slots: List[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        """Nothing more once the person declines to share."""
        if tracker.get_slot(c.SHARE_CONSENT) is False:
            return [c.SHARE_CONSENT]
        return domain_slots

    def validate_share_consent(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Yes or no to sharing details with the study team."""
        return {c.SHARE_CONSENT: bool(value)}

    def validate_contact_name(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Any non-empty name, trimmed to a sane length."""
        name = " ".join(str(value or "").split())[:100]
        if not name:
            return {c.CONTACT_NAME: None}
        return {c.CONTACT_NAME: name}

    def validate_contact_phone(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """A valid phone number (Chinese or international), stored in E.164."""
        parsed = parsing.parse_phone(str(value or ""))
        if not parsed.ok:
            common.say(dispatcher, tracker, "invalid_phone")
            return {c.CONTACT_PHONE: None}
        return {c.CONTACT_PHONE: parsed.value}

    def validate_contact_email(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """An email address, or "Skip"."""
        text = str(value or "").strip()
        if text.casefold().rstrip(".!") in _SKIP_WORDS:
            return {c.CONTACT_EMAIL: c.NOT_GIVEN}
        parsed = parsing.parse_email(text)
        if not parsed.ok:
            common.say(dispatcher, tracker, "invalid_email")
            return {c.CONTACT_EMAIL: None}
        return {c.CONTACT_EMAIL: parsed.value}

    def validate_best_time(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Free text, trimmed."""
        text = " ".join(str(value or "").split())[:100]
        return {c.BEST_TIME: text or None}

    def validate_contact_confirmed(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """After the read-back: yes ends the form; no asks for the details again."""
        if value:
            return {c.CONTACT_CONFIRMED: True}
        common.say(dispatcher, tracker, "contact_redo")
        return {c.CONTACT_CONFIRMED: None, **{slot: None for slot in _CONTACT_SLOTS}}
