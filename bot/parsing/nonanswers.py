"""What is no answer: "I don't know", a question back, "I don't understand".

While a question is pending, whatever a parser understands is taken as the answer.
So a parser must not read "I don't understand", "what does ascites mean?" or "can I
talk to a person" as a value: "n't" is a negation cue for yes/no, and "don't know"
an "I don't know" phrase, and both would swallow the message. Every parser opens with
:func:`answer_parser`, which refuses these before the parser reads the answer.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any, Callable, Concatenate, ParamSpec

from bot.parsing.base import (
    Answer,
    Parsed,
    begin,
    fail,
    normalized_or_none,
)
from bot.parsing.lexicon import NO_WORDS, UNKNOWN_RE, YES_NO_WORD, YES_WORDS
from bot.parsing.numbers import to_digits
from bot.parsing.zh_lexicon import (
    FILLER_ZH,
    NO_LEAD_ZH,
    NUMBER_ZH,
    UNKNOWN_ZH,
    WHETHER_ZH,
    YES_LEAD_ZH,
)

logger = logging.getLogger(__name__)

DIGIT = re.compile(r"\d")


def is_unknown(text: str) -> bool:
    """Whether the answer says the person doesn't know, and gives no value.

    "no idea", "not sure", "I don't remember", "dunno", "?", "不知道" are unknown;
    "not sure, maybe 45" (a value) and "yes, but I don't remember when" (an answer)
    are not.

    Args:
        text: The answer as given.

    Returns:
        True for an "I don't know" answer.
    """
    return _check(text, is_unknown_low, "is_unknown")


def _check(text: Any, test: Callable[[str], bool], name: str) -> bool:
    """``test`` on the normalized text; False when too long, or on a bug (logged)."""
    try:
        low = normalized_or_none(text)
        return low is not None and test(low)
    except Exception:  # noqa: BLE001 - a check must never break a conversation
        logger.exception("%s failed", name)
        return False


#: "有没有", "是不是": asking whether, no yes and no no ("不知道有没有").
_WHETHER = re.compile(WHETHER_ZH)
_NUMBER_ZH = re.compile(NUMBER_ZH)


def has_unknown_phrase(low: str) -> bool:
    return bool(UNKNOWN_RE.search(low))


def is_unknown_low(low: str) -> bool:
    if not low or not has_unknown_phrase(low) or CONFUSED_RE.search(low):
        return False
    rest = _WHETHER.sub(" ", UNKNOWN_RE.sub(" ", low))
    if YES_NO_WORD.search(rest) or _NUMBER_ZH.search(rest):
        return False
    return not DIGIT.search(to_digits(rest))


# --------------------------------------------------------------------------- #
# Not an answer: questions back, "I don't understand"
# --------------------------------------------------------------------------- #

#: The person did not understand the question (not: does not know the answer).
CONFUSED_RE = re.compile(
    r"(?:^|\b(?:i|we|i'm|i\s+am|we're|sorry)\s+|[,.!?]\s*)(?:really\s+|just\s+|still\s+)?"
    r"(?:do\s*n[o']?t|dont|did\s*n[o']?t|didnt|not|can'?t|cannot|could\s*n[o']?t)"
    r"\s+(?:really\s+|quite\s+|fully\s+)?(?:understand|follow|get\s+(?:it|that|this"
    r"|you|the\s+question|what)|see\s+what\s+you\s+mean)\b"
    r"|\b(?:do\s*n[o']?t|dont|not\s+(?:sure|certain)|no\s+idea|no\s+clue)\s+(?:\w+\s+)?"
    r"(?:know\s+)?what\s+(?:you|u|that|this|it|the\s+question|the\s+word|\w+)\s+"
    r"(?:mean|means|meant|is\s+asking|are\s+asking|'re\s+asking)\b"
    r"|\b(?:do\s*n[o']?t|dont|not\s+sure|no\s+idea|no\s+clue)\s+(?:\w+\s+)?"
    r"(?:know\s+)?what\s+(?:that|this)\s+is\b"
    r"|\bwhat\s+(?:do|did)\s+(?:you|u)\s+mean\b|\bwdym\b|\bmeaning\s*\?"
    r"|\bwhat\s+(?:does|do|did)\s+(?:\w+\s+){1,3}mean\b"
    r"|\b(?:that|this|it|question)\s+(?:makes?|made)\s+no\s+sense\b"
    r"|\b(?:that|this|it|question)\s+does\s*n[o']?t\s+make\s+(?:any\s+)?sense\b"
    r"|\b(?:you\s+)?lost\s+me\b|\bi'?m\s+lost\b|\bconfus\w+\s+(?:question|wording)\b"
    r"|\b(?:question|that|this)\s+is\s+confusing\b"
    r"|\bconfused\s+by\s+(?:the|that|this|your)\s+(?:question|word|wording)\b"
    r"|^(?:huh|eh|what|wut|wat|pardon(?:\s+me)?|sorry|excuse\s+me|come\s+again"
    r"|say\s+(?:that\s+)?again)\W*$"
    r"|\b(?:i\s+(?:have|'ve\s+got|got)\s+a|quick|one)\s+question\b"
    r"|\b(?:can|could|may)\s+i\s+ask\b|\bi\s+(?:want|would\s+like|'d\s+like)\s+to\s+ask\b"
    r"|不明白|不懂|什么意思|啥意思|没看懂|没听懂|看不懂|听不懂|没明白|没太明白|什么叫"
    r"|啥叫|是指什么|指的是什么|是啥|没理解"
)
#: Not wanting to answer: an honest answer, but not a value.
DECLINED = re.compile(
    r"\b(?:prefer|rather|want|like)\s+(?:not|n't)\s+(?:to\s+)?(?:say|answer|tell|share)"
    r"|\b(?:don'?t|do\s+not)\s+want\s+to\s+(?:say|answer|tell)|\brather\s+not\b"
    r"|\bdecline[sd]?\b|\bprivate\b|\bnone\s+of\s+your\s+business\b"
)
#: Words that open a question in English, and question words of Chinese.
_WH = r"what|what's|whats|why|how|how's|which|who|who's|whom|whose|where|where's|when"
_AUX = (
    r"is|are|am|was|were|do|does|did|can|could|will|would|should|shall|may|might|must"
    r"|have|has|had|isn't|aren't|don't|doesn't|didn't|can't|won't"
)
_SUBJECT = r"i|you|u|we|they|he|she|it|that|this|there|these|those"
#: Openers that may come before the question itself ("sorry, what is that?").
_QUESTION_OPENER = re.compile(
    r"^(?:(?:sorry|um+|uh+|er+m?|hm+|oh|ah|so|ok|okay|well|wait|hang\s+on|but|and"
    r"|excuse\s+me|pardon|hello|hi|hey|one\s+thing|quick\s+question)[\s,.!:-]+)+"
)
#: Without a question mark only a clear inversion is a question ("can I talk to a
#: person"): "when I was a teenager" or "had it for years" are answers.
_QUESTION_LEAD = re.compile(
    rf"^(?:(?:{_WH})\s+(?:(?:{_AUX})\b|about\b|if\b|else\b|for\b|mean\b|come\b|many\b"
    rf"|much\b|long\b|exactly\b)|(?:is|are|am|was|were|do|does|can|could|will|would"
    rf"|should|shall|may|might|must)\s+(?:{_SUBJECT})\b|(?:what|why|how|huh)\W*$"
    r"|(?:you|u)\s+mean\b)"
)
_QUESTION_WORD = re.compile(rf"^(?:{_WH}|{_AUX}|(?:you|u)\s+mean|or)\b")
_HAN = re.compile(r"[\u3400-\u9fff]")
#: A Chinese answer word standing alone at the start ("有，为什么问这个?"): an answer.
_ZH_ANSWER_LEAD = re.compile(
    rf"^(?:{FILLER_ZH})?(?:{YES_LEAD_ZH}|{NO_LEAD_ZH}|{UNKNOWN_ZH})"
    r"(?=$|[,，.。;；!！\s]|了|啊|呀|的)"
)
#: Ends like a question: "…吗", "…吗?", "…么?", "…嘛?".
_ZH_QUESTION_END = re.compile(r"(?:吗|么|嘛)\W*$|吗\s*[?？]")
#: Asks A-or-not-A ("是不是", "要不要") or names what it asks ("为什么", "什么是").
_ZH_QUESTION_PHRASE = re.compile(
    r"(?:是不是|有没有|能不能|可不可以|要不要|会不会|对不对|行不行|需不需要|用不用)"
    r"(?!\S*(?:不知道|不清楚|不记得))"
    r"|为什么|为啥|干嘛|干什么|怎么办|怎么回事|怎么样|怎么算|怎么填|怎么说|怎么看"
    r"|什么是|是什么|什么叫|啥叫|什么意思|啥意思|多少钱|多久|多长时间|在哪里?(?:做|看|查)"
    r"|^(?:请问|问一下|想问|我想问|能问)"
)
#: "不知道为什么", "不知道在哪": a description, not a question.
_ZH_NOT_ASKING = re.compile(
    r"(?:不知道|不清楚|不记得|搞不清|分不清|也不知)(?:自己)?(?:是|在)?"
    r"(?:为什么|为啥|怎么|什么|哪|谁|几)"
)
_ZH_UNKNOWN = re.compile(UNKNOWN_ZH)
#: A question word in a message ending in "?" (not "没什么", "不怎么", "谁都").
_ZH_WH = re.compile(r"(?<![没不])(?:什么|怎么|哪|谁|几|多少|啥)(?![都也])")
_ANSWER_LEAD = re.compile(
    rf"(?:^|[,.;!?]\s*)(?:{YES_WORDS}|{NO_WORDS}|not\s+sure|maybe|probably)\b"
)


def looks_like_question(text: str) -> bool:
    """Whether a message is a question back to us rather than an answer.

    "what does ascites mean?", "why do you need that?", "is that the yellow thing?",
    "can I talk to a person", "what?" are questions. A clause opening with an answer
    word ("yes, why?", "do you mean the eyes? then yes") makes it an answer; so does
    anything that does not open like a question ("I'm 52, why?", "when I was a
    teenager"). With a question mark a wh-word or an auxiliary verb at the start is
    enough; without one it takes an inversion ("can I", "is it", "what does").

    Args:
        text: The message as given.

    Returns:
        True when the message asks rather than answers.
    """
    return _check(text, is_question_low, "looks_like_question")


def is_question_low(low: str) -> bool:
    s = _QUESTION_OPENER.sub("", low).strip()
    if not s or _ANSWER_LEAD.search(s):
        return False
    asks = s.rstrip(" .!)🙂").endswith("?")
    if _HAN.search(s):
        return _is_zh_question(s, asks)
    if asks:
        return bool(_QUESTION_WORD.search(s)) or bool(_QUESTION_LEAD.search(s))
    return bool(_QUESTION_LEAD.search(s))


def _is_zh_question(s: str, asks: bool) -> bool:
    """A Chinese message that asks: "…吗", "是不是…", "为什么…", "什么是腹水?".

    An answer word at the start ("有，为什么问这个?") makes it an answer, and so do
    "不知道在哪" and "不知道为什么" (a description) and a statement ending in "?"
    without a question word ("三天前?": a tentative answer).
    """
    if _ZH_ANSWER_LEAD.search(s):
        return False
    if _ZH_QUESTION_END.search(s):
        return True
    if _ZH_UNKNOWN.search(s) and not asks:
        return False  # "不知道有没有": not knowing, not asking
    rest = _ZH_NOT_ASKING.sub(" ", s)
    if _ZH_QUESTION_PHRASE.search(rest):
        return True
    return asks and bool(_ZH_WH.search(rest))


def non_answer(low: str) -> str | None:
    """Why a message is not an answer at all ("confused", "question"), or None."""
    if CONFUSED_RE.search(low):
        return "confused"
    if is_question_low(low):
        return "question"
    return None


_P = ParamSpec("_P")
_Reader = Callable[Concatenate[Answer, _P], Parsed]
_Parser = Callable[Concatenate[Any, _P], Parsed]


def answer_parser(
    kind: str, *, questions: bool = True
) -> Callable[[_Reader[_P]], _Parser[_P]]:
    """Make a parser of a function that reads an :class:`Answer` of ``kind``.

    The parser takes the text as given. It answers for the function: an empty or
    too-long answer; with ``questions``, a message that is no answer at all
    (``not_understood`` with ``detail["reason"]`` "confused" or "question"); and a
    bug, as ``not_understood`` (reason "internal_error"), never an exception.
    """

    def wrap(read: _Reader[_P]) -> _Parser[_P]:
        @functools.wraps(read)
        def parse(text: Any, /, *args: _P.args, **kwargs: _P.kwargs) -> Parsed:
            try:
                answer = begin(text, kind)
                if isinstance(answer, Parsed):
                    return answer
                reason = non_answer(answer.low) if questions else None
                if reason is not None:
                    return answer.fail("not_understood", reason=reason)
                return read(answer, *args, **kwargs)
            except Exception:  # noqa: BLE001 - a parser must never break a conversation
                logger.exception("%s failed", read.__name__)
                original = text if isinstance(text, str) else ""
                return fail(original, kind, "not_understood", reason="internal_error")

        return parse

    return wrap
