"""Opt-out words that always mean "stop", whatever the NLU model thinks.

Stopping must always work: a person who types "quit" or "STOP" has said no more,
and a statistical classifier trained on a few dozen examples can miss a one-word
message (5-fold cross-validation put single words like "quit" and "exit" into
other intents). So a message that is *only* an opt-out word or phrase (any case,
surrounding punctuation and "please" ignored) is the stop intent, decided by this
list rather than by the model. Longer messages ("can she quit the study later?")
are left to the model: they are questions, not commands.

SMS carriers and Twilio treat STOP, STOPALL, UNSUBSCRIBE, CANCEL, END and QUIT as
opt-out keywords; the list includes them so the assistant agrees with the carrier.
"""

from __future__ import annotations

import re
import unicodedata

STOP_INTENT = "stop"

#: Whole messages that mean "stop" (compared after :func:`_normalise`).
STOP_PHRASES = frozenset(
    {
        "stop",
        "stopall",
        "stop all",
        "stop it",
        "stop now",
        "stop this",
        "stop the screening",
        "stop screening",
        "stop asking",
        "stop messaging me",
        "stop texting me",
        "unsubscribe",
        "cancel",
        "cancel this",
        "end",
        "end this",
        "end chat",
        "end the chat",
        "quit",
        "quit this",
        "exit",
        "opt out",
        "opt-out",
        "optout",
        "i want to stop",
        "i want to quit",
        "i quit",
        "i don't want to continue",
        "i dont want to continue",
        "i do not want to continue",
        "i don't want to go on",
        "i do not want to go on",
        "no more questions",
        "leave me alone",
        "停止",
        "退出",
        "取消",
    }
)

_CLAUSE = re.compile(r"[,;.!?。！？，—–-]\s")
_POLITE = re.compile(r"^(please|pls|plz)\s+|\s+(please|pls|plz|now)$")


def _normalise(text: str) -> str:
    low = unicodedata.normalize("NFKC", text).casefold().strip()
    low = re.sub(r"[\s]+", " ", low)
    low = low.strip(" .!?,;:。！？…'\"")
    for _ in range(2):
        low = _POLITE.sub("", low).strip(" .!?,;:。！？…")
    return low


def command_intent(text: object) -> str | None:
    """``"stop"`` when the whole message is an opt-out word or phrase, else None.

    >>> command_intent("STOP!")
    'stop'
    >>> command_intent("please quit")
    'stop'
    >>> command_intent("stop, I don't want to continue")
    'stop'
    >>> command_intent("can she quit the study later?") is None
    True
    """
    if not isinstance(text, str) or len(text) > 60:
        return None
    low = _normalise(text)
    if low in STOP_PHRASES:
        return STOP_INTENT
    # "stop, I don't want to continue", "Quit. Please.": the first clause decides.
    first = _normalise(_CLAUSE.split(low, maxsplit=1)[0])
    if first != low and first in STOP_PHRASES:
        return STOP_INTENT
    return None
