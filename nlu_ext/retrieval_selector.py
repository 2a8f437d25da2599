"""RetrievalSelector: Rasa's ResponseSelector, run only where its answer is used.

The response selector picks the FAQ answer, the term explanation or the small-talk
reply. Rasa runs it on every message and writes its ranking (with the full text of
the chosen answer) into every user event, although the dialogue only reads it when
the intent is one of the retrieval intents (``faq``, ``explain``, ``chitchat``).
Profiling a screening (README "Benchmark") showed it at about a sixteenth of the
Rasa server's time, and its output at a third of each stored user event, which the
tracker store reads back and the action server receives on every call.

This subclass trains exactly like ``ResponseSelector`` (same configuration, same
model) and, at prediction time, selects a response only for messages whose intent
is a retrieval intent. Put it after the intent classifier, as before.
"""

from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class RetrievalSelector(ResponseSelector):
    """A ResponseSelector that selects only for retrieval-intent messages."""

    def process(self, messages: List[Message]) -> List[Message]:
        """Select a response for the messages whose intent is a retrieval intent."""
        retrieval = set(self.all_retrieval_intents)
        wanted = [
            message
            for message in messages
            if (message.get(INTENT) or {}).get(INTENT_NAME_KEY) in retrieval
        ]
        if wanted:
            super().process(wanted)
        return messages
