"""CommandKeywords: conversation commands classify by word lists, not the model.

Put it after the intent classifiers (DIET, ResponseSelector) and before the
FallbackClassifier. When the whole message is a command phrase
(``bot.screening.commands``: stop, start over, "what?"), its intent gets confidence
1.0 and heads the ranking; otherwise the model's prediction is left alone.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.screening.commands import command_intent


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class CommandKeywords(GraphComponent):
    """Overrides the intent for whole-message command phrases."""

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CommandKeywords:
        """Create the component (nothing to train or load)."""
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        """Set the command's intent on command messages."""
        for message in messages:
            intent = command_intent(message.get(TEXT))
            if intent is None:
                continue
            chosen = {"name": intent, "confidence": 1.0}
            ranking = [
                r
                for r in (message.get(INTENT_RANKING_KEY) or [])
                if r.get("name") != intent
            ]
            message.set(INTENT, chosen, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [chosen, *ranking], add_to_output=True)
        return messages
