"""The catalogue of patient-facing messages sent by the actions
(``bot/screening/messages/``).

Messages are data, one YAML file per language with the same keys, so a second
language needs no code change. ``{name}`` placeholders are filled by :func:`render`;
a placeholder with no value is left visible rather than raising, and a test checks
that every placeholder is supplied.
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path
from typing import Any

import yaml

MESSAGES_DIR = Path(__file__).parent / "messages"
DEFAULT_LANGUAGE = "en"


class _Keep(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@cache
def catalogue(language: str = DEFAULT_LANGUAGE) -> dict[str, dict[str, Any]]:
    """All messages of one language, by key."""
    data = yaml.safe_load(
        (MESSAGES_DIR / f"{language}.yml").read_text(encoding="utf-8")
    )
    if not isinstance(data, dict):
        raise ValueError(f"message catalogue {language} is not a mapping")
    return data


def placeholders(text: str) -> set[str]:
    """The ``{names}`` a message text expects."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def render(
    key: str, language: str = DEFAULT_LANGUAGE, **variables: Any
) -> dict[str, Any]:
    """A message ready to send: ``{"text": ..., "buttons": [...]}``.

    Buttons send their own title as plain text, so a tap reads like typing it.
    """
    entry = catalogue(language)[key]
    text = str(entry["text"]).format_map(_Keep({k: v for k, v in variables.items()}))
    message: dict[str, Any] = {"text": text}
    if entry.get("buttons"):
        message["buttons"] = [{"title": b, "payload": b} for b in entry["buttons"]]
    return message
