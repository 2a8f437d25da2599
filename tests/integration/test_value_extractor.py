"""TrialValueExtractor (nlu_ext) inside a tiny in-process Rasa NLU pipeline.

SpacyNLP loads the pipeline written by ``nlu_ext.spacy_rules.build_and_save`` (no
pretrained model), SpacyTokenizer tokenizes with it, and TrialValueExtractor adds the
values as entities.
"""

from __future__ import annotations

import pytest

pytest.importorskip("rasa")

from rasa.engine.graph import ExecutionContext, GraphSchema  # noqa: E402
from rasa.engine.storage.local_model_storage import LocalModelStorage  # noqa: E402
from rasa.engine.storage.resource import Resource  # noqa: E402
from rasa.nlu.constants import SPACY_DOCS, TOKENS_NAMES  # noqa: E402
from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer  # noqa: E402
from rasa.nlu.utils.spacy_utils import SpacyNLP  # noqa: E402
from rasa.shared.nlu.constants import ENTITIES, TEXT  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402

from nlu_ext.spacy_rules import build_and_save  # noqa: E402
from nlu_ext.value_extractor import TrialValueExtractor  # noqa: E402


def _create(component, config, tmp_path, name):
    return component.create(
        {**component.get_default_config(), **config},
        LocalModelStorage(tmp_path),
        Resource(name),
        ExecutionContext(GraphSchema({}), "test"),
    )


@pytest.fixture(scope="module")
def nlu(tmp_path_factory):
    """process(texts) -> messages, through SpacyNLP, SpacyTokenizer, the extractor."""
    tmp = tmp_path_factory.mktemp("rasa")
    model_path = build_and_save(tmp / "spacy_model")
    spacy_nlp = _create(SpacyNLP, {"model": str(model_path)}, tmp, "nlp")
    tokenizer = _create(SpacyTokenizer, {}, tmp, "tokenizer")
    extractor = _create(TrialValueExtractor, {}, tmp, "values")

    def process(*texts, extractor=extractor):
        messages = [Message(data={TEXT: t}) for t in texts]
        spacy_nlp.process(messages, spacy_nlp.provide())
        tokenizer.process(messages)
        extractor.process(messages)
        return messages

    process.create = lambda config: _create(TrialValueExtractor, config, tmp, "v2")
    return process


def _entities(message):
    return [
        (e["entity"], e["value"], e["start"], e["end"])
        for e in message.get(ENTITIES, [])
    ]


def test_entities_come_out_of_the_pipeline(nlu):
    text = "My mother is 62. Bilirubin 171 umol/L, INR of one point eight, PTA 35%."
    (message,) = nlu(text)
    assert message.get(SPACY_DOCS[TEXT]) is not None
    assert _entities(message) == [
        ("age", 62, 3, 15),
        ("bilirubin", 171.0, 17, 37),
        ("inr", 1.8, 39, 61),
        ("pta", 35.0, 63, 70),
    ]
    for ent in message.get(ENTITIES):
        assert ent["extractor"] == "TrialValueExtractor"
        assert ent["confidence_entity"] == 1.0
        assert text[ent["start"] : ent["end"]] == ent["text"]
    # the entities are part of the parse result Rasa sends on
    assert message.as_dict(only_output_properties=True)[ENTITIES] == message.get(
        ENTITIES
    )


def test_entity_boundaries_fall_on_rasa_tokens(nlu):
    (message,) = nlu("Platelets 45x10^9/L, Child-Pugh C, HE grade II, two weeks ago")
    starts = {t.start for t in message.get(TOKENS_NAMES[TEXT])}
    ends = {t.end for t in message.get(TOKENS_NAMES[TEXT])}
    found = message.get(ENTITIES)
    assert [(e["entity"], e["value"]) for e in found] == [
        ("platelets", 45.0),
        ("child_pugh", 10),
        ("he_grade", 2),
        ("time_expression", "two weeks ago"),
    ]
    for ent in found:
        assert ent["start"] in starts and ent["end"] in ends
    # the doc is lower-cased by SpacyNLP, the entity text keeps the user's case
    assert found[1]["text"] == "Child-Pugh C"


def test_existing_entities_are_kept_and_odd_messages_pass(nlu):
    messages = [
        Message(
            data={TEXT: "I'm 45", ENTITIES: [{"entity": "x", "start": 0, "end": 1}]}
        )
    ]
    nlu_messages = nlu("", "😀" * 300, "hello", "\x00\x1b")
    assert all(m.get(ENTITIES, []) == [] for m in nlu_messages)
    extractor = nlu.create({})
    extractor.process(messages)  # no spaCy doc on the message: still works
    assert [e["entity"] for e in messages[0].get(ENTITIES)] == ["x", "age"]


def test_config_can_restrict_the_entities(nlu):
    only_age = nlu.create({"entities": ["age"]})
    (message,) = nlu("aged 62, INR 1.8", extractor=only_age)
    assert _entities(message) == [("age", 62, 0, 7)]
