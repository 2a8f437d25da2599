"""action_ask_answer: ask the engine's next question, worded for who is answering."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import common
from actions import constants as c
from actions.answer_first import asks_for
from actions.ask_slots import counted
from bot.screening.answer_first import MAX_ASKS
from bot.screening.conversation import question_message

ACTION_NAME = "action_ask_answer"


class AskAnswer(Action):
    """Sends the pending question with its quick replies and progress."""

    def name(self) -> str:
        """The action's name in the domain."""
        return ACTION_NAME

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> List[Dict[str, Any]]:
        """Ask the current question (again, in other words, after a failed answer)."""
        trial = common.trial(tracker)
        evaluation = common.evaluation(tracker)
        current = tracker.get_slot(c.CURRENT_QUESTION)
        if current in evaluation.open_facts:
            question = trial.question(current)
        elif evaluation.next_question is not None:
            question = evaluation.next_question
        else:
            return []
        message = question_message(
            trial,
            question,
            evaluation,
            respondent=tracker.get_slot(c.RESPONDENT),
            relation=tracker.get_slot(c.RELATION),
            retry=bool(tracker.get_slot(c.RETRIES)),
            clarify=bool(tracker.get_slot(c.CLARIFY)),
            last=asks_for(tracker, question.id) + 1 >= MAX_ASKS,
        )
        common.say(dispatcher, tracker, message.pop("key"), **message)
        changed = {
            c.CURRENT_QUESTION: question.id,
            c.QUESTION_TOTAL: str(message["total"]),
        }
        return [
            *(
                SlotSet(slot, value)
                for slot, value in changed.items()
                if tracker.get_slot(slot) != value
            ),
            *counted(tracker, question.id),
        ]
