"""The Chinese texts match the English ones and reach the person who chose Chinese.

The message catalogues (bot/screening/messages/en.yml and zh.yml) must have the same
keys, the same ``{placeholders}`` and the same number of quick replies. Every response
of the domain and of the retrieval intents (data/nlu/*.yml) has one variant conditioned
on the slot ``language`` being ``zh``, with the placeholders of its English default.

Rasa 3.6 chooses among a response's variants in
``rasa/core/nlg/generator.py`` (``ResponseVariationFilter.responses_for_utter_action``):
a conditional variant that matches the slots comes before an unconditioned one, unless
an unconditioned variant names the output channel. So no variant here may name a
channel, and the English variant stays the unconditioned default. The last tests run
Rasa's own generator and its retrieval action to show the Chinese variant is chosen.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import ROOT

from bot.screening.language import CHINESE, ENGLISH, has_cjk
from bot.screening.messages import catalogue, placeholders

DOMAIN = ROOT / "domain.yml"
RESPONSE_FILES = [
    DOMAIN,
    ROOT / "data" / "nlu" / "faq.yml",
    ROOT / "data" / "nlu" / "explain.yml",
    ROOT / "data" / "nlu" / "chitchat.yml",
]
ZH_CONDITION = [{"type": "slot", "name": "language", "value": CHINESE}]

#: Catalogue entries whose Chinese text may equal the English one: nothing to translate.
#: Separators are punctuation in both languages ("，" and "、").
SAME_IN_BOTH = {"why_ask", "parse_what_inr", "list_separator", "site_contact_separator"}

#: The longest Chinese sentence allowed (between 。！？ or a line break), counting
#: each Chinese character and punctuation mark as one, a run of Latin letters, digits
#: and symbols ("INR", "138", "µmol/L") as one, and a {placeholder} as one. The style
#: asks for about 30; every text meets it (the longest sentences have 28).
MAX_SENTENCE = 30

_SENTENCE_END = re.compile(r"[。！？!?\n]")
_PLACEHOLDER = re.compile(r"\{\w+\}")
_ASCII_RUN = re.compile(r"[\x21-\x7e\u00b5\u00d7\u2070-\u209f]+")


def _yaml(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


def sentence_lengths(text: str) -> Iterator[tuple[int, str]]:
    """Each sentence of ``text`` with its length as a reader meets it."""
    for sentence in _SENTENCE_END.split(_PLACEHOLDER.sub("X", text)):
        units = re.sub(r"\s+", "", _ASCII_RUN.sub("X", sentence))
        yield len(units), sentence.strip()


def _responses() -> dict[str, list[dict[str, Any]]]:
    merged: dict[str, list[dict[str, Any]]] = {}
    for path in RESPONSE_FILES:
        for name, variants in (_yaml(path).get("responses") or {}).items():
            assert name not in merged, f"{name} is defined twice"
            merged[name] = variants
    return merged


RESPONSES = _responses()
EN = catalogue(ENGLISH)
ZH = catalogue(CHINESE)


def _is_zh(variant: dict[str, Any]) -> bool:
    return variant.get("condition") == ZH_CONDITION


def _default(name: str) -> dict[str, Any]:
    defaults = [v for v in RESPONSES[name] if not v.get("condition")]
    assert len(defaults) == 1, f"{name}: expected one unconditioned (English) variant"
    return defaults[0]


def _chinese(name: str) -> dict[str, Any]:
    chinese = [v for v in RESPONSES[name] if _is_zh(v)]
    assert len(chinese) == 1, f"{name}: expected one variant for language zh"
    return chinese[0]


# --------------------------------------------------------------------------- #
# The catalogues
# --------------------------------------------------------------------------- #


def test_catalogues_have_the_same_keys() -> None:
    assert sorted(set(EN) - set(ZH)) == [], "missing in zh.yml"
    assert sorted(set(ZH) - set(EN)) == [], "missing in en.yml"


@pytest.mark.parametrize("key", sorted(EN))
def test_entries_have_the_same_fields_and_placeholders(key: str) -> None:
    en, zh = EN[key], ZH.get(key, {})
    assert set(zh) == set(en), key
    for field in ("text", "example"):
        if field in en:
            assert placeholders(str(zh[field])) == placeholders(str(en[field])), (
                key,
                field,
            )


@pytest.mark.parametrize("key", sorted(EN))
def test_entries_have_the_same_number_of_buttons(key: str) -> None:
    en, zh = EN[key], ZH.get(key, {})
    assert len(zh.get("buttons") or []) == len(en.get("buttons") or []), key
    titles = [str(b) for b in zh.get("buttons") or []]
    assert all(t.strip() for t in titles), key
    assert len(set(titles)) == len(titles), f"{key}: two buttons with one title"


@pytest.mark.parametrize("key", sorted(set(ZH) - SAME_IN_BOTH))
def test_chinese_catalogue_texts_are_in_chinese(key: str) -> None:
    assert has_cjk(str(ZH[key]["text"])), key
    for title in ZH[key].get("buttons") or []:
        assert has_cjk(str(title)), (key, title)


# --------------------------------------------------------------------------- #
# Domain and retrieval responses
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_every_response_has_a_chinese_variant_with_the_same_placeholders(
    name: str,
) -> None:
    english, chinese = _default(name), _chinese(name)
    assert not has_cjk(english["text"]), f"{name}: the default must stay English"
    assert has_cjk(chinese["text"]), name
    assert placeholders(chinese["text"]) == placeholders(english["text"]), name
    assert len(chinese.get("buttons") or []) == len(english.get("buttons") or [])


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_no_response_variant_names_a_channel(name: str) -> None:
    # An unconditioned variant for the output channel beats a matching conditional
    # one (ResponseVariationFilter), so the English text would win over the Chinese.
    assert all("channel" not in v for v in RESPONSES[name]), name


# --------------------------------------------------------------------------- #
# Short sentences
# --------------------------------------------------------------------------- #


def _chinese_texts() -> Iterator[tuple[str, str]]:
    for key, entry in ZH.items():
        yield key, str(entry["text"])
    for name, variants in RESPONSES.items():
        for variant in variants:
            if _is_zh(variant):
                yield name, str(variant["text"])


def test_sentence_length_counts_what_a_reader_sees() -> None:
    lengths = list(sentence_lengths("请输入电话，例如 138 0013 8000。{name}好！"))
    assert lengths == [(11, "请输入电话，例如 138 0013 8000"), (2, "X好"), (0, "")]


def test_chinese_sentences_are_short() -> None:
    long = [
        (name, n, sentence)
        for name, text in _chinese_texts()
        for n, sentence in sentence_lengths(text)
        if n > MAX_SENTENCE
    ]
    assert long == []


# --------------------------------------------------------------------------- #
# Rasa picks the Chinese variant
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def domain() -> Any:
    """The domain as Rasa builds it, with the retrieval responses merged in."""
    from rasa.shared.importers.importer import TrainingDataImporter

    importer = TrainingDataImporter.load_from_config(
        str(ROOT / "config.yml"), str(DOMAIN), [str(ROOT / "data")]
    )
    return importer.get_domain()


@pytest.fixture(scope="module")
def nlg(domain: Any) -> Any:
    from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator

    return TemplatedNaturalLanguageGenerator(domain.responses)


def test_these_are_all_the_responses_rasa_loads(domain: Any) -> None:
    assert set(domain.responses) == set(RESPONSES)


@pytest.mark.parametrize("name", ["utter_emergency", "utter_faq/ascites"])
def test_rasa_chooses_the_variant_of_the_language_slot(nlg: Any, name: str) -> None:
    for language, expected in (
        (CHINESE, _chinese(name)),
        (ENGLISH, _default(name)),
        (None, _default(name)),
    ):
        for channel in ("rest", "telegram", "socketio"):
            slots = {"emergency_number": "120", "language": language}
            message = nlg.generate_from_slots(name, slots, channel)
            want = expected["text"].replace("{emergency_number}", "120")
            assert message["text"] == want, (name, language, channel)


def test_the_retrieval_action_answers_in_chinese(domain: Any, nlg: Any) -> None:
    # ActionRetrieveResponse reads the answer's name from the response selector, then
    # calls nlg.generate with the tracker, whose slots choose the variant.
    from rasa.core.actions.action import ActionRetrieveResponse
    from rasa.core.channels import CollectingOutputChannel
    from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    selected = {"response": {"utter_action": "utter_faq/inr"}}
    user = UserUttered(
        "INR是什么意思",
        intent={"name": "faq", "confidence": 0.9},
        parse_data={
            "text": "INR是什么意思",
            "intent": {"name": "faq", "confidence": 0.9},
            "entities": [],
            "response_selector": {"faq": selected, "default": selected},
        },
    )
    for language, expected in ((CHINESE, _chinese), (ENGLISH, _default)):
        tracker = DialogueStateTracker.from_events(
            "zh-test", [SlotSet("language", language), user], slots=domain.slots
        )
        events = asyncio.run(
            ActionRetrieveResponse("utter_faq").run(
                CollectingOutputChannel(), nlg, tracker, domain
            )
        )
        assert len(events) == 1 and isinstance(events[0], BotUttered)
        assert events[0].text == expected("utter_faq/inr")["text"], language
