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
has no spaces): a clause ends at any Chinese or ASCII punctuation, or at a space after
a closing "了" or "吧" ("我改主意了 不做了", but not "不想继续 吃药"), and the words
around a command that change nothing
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
        "停止筛查",
        "终止",
        "中止",
        "不问了",
        "不用问了",
        "不用再问了",
        "不要继续问了",
        "别问我了",
        "别再问我了",
        "不要再问我了",
        "别再问我问题了",
        "不干了",
        "不弄了",
        "不搞了",
        "不想弄了",
        "不想再回答了",
        "不想再填了",
        "不填了",
        "结束这个聊天",
        "结束这次聊天",
        "结束这次筛查",
        "不打算继续了",
        "不打算做了",
        "不要再给我发消息了",
        "别再给我发消息了",
    }
)

#: Chinese that means "stop" only as the whole message: "算了" alone is "forget it",
#: but "算了，不记得了" is "never mind, I don't remember" (an answer).
STOP_WHOLE_PHRASES = frozenset(
    {
        "算了",
        "算了算了",
        "停",
        "停停",
        "关掉",
        "关了",
        "不感兴趣了",
        "没兴趣了",
        # "先不聊了，再见" is a goodbye.
        "不想聊了",
        "不聊了",
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
        "重新做一次",
        "再来一遍",
        "全部重做",
        "重做",
        "推倒重来",
        "重启",
        "从最开始",
        "从最开始问",
        "从头做",
        "再从头做一遍",
        "从头答",
        "从头答一遍",
        "从第一个开始",
        "回到第一题",
        "回到第一个问题",
        "全部重新答一遍",
        "全部重新来",
        "重新做一次筛查",
        "重新筛查",
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
        "没懂",
        "没太懂",
        "没理解",
        "没理解这个问题",
        "读不懂",
        "弄不明白",
        "没弄明白",
        "没弄懂",
        "简单点",
        "说得简单点",
        "说得简单一点",
        "换个说法",
        "换个问法",
        "换种说法",
        "能换个说法吗",
        "能不能换个说法",
        "能不能换个问法",
        "通俗点",
        "说得通俗点",
        "说大白话",
        "到底要问什么",
        "想问什么",
        "问的是啥",
        "这说的是什么",
        "懵了",
        "绕晕了",
        "不明白你的意思",
        "没明白你的意思",
        "不明白你在问什么",
        "不知道你要问什么",
        "这个问题是什么意思",
        "这个问题什么意思",
        "这个问题是啥意思",
        "这题什么意思",
        "这题是什么意思",
        "换个说法问问",
        "能换种说法吗",
        "能不能换句话说",
        "能不能说得通俗点",
        "想问的是啥",
        "这个问题不太明白",
        "这个问题我不太明白",
        "没太懂这个问题",
        "一点都看不懂",
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
    r"(?:所有|全部|一切|这次|这些|刚才|前面)?的?"
    r"(?:(?:个人)?(?:回答|答案|数据|信息|资料|记录|聊天记录|对话记录|对话|内容)"
    r"|(?:说过?|填|写)的(?:话|东西|内容|信息|答案|回答|资料)?)"
)
_ZH_DELETE_ALL = r"(?:都|全|全部|全都|统统)"
_ZH_DELETE = re.compile(
    rf"^{_ZH_DELETE_VERB}(?:我们?的?)?{_ZH_DELETE_WHAT}$"
    rf"|^把(?:我们?的?)?{_ZH_DELETE_WHAT}{_ZH_DELETE_ALL}?给?我?请?{_ZH_DELETE_VERB}$"
    rf"|^我们?的?{_ZH_DELETE_WHAT}{_ZH_DELETE_ALL}?给?我?请?{_ZH_DELETE_VERB}$"
    rf"|^{_ZH_DELETE_WHAT}{_ZH_DELETE_ALL}给?我?{_ZH_DELETE_VERB}$"
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
#: A space between Chinese words ends a clause too: many write "我改主意了 不做了".
_CLAUSE_ZH = re.compile(r"([,;:!?。、~～…\s]+|(?<!\d)\.|\.(?!\d))")
#: ... but a verb before a space may have its object after it ("不想继续 吃药",
#: "停止 治疗"): a clause ends at a space only after a word that closes it ("了", "吧").
_CLOSED_ZH = re.compile(r"[了吧啊呀啦呢哦嘛]$")
_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")
#: Words before a Chinese command that change nothing: "我", "那就", "请", "不好意思"...
#: ("我的" stays, as does "我说的": "我的回答", "我说的都删了" are what is deleted).
_LEAD_ZH = re.compile(
    r"^(?:(?:好吧|好的|嗯+|唉|哎呀|哎|那么|那就|那|就|还是|我看|要不|干脆|"
    r"请你|请您|请|麻烦您|麻烦你|麻烦|帮我|你们|你|您|我们|咱们|我想|我要求|要求|我要|"
    r"我(?![的说填])|先|"
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
    """A Chinese phrase without the words around it that change nothing: "那就算了吧"
    is "算了", "我 不想继续了" is "不想继续了"."""
    core = _TRAIL_ZH.sub("", _LEAD_ZH.sub("", low)).strip(" .!?,;:。、…~")
    return core


def _clauses(low: str) -> list[str]:
    """The clauses of a normalised message: English ones end at punctuation
    followed by a space; Chinese ones at any punctuation or a space."""
    return [clause for clause, _ in _clause_list(low)]


def _clause_list(low: str) -> list[tuple[str, bool]]:
    """Each clause, and whether it may run on into the next: a Chinese clause that
    only a space parts from more words, and that does not end in "了", "吧"...
    ("不想继续 吃药")."""
    clauses: list[tuple[str, bool]] = []
    for part in _CLAUSE.split(low):
        if not has_cjk(part):
            clauses.append((part, False))
            continue
        pieces = _CLAUSE_ZH.split(part)
        texts, ends = pieces[0::2], pieces[1::2]
        for i, clause in enumerate(texts):
            runs_on = (
                i < len(ends)
                and not ends[i].strip()
                and bool(texts[i + 1])
                and not _CLOSED_ZH.search(clause)
            )
            clauses.append((clause, runs_on))
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
    if _core_zh(_CJK_SPACE.sub("", low)) in STOP_WHOLE_PHRASES:
        return STOP_INTENT
    # "stop, I don't want to continue", "Quit. Please.": the first clause decides
    # a command ("sorry, ..." is no clarify: see below).
    first, runs_on = _clause_list(low)[0]
    first = _normalise(first)
    if first != low:
        found = _lookup(first)
        if found == STOP_INTENT and runs_on:
            found = None  # "停止 治疗"
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
    return any(
        _normalise(c) in STOP_PHRASES and not runs_on
        for c, runs_on in _clause_list(low)
    )


def _lookup(low: str) -> str | None:
    joined = _CJK_SPACE.sub("", low)
    if joined != low:  # "删除 我的回答", "什么 意思"
        return _lookup(_core_zh(joined))
    for phrases, intent in _PHRASES:
        if low in phrases:
            return intent
    if _ZH_DELETE.match(low):
        return DELETE_DATA_INTENT
    return None
