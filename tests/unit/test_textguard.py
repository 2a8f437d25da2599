"""The input guard: Rasa's "/intent{...}" command syntax never reaches the NLU."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.screening.textguard import sanitize
from bot.settings import MAX_MESSAGE_CHARS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('/inform{"age": 30}', 'inform{"age": 30}'),
        ("/affirm", "affirm"),
        ("  //restart", "restart"),
        ("\u200b/affirm", "affirm"),  # a zero-width space does not hide the slash
        ("／affirm", "affirm"),  # full-width slash
        # Rasa strips every Unicode space before it looks for "/" (found by fuzzing)
        ("/\u3000/affirm", "affirm"),
        ('/\xa0/inform{"age": 30}', 'inform{"age": 30}'),
        ("I'm 45", "I'm 45"),
        ("INR 1.8 / PTA 35%", "INR 1.8 / PTA 35%"),  # a slash inside text is kept
        ("", ""),
        ("a\x00b\x07c", "a b c"),
    ],
)
def test_sanitize(text: str, expected: str) -> None:
    assert sanitize(text) == expected


def test_long_text_is_capped() -> None:
    assert len(sanitize("x" * 10_000)) == MAX_MESSAGE_CHARS


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_no_output_ever_starts_with_a_slash(text: str) -> None:
    cleaned = sanitize(text)
    # As Rasa's RegexMessageHandler sees it: after str.strip().
    assert not cleaned.strip().startswith("/")
    assert len(cleaned) <= MAX_MESSAGE_CHARS
