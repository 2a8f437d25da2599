"""CommandKeywords: commands and emergencies classify by rules, not the model.

Put it after the intent classifiers (DIET, the response selector) and before the
FallbackClassifier. A message that describes an emergency sign happening now
(``bot.screening.safety.is_emergency``: vomiting blood, cannot be woken, a seizure,
thoughts of suicide...) is the ``emergency`` intent; else, when the whole message is
a command phrase (``bot.screening.commands``: stop, start over, "what?", delete my
answers), its intent. Either gets confidence 1.0 and heads the ranking; otherwise
the model's prediction is left alone. The model still finds emergencies the patterns
miss.

It also names the language a message chooses (``bot.screening.language``: an
explicit request, the channel's choice in the message metadata, Chinese script) as
the ``language`` entity, which the ``language`` slot is mapped from.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_RANKING_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.screening.commands import command_intent
from bot.screening.language import message_language, requested_language
from bot.screening.safety import is_emergency


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class CommandKeywords(GraphComponent):
    """Overrides the intent for emergencies and whole-message command phrases."""

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
        """Set the emergency or command intent where the rules decide it."""
        for message in messages:
            text = message.get(TEXT)
            metadata = message.get("metadata")
            language = message_language(
                text or "", metadata if isinstance(metadata, dict) else None
            )
            if language:
                entities = [
                    e
                    for e in message.get(ENTITIES, [])
                    if e.get("entity") != "language"
                ]
                entities.append(
                    {
                        "entity": "language",
                        "value": language,
                        "start": 0,
                        "end": 0,
                        "confidence_entity": 1.0,
                        "extractor": "CommandKeywords",
                    }
                )
                message.set(ENTITIES, entities, add_to_output=True)
            if is_emergency(text):
                intent: str | None = "emergency"
            elif requested_language(text or ""):
                intent = "switch_language"
            else:
                intent = command_intent(text)
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
