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

Simplified Chinese follows the same rules, on characters rather than words (Chinese
has no spaces): a clause ends at any Chinese or ASCII punctuation, spaces between
Chinese characters are dropped, and the words around a command that change nothing
("我", "那就", "请", "不好意思" before it; "吧", "啊", "谢谢" after it) are set aside
(:func:`_core_zh`). A clause must still be the whole phrase: "不想继续吃药" (about a
medicine) and "他不想停止治疗" are no stop. "算了" ("never mind") stops only as the
whole message: "算了，不记得了" is "I don't remember" (:data:`STOP_WHOLE_PHRASES`).
"""

from __future__ import annotations

import re
import unicodedata

from bot.screening.language import has_cjk

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
        # Simplified Chinese, compared after :func:`_core_zh` ("我不做了吧" is
        # "不做了"). Each is a command as a clause of its own, wherever it stands.
        "停止",
        "停下",
        "停下来",
        "退出",
        "退出筛查",
        "取消",
        "结束",
        "结束对话",
        "结束聊天",
        "结束筛查",
        "不想继续",
        "不想继续了",
        "不想再继续",
        "不想再继续了",
        "不继续了",
        "不要继续了",
        "不想做了",
        "不想再做了",
        "不做了",
        "不想聊了",
        "不聊了",
        "不想回答了",
        "不想答了",
        "不答了",
        "不想参加了",
        "不参加了",
        "不测了",
        "不想测了",
        "别问了",
        "别再问了",
        "不要问了",
        "不要再问了",
        "别发了",
        "别再发了",
        "不要再发了",
        "别再发消息了",
        "不要再发消息了",
        "到此为止",
    }
)

#: Chinese that means "stop" only as the whole message: "算了" alone is "forget it",
#: but "算了，不记得了" is "never mind, I don't remember" (an answer).
STOP_WHOLE_PHRASES = frozenset(
    {
        "算了",
        "算了算了",
        "到这里",
        "到这",
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
        "从头来",
        "从头再来",
        "重来",
        "重新来",
        "重新来过",
        "重来一遍",
        "全部重来",
        "都重来",
        "从第一题开始",
        "从第一个问题开始",
        "重新答一遍",
        "重新做一遍",
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
        "啥",
        "是什么意思",
        "这是什么意思",
        "这什么意思",
        "说什么",
        "在说什么",
        "听不懂",
        "听不明白",
        "没看懂",
        "看不明白",
        "没明白",
        "不太明白",
        "不太懂",
        "没搞懂",
        "搞不懂",
        "不理解",
        "不明白这个问题",
        "不懂这个问题",
        "这个问题不明白",
        "这个问题看不懂",
        "这个问题我不懂",
        "这个问题我不明白",
        "不知道你在问什么",
        "不知道你问的是什么",
        "不知道什么意思",
        "问的是什么",
        "问的什么",
        "再说一遍",
        "再说一次",
        "能再说一遍吗",
        "可以再说一遍吗",
        "重复一下",
        "再问一遍",
        "解释一下",
        "能解释一下吗",
        "说简单点",
        "说简单一点",
        "能说简单点吗",
        "太复杂了",
        "太难懂了",
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
        "忘掉我",
        "忘记我",
    }
)

#: Chinese "delete my answers", in its many word orders: "删除我的回答",
#: "把我的信息删掉", "我说的都删了", "忘掉我". Like the English, "删除" alone is
#: none, and neither is a question ("能删除我的信息吗").
_ZH_DELETE_VERB = r"(?:删除|删掉|删了|删去|清除|清空|清掉|抹掉|删)掉?"
_ZH_DELETE_WHAT = (
    r"(?:所有|全部|一切)?的?"
    r"(?:(?:个人)?(?:回答|答案|数据|信息|资料|记录|聊天记录|对话记录|对话|内容)"
    r"|说过?的(?:话|东西|内容)?|填的(?:东西|内容)?)"
)
_ZH_DELETE_ALL = r"(?:都|全|全部|全都|统统)?给?"
_ZH_DELETE = re.compile(
    rf"^{_ZH_DELETE_VERB}(?:我们?的?)?{_ZH_DELETE_WHAT}$"
    rf"|^把(?:我们?的?)?{_ZH_DELETE_WHAT}{_ZH_DELETE_ALL}{_ZH_DELETE_VERB}$"
    rf"|^我们?的?{_ZH_DELETE_WHAT}{_ZH_DELETE_ALL}{_ZH_DELETE_VERB}$"
    r"|^忘(?:掉|记|了)我(?:说的话?)?$"
)

_PHRASES = (
    (STOP_PHRASES, STOP_INTENT),
    (START_OVER_PHRASES, START_OVER_INTENT),
    (CLARIFY_PHRASES, CLARIFY_INTENT),
    (DELETE_DATA_PHRASES, DELETE_DATA_INTENT),
)

_CLAUSE = re.compile(r"[,;.!?。！？，—–-]\s")
_POLITE = re.compile(r"^(please|pls|plz)\s+|\s+(please|pls|plz|now)$")

#: Chinese clauses end at punctuation, with or without a space after it (after NFKC,
#: "，" is ","); a full stop between digits ("1.8") ends none.
_CLAUSE_ZH = re.compile(r"[,;:!?。、~～…]+|(?<!\d)\.|\.(?!\d)")
_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")
#: Words before a Chinese command that change nothing: "我", "那就", "请", "不好意思"...
#: ("我的" stays, as does "我说的": "我的回答", "我说的都删了" are what is deleted).
_LEAD_ZH = re.compile(
    r"^(?:(?:好吧|好的|嗯+|唉|哎呀|哎|那么|那就|那|就|还是|我看|要不|干脆|"
    r"请你|请您|请|麻烦您|麻烦你|麻烦|帮我|你们|你|您|我们|咱们|我想|我要|我(?![的说填])|"
    r"不好意思|对不起|抱歉)[\s,]*)+"
)
#: ... and after it: "吧", "啊", "好吗", "谢谢".
_TRAIL_ZH = re.compile(
    r"(?:[\s,]*(?:吧|啊|呀|啦|哈|哦|喔|嘛|呢|好吗|行吗|好不好|谢谢[你您]?))+$"
)


def _normalise(text: str) -> str:
    low = unicodedata.normalize("NFKC", text).casefold().strip()
    low = re.sub(r"[\s]+", " ", low)
    low = low.strip(" .!?,;:。！？…'\"")
    for _ in range(2):
        low = _POLITE.sub("", low).strip(" .!?,;:。！？…")
    if has_cjk(low):
        low = _core_zh(low)
    return low


def _core_zh(low: str) -> str:
    """A Chinese phrase without spaces between characters and without the words
    around it that change nothing: "那就算了吧" is "算了", "我 不想继续了" is
    "不想继续了"."""
    low = _CJK_SPACE.sub("", low)
    core = _TRAIL_ZH.sub("", _LEAD_ZH.sub("", low)).strip(" .!?,;:。、…~")
    return core


def _clauses(low: str) -> list[str]:
    """The clauses of a normalised message: English ones end at punctuation
    followed by a space; Chinese ones at any punctuation."""
    clauses: list[str] = []
    for part in _CLAUSE.split(low):
        clauses.extend(_CLAUSE_ZH.split(part) if has_cjk(part) else [part])
    return clauses


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
    if low in STOP_WHOLE_PHRASES:
        return STOP_INTENT
    # "stop, I don't want to continue", "Quit. Please.": the first clause decides
    # a command ("sorry, ..." is no clarify: see below).
    first = _normalise(_clauses(low)[0])
    if first != low:
        found = _lookup(first)
        if found is not None and found != CLARIFY_INTENT:
            return found
    if _stop_clause(low):
        return STOP_INTENT
    # "sorry, I don't understand the question", "what? I don't get it": clarify only
    # when every clause is one (or an apology); "sorry, I got that wrong, I'm 72" is
    # not a clarify.
    clauses = [_normalise(c) for c in _clauses(low)]
    if clauses and all(c in STOP_WHOLE_PHRASES for c in clauses):
        return STOP_INTENT  # "算了，算了"
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
    return any(_normalise(c) in STOP_PHRASES for c in _clauses(low))


def _lookup(low: str) -> str | None:
    for phrases, intent in _PHRASES:
        if low in phrases:
            return intent
    if _ZH_DELETE.match(low):
        return DELETE_DATA_INTENT
    return None
