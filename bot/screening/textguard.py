"""Rules for making user text safe to hand to the NLU (used by nlu_ext.InputGuard)."""

from __future__ import annotations

import unicodedata

from bot.settings import MAX_MESSAGE_CHARS

#: What Rasa reads as the start of a command ("/"), and look-alikes.
_SLASHES = "/／∕⁄"


def sanitize(text: object, max_chars: int = MAX_MESSAGE_CHARS) -> str:
    """Text safe for the NLU: no leading "/" command syntax, no control characters,
    at most ``max_chars`` characters. Never raises.

    >>> sanitize('/inform{"age": 30}')
    'inform{"age": 30}'
    """
    if not isinstance(text, str):
        return ""
    cleaned = "".join(
        ch if ch in "\n\t" or unicodedata.category(ch)[0] != "C" else " " for ch in text
    )
    cleaned = cleaned.strip()
    # Leading slashes (also full-width and division slashes some keyboards produce)
    # would make Rasa treat the message as a command. Rasa strips every Unicode
    # space (str.strip) before it looks for the "/", so spaces between slashes go
    # too: "/\u3000/affirm" must not become "\u3000/affirm" (issue 6, fuzzing).
    while cleaned and cleaned[0] in _SLASHES:
        cleaned = cleaned[1:].strip()
    return cleaned[:max_chars]
