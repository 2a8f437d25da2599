"""validate_contact_form: consent to share, name, phone, optional email, best time.

Every reply is first tried as the answer to the pending field (``AnswerFirstForm``);
a field asked for the last time is settled with what is known (an optional field as
"not given"), so the form never loops.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from actions import constants as c
from actions.answer_first import ANSWER, AnswerFirstForm, unpack
from bot import parsing

ACTION_NAME = "validate_contact_form"

_CONTACT_SLOTS = [c.CONTACT_NAME, c.CONTACT_PHONE, c.CONTACT_EMAIL, c.BEST_TIME]
#: Longest name or best time kept (a name is a few words, not a paragraph).
_MAX_FIELD_CHARS = 100
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")


def _free_text(text: str) -> str:
    return " ".join(str(text or "").split())[:_MAX_FIELD_CHARS]


def _is_free_text(text: str) -> bool:
    """A name or a time of day: some letters or digits, and not a yes/no word."""
    cleaned = _free_text(text)
    if not _LETTER_OR_DIGIT.search(cleaned):
        return False
    parsed = parsing.parse_yes_no(cleaned)
    return not (parsed.ok and len(cleaned.split()) <= 2)


class ValidateContactForm(AnswerFirstForm):
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

    # Extraction: the reply is tried as the pending field first.

    def extract_share_consent(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """May we share your details? Any clear yes or no."""
        return self.read(
            tracker,
            c.SHARE_CONSENT,
            lambda text: common.yes_or_no(tracker, text) is not None,
        )

    def extract_contact_name(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Any name."""
        return self.read(tracker, c.CONTACT_NAME, _is_free_text)

    def extract_contact_phone(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """A phone number."""
        return self.read(
            tracker, c.CONTACT_PHONE, lambda text: parsing.parse_phone(text).ok
        )

    def extract_contact_email(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """An email address, or a skip ("I don't have email")."""
        return self.read(
            tracker,
            c.CONTACT_EMAIL,
            lambda text: parsing.parse_skip(text).ok or parsing.parse_email(text).ok,
        )

    def extract_best_time(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Any time of day."""
        return self.read(tracker, c.BEST_TIME, _is_free_text)

    def extract_contact_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Is the read-back right? Any clear yes or no."""
        return self.read(
            tracker,
            c.CONTACT_CONFIRMED,
            lambda text: common.yes_or_no(tracker, text) is not None,
        )

    # Validation.

    def validate_share_consent(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Yes or no to sharing details with the study team (unclear: no)."""
        reading, text = unpack(value)
        answer = common.yes_or_no(tracker, text) if reading == ANSWER else None
        if answer is None:
            return self.miss(
                dispatcher,
                tracker,
                c.SHARE_CONSENT,
                reading,
                fallback=lambda: common.settle(
                    dispatcher, tracker, "limit_share_consent", {c.SHARE_CONSENT: False}
                ),
            )
        return {c.SHARE_CONSENT: answer, c.RETRIES: 0.0}

    def validate_contact_name(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Any name, trimmed to a sane length."""
        return self._free_field(dispatcher, tracker, c.CONTACT_NAME, value)

    def validate_contact_phone(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """A valid phone number (Chinese or international), stored in E.164."""
        reading, text = unpack(value)
        parsed = parsing.parse_phone(text) if reading == ANSWER else None
        if parsed is None or not parsed.ok:
            return self.miss(
                dispatcher,
                tracker,
                c.CONTACT_PHONE,
                reading,
                hint="invalid_phone",
                fallback=lambda: self._not_given(dispatcher, tracker, c.CONTACT_PHONE),
            )
        return {c.CONTACT_PHONE: parsed.value, c.RETRIES: 0.0}

    def validate_contact_email(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """An email address, or a skip."""
        reading, text = unpack(value)
        if reading == ANSWER and parsing.parse_skip(text).ok:
            return {c.CONTACT_EMAIL: c.NOT_GIVEN, c.RETRIES: 0.0}
        parsed = parsing.parse_email(text) if reading == ANSWER else None
        if parsed is None or not parsed.ok:
            return self.miss(
                dispatcher,
                tracker,
                c.CONTACT_EMAIL,
                reading,
                hint="invalid_email",
                fallback=lambda: self._not_given(dispatcher, tracker, c.CONTACT_EMAIL),
            )
        return {c.CONTACT_EMAIL: parsed.value, c.RETRIES: 0.0}

    def validate_best_time(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Free text, trimmed."""
        return self._free_field(dispatcher, tracker, c.BEST_TIME, value)

    def validate_contact_confirmed(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """After the read-back: yes ends the form; no asks for the details again.

        Still unclear on the last asking: the details go as read back, and the study
        team checks them when they call.
        """
        reading, text = unpack(value)
        answer = common.yes_or_no(tracker, text) if reading == ANSWER else None
        if answer is None:
            return self.miss(
                dispatcher,
                tracker,
                c.CONTACT_CONFIRMED,
                reading,
                fallback=lambda: common.settle(
                    dispatcher,
                    tracker,
                    "limit_contact_confirmed",
                    {c.CONTACT_CONFIRMED: True},
                ),
            )
        if answer:
            return {c.CONTACT_CONFIRMED: True, c.RETRIES: 0.0}
        common.say(dispatcher, tracker, "contact_redo")
        return {
            c.CONTACT_CONFIRMED: None,
            c.RETRIES: 0.0,
            **{slot: None for slot in _CONTACT_SLOTS},
        }

    def _free_field(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, value: Any
    ) -> Dict[str, Any]:
        reading, text = unpack(value)
        if reading == ANSWER and _is_free_text(text):
            return {slot: _free_text(text), c.RETRIES: 0.0}
        return self.miss(
            dispatcher,
            tracker,
            slot,
            reading,
            fallback=lambda: self._not_given(dispatcher, tracker, slot),
        )

    def _not_given(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, slot: str
    ) -> Dict[str, Any]:
        return common.settle(dispatcher, tracker, "limit_contact", {slot: c.NOT_GIVEN})
