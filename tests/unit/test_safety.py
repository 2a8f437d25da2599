"""The emergency backstop: signs happening now are caught; negated or past ones not."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.screening.safety import is_emergency


@pytest.mark.parametrize(
    "text",
    [
        "he is vomiting blood right now",
        "she's throwing up blood",
        "yes, black tarry stools since this morning",
        "there is blood in his vomit",
        "I can't wake him up",
        "she won't wake up",
        "he is unconscious",
        "my dad is having a seizure",
        "I want to kill myself",
        "I'm thinking of ending my life",
        "sometimes I think about suicide",
        "I just want to die",
        # Wordings the first patterns missed (found by cross-validating the model).
        "there is blood in her poo",
        "black runny motions since last night",
        "he is unconsious",
        "dad collapsed in the kitchen",
        "she is not responding to us",
        "he is struggling to breathe",
        "his face is turning blue",
        "he doesnt know where he is any more",
        "I think he took an overdose",
        "she took a whole packet of tablets",
        "honestly I would rather be dead",
        "there is no point going on",
    ],
)
def test_emergencies_now_are_caught(text: str) -> None:
    assert is_emergency(text)


@pytest.mark.parametrize(
    "text",
    [
        "no vomiting of blood",
        "he never had black stools",
        "not vomiting blood, no",
        "she vomited blood two years ago",
        "he had a seizure back in 2019",
        "no, nothing like that",
        "no blood in his stool",
        "he was unconscious after the accident in 2019",
        "she is breathing fine",
        "he did not collapse",
        "not vomiting any blood",
        "I'm 45",
        "bilirubin 171 umol/L",
        "",
    ],
)
def test_negated_past_and_ordinary_answers_are_not(text: str) -> None:
    assert not is_emergency(text)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_never_raises(text: str) -> None:
    assert is_emergency(text) in (True, False)
