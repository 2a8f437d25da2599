"""action_erase_data: on a clear yes, delete the person's data and this conversation.

The application data goes at once (``bot.jobs.retention.erase_conversation``, audited by
reference only). The transcript cannot be deleted from here: Rasa saves the turn
after this action and would write it back. So the conversation ends with a new
session marked as erased (``bot.screening.erasure.ERASED_MARK``), and the tracker store
deletes everything stored before it when it saves this turn
(``stores/tracker_store.py``). Anything but a clear yes keeps everything, and the
interrupted form asks its question again.

The confirmation carries a machine-readable marker, :data:`ERASED_PAYLOAD` (Rasa's
``custom`` payload): the web widget then forgets its own copy of the conversation
(the messages and session id it keeps in the browser). The REST channel passes it on
as ``{"custom": {"erased": true}}``; the messaging apps' connectors drop it
(``channels.common.MessagingOutput.send_custom_json``), so it never reaches a person
as text.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, AllSlotsReset, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import common
from actions import constants as c
from actions.session_start import ACTION_NAME as SESSION_START
from bot.screening.erasure import ERASED_MARK, confirms_erasure
from bot.screening.safety import is_emergency

ACTION_NAME = "action_erase_data"

logger = logging.getLogger(__name__)

_FORMS = (c.SCREENING_FORM, c.CONTACT_FORM)

#: The ``custom`` payload of the erasure's confirmation: "forget this conversation".
ERASED_PAYLOAD: Dict[str, Any] = {ERASED_MARK: True}


class EraseData(Action):
    """Erases on a clear yes and starts a clean conversation; else keeps all."""

    def name(self) -> str:
        """The action's name in the domain."""
        return ACTION_NAME

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> List[Dict[str, Any]]:
        """Erase and reset, or keep and go back to where the conversation was."""
        reply = str(tracker.get_slot(c.ERASURE_ANSWER) or "")
        if confirms_erasure(reply):
            try:
                common.recorder().erase(
                    sender_id=tracker.sender_id, channel=common.channel(tracker)
                )
            except Exception:  # noqa: BLE001 - say so; never claim a deletion
                logger.exception("could not erase a conversation's data")
                common.say(dispatcher, tracker, "erasure_failed")
                return _resume(tracker)
            common.say(dispatcher, tracker, "erasure_done")
            # The same message, marked, so that the widget forgets its copy too.
            dispatcher.messages[-1]["custom"] = dict(ERASED_PAYLOAD)
            return [
                ActiveLoop(None),
                AllSlotsReset(),
                # A new, empty session; the tracker store deletes what came before.
                {"event": "session_started", "metadata": {ERASED_MARK: True}},
                # Then a session start as usual (the settings back into the slots:
                # the emergency number, the site contact).
                FollowupAction(SESSION_START),
            ]
        if is_emergency(reply):
            dispatcher.utter_message(response="utter_emergency")
        common.say(dispatcher, tracker, "erasure_kept")
        return _resume(tracker)


def _resume(tracker: Tracker) -> List[Dict[str, Any]]:
    """Back to the interrupted form, which asks its pending question again."""
    events: List[Dict[str, Any]] = [
        SlotSet(c.ERASURE_ANSWER, None),
        SlotSet(c.ERASURE_PENDING, None),
    ]
    form = tracker.get_slot(c.ERASURE_PENDING)
    if form in _FORMS:
        events += [SlotSet(c.REQUESTED_SLOT, None), ActiveLoop(form)]
    return events
