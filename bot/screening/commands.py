"""Conversation commands decided by word lists, whatever the NLU model thinks.

The commands are about the conversation itself, not answers: stop, start over,
"I don't understand the question" (clarify) and "delete my answers". Each must
always work, and a classifier trained on a few dozen examples misses short ones, so
a message that is *only* such a phrase (or whose first clause is one) gets the
command's intent with confidence 1.0 (``nlu_ext.CommandKeywords``).

Opt-out words that always mean "stop":

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
START_OVER_INTENT = "start_over"
CLARIFY_INTENT = "clarify"
DELETE_DATA_INTENT = "delete_data"

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
        "halt",
        "abort",
        "count me out",
        "close this chat",
        "close the chat",
        "end the conversation",
        "end this conversation",
        "停止",
        "退出",
        "取消",
    }
)

#: Whole messages that mean "start again from the beginning". "Start" alone is not
#: one: "yes, let's start" answers "Shall we start?".
START_OVER_PHRASES = frozenset(
    {
        "start over",
        "start again",
        "start all over",
        "start all over again",
        "start over again",
        "start from the beginning",
        "start from scratch",
        "restart",
        "restart the screening",
        "reset",
        "begin again",
        "from the beginning",
        "can we start over",
        "can we start again",
        "let's start over",
        "lets start over",
        "let's start again",
        "lets start again",
        "i want to start over",
        "i want to start again",
        "重新开始",
        "从头开始",
    }
)

#: Whole messages that say the person did not understand the question: they get it
#: again in simpler words, with an example and why it is asked.
CLARIFY_PHRASES = frozenset(
    {
        "what",
        "huh",
        "eh",
        "pardon",
        "sorry",
        "come again",
        "what do you mean",
        "what do you mean by that",
        "what does that mean",
        "what does this mean",
        "what is that",
        "what's that",
        "whats that",
        "meaning",
        "i don't understand",
        "i dont understand",
        "i do not understand",
        "don't understand",
        "dont understand",
        "i don't get it",
        "i dont get it",
        "i didn't get that",
        "i didnt get that",
        "i don't follow",
        "i'm confused",
        "im confused",
        "confused",
        "i don't understand the question",
        "i dont understand the question",
        "i do not understand the question",
        "i don't understand this question",
        "i don't know what you mean",
        "i dont know what you mean",
        "i don't know what that means",
        "i dont know what that means",
        "what are you asking",
        "what are you asking me",
        "can you explain",
        "can you explain that",
        "please explain",
        "explain",
        "explain please",
        "say that again",
        "can you say that again",
        "repeat",
        "repeat that",
        "repeat the question",
        "can you repeat that",
        "can you repeat the question",
        "in simpler words",
        "in plain english",
        "can you say it more simply",
        "too complicated",
        "什么",
        "什么意思",
        "啥意思",
        "没听懂",
        "不明白",
        "看不懂",
        "不懂",
    }
)
#: Leading apologies before a clarify phrase: "sorry, I don't understand".
_APOLOGY = re.compile(
    r"^(?:sorry|so sorry|i'm sorry|im sorry|excuse me|oh|hmm|um|uh)\b[\s,.!]*"
)

#: Whole messages that ask to delete everything the person told the assistant. The
#: assistant asks to confirm before anything is deleted (data/rules/erasure.yml).
#: "Delete" alone is not one: it could be an answer ("delete" as an e-mail?).
DELETE_DATA_PHRASES = frozenset(
    {
        "delete my answers",
        "delete all my answers",
        "delete my data",
        "delete all my data",
        "delete my information",
        "delete my info",
        "delete my details",
        "delete everything",
        "delete everything i told you",
        "delete everything about me",
        "delete my conversation",
        "delete this conversation",
        "delete this chat",
        "delete the chat",
        "erase my answers",
        "erase my data",
        "erase my information",
        "erase everything",
        "erase everything i told you",
        "remove my answers",
        "remove my data",
        "remove my information",
        "remove my details",
        "remove everything",
        "remove everything i told you",
        "wipe my data",
        "wipe my answers",
        "forget me",
        "forget everything",
        "forget everything i told you",
        "forget what i told you",
        "forget my answers",
        "i want my data deleted",
        "i want my answers deleted",
        "i want to delete my answers",
        "i want to delete my data",
        "i want you to delete my answers",
        "i want you to delete my data",
        "can you delete my answers",
        "can you delete my data",
        "could you delete my answers",
        "could you delete my data",
        "删除我的回答",
        "删除我的答案",
        "删除我的数据",
        "删除我的信息",
        "删除我的资料",
        "删除所有回答",
        "删除全部回答",
        "删除聊天记录",
        "删掉我的回答",
        "删掉我的数据",
        "删掉我的信息",
        "清除我的数据",
        "清除我的信息",
        "清除我的回答",
        "请删除我的回答",
        "请删除我的数据",
        "请删除我的信息",
        "忘掉我",
        "忘记我",
    }
)

_PHRASES = (
    (STOP_PHRASES, STOP_INTENT),
    (START_OVER_PHRASES, START_OVER_INTENT),
    (CLARIFY_PHRASES, CLARIFY_INTENT),
    (DELETE_DATA_PHRASES, DELETE_DATA_INTENT),
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
    """The command a message is, or None when it is left to the model.

    ``"stop"`` for an opt-out word or phrase, ``"start_over"``, or ``"clarify"``
    ("what?", "sorry, I don't understand the question").

    >>> command_intent("STOP!")
    'stop'
    >>> command_intent("please quit")
    'stop'
    >>> command_intent("stop, I don't want to continue")
    'stop'
    >>> command_intent("can she quit the study later?") is None
    True
    """
    if not isinstance(text, str) or len(text) > _LONGEST_STOP_MESSAGE:
        return None
    if len(text) > 60:  # longer messages are left to the model, but a stop clause
        return STOP_INTENT if _stop_clause(_normalise(text)) else None
    low = _normalise(text)
    found = _lookup(low)
    if found:
        return found
    # "stop, I don't want to continue", "Quit. Please.": the first clause decides
    # a command ("sorry, ..." is no clarify: see below).
    first = _normalise(_CLAUSE.split(low, maxsplit=1)[0])
    if first != low:
        found = _lookup(first)
        if found is not None and found != CLARIFY_INTENT:
            return found
    if _stop_clause(low):
        return STOP_INTENT
    # "sorry, I don't understand the question", "what? I don't get it": clarify only
    # when every clause is one (or an apology); "sorry, I got that wrong, I'm 72" is
    # not a clarify.
    clauses = [_normalise(c) for c in _CLAUSE.split(low)]
    clauses = [_normalise(_APOLOGY.sub("", c)) for c in clauses if c]
    if any(c in CLARIFY_PHRASES for c in clauses) and all(
        not c or c in CLARIFY_PHRASES for c in clauses
    ):
        return CLARIFY_INTENT
    return None


#: Messages longer than this are never commands.
_LONGEST_STOP_MESSAGE = 300


def _stop_clause(low: str) -> bool:
    """Whether a clause of the (normalised) message is only an opt-out word or
    phrase, wherever it stands: "Actually I'd rather not carry on with this, please
    stop". A clause must be the whole phrase: "I had to stop drinking" is no stop."""
    return any(_normalise(c) in STOP_PHRASES for c in _CLAUSE.split(low))


def _lookup(low: str) -> str | None:
    for phrases, intent in _PHRASES:
        if low in phrases:
            return intent
    return None
