"""A yes or no read only from a verb or a negation counts when the sentence is about
the question (bot.screening.conversation.is_about): "I had a bit of fluid in my
belly last week" says nothing about cancer, and must not exclude anyone."""

from __future__ import annotations

from datetime import date

import pytest

from bot.screening.conversation import interpret
from bot.screening.criteria import load_trial

DAY = date(2026, 12, 7)


def _read(question_id: str, text: str):
    trial = load_trial()
    return interpret(trial, trial.question(question_id), text, DAY)


@pytest.mark.parametrize(
    ("question_id", "text"),
    [
        ("liver_cancer", "I had a bit of fluid in my belly last week"),
        ("liver_cancer", "she has had a cough for ages"),
        ("gi_bleeding", "he has a swollen tummy"),
        ("infection", "we have his lab results here"),
    ],
)
def test_a_sentence_about_something_else_is_not_an_answer(question_id, text):
    reading = _read(question_id, text)
    assert reading.value is None and reading.error == "not_understood"


@pytest.mark.parametrize(
    ("question_id", "text", "value"),
    [
        ("liver_cancer", "I had cancer of the bowel in 2015", "yes"),
        ("chronic_liver_disease", "he had hep b for years", "yes"),
        ("ascites", "I had a bit of fluid in my belly last week", "yes"),
        ("liver_transplant", "I never had one", "no"),
        ("liver_transplant", "he's had it done", "yes"),
        ("infection", "she has a fever", "yes"),
        # A yes or no word still decides on its own.
        ("liver_cancer", "yes, breast cancer years ago", "yes"),
        ("liver_cancer", "no, just the fluid in my belly", "no"),
    ],
)
def test_a_sentence_about_the_question_still_answers_it(question_id, text, value):
    assert _read(question_id, text).value == value
