"""``TrialValueExtractor``: a Rasa 3.6 entity extractor over
``nlu_ext.spacy_rules.extract_values``.

Put it after ``SpacyNLP`` (whose ``model`` is the pipeline written by
``python -m nlu_ext.spacy_rules build <path>``) and ``SpacyTokenizer`` in config.yml::

    - name: SpacyNLP
      model: build/spacy/trial_values
    - name: SpacyTokenizer
    - name: nlu_ext.value_extractor.TrialValueExtractor

Chinese and mixed messages go the same way as English ones: the pipeline's tokenizer
cuts Chinese runs with jieba, the ruler finds the value mentions (Chinese lab names
too), and the ``bot.parsing`` parsers turn each mention into a value.

It reuses the spaCy doc ``SpacyNLP`` attached to the message (so entity boundaries fall
on Rasa's tokens) and appends one entity per value found: age, bilirubin, inr, pta,
platelets, child_pugh, he_grade, time_expression. All the logic lives in
``nlu_ext/spacy_rules.py``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Type

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu_ext import zh_tokenizer
from nlu_ext.spacy_rules import extract_values

# The pipeline SpacyNLP loads (build/spacy-trial-en) names our tokenizer (jieba for
# Chinese runs, nlu_ext/zh_tokenizer.py): it must be in spaCy's registry before
# SpacyNLP loads it. Rasa imports this module (through ``nlu_ext``) for the
# components config.yml names, before any component is created.
zh_tokenizer.register()


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False
)
class TrialValueExtractor(GraphComponent, EntityExtractorMixin):
    """Finds the screening values (lab results, age, grades, times) in a message."""

    @classmethod
    def required_components(cls) -> List[Type[Any]]:
        """Components that must come before this one in the pipeline."""
        return [SpacyNLP]

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """The component's default config.

        ``entities``: the entity names to keep (``None``: all of them).
        """
        return {"entities": None}

    def __init__(self, config: Dict[str, Any]) -> None:
        """Creates the component from its (merged) config."""
        self._config = {**self.get_default_config(), **(config or {})}
        wanted = self._config.get("entities")
        self._wanted: frozenset[str] | None = frozenset(wanted) if wanted else None

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TrialValueExtractor:
        """Creates a new component (see parent class for full docstring)."""
        return cls(config)

    @staticmethod
    def required_packages() -> List[str]:
        """Python packages the component needs."""
        return ["spacy", "text_to_num"]

    def process(self, messages: List[Message]) -> List[Message]:
        """Appends the values found in each message's text to its entities."""
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text:
                continue
            found = extract_values(text, message.get(SPACY_DOCS[TEXT]))
            if self._wanted is not None:
                found = [e for e in found if e["entity"] in self._wanted]
            if not found:
                continue
            self.add_extractor_name(found)
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
