"""Text for platforms: lengths, splitting at a limit, numbered quick replies, and
the few sentences the channels write themselves, in English and Chinese.

:func:`split_text` cuts long texts at a platform's limit on paragraph, line or
sentence boundaries; :func:`numbered` renders quick replies as a numbered list where
a platform has no buttons, and :func:`pick_numbered` maps a typed "2" back to the
option it named.

:data:`CHANNEL_TEXTS` holds what a channel says on its own, outside the dialogue (a
photo was sent, the hint below a numbered list, ...); the two kind messages of the
dialogue's catalogue (``too_fast``, ``no_reply``) are rendered by
:func:`channels.base.kind_text`. The language of a person's message is read by
:func:`bot.screening.language.conversation_language`; the language of the
assistant's own reply (for the hint under its options) by :func:`reply_language`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Dict, List

from bot.screening.language import CHINESE, DEFAULT, ENGLISH, normalize, script_language

#: What the channels say themselves, by language. Channel-level (the dialogue never
#: sends these), so they are not in the dialogue's message catalogue.
CHANNEL_TEXTS: Dict[str, Dict[str, str]] = {
    ENGLISH: {
        # A photo, a voice note or a sticker: the assistant reads text only.
        "text_only": (
            "Sorry, I can only read typed messages. Please type your answer, or tap "
            "one of the options."
        ),
        # Below a numbered list of options, on platforms without buttons.
        "numbered_hint": "Reply with a number, or in your own words.",
        # A single option is not numbered (a typed "1" must stay a number).
        "one_option": 'You can also reply "{title}".',
        # A message with options but no text.
        "choose": "Please choose:",
        # Telegram's input field, while its reply keyboard is shown.
        "keyboard_placeholder": "Tap an option or type your answer",
    },
    CHINESE: {
        "text_only": "抱歉，我只能看懂打字发来的消息。请打字回答，或点一个选项。",
        "numbered_hint": "请回复选项前面的数字，或者直接用您自己的话回答。",
        "one_option": "您也可以回复“{title}”。",
        "choose": "请选择：",
        "keyboard_placeholder": "点一个选项，或直接打字回答",
    },
}

#: Below a numbered list of options (English; :func:`channel_text` for others).
NUMBERED_HINT = CHANNEL_TEXTS[ENGLISH]["numbered_hint"]


def channel_text(key: str, language: str | None = None, **values: str) -> str:
    """A sentence of :data:`CHANNEL_TEXTS` in ``language`` (English by default).

    >>> channel_text("choose", "zh-CN")
    '请选择：'
    """
    texts = CHANNEL_TEXTS[normalize(language) or DEFAULT]
    return texts[key].format(**values) if values else texts[key]


def reply_language(text: str, titles: List[str] | None = None) -> str:
    """The language of one of the assistant's messages: its script, else the
    script of its options, else English. (The dialogue writes each message in
    the conversation's language, so its own words tell which it is.)"""
    return script_language(text) or script_language(" ".join(titles or [])) or DEFAULT


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
    # sentences (Chinese ones end without a space: after 。！？ and a closing quote)
    re.compile(r"(?<=[.!?。！？])[\"')\]]?\s+|(?<=[。！？])[”’」』）]?"),
    re.compile(r"[;,:]\s+|(?<=[；，：])"),  # clauses
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


def numbered(text: str, titles: List[str], language: str | None = None) -> str:
    """``text`` with quick replies as a numbered list, for platforms without buttons.

    One option is not numbered (a typed "1" must stay a number, say an INR of 1):
    it becomes a hint, e.g. ``You can also reply "I don't know".`` The hint is in
    ``language``, by default the language the message itself is written in.
    """
    if not titles:
        return text
    language = language or reply_language(text, titles)
    if len(titles) == 1:
        hint = channel_text("one_option", language, title=titles[0])
        return f"{text}\n\n{hint}"
    lines = "\n".join(f"{number}. {title}" for number, title in enumerate(titles, 1))
    return f"{text}\n\n{lines}\n{channel_text('numbered_hint', language)}"


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
