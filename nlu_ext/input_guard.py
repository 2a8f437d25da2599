"""InputGuard: the first NLU component; makes every user message safe to process.

Rasa reads a message that starts with "/" as a command ("/affirm", or
'/inform{"age": 30}' which sets slots directly), so on a public channel anyone could
skip questions or fill answers by typing that syntax. Our quick replies send plain
text, so no legitimate message needs it: the guard strips the leading slashes, and
the message is then understood as ordinary text. It also caps the length seen by the
NLU (the tracker keeps the full text). The rules live in ``bot.screening.textguard``.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.screening.textguard import sanitize
from bot.settings import MAX_MESSAGE_CHARS


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False
)
class InputGuard(GraphComponent):
    """Neutralises "/intent{...}" injection and over-long input before the NLU."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """Longest text the NLU sees; the rest is cut (kept in the tracker)."""
        return {"max_chars": MAX_MESSAGE_CHARS}

    def __init__(self, config: Dict[str, Any]) -> None:
        """Store the config."""
        self._max_chars = int(config.get("max_chars", MAX_MESSAGE_CHARS))

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> InputGuard:
        """Create the component (nothing to train or load)."""
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        """Rewrite each message's text in place."""
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str):
                message.set(TEXT, sanitize(text, self._max_chars))
        return messages
