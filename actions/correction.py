"""action_correct_answer: change an earlier answer and re-run the engine."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import common
from actions import constants as c
from actions.result import announce
from bot.screening.conversation import correct_answer, correction_fact

ACTION_NAME = "action_correct_answer"


class CorrectAnswer(Action):
    """Updates an answer the person corrects, and says if this changes anything."""

    def name(self) -> str:
        """The action's name in the domain."""
        return ACTION_NAME

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> List[Dict[str, Any]]:
        """Find the answer meant, parse the new value, record, re-evaluate."""
        trial = common.trial(tracker)
        state = common.answers(tracker)
        message = tracker.latest_message or {}
        fact = correction_fact(
            trial, state, message.get("entities") or [], common.screening_date(tracker)
        )
        turn = None
        if fact is not None:
            turn = correct_answer(
                trial,
                state,
                fact,
                message.get("text") or "",
                common.screening_date(tracker),
            )
        if fact is None or turn is None:
            common.say(dispatcher, tracker, "correction_which")
            return []

        label = trial.question(fact).label
        events: List[Dict[str, Any]] = [SlotSet(c.ANSWERS, turn.answers)]
        form_active = tracker.active_loop.get("name") == c.SCREENING_FORM
        finished = tracker.get_slot(c.OUTCOME) is not None
        common.record(tracker, turn.answers, turn.evaluation)
        if form_active or not finished:
            common.say(dispatcher, tracker, "correction_saved", label=label)
            return events
        if turn.evaluation.complete:
            if (
                turn.changed_outcome
                or tracker.get_slot(c.OUTCOME) != turn.evaluation.outcome
            ):
                common.say(
                    dispatcher, tracker, "correction_changes_result", label=label
                )
                tracker.slots[c.ANSWERS] = turn.answers
                return events + announce(dispatcher, tracker, turn.evaluation)
            common.say(dispatcher, tracker, "correction_saved", label=label)
            return events
        # The change opens questions again (e.g. an exclusion was a mistake).
        common.say(dispatcher, tracker, "correction_saved", label=label)
        return events + [SlotSet(c.OUTCOME, None), FollowupAction(c.SCREENING_FORM)]
