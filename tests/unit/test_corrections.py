"""Which answer a correction or a volunteered value is about, read from the criteria
file (each question's ``entity`` and ``otherwise``)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.screening.conversation import correction_fact, values_for_other_facts
from bot.screening.criteria import load_trial

DAY = date(2026, 12, 1)


def _topic(value: str) -> list[dict[str, str]]:
    return [{"entity": "topic", "value": value}]


def _sex(value: str) -> dict[str, dict[str, object]]:
    return {"sex": {"value": value, "text": value, "unknown": False}}


def test_a_value_entity_names_its_question():
    trial = load_trial()
    entities = [{"entity": "he_grade", "value": 1}, {"entity": "topic", "value": "age"}]
    assert correction_fact(trial, {}, entities, DAY) == "encephalopathy"


@pytest.mark.parametrize(
    "answers, expected",
    [
        (_sex("male"), "planning_baby"),
        (_sex("female"), "pregnancy"),
        (_sex("other"), "pregnancy"),
        ({"sex": {"value": None, "text": "?", "unknown": True}}, "pregnancy"),
        ({}, "pregnancy"),
    ],
)
def test_pregnancy_for_a_man_means_planning_a_baby(answers, expected):
    assert correction_fact(load_trial(), answers, _topic("pregnancy"), DAY) == expected


def test_topics_name_questions_or_nothing():
    trial = load_trial()
    assert correction_fact(trial, {}, _topic("liver_transplant"), DAY) == (
        "liver_transplant"
    )
    assert correction_fact(trial, {}, _topic("weather"), DAY) is None
    entities = _topic("weather") + _topic("allergy")
    assert correction_fact(trial, {}, entities, DAY) == "allergy"


def test_values_for_other_facts_follow_the_file():
    trial = load_trial()
    entities = [
        {"entity": "age", "value": 62},
        {"entity": "he_grade", "value": 1},
        {"entity": "topic", "value": "allergy"},
    ]
    assert values_for_other_facts(trial, "age", entities) == {"encephalopathy": 1}
    assert trial.value_entities["he_grade"] == "encephalopathy"
