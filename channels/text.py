"""Text for platforms: lengths, splitting at a limit, numbered quick replies.

:func:`split_text` cuts long texts at a platform's limit on paragraph, line or
sentence boundaries; :func:`numbered` renders quick replies as a numbered list where
a platform has no buttons, and :func:`pick_numbered` maps a typed "2" back to the
option it named.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Dict, List

#: Below a numbered list of options, on platforms without buttons.
NUMBERED_HINT = "Reply with a number, or in your own words."

_BARE_NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


def text_length(text: str) -> int:
    """Length in UTF-16 code units, as Telegram and Twilio count characters."""
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, limit: int) -> int:
    """The longest prefix of ``text`` (in characters) within ``limit`` units."""
    total = 0
    for index, char in enumerate(text):
        total += 2 if ord(char) > 0xFFFF else 1
        if total > limit:
            return index
    return len(text)


_BREAKS = (
    re.compile(r"\n\s*\n"),  # paragraphs
    re.compile(r"\n"),  # lines
    re.compile(r"(?<=[.!?。！？])[\"')\]]?\s+"),  # sentences
    re.compile(r"[;,:]\s+"),  # clauses
    re.compile(r"\s+"),  # words
)


def split_text(text: str, limit: int) -> List[str]:
    """Cut ``text`` into parts of at most ``limit`` characters (UTF-16 units).

    Each cut is made at the last paragraph break that fits, else the last line
    break, sentence end, clause, or space (a break in the first quarter of the
    part is not used, so no part is tiny); only a word longer than the limit is cut
    mid-word. Parts are stripped; empty text gives no part.
    """
    parts: List[str] = []
    rest = text.strip()
    while rest:
        if text_length(rest) <= limit:
            parts.append(rest)
            break
        end = _cut(rest, limit)
        window = rest[:end]
        cut = end
        for pattern in _BREAKS:
            ends = [m.end() for m in pattern.finditer(window) if m.start() >= end // 4]
            if ends and rest[: ends[-1]].strip():
                cut = ends[-1]
                break
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return parts


def text_limit(config: Mapping[str, Any], platform_limit: int) -> int:
    """A channel's ``max_chars`` setting, never above the platform's own limit.

    Lower values save money on SMS (billed per 153-character segment).
    """
    try:
        wanted = int(config.get("max_chars") or platform_limit)
    except (TypeError, ValueError):
        wanted = platform_limit
    return max(100, min(wanted, platform_limit))


def numbered(text: str, titles: List[str]) -> str:
    """``text`` with quick replies as a numbered list, for platforms without buttons.

    One option is not numbered (a typed "1" must stay a number, say an INR of 1):
    it becomes a hint, e.g. ``You can also reply "I don't know".``
    """
    if not titles:
        return text
    if len(titles) == 1:
        return f'{text}\n\nYou can also reply "{titles[0]}".'
    lines = "\n".join(f"{number}. {title}" for number, title in enumerate(titles, 1))
    return f"{text}\n\n{lines}\n{NUMBERED_HINT}"


def pick_numbered(text: str, payloads: List[str] | None) -> str:
    """A typed "2" (or "2." / "2)") as the payload of numbered option 2.

    Other text, and numbers outside the list, are returned unchanged.
    """
    if not payloads or len(payloads) < 2:
        return text
    match = _BARE_NUMBER.match(text or "")
    if match:
        index = int(match.group(1))
        if 1 <= index <= len(payloads):
            return payloads[index - 1]
    return text


def button_options(buttons: List[Dict[str, Any]] | None) -> List[Dict[str, str]]:
    """Rasa buttons or quick replies as ``{"title", "payload"}`` pairs."""
    options = []
    for button in buttons or []:
        title = str(button.get("title") or button.get("payload") or "").strip()
        payload = str(button.get("payload") or title).strip()
        if title:
            options.append({"title": title, "payload": payload})
    return options
