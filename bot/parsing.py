"""Turn a patient's free-text answer into a normalized value, or a clear error.

Used by the eligibility engine and the NLU component; plain Python, no Rasa. Every
``parse_*`` function accepts any string (empty, huge, emoji, control characters, other
scripts) and returns a :class:`Parsed`; none of them raises.

Conventions shared by all parsers:

* "I don't know" in its common variants (:func:`is_unknown`) gives ``unknown=True``.
  For value parsers that is ``ok=False, error=None``; for :func:`parse_yes_no` it is
  ``ok=True, value="unsure"``.
* A message that is no answer, a question back (:func:`looks_like_question`) or "I
  don't understand", is ``not_understood`` with ``detail["reason"]`` "question" or
  "confused", never a value and never "I don't know": the dialogue takes whatever a
  parser understands as the answer, so a parser must not swallow these.
* Number words are understood through ``text_to_num`` ("sixty-two", "one point
  eight"); "1,8" is a decimal comma, "45,000" a thousands separator.
* Two different values in one answer ("45 or 50", "5 mg/dL or 85 umol/L") give
  ``multiple_values``; the parser never picks one.
* Answers longer than :data:`MAX_ANSWER_LENGTH` characters are ``not_understood``
  (``detail["reason"] == "too_long"``): no real answer to these questions is that long.
* Heavy objects (the pint unit registry, dateparser's parser) are built on first use.

Bilirubin uses the clinical factor of the trial's design, 1 mg/dL = 17.1 µmol/L
(:data:`BILIRUBIN_UMOL_PER_MGDL`), not the molar mass; the canonical unit is µmol/L.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Callable, NamedTuple

from dateutil.relativedelta import relativedelta

logger = logging.getLogger(__name__)

__all__ = [
    "BILIRUBIN_UMOL_PER_MGDL",
    "ERRORS",
    "MAX_ANSWER_LENGTH",
    "Parsed",
    "RELATIONS",
    "TimeAgo",
    "is_unknown",
    "mgdl_to_umol",
    "parse_age",
    "parse_bilirubin",
    "parse_child_pugh",
    "parse_email",
    "parse_he_grade",
    "parse_inr",
    "parse_number",
    "parse_phone",
    "looks_like_question",
    "parse_platelets",
    "parse_pta",
    "parse_respondent",
    "parse_sex",
    "parse_skip",
    "parse_time_ago",
    "parse_yes_no",
    "umol_to_mgdl",
    "window_status",
]

# --------------------------------------------------------------------------- #
# Constants
# --------------------------------------------------------------------------- #

#: Clinical convention from the design: 1 mg/dL of bilirubin = 17.1 µmol/L.
BILIRUBIN_UMOL_PER_MGDL = 17.1

#: The error codes a :class:`Parsed` can carry.
ERRORS = frozenset(
    {
        "empty",
        "not_a_number",
        "negative",
        "out_of_range",
        "unit_needed",
        "unknown_unit",
        "not_understood",
        "future_date",
        "multiple_values",
    }
)

#: Longer answers are not parsed (``not_understood`` with reason ``too_long``).
MAX_ANSWER_LENGTH = 1000

#: Canonical unit labels (the micro sign is U+00B5).
UMOL_L = "µmol/L"
MG_DL = "mg/dL"
GIGA_PER_L = "10^9/L"
PERCENT = "%"

AGE_MAX = 120
#: A bilirubin without a unit above this is read as µmol/L (impossible in mg/dL).
BILIRUBIN_UNITLESS_MGDL_MAX = 60.0
#: Above this (about 88 mg/dL) a bilirubin is not a real lab value.
BILIRUBIN_MAX_UMOL_L = 1500.0
INR_MIN, INR_MAX = 0.5, 15.0
PTA_MIN, PTA_MAX = 0.0, 150.0
#: A PTA at or below this without a % sign may be a fraction ("0.35"): we ask.
PTA_FRACTION_MAX = 1.5
PLATELETS_MIN, PLATELETS_MAX = 1.0, 1500.0
CHILD_PUGH_MIN, CHILD_PUGH_MAX = 5, 15
#: Child-Pugh class -> (value used, range of scores). The value is the score of the
#: class nearest the trial's "> 9" cut-off, so the class alone decides it correctly.
CHILD_PUGH_CLASSES: dict[str, tuple[int, tuple[int, int]]] = {
    "A": (6, (5, 6)),
    "B": (9, (7, 9)),
    "C": (10, (10, 15)),
}
HE_GRADE_MAX = 4


# --------------------------------------------------------------------------- #
# Result types
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class Parsed:
    """The result of parsing one answer.

    Attributes:
        ok: True when ``value`` is a usable normalized value.
        value: The normalized value (see each parser); None when not ok or unknown.
        unknown: The person said they don't know ("no idea", "not sure", "?").
        error: A machine code from :data:`ERRORS` when not ok and not unknown.
        message: A short plain-language explanation of the error for the patient.
        text: The answer exactly as given.
        detail: Extra facts, e.g. ``{"given_value": 10, "given_unit": "mg/dL"}``.
    """

    ok: bool
    value: Any = None
    unknown: bool = False
    error: str | None = None
    message: str | None = None
    text: str = ""
    detail: dict = field(default_factory=dict)


@dataclass(frozen=True)
class TimeAgo:
    """When something happened, as an interval of possible dates.

    Attributes:
        never: It never happened.
        earliest: The earliest date it can have happened (None: no lower bound).
        latest: The latest date it can have happened, never after the screening date
            (None: no upper bound).
    """

    never: bool = False
    earliest: date | None = None
    latest: date | None = None


# --------------------------------------------------------------------------- #
# Messages (grade-8 English)
# --------------------------------------------------------------------------- #

_WHAT = {
    "number": ("number", "45"),
    "age": ("age", "45"),
    "bilirubin": ("bilirubin", "5 mg/dL or 85 µmol/L"),
    "inr": ("INR", "1.8"),
    "pta": ("PTA", "35%"),
    "platelets": ("platelet count", "45 ×10⁹/L"),
    "child_pugh": ("Child-Pugh score", '8, or "class B"'),
    "he_grade": ("confusion grade", '"grade 1", or "a little confused"'),
    "yes_no": ("answer", '"yes", "no" or "not sure"'),
    "sex": ("answer", '"female", "male" or "prefer not to say"'),
    "time_ago": ("time", '"never", "two weeks ago" or "in 2019"'),
    "phone": ("phone number", "138 0013 8000"),
    "email": ("email address", "name@example.com"),
    "respondent": ("answer", '"for myself" or "for my father"'),
    "skip": ("answer", '"skip"'),
}

_MESSAGES = {
    "empty": "I did not get an answer. Please type it, for example {example}. "
    'You can also say "I don\'t know".',
    "not_a_number": "Please type the {what} as a number, for example {example}.",
    "negative": "The {what} cannot be below zero. Please check the number.",
    "out_of_range": "That number does not look right for the {what}. "
    "Please check it, for example {example}.",
    "unit_needed": "Please tell me the unit too, for example {example}.",
    "unknown_unit": "I do not know that unit for the {what}. "
    "Please give it like this: {example}.",
    "not_understood": "Sorry, I did not understand. "
    "Please answer like this: {example}.",
    "future_date": "That time is in the future. Please tell me when it happened, "
    'for example "two weeks ago".',
    "multiple_values": "I see more than one {what} in your answer. "
    "Please give just one, for example {example}.",
}


def _message(kind: str, code: str) -> str:
    what, example = _WHAT.get(kind, ("answer", "45"))
    return _MESSAGES[code].format(what=what, example=example)


def _ok(text: str, value: Any, **detail: Any) -> Parsed:
    return Parsed(ok=True, value=value, text=text, detail=detail)


def _fail(
    text: str, kind: str, code: str, message: str | None = None, **detail: Any
) -> Parsed:
    return Parsed(
        ok=False,
        error=code,
        message=message or _message(kind, code),
        text=text,
        detail=detail,
    )


def _unknown(text: str, **detail: Any) -> Parsed:
    return Parsed(ok=False, unknown=True, text=text, detail=detail)


_ParserFunc = Callable[..., Parsed]


def _never_raises(kind: str) -> Callable[[_ParserFunc], _ParserFunc]:
    """Decorate a parser so that a bug gives ``not_understood``, never an exception."""

    def wrap(func: Callable[..., Parsed]) -> Callable[..., Parsed]:
        @functools.wraps(func)
        def safe(text: Any, *args: Any, **kwargs: Any) -> Parsed:
            try:
                return func(text, *args, **kwargs)
            except Exception:  # noqa: BLE001 - a parser must never break a conversation
                logger.exception("%s failed", func.__name__)
                original = text if isinstance(text, str) else ""
                return _fail(original, kind, "not_understood", reason="internal_error")

        return safe

    return wrap


# --------------------------------------------------------------------------- #
# Text normalization
# --------------------------------------------------------------------------- #

_SUPERSCRIPT_RUN = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_DASHES = re.compile("[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "`": "'"})
_SPACES = re.compile(r"\s+")


def _as_text(text: Any) -> str:
    if isinstance(text, str):
        return text
    return "" if text is None else str(text)


def _normalize(text: str) -> str:
    """NFKC, one dash and quote, ASCII digits, no control characters, lower case.

    Superscripts become ``^n`` first, so "10⁹/L" stays "10^9/l" (NFKC alone would give
    "109/l").
    """
    chars = []
    for ch in text:
        cat = unicodedata.category(ch)
        chars.append(" " if cat[0] == "C" or cat in ("Zl", "Zp") else ch)
    s = "".join(chars)
    s = _SUPERSCRIPT_RUN.sub(lambda m: "^" + m.group().translate(_SUPERSCRIPTS), s)
    s = unicodedata.normalize("NFKC", s)
    s = _DASHES.sub("-", s).translate(_QUOTES)
    if not s.isascii():
        s = "".join(
            str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch
            for ch in s
        )
    return _SPACES.sub(" ", s).strip().lower()


class _Answer(NamedTuple):
    text: str  # as given
    low: str  # normalized, lower case


def _begin(text: Any, kind: str) -> Parsed | _Answer:
    """Common start: the empty and too-long answers, or the normalized answer."""
    original = _as_text(text)
    if len(original) > MAX_ANSWER_LENGTH:
        return _fail(original, kind, "not_understood", reason="too_long")
    low = _normalize(original)
    if not low:
        return _fail(original, kind, "empty")
    return _Answer(original, low)


# --------------------------------------------------------------------------- #
# "I don't know"
# --------------------------------------------------------------------------- #

_UNKNOWN_RE = re.compile(
    r"(?:^|\b(?:i|we)\s+(?:really\s+|still\s+|just\s+|honestly\s+)?|\bhonestly\s+)"
    r"(?:do\s*n[o']?t|dont|didn't|didnt|did\s+not)\s+(?:really\s+|even\s+)?"
    r"(?:know|remember|recall|recollect)\b"
    r"|\b(?:i\s+)?(?:can\s*not|can'?t|couldn'?t|could\s+not)\s+(?:really\s+)?"
    r"(?:remember|recall|say|tell)\b"
    r"|\bno\s+(?:idea|clue|clues|recollection|memory\s+of)\b"
    r"|\bnot\s+(?:really\s+|too\s+|so\s+)?(?:sure|shure|sur|suer|certain|known)\b"
    r"|\b(?:unsure|uncertain|unknown|dunno|donno|idk|dk|forgot|forgotten)\b"
    r"|\b(?:i\s+)?forget\b"
    r"|\bhave(?:\s+not|n'?t)\s+(?:got\s+)?(?:a\s+clue|any\s+idea)\b"
    r"|\bnever\s+(?:been\s+)?(?:told|checked|tested|measured)\b"
    r"|\bno\s*one\s+(?:told|knows)\b|\bnobody\s+(?:told|knows)\b"
    r"|\bwho\s+knows\b|\bbeats\s+me\b|\bnot\s+a\s+clue\b"
    r"|不知道|不清楚|不确定|不记得|忘了|^\?+$"
)
# The words that open a yes or a no, typos and drawn-out forms included ("yse", "noo",
# "nop", "yesss"). One list, used by every parser that needs to see a yes or a no.
_YES_WORDS = (
    r"ye+s+|yse|ys|yess+|ye+a+h*|yeh|ya+h*|yep+|yup+|yas+|aye|y|sure|definitely"
    r"|certainly|absolutely|of\s+course|correct|right|true|affirmative|indeed|positive"
)
_NO_WORDS = (
    r"no+|nop+e*|nah+|naw+|n|never|none|negative|false|incorrect|nothing"
    r"|not\s+at\s+all|not\s+ever"
)
#: A yes/no word left after removing the "don't know" phrases means a real answer
#: ("yes, but I don't remember when").
_YES_NO_WORD = re.compile(
    r"\b(?:ye+s+|yse|ye+a+h*|yep+|yup+|no+|nop+e*|nah+|never|none)\b|[是有没否]"
)
_DIGIT = re.compile(r"\d")


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
    try:
        original = _as_text(text)
        if len(original) > MAX_ANSWER_LENGTH:
            return False
        return _is_unknown_low(_normalize(original))
    except Exception:  # noqa: BLE001
        logger.exception("is_unknown failed")
        return False


def _has_unknown_phrase(low: str) -> bool:
    return bool(_UNKNOWN_RE.search(low))


def _is_unknown_low(low: str) -> bool:
    if not low or not _has_unknown_phrase(low) or _CONFUSED_RE.search(low):
        return False
    rest = _UNKNOWN_RE.sub(" ", low)
    if _YES_NO_WORD.search(rest):
        return False
    return not _DIGIT.search(_to_digits(rest))


# --------------------------------------------------------------------------- #
# Not an answer: questions back, "I don't understand"
# --------------------------------------------------------------------------- #

# While a question is pending, whatever a parser understands is taken as the answer.
# So a parser must not read "I don't understand", "what does ascites mean?" or "can I
# talk to a person" as a value: "n't" is a negation cue for yes/no, and "don't know"
# an "I don't know" phrase, and both would swallow the message.

#: The person did not understand the question (not: does not know the answer).
_CONFUSED_RE = re.compile(
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
    r"|不明白|不懂|什么意思|啥意思"
)
#: Not wanting to answer: an honest answer, but not a value.
_DECLINED = re.compile(
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
_ZH_QUESTION = re.compile(r"什么|为什么|怎么|哪|谁|吗[?？]?$|呢[?？]?$")
_ANSWER_LEAD = re.compile(
    rf"(?:^|[,.;!?]\s*)(?:{_YES_WORDS}|{_NO_WORDS}|not\s+sure|maybe|probably)\b"
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
    try:
        original = _as_text(text)
        if len(original) > MAX_ANSWER_LENGTH:
            return False
        return _is_question_low(_normalize(original))
    except Exception:  # noqa: BLE001
        logger.exception("looks_like_question failed")
        return False


def _is_question_low(low: str) -> bool:
    s = _QUESTION_OPENER.sub("", low).strip()
    if not s or _ANSWER_LEAD.search(s):
        return False
    asks = s.rstrip(" .!)🙂").endswith("?")
    if _ZH_QUESTION.search(s):
        return True
    if asks:
        return bool(_QUESTION_WORD.search(s)) or bool(_QUESTION_LEAD.search(s))
    return bool(_QUESTION_LEAD.search(s))


def _non_answer(low: str) -> str | None:
    """Why a message is not an answer at all ("confused", "question"), or None."""
    if _CONFUSED_RE.search(low):
        return "confused"
    if _is_question_low(low):
        return "question"
    return None


def _not_an_answer(answer: _Answer, kind: str) -> Parsed | None:
    """``not_understood`` with ``detail["reason"]`` when the message is no answer."""
    reason = _non_answer(answer.low)
    if reason is None:
        return None
    return _fail(answer.text, kind, "not_understood", reason=reason)


# --------------------------------------------------------------------------- #
# Numbers
# --------------------------------------------------------------------------- #

#: Phrases where "one", "first", "second" are not numbers; kept away from text2num.
_PROTECT = re.compile(
    r"\b(?:no|any|some|every|this|that|the|which)\s+one\b"
    r"|\bone\s+(?:of|day|time|another|more|thing|by\s+one)\b"
    r"|\bat\s+one\s+point\b|\b(?:first|second|seconds)\b"
)
_MINUS_WORD = re.compile(r"\bminus\s*(?=\d|\.\d)")
_POINT_WORD = re.compile(r"(\d+)\s+point\s+(\d+)\b")
_MULTIPLIER = re.compile(
    r"(?<![\d.,])(\d+(?:[.,]\d+)?)\s*(thousand|k|lakhs?|lacs?|million)\b"
)
_MULTIPLIERS = {"thousand": 1e3, "k": 1e3, "million": 1e6}

_NUMBER_RE = re.compile(
    r"(?:(?<![^\s(:=~\[])(?P<sign>[-+])(?=\.?\d))?"
    r"(?<![\d.,])(?P<body>\d+(?:[.,]\d+)*|\.\d+)"
    r"(?:e(?P<exp>[-+]?\d{1,3}))?(?!\d)"
)
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_EURO_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?|\d{1,3}\.\d{3},\d+")
_DECIMAL_COMMA = re.compile(r"\d+,\d+")
_PLAIN = re.compile(r"\d+(?:\.\d+)?|\.\d+")


class _Number(NamedTuple):
    value: float
    start: int
    end: int


def _scale_multiplier(m: re.Match[str]) -> str:
    number, word = m.group(1), m.group(2)
    factor = 1e5 if word.startswith(("lakh", "lac")) else _MULTIPLIERS[word]
    value = _body_values(number)
    if len(value) != 1:
        return m.group()
    return _format(value[0] * factor)


def _format(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _to_digits(low: str) -> str:
    """Number words as digits; "minus 5" as "-5"; "45 thousand" as "45000"."""
    if re.search("[a-z]", low):
        saved: list[str] = []

        def protect(m: re.Match[str]) -> str:
            saved.append(m.group())
            return f"\ue000{len(saved) - 1}\ue001"

        s = _MULTIPLIER.sub(_scale_multiplier, _PROTECT.sub(protect, low))
        try:
            from text_to_num import alpha2digit

            s = alpha2digit(s, "en", threshold=0)
        except Exception:  # noqa: BLE001 - number words are a help, not a requirement
            logger.debug("alpha2digit failed", exc_info=True)
        s = re.sub("\ue000(\\d+)\ue001", lambda m: saved[int(m.group(1))], s)
        s = _MINUS_WORD.sub("-", s)
        s = _POINT_WORD.sub(r"\1.\2", s)
        low = s
    return _MULTIPLIER.sub(_scale_multiplier, low)


def _body_values(body: str) -> list[float]:
    """The numbers one digit run stands for ("1,8" -> 1.8, "45,000" -> 45000)."""
    if _PLAIN.fullmatch(body):
        return [float(body)]
    if _THOUSANDS.fullmatch(body):
        return [float(body.replace(",", ""))]
    if _EURO_THOUSANDS.fullmatch(body):
        return [float(body.replace(".", "").replace(",", "."))]
    if _DECIMAL_COMMA.fullmatch(body):
        return [float(body.replace(",", "."))]
    values: list[float] = []
    for part in body.split(","):
        if _PLAIN.fullmatch(part):
            values.append(float(part))
        else:
            values.extend(float(p) for p in part.split(".") if p)
    return values


def _numbers(s: str) -> list[_Number]:
    """Every number in already digit-converted text, with its span."""
    found: list[_Number] = []
    for m in _NUMBER_RE.finditer(s):
        sign = -1.0 if m.group("sign") == "-" else 1.0
        body, exp = m.group("body"), m.group("exp")
        values = _body_values(body)
        if exp is not None and len(values) == 1:
            try:
                values = [float(f"{body.replace(',', '')}e{exp}")]
            except ValueError:
                pass
        for value in values:
            found.append(_Number(sign * value, m.start(), m.end()))
    return found


def _distinct(numbers: list[_Number]) -> list[float]:
    seen: list[float] = []
    for n in numbers:
        if n.value not in seen:
            seen.append(n.value)
    return seen


def parse_number(text: str) -> float | None:
    """The first number in the answer, from digits or words.

    "sixty-two" -> 62.0, "one point eight" -> 1.8, "1,8" -> 1.8 (decimal comma),
    "45,000" -> 45000.0 (thousands), "1.5e3" -> 1500.0, "-3" -> -3.0,
    "45 thousand" -> 45000.0.

    Args:
        text: The answer as given.

    Returns:
        The first number found, or None when there is none (or it is not finite).
    """
    try:
        original = _as_text(text)
        if len(original) > MAX_ANSWER_LENGTH:
            return None
        numbers = _numbers(_to_digits(_normalize(original)))
        if not numbers or not math.isfinite(numbers[0].value):
            return None
        return numbers[0].value
    except Exception:  # noqa: BLE001
        logger.exception("parse_number failed")
        return None


def _single_number(
    answer: _Answer, kind: str, digits: str | None = None
) -> Parsed | tuple[float, str]:
    """The one number of a value answer, or the error / unknown result.

    Returns:
        ``(value, digits_text)``, or a finished :class:`Parsed`.
    """
    s = _to_digits(answer.low) if digits is None else digits
    numbers = _numbers(s)
    if not numbers:
        if _has_unknown_phrase(answer.low):
            return _unknown(answer.text)
        return _fail(answer.text, kind, "not_a_number")
    values = _distinct(numbers)
    if len(values) > 1:
        return _fail(answer.text, kind, "multiple_values", values=values)
    value = values[0]
    if not math.isfinite(value):
        return _fail(answer.text, kind, "out_of_range", given_value=str(value))
    if value < 0:
        return _fail(answer.text, kind, "negative", given_value=value)
    return value, s


# --------------------------------------------------------------------------- #
# Yes / no
# --------------------------------------------------------------------------- #

_FILLER = re.compile(r"^(?:(?:um+|uh+|er+m?|hm+|well|oh|ah|so|ok|okay|hmm+)[\s,.!]+)+")
#: Hedges, checked before plain yes/no. Leaning "no" first ("I don't think so").
_HEDGE_NO = re.compile(
    r"\b(?:i\s+)?(?:do\s*n[o']?t|dont)\s+(?:think|believe)\s+so\b"
    r"|\bi\s+(?:do\s*n[o']?t|dont)\s+think\s+(?:i|he|she|they|we)\b"
    r"|\bprobably\s+not\b|\bmaybe\s+not\b|\bi\s+(?:guess|think)\s+not\b"
    r"|\bnot\s+really\b"
    r"|\bnot\s+that\s+(?:i|we)\s+(?:know|knew|am\s+aware|'m\s+aware|remember|recall)"
    r"|\bnot\s+that\s+i'm\s+aware|\bnot\s+to\s+my\s+knowledge\b"
    r"|\bnot\s+as\s+far\s+as\s+(?:i|we)\s+know\b|\bunlikely\b|\bi\s+hope\s+not\b"
)
#: "Not as far as I know" after a plain no is a no said modestly ("nope, not that I
#: know of", "no, not really"): a careful reader takes it as no. Alone it stays a
#: hedge (unsure, leaning no).
_MODEST_NO = re.compile(
    r"\bnot\s+really\b|\b(?:i\s+)?(?:do\s*n[o']?t|dont)\s+(?:think|believe)\s+so\b"
    r"|\bnot\s+that\s+(?:i|we)\s+(?:know|knew|am\s+aware|'m\s+aware|remember|recall)"
    r"|\bnot\s+that\s+i'm\s+aware|\bnot\s+to\s+my\s+knowledge\b"
    r"|\bnot\s+as\s+far\s+as\s+(?:i|we)\s+know\b"
)
_PLAIN_NO = re.compile(r"^(?:no|nope|nah|naw)\b|[,.;]\s*(?:no|nope|nah)\W*$|\bno$")
_HEDGE_YES = re.compile(
    r"\b(?:i\s+)?(?:think|believe|guess|suppose|assume)\s+so\b"
    r"|\bi\s+think\s+(?:i|he|she|they|we|it)\b|\bprobably\b|\blikely\b"
    r"|\bmaybe\s+yes\b|\b(?:might|may|could)\s+(?:have|be|do|has)\b"
    r"|\bkind\s+of\b|\bsort\s+of\b|\bi\s+think\b|\bi\s+believe\b"
)
_HEDGE_NEUTRAL = re.compile(
    r"\bmaybe\b|\bperhaps\b|\bpossibly\b|\byes\s+and\s+no\b|\byes\s+or\s+no\b"
    r"|\bnot\s+always\b|\bsometimes\b"
)
_PAST_ONLY = re.compile(
    r"\bnot\s+any\s*more\b|\bno\s+longer\b|\bused\s+to\b"
)
_YES_LEAD = re.compile(rf"^(?:{_YES_WORDS})\b")
_NO_LEAD = re.compile(rf"^(?:{_NO_WORDS})\b")
_NEG_CUE = re.compile(
    r"\b(?:no|not|never|none|nothing|nope|nah|neither|nor|without|negative)\b"
    r"|n't\b|\bcannot\b"
)
# Copulas ("I'm", "he is") are not cues: "I'm 45" or "he is 60" answer another
# question, and must not read as a "yes".
_POS_CUE = re.compile(
    r"\b(?:yes|yeah|yep|yup|i\s+(?:do|did|have|had)|i've"
    r"|(?:he|she|they|we)\s+(?:do|does|did|has|have|had)"
    r"|had|have|has|got|diagnosed|positive|taking|takes|took)\b"
)
_ZH_YES = {"是", "是的", "对", "有", "嗯", "好"}
_ZH_NO = {"不", "不是", "没有", "没", "否", "无"}

# Agreeing to go ahead ("Shall we start?", "May we pass your details on?", "Is this
# right?"): phrasings that are a clear yes or no to an offer, but no answer to a
# question about health ("ok" or "fine" to "Any kidney problems?" may well mean
# "no problem"). Used only with ``parse_yes_no(text, consent=True)``; the whole
# message must be made of these phrases ("ok, let's do it", "alright then").
_AGREE_PHRASE = (
    r"ok(?:ay|ey)?|k|kk|alright|all\s+right|fine|good|great|cool|perfect|sounds\s+"
    r"(?:good|great|fine|ok(?:ay)?|like\s+a\s+plan)|go\s+ahead|go\s+for\s+it"
    r"|let'?s\s+(?:do\s+(?:it|this|that)|go|start|begin|get\s+started|get\s+going)"
    r"|let'?s|i'?m\s+ready|ready(?:\s+when\s+you\s+are)?|i'?m\s+in|count\s+me\s+in"
    r"|(?:that'?s|that\s+is|it'?s)\s+(?:fine|ok(?:ay)?|good|alright|all\s+right)"
    r"|fine\s+(?:by|with)\s+me|works\s+for\s+me|please\s+do|do\s+it|why\s+not"
    r"|(?:you\s+)?can\s+go\s+ahead|i\s+agree|agreed|happy\s+to"
    r"|(?:i'?m\s+)?ok(?:ay)?\s+with\s+(?:it|that)"
    r"|go\s+on|carry\s+on|continue|proceed|keep\s+going"
)
_AGREE_YES = re.compile(
    r"^(?:(?:um+|uh+|er+m?|hm+|well|oh|ah|so)[\s,.!]+)*"
    rf"(?:{_AGREE_PHRASE})\b[\s,.!]*"
    rf"(?:(?:{_AGREE_PHRASE}|then|please|thanks|thank\s+you)\b[\s,.!]*)*$"
)
#: Declining an offer: "I'd rather not" (but "I'd rather not say" stays a decline to
#: answer: see _DECLINED), "not interested", "maybe later".
_AGREE_NO = re.compile(
    r"^(?:(?:no\s*,?\s*)?(?:(?:i'?d|i\s+would)\s+)?(?:rather|prefer)\s+not(?:\s+to)?"
    r"|(?:i'?m\s+|i\s+am\s+)?not\s+interested|maybe\s+(?:later|another\s+time)"
    r"|not\s+(?:right\s+)?now|not\s+today|no\s+thank\s+you|no\s+thanks|no\s+ta"
    r"|not\s+for\s+me|(?:i'?ll|i\s+will)\s+pass|pass)"
    r"(?:[\s,.!]+(?:thanks|thank\s+you|really|sorry|for\s+now))*[\s,.!]*$"
)


@_never_raises("yes_no")
def parse_yes_no(text: str, *, consent: bool = False) -> Parsed:
    """A yes / no / unsure answer.

    Decisions on ambiguous answers:

    * "not sure", "don't know" -> ``value="unsure", unknown=True``.
    * Hedges ("I think so", "probably", "not that I know of", "I don't think so",
      "not really", "maybe") -> ``value="unsure", unknown=False`` with
      ``detail["hedged"] = True`` and ``detail["leaning"]`` "yes", "no" or None: a
      hedged answer is never taken as a definite yes or no, but the leaning is kept.
    * "I'd rather not say" -> ``"unsure"``, ``unknown=True``, ``detail["declined"]``.
    * Not an answer -> ``not_understood`` with ``detail["reason"]``: "confused" for
      "I don't understand", "what do you mean?", "huh"; "question" for a question back
      (:func:`looks_like_question`: "is that the yellow thing?", "why do you ask?").
    * Typos and drawn-out words count: "yse", "yesss", "noo", "nop".
    * "not anymore", "used to", "no longer" -> ``"unsure"`` with
      ``detail["past_only"] = True``: true in the past, and whether that counts depends
      on the question.
    * Otherwise the first word decides ("yes, hepatitis B for years" -> yes,
      "no never" -> no); failing that any negation means no ("I have never had it"),
      and an affirmative verb means yes ("I had it in 2019").
    * With ``consent=True`` (an offer: "Shall we start?", "May we share your
      details?"), agreeing phrasings are a yes ("ok", "let's do it", "go ahead",
      "sounds good", "fine") and declining ones a no ("I'd rather not", "not now",
      "no thank you"). Without it, "ok" or "fine" alone are not understood: to a
      question about health they may mean "no problem". "I'd rather not say" is a
      decline to answer (unsure) either way.

    Args:
        text: The answer as given.
        consent: The question is an offer to agree to, not a question of fact.

    Returns:
        ``value`` in {"yes", "no", "unsure"}, or ``not_understood``.
    """
    answer = _begin(text, "yes_no")
    if isinstance(answer, Parsed):
        return answer
    not_answer = _not_an_answer(answer, "yes_no")
    if not_answer is not None:
        return not_answer
    low = _FILLER.sub("", answer.low).strip() or answer.low
    if consent and _AGREE_NO.match(low):
        return _ok(answer.text, "no")
    if consent and _AGREE_YES.match(answer.low):
        return _ok(answer.text, "yes")
    if _DECLINED.search(low) and not _YES_LEAD.search(low):
        # Not wanting to say is no "no": the study team asks in private.
        return Parsed(
            ok=True, value="unsure", unknown=True, text=answer.text,
            detail={"declined": True},
        )
    bare = re.sub(r"[\s\W_]+", "", low)
    if bare in _ZH_YES:
        return _ok(answer.text, "yes")
    if bare in _ZH_NO:
        return _ok(answer.text, "no")
    if _is_unknown_low(low):
        return Parsed(ok=True, value="unsure", unknown=True, text=answer.text)
    if _HEDGE_NO.search(low):
        if _PLAIN_NO.search(low) and not _HEDGE_NO.search(_MODEST_NO.sub(" ", low)):
            return _ok(answer.text, "no", modest=True)
        return _ok(answer.text, "unsure", hedged=True, leaning="no")
    if _PAST_ONLY.search(low):
        return _ok(answer.text, "unsure", past_only=True)
    if _HEDGE_YES.search(low):
        return _ok(answer.text, "unsure", hedged=True, leaning="yes")
    if _HEDGE_NEUTRAL.search(low):
        return _ok(answer.text, "unsure", hedged=True, leaning=None)
    if _YES_LEAD.search(low):
        return _ok(answer.text, "yes")
    if _NO_LEAD.search(low):
        return _ok(answer.text, "no")
    if any(sym in low for sym in ("👍", "✅", "✔")):
        return _ok(answer.text, "yes")
    if any(sym in low for sym in ("👎", "❌", "✖")):
        return _ok(answer.text, "no")
    if _has_unknown_phrase(low):
        return Parsed(ok=True, value="unsure", unknown=True, text=answer.text)
    if _NEG_CUE.search(low):
        return _ok(answer.text, "no")
    if _POS_CUE.search(low):
        return _ok(answer.text, "yes")
    return _fail(answer.text, "yes_no", "not_understood")


# --------------------------------------------------------------------------- #
# Age and sex
# --------------------------------------------------------------------------- #

_AGE_EXTRA_UNITS = re.compile(
    r"(?:,|\band\b)?\s*(\d+(?:\.\d+)?)\s*(?:months?|mos?|weeks?|wks?|days?)\b"
)
_AGE_DECADE = re.compile(
    r"(?<![\d.])(\d)0'?s\b|\b(twen|thir|for|fif|six|seven|eigh|nine)ties\b"
)
_DECADE_WORDS = {
    "twen": 20, "thir": 30, "for": 40, "fif": 50, "six": 60, "seven": 70, "eigh": 80,
    "nine": 90,
}


@_never_raises("age")
def parse_age(text: str) -> Parsed:
    """An age in whole years.

    "I'm 45", "forty-five", "he turned 60 in May", "62 years old" -> 45, 45, 60, 62.
    A fractional age is floored (17.9 -> 17: completed years). "45 years and 6 months"
    -> 45; "8 months old" -> 0. "in his 60s" -> ``not_understood`` with
    ``detail["range"]``. A four-digit number (a birth year) -> ``out_of_range`` with
    ``detail["looks_like_year"]``. Valid range 0..120.

    Args:
        text: The answer as given.

    Returns:
        ``value`` as int, or an error.
    """
    answer = _begin(text, "age")
    if isinstance(answer, Parsed):
        return answer
    not_answer = _not_an_answer(answer, "age")
    if not_answer is not None:
        return not_answer
    s = _to_digits(answer.low)
    decade = _AGE_DECADE.search(s)
    if decade and not re.search(r"\b\d+\s*(?:years?|yrs?|y/?o)\b", s):
        low_end = int(decade.group(1)) * 10 if decade.group(1) else _DECADE_WORDS[
            decade.group(2)
        ]
        return _fail(
            answer.text,
            "age",
            "not_understood",
            "Please tell me the exact age in years, for example 45.",
            range=[low_end, low_end + 9],
        )
    in_months = False
    if len(_distinct(_numbers(s))) > 1:
        s = _AGE_EXTRA_UNITS.sub(" ", s)
    else:
        only_months = re.fullmatch(
            r"\D*?(\d+(?:\.\d+)?)\s*(?:months?|mos?)\b(?:\s*old)?\W*", s
        )
        in_months = bool(only_months)
    result = _single_number(answer, "age", s)
    if isinstance(result, Parsed):
        return result
    value, _ = result
    if in_months:
        value = value / 12.0
    if value > AGE_MAX:
        extra: dict[str, Any] = {"given_value": value}
        message = None
        if value.is_integer() and 1900 <= value <= 2100:
            extra["looks_like_year"] = int(value)
            message = "Please tell me the age in years, not the year of birth."
        return _fail(answer.text, "age", "out_of_range", message, **extra)
    detail: dict[str, Any] = {}
    if not value.is_integer():
        detail["given_value"] = value
    return _ok(answer.text, int(math.floor(value)), **detail)


_SEX_OTHER = re.compile(
    r"\b(?:other|non[-\s]?binary|enby|intersex|genderqueer|gender\s*queer|agender"
    r"|gender[-\s]?fluid|x)\b"
)
_FEMALE_1 = re.compile(r"\b(?:female|woman|women|girl|lady|feminine|fem)\b|女")
_MALE_1 = re.compile(r"\b(?:male|man|men|boy|gentleman|guy|masculine)\b|男")
_FEMALE_2 = re.compile(
    r"\b(?:she|her|hers|herself|mother|mom|mum|mam|mommy|mummy|wife|daughter|sister"
    r"|aunt|auntie|grandmother|grandma|granny|niece|girlfriend)\b"
)
_MALE_2 = re.compile(
    r"\b(?:he|him|his|himself|father|dad|daddy|husband|son|brother|uncle|grandfather"
    r"|grandpa|nephew|boyfriend)\b"
)


@_never_raises("sex")
def parse_sex(text: str) -> Parsed:
    """Sex as "female", "male" or "other".

    Explicit words ("female", "woman", "girl", "male", "man", "boy", a lone "f"/"m")
    win over pronouns and family words ("she", "my husband"). "prefer not to say" ->
    "other" with ``detail["declined"] = True``; "non-binary", "intersex", "other" ->
    "other". A self-described "trans woman" is "female" (the words used are
    respected). Contradicting cues ("I'm his wife") -> ``not_understood``.

    Args:
        text: The answer as given.

    Returns:
        ``value`` in {"female", "male", "other"}, or an error.
    """
    answer = _begin(text, "sex")
    if isinstance(answer, Parsed):
        return answer
    not_answer = _not_an_answer(answer, "sex")
    if not_answer is not None:
        return not_answer
    low = answer.low
    bare = re.sub(r"[\s\W_]+", "", low)
    if bare == "f":
        return _ok(answer.text, "female")
    if bare == "m":
        return _ok(answer.text, "male")
    if _DECLINED.search(low):
        return _ok(answer.text, "other", declined=True)
    if _SEX_OTHER.search(low) and not (_FEMALE_1.search(low) or _MALE_1.search(low)):
        return _ok(answer.text, "other")
    for female, male in ((_FEMALE_1, _MALE_1), (_FEMALE_2, _MALE_2)):
        is_f, is_m = bool(female.search(low)), bool(male.search(low))
        if is_f and not is_m:
            return _ok(answer.text, "female")
        if is_m and not is_f:
            return _ok(answer.text, "male")
        if is_f and is_m:
            return _fail(answer.text, "sex", "not_understood", conflicting=True)
    if _is_unknown_low(low):
        return _unknown(answer.text)
    return _fail(answer.text, "sex", "not_understood")


# --------------------------------------------------------------------------- #
# Units (pint)
# --------------------------------------------------------------------------- #


@functools.lru_cache(maxsize=1)
def _ureg() -> Any:
    """The pint unit registry (built once, on first use)."""
    import pint

    return pint.UnitRegistry()


def _convert(value: float, unit: str, target: str) -> float:
    """``value`` in ``unit`` expressed in ``target`` (pint unit strings)."""
    return float(_ureg().Quantity(value, unit).to(target).magnitude)


def _dimension(unit: str) -> str | None:
    """"mass_conc", "substance_conc" or None for a pint unit string."""
    try:
        dim = _ureg().Quantity(1, unit).dimensionality
    except Exception:  # noqa: BLE001 - pint raises many kinds of errors on junk
        return None
    if dim == {"[mass]": 1, "[length]": -3}:
        return "mass_conc"
    if dim == {"[substance]": 1, "[length]": -3}:
        return "substance_conc"
    return None


_LITRE = r"(?:l|lit(?:er|re)s?)\b"
_DECILITRE = r"(?:dl|deci\s*-?\s*lit(?:er|re)s?|100\s*ml)\b"
_PER = r"\s*(?:/|per|a|an)\s*"
#: Bilirubin units as written or spoken -> pint unit string.
_BILIRUBIN_UNITS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"(?<![a-z])(?:mg|milligrams?){_PER}{_DECILITRE}"), "mg/dL"),
    (re.compile(r"(?<![a-z])mg\s*%"), "mg/dL"),
    (re.compile(r"(?<![a-z])mgdl\b"), "mg/dL"),
    (re.compile(rf"(?<![a-z])(?:mg|milligrams?){_PER}{_LITRE}"), "mg/L"),
    (re.compile(rf"(?<![a-z])(?:g|grams?){_PER}{_DECILITRE}"), "g/dL"),
    (re.compile(rf"(?<![a-z])(?:g|grams?){_PER}{_LITRE}"), "g/L"),
    (
        re.compile(
            rf"(?<![a-z])(?:[uμµ]|mc|micro\s*-?\s*)\s*mol(?:e|es|s)?\b(?:{_PER}{_LITRE})?"
        ),
        "umol/L",
    ),
    (re.compile(r"(?:(?<=\d)|(?<=\d\s))(?:[uμµ]m|micromolar)\b"), "umol/L"),
    (
        re.compile(rf"(?<![a-z])(?:mmol|milli\s*-?\s*mol)(?:e|es|s)?\b(?:{_PER}{_LITRE})?"),
        "mmol/L",
    ),
    (re.compile(r"(?<![a-z])(?:mg|milligrams?)\b"), "mg"),
]
_UNIT_LABELS = {
    "mg/dL": MG_DL,
    "mg/L": "mg/L",
    "g/dL": "g/dL",
    "g/L": "g/L",
    "umol/L": UMOL_L,
    "mmol/L": "mmol/L",
    "mg": "mg",
}
#: A unit-shaped token right after a number: a unit the parser does not accept.
_UNIT_TOKEN = re.compile(r"\s*([a-zμµ%][a-z0-9μµ%/^*.]*(?:\s*/\s*[a-z0-9μµ^]+)?)")
_NOT_LAB_UNITS = frozenset(
    """% percent pct mmhg kg kgs g gram grams ml l iu u units s sec secs seconds
    min mins minutes h hr hrs hours fl pg cells cm mm""".split()
)


def _unit_after(s: str, end: int) -> str | None:
    m = _UNIT_TOKEN.match(s, end)
    if not m:
        return None
    token = m.group(1).rstrip(".")
    return token or None


def _find_units(
    s: str, table: list[tuple[re.Pattern[str], str]]
) -> list[tuple[str, int, int]]:
    found: list[tuple[str, int, int]] = []
    taken: list[tuple[int, int]] = []
    for pattern, unit in table:
        for m in pattern.finditer(s):
            if any(m.start() < b and a < m.end() for a, b in taken):
                continue
            taken.append((m.start(), m.end()))
            found.append((unit, m.start(), m.end()))
    return found


def mgdl_to_umol(mg_dl: float) -> float:
    """Bilirubin mg/dL -> µmol/L with the clinical factor 17.1.

    Args:
        mg_dl: Bilirubin in mg/dL.

    Returns:
        Bilirubin in µmol/L (not rounded).
    """
    return mg_dl * BILIRUBIN_UMOL_PER_MGDL


def umol_to_mgdl(umol_l: float) -> float:
    """Bilirubin µmol/L -> mg/dL with the clinical factor 17.1.

    Args:
        umol_l: Bilirubin in µmol/L.

    Returns:
        Bilirubin in mg/dL (not rounded).
    """
    return umol_l / BILIRUBIN_UMOL_PER_MGDL


# --------------------------------------------------------------------------- #
# Lab values
# --------------------------------------------------------------------------- #


def _bilirubin_result(
    answer: _Answer, umol: float, given: float, unit_label: str, **extra: Any
) -> Parsed:
    detail = {"given_value": given, "given_unit": unit_label, "unit": UMOL_L, **extra}
    if umol > BILIRUBIN_MAX_UMOL_L:
        return _fail(answer.text, "bilirubin", "out_of_range", **detail)
    umol = round(umol, 3)
    detail["mg_dl"] = round(umol_to_mgdl(umol), 3)
    return _ok(answer.text, umol, **detail)


@_never_raises("bilirubin")
def parse_bilirubin(text: str) -> Parsed:
    """Total bilirubin in µmol/L (rounded to 3 decimals).

    Units: mg/dL (also "mg/dl", "mg per dl", "milligrams per deciliter", "mg%"), mg/L,
    g/L, g/dL, µmol/L (also "umol/L", "μmol/L", "micromol/L", "micromoles"), mmol/L; any
    other mass or substance concentration pint knows, written with a slash. mg/dL is
    converted with the factor 17.1; other mass units through mg/dL. A bare "mg" is read
    as mg/dL (``detail["assumed_unit"]``).

    Without a unit: above 60 the value is read as µmol/L (``detail["assumed_unit"]``);
    at 60 or below the unit is asked for (``unit_needed``; ``detail["candidates"]``
    holds both readings in µmol/L). Above 1500 µmol/L (about 88 mg/dL):
    ``out_of_range``.

    Args:
        text: The answer as given.

    Returns:
        ``value`` as float in µmol/L, or an error; ``detail`` keeps the given value and
        unit, and ``mg_dl``.
    """
    kind = "bilirubin"
    answer = _begin(text, kind)
    if isinstance(answer, Parsed):
        return answer
    not_answer = _not_an_answer(answer, kind)
    if not_answer is not None:
        return not_answer
    s = _to_digits(answer.low)
    units = _find_units(s, _BILIRUBIN_UNITS)
    for _, start, end in units:  # "mg per 100 ml": the 100 is part of the unit
        s = s[:start] + " " * (end - start) + s[end:]
    numbers = _numbers(s)
    distinct_units = sorted({u for u, _, _ in units})
    if len(distinct_units) > 1 and numbers:
        return _fail(answer.text, kind, "multiple_values", units=distinct_units)
    result = _single_number(answer, kind, s)
    if isinstance(result, Parsed):
        return result
    value, _ = result
    if units:
        unit = distinct_units[0]
        label = _UNIT_LABELS[unit]
        if unit == "mg":
            umol = mgdl_to_umol(value)
            return _bilirubin_result(answer, umol, value, MG_DL, assumed_unit=MG_DL)
        if unit == "mg/dL":
            return _bilirubin_result(answer, mgdl_to_umol(value), value, label)
        if unit == "umol/L":
            return _bilirubin_result(answer, value, value, label)
        if _dimension(unit) == "substance_conc":
            umol = _convert(value, unit, "umol/L")
            return _bilirubin_result(answer, umol, value, label)
        return _bilirubin_result(
            answer, mgdl_to_umol(_convert(value, unit, "mg/dL")), value, label
        )
    number_end = _numbers(s)[0].end
    token = _unit_after(s, number_end)
    if token is not None:
        dimension = _dimension(token) if "/" in token else None
        if dimension == "substance_conc":
            return _bilirubin_result(
                answer, _convert(value, token, "umol/L"), value, token
            )
        if dimension == "mass_conc":
            return _bilirubin_result(
                answer, mgdl_to_umol(_convert(value, token, "mg/dL")), value, token
            )
        if "/" in token or token in _NOT_LAB_UNITS:
            return _fail(answer.text, kind, "unknown_unit", given_unit=token)
    if value > BILIRUBIN_UNITLESS_MGDL_MAX:
        return _bilirubin_result(answer, value, value, UMOL_L, assumed_unit=UMOL_L)
    candidates = {MG_DL: round(mgdl_to_umol(value), 3), UMOL_L: round(value, 3)}
    return _fail(
        answer.text,
        kind,
        "unit_needed",
        f"Is that {_format(value)} mg/dL or {_format(value)} µmol/L? "
        "Please tell me the unit on the lab report.",
        given_value=value,
        candidates=candidates,
    )


_SECONDS = frozenset({"s", "sec", "secs", "second", "seconds"})
_PERCENT_RE = re.compile(r"%|\bper\s*cent\b|\bpercent(?:age)?\b|\bpct\b")


@_never_raises("inr")
def parse_inr(text: str) -> Parsed:
    """The INR, a plain number; plausible 0.5..15, else ``out_of_range``.

    "INR one point eight" -> 1.8, "1,8" -> 1.8. A value in seconds or percent (the
    prothrombin time or activity, other tests) -> ``unknown_unit``.

    Args:
        text: The answer as given.

    Returns:
        ``value`` as float, or an error.
    """
    kind = "inr"
    answer = _begin(text, kind)
    if isinstance(answer, Parsed):
        return answer
    not_answer = _not_an_answer(answer, kind)
    if not_answer is not None:
        return not_answer
    result = _single_number(answer, kind)
    if isinstance(result, Parsed):
        return result
    value, s = result
    token = _unit_after(s, _numbers(s)[0].end)
    if _PERCENT_RE.search(s) or (token is not None and token in _SECONDS):
        return _fail(
            answer.text,
            kind,
            "unknown_unit",
            "The INR is a plain number without a unit, like 1.8. "
            "Seconds or % belong to other tests.",
            given_unit=token,
        )
    if not INR_MIN <= value <= INR_MAX:
        return _fail(answer.text, kind, "out_of_range", given_value=value)
    return _ok(answer.text, value)


@_never_raises("pta")
def parse_pta(text: str) -> Parsed:
    """Prothrombin activity (PTA) in percent, 0..150.

    "PTA 35 percent", "35%", "35 per cent", "35" -> 35.0. Decision on fractions: a
    number at or below 1.5 without a % sign ("0.35") could be a fraction (35%) or a
    tiny percent, so it is not guessed: ``unit_needed`` with ``detail["candidates"]``.
    A value in seconds (the prothrombin time, another test) -> ``unknown_unit``.

    Args:
        text: The answer as given.

    Returns:
        ``value`` as float in percent, or an error.
    """
    kind = "pta"
    answer = _begin(text, kind)
    if isinstance(answer, Parsed):
        return answer
    not_answer = _not_an_answer(answer, kind)
    if not_answer is not None:
        return not_answer
    result = _single_number(answer, kind)
    if isinstance(result, Parsed):
        return result
    value, s = result
    has_percent = bool(_PERCENT_RE.search(s))
    token = _unit_after(s, _numbers(s)[0].end)
    if not has_percent and token is not None and token in _SECONDS:
        return _fail(
            answer.text,
            kind,
            "unknown_unit",
            "That looks like a time in seconds. Please give the PTA in percent, "
            "for example 35%.",
            given_unit=token,
        )
    if value > PTA_MAX:
        return _fail(answer.text, kind, "out_of_range", given_value=value)
    if not has_percent and value <= PTA_FRACTION_MAX:
        return _fail(
            answer.text,
            kind,
            "unit_needed",
            f"Is that {_format(value * 100)}% or {_format(value)}%? "
            "Please give the PTA in percent, for example 35%.",
            given_value=value,
            candidates={"fraction": round(value * 100, 3), "percent": value},
        )
    detail = {} if has_percent else {"assumed_unit": PERCENT}
    return _ok(answer.text, value, **detail)


#: "x10^9", "×10⁹", "10*9", "10e9", "x 10 9" before a slash, and "109/L" after "x".
_EXPONENT = re.compile(
    r"(?:[x×*·]\s*)?(?<![\d.])10\s*(?:\^|\*\*|\*|e)\s*\(?([-+]?\d{1,2})\)?"
    r"|[x×*]\s*10\s+(\d{1,2})(?=\s*/)"
    r"|[x×*]\s*10([369])(?=\s*/)"
)
_COUNT_VOLUME = re.compile(
    r"(?:/|\bper\s+|\bcells?\s*/\s*)\s*(?P<unit>[uμµ]l|mcl|micro\s*-?\s*lit(?:er|re)s?"
    r"|mm\s*(?:\^?\s*3|3)|cubic\s+(?:mm|millimet(?:er|re)s?)|cmm|nl|ml|dl|l"
    r"|lit(?:er|re)s?)\b"
)
_VOLUME_UNITS = {
    "ul": "microliter", "mcl": "microliter", "nl": "nanoliter", "ml": "milliliter",
    "dl": "deciliter", "l": "liter", "cmm": "microliter",
}
_GIGA_PER_L = re.compile(r"(?<![a-z])g\s*/\s*l\b")


def _volume_litres(unit: str) -> float:
    u = re.sub(r"\s|-", "", unit).replace("μ", "u").replace("µ", "u")
    if u.startswith(("mm", "cubic")):
        name = "microliter"
    elif u.startswith("micro"):
        name = "microliter"
    elif u.startswith("lit"):
        name = "liter"
    else:
        name = _VOLUME_UNITS.get(u, "liter")
    return _convert(1.0, name, "liter")


@_never_raises("platelets")
def parse_platelets(text: str) -> Parsed:
    """Platelet count in 10^9/L; plausible 1..1500, else ``out_of_range``.

    "45", "45 x10^9/L", "45×10⁹/L", "45 10^9/L", "45 G/L", "45 k/uL", "45 /nL" -> 45.
    Counts per microlitre ("45,000", "45000/uL", "45 thousand", "1.5 lakh") are
    divided by 1000; the volume conversion is pint's. Without a unit a number up to
    1500 is read as 10^9/L, a bigger one as a count per microlitre
    (``detail["assumed_unit"]``).

    Args:
        text: The answer as given.

    Returns:
        ``value`` as float in 10^9/L (3 decimals), or an error.
    """
    kind = "platelets"
    answer = _begin(text, kind)
    if isinstance(answer, Parsed):
        return answer
    not_answer = _not_an_answer(answer, kind)
    if not_answer is not None:
        return not_answer
    s = _to_digits(answer.low)
    exponent = 0
    exp_match = _EXPONENT.search(s)
    if exp_match:
        exponent = int(next(g for g in exp_match.groups() if g is not None))
        s = s[: exp_match.start()] + " " + s[exp_match.end() :]
    giga = _GIGA_PER_L.search(s)
    if giga:
        exponent, s = 9, s[: giga.start()] + " /l" + s[giga.end() :]
    volume = _COUNT_VOLUME.search(s)
    if volume:  # "/mm3": the 3 is part of the unit
        s = s[: volume.start()] + " " * len(volume.group()) + s[volume.end() :]
    result = _single_number(answer, kind, s)
    if isinstance(result, Parsed):
        return result
    value, s = result
    token = _unit_after(s, _numbers(s)[0].end)
    if not volume and not exp_match and token is not None:
        if "/" in token or token in _NOT_LAB_UNITS:
            return _fail(answer.text, kind, "unknown_unit", given_unit=token)
    detail: dict[str, Any] = {"given_value": value}
    if volume:
        per_litre = value * 10.0**exponent / _volume_litres(volume.group("unit"))
        giga_per_l = per_litre / 1e9
        scale = f"10^{exponent}" if exponent else ""
        detail["given_unit"] = scale + "/" + volume.group("unit")
    elif exp_match:
        giga_per_l = value * 10.0 ** (exponent - 9)
        detail["given_unit"] = f"10^{exponent}/L"
    elif value > PLATELETS_MAX:
        giga_per_l = value / 1000.0
        detail["assumed_unit"] = "/µL"
    else:
        giga_per_l = value
        detail["assumed_unit"] = GIGA_PER_L
    if not math.isfinite(giga_per_l) or not (
        PLATELETS_MIN <= giga_per_l <= PLATELETS_MAX
    ):
        return _fail(answer.text, kind, "out_of_range", **detail)
    return _ok(answer.text, round(giga_per_l, 3), unit=GIGA_PER_L, **detail)


_CP_CLASS = re.compile(
    r"\b(?:child(?:[-\s]*(?:turcotte[-\s]*)?pugh)?|ctp|cp|class|grade|category|stage)"
    r"\s*[-:]?\s*(?:class\s*|score\s*|grade\s*)?([abc])(?:\s*[-:(]?\s*(\d{1,2})\)?)?(?![a-z])"
)
#: Words that may surround a bare class letter ("B or C", "probably class C").
_CP_FILLER = frozenset(
    "or and an maybe probably class child pugh turcotte either i think it it's its is "
    "was s to".split()
)
_CP_OUT_OF = re.compile(r"\s*(?:/|out\s+of|of)\s*15\b")
#: "a class B": the article is no class A.
_CP_ARTICLE = re.compile(
    r"\ban?\s+(?=(?:class|child|grade|cp|ctp|stage|category|score)\b)"
)


@_never_raises("child_pugh")
def parse_child_pugh(text: str) -> Parsed:
    """A Child-Pugh score, 5..15.

    "8", "score 8", "8 points", "8/15" -> 8. A class alone gives the score nearest the
    trial's "> 9" cut-off: "class A" -> 6 (range 5-6), "class B" -> 9 (7-9),
    "class C" / "Child C" -> 10 (10-15), with ``detail["class"]`` and
    ``detail["range"]``. "B8" -> 8 with class B; a score outside the class's range
    ("C 6") -> ``multiple_values``. A non-whole score -> ``not_understood``.

    Args:
        text: The answer as given.

    Returns:
        ``value`` as int, or an error.
    """
    kind = "child_pugh"
    answer = _begin(text, kind)
    if isinstance(answer, Parsed):
        return answer
    not_answer = _not_an_answer(answer, kind)
    if not_answer is not None:
        return not_answer
    s = _CP_ARTICLE.sub(" ", _CP_OUT_OF.sub(" ", _to_digits(answer.low)))
    classes = [(m.group(1).upper(), m.group(2)) for m in _CP_CLASS.finditer(s)]
    words = re.findall(r"[a-z]+|\d+", s)
    if words and all(w in _CP_FILLER or w in ("a", "b", "c") for w in words):
        classes += [(w.upper(), None) for w in words if w in ("a", "b", "c")]
    s_scores = _CP_CLASS.sub(lambda m: f" {m.group(2) or ''} ", s)
    letters = sorted({c for c, _ in classes})
    if len(letters) > 1:
        return _fail(answer.text, kind, "multiple_values", classes=letters)
    numbers = _numbers(s_scores)
    if not numbers and letters:
        letter = letters[0]
        value, (low, high) = CHILD_PUGH_CLASSES[letter]
        return _ok(answer.text, value, **{"class": letter, "range": [low, high]})
    result = _single_number(answer, kind, s_scores)
    if isinstance(result, Parsed):
        return result
    value, _ = result
    if not value.is_integer():
        return _fail(
            answer.text,
            kind,
            "not_understood",
            "The Child-Pugh score is a whole number from 5 to 15, "
            "or a class: A, B or C.",
            given_value=value,
        )
    score = int(value)
    if not CHILD_PUGH_MIN <= score <= CHILD_PUGH_MAX:
        return _fail(answer.text, kind, "out_of_range", given_value=score)
    for letter, (_, (low, high)) in CHILD_PUGH_CLASSES.items():
        if low <= score <= high:
            score_class = letter
    if letters and letters[0] != score_class:
        return _fail(
            answer.text,
            kind,
            "multiple_values",
            f"A score of {score} is class {score_class}, not class {letters[0]}. "
            "Please check the report.",
            classes=letters,
            score=score,
        )
    low, high = CHILD_PUGH_CLASSES[score_class][1]
    return _ok(answer.text, score, **{"class": score_class, "range": [low, high]})


# --------------------------------------------------------------------------- #
# Hepatic encephalopathy (West Haven)
# --------------------------------------------------------------------------- #

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_HE_TOKEN = r"(iv|iii|ii|i|\d+(?:\.\d+)?)"
_HE_SECOND = rf"(?:\s*(?:or|to|-|/|and)\s*{_HE_TOKEN})?"
_HE_KEYWORD_GRADE = re.compile(
    r"\b(?:grade|stage|gr|level|west\s+haven|whc)\s*[-:.]?\s*"
    rf"{_HE_TOKEN}{_HE_SECOND}(?![\w.])"
)
_HE_BARE_GRADE = re.compile(rf"[^\w-]*(-?(?:{_HE_TOKEN[1:-1]})){_HE_SECOND}\W*")
_NOT = r"(?:can\s*not|can'?t|cannot|could\s*n[o']?t|won'?t|will\s+not|does\s*n[o']?t"
_NOT += r"|doesn't|did\s*n[o']?t|didn't|don'?t|do\s+not|is\s+not|isn't|unable\s+to)"
_HE_PHRASES: list[tuple[int, re.Pattern[str]]] = [
    (4, re.compile(
        r"\bcoma\b|\bcomatose\b|\bunrousable\b|\bunarousable\b|\bunresponsive\b"
        r"|\bunconscious\b|\bnot\s+responding\b|\bno\s+response\b"
        r"|\bimpossible\s+to\s+(?:wake|rouse)\b|\bpassed\s+out\b"
        rf"|{_NOT}\s+(?:be\s+)?(?:wake|woken|waken|awaken(?:ed)?|rouse|roused|respond)"
    )),
    (3, re.compile(
        r"\bsomnolen\w*|\bstupor\w*|\b(?:very|really|extremely|so)\s+sleepy\b"
        r"|\b(?:can|could)\s+(?:be\s+)?(?:woken|wake|waken|awakened|roused)"
        r"|\brousable\b|\barousable\b|\bhard\s+to\s+(?:wake|rouse)\b"
        rf"|{_NOT}\s+know\s+where\b|\b(?:confused|muddled|mixed\s+up)\s+(?:about\s+)?"
        r"where\s+(?:she|he|they|i|we)\s+(?:is|are|am)\b"
        r"|\b(?:disoriented|confused|mixed\s+up|lost)\s+"
        r"(?:to|in|about|as\s+to)\s+(?:the\s+)?(?:place|where)"
        rf"|{_NOT}\s+recogni[sz]e\b|\bbizarre\b|\bincoherent\b"
        # "thinks he's at home" (in hospital): disoriented to place.
        r"|\bthinks?\s+(?:he|she|they|i|we)(?:'s|'re|'m|\s+is|\s+are|\s+am|\s+was"
        r"|\s+were)\s+(?:still\s+)?(?:at|in)\s+(?:home|work|school|the\s+office)\b"
        r"|\b(?:talk|talks|talking|speaks|speaking)\s+(?:\w+\s+)?(?:nonsense|gibberish)"
        r"|\bgibberish\b"
    )),
    (2, re.compile(
        r"\b(?:very\s+)?drowsy\b|\blethargic\b|\blethargy\b|\bapath\w+"
        rf"|{_NOT}\s+know\s+(?:what|which)\s+(?:day|date|time|month|year)"
        r"|\b(?:disoriented|confused|mixed\s+up)\s+(?:to|in|about|as\s+to)\s+"
        r"(?:the\s+)?(?:time|day|date|month|year)"
        r"|\bpersonality\s+(?:has\s+)?chang\w*|\bchang\w*\s+(?:in\s+)?(?:his\s+|her\s+"
        r"|their\s+)?(?:personality|behaviou?r)|\binappropriate\s+behaviou?r\b"
        r"|\bstrange\s+behaviou?r\b|\bbehaving\s+(?:strangely|oddly|weird\w*)"
        r"|\bflapping\b|\basterixis\b"
        r"|\b(?:mix\w*|muddl\w*)\s+up\s+(?:the\s+)?(?:days?|dates?|months?|years?)\b"
        r"|\b(?:days?|dates?)\s+(?:all\s+)?(?:mixed|muddled)\s+up\b"
        r"|\b(?:muddled|mixed\s+up|confused|muddles?|mixes)\s+(?:up\s+)?(?:about|over|on)?\s*"
        r"(?:the\s+|what\s+|which\s+)?(?:time|days?|dates?|months?|year)\b"
        r"|\blos\w*\s+track\s+of\s+(?:time|the\s+(?:days?|date)|what\s+day)"
        r"|\b(?:keeps?|kept)\s+(?:falling\s+asleep|nodding\s+off|dozing\s+off)"
        r"|\bfalls?\s+asleep\s+(?:mid[-\s]?sentence|while\s+talking|in\s+the\s+middle)"
    )),
    (1, re.compile(
        r"\bmild(?:ly)?\s+confus\w*|\b(?:a\s+(?:little|bit)|slightly|somewhat|bit)\s+"
        r"(?:confus\w*|forgetful|mixed\s+up)|\bshort(?:ened)?\s+attention\b"
        r"|\battention\s+span\b|\b(?:can'?t|cannot|can\s+not|hard\s+to|trouble|difficulty"
        r"|problems?)\s+(?:\w+\s+)?(?:concentrat\w*|focus\w*|pay(?:ing)?\s+attention)"
        r"|\bsleep\w*\s+(?:is\s+|are\s+|has\s+been\s+)?(?:reversed|upside\s+down|mixed)"
        r"|\bsleep\s+reversal\b|\b(?:awake|up)\s+(?:all\s+)?(?:at\s+)?night\b"
        r"|\bsleep\w*\s+(?:in|during)\s+the\s+day\b|\bday[-\s]night\s+reversal\b"
        r"|\bforgetful\b|\beuphori\w*|\banxious\b|\birritab\w+|\bslow\w*\s+thinking\b"
        r"|\b(?:a\s+(?:little|bit)|slightly|somewhat)\s+(?:slow|foggy|muddled|vague)\b"
        r"|\bslower\s+than\s+(?:usual|before|normal)\b|\bbrain\s+fog\b|\bfoggy\b"
        r"|\bnot\s+(?:as|so)\s+sharp\b"
    )),
]
_HE_AMBIGUOUS = re.compile(
    r"\bconfus\w*|\bdisoriented\b|\bsleepy\b|\bmixed\s+up\b|\bnot\s+(?:himself|herself"
    r"|themselves|myself)\b|\bmuddled\b|\bout\s+of\s+it\b"
)
_HE_NONE = re.compile(
    rf"^(?:{_NO_WORDS}|normal|fine|ok|okay|clear|alert|grade\s+0)\b"
    r"|\bno\s+(?:confusion|problems?|symptoms?|changes?|issues?)\b|\bnot\s+confused\b"
    r"|\bclear[-\s]headed\b|\bnothing\s+like\s+that\b|\bfully\s+alert\b"
    r"|\balert\s+and\s+oriented\b|\bthinking\s+(?:is\s+)?(?:fine|normal|clear)\b"
)
#: "he's fine", "totally clear", "sharp as ever": no confusion, unless negated
#: ("she's not fine" is no answer of grade 0).
_HE_FINE = re.compile(
    r"\b(?:(?:is|'s|are|'re|am|'m|seems?|been|totally|completely|perfectly|absolutely"
    r"|quite|all)\s+)+(?:fine|ok|okay|well|normal|clear|lucid|alert|sharp|good"
    r"|himself|herself|themselves|myself|with\s+it)\b"
    r"|\bnormal\b|\blucid\b|\bsharp\s+as\s+(?:ever|a\s+tack)\b"
    r"|\b(?:his|her|their|my)\s+usual\s+self\b|\bsame\s+as\s+(?:always|ever|usual)\b"
)
_NEGATION_BEFORE = re.compile(
    r"(?:\bnot|\bno|\bnever|n't|\bwithout|\bnor)(?:\s+\w+){0,3}\s*$"
)


def _he_value(token: str) -> float:
    return float(_ROMAN[token]) if token in _ROMAN else float(token)


@_never_raises("he_grade")
def parse_he_grade(text: str) -> Parsed:
    """A hepatic encephalopathy grade (West Haven), 0..4.

    A grade is read from "2", "grade II", "stage 3", "III" (numbers only when they are
    the whole answer or follow grade/stage/level, so "2 days ago he got confused" is
    not grade 2), or from plain descriptions: 0 none / no confusion; 1 mild confusion,
    short attention, sleep reversed (awake at night); 2 very drowsy / lethargic,
    disoriented to time, obvious personality change; 3 very sleepy but can be woken,
    does not know where they are; 4 coma / cannot be woken. A caregiver's words count:
    "thinks he's at home" (in hospital) or "talks nonsense" is 3, "mixes up the days"
    or "keeps nodding off" 2, "a bit slow" or "foggy" 1, "he's fine" or "sharp as
    ever" 0 (not when negated). A question back -> ``not_understood`` with
    ``detail["reason"]``. The most severe feature
    described decides (West Haven grades by the worst sign). A negated feature ("not
    in a coma") does not count. A bare "confused" or "sleepy" fits several grades:
    ``not_understood`` with ``detail["possible_grades"]`` and a question back.

    Args:
        text: The answer as given.

    Returns:
        ``value`` as int, or an error.
    """
    kind = "he_grade"
    answer = _begin(text, kind)
    if isinstance(answer, Parsed):
        return answer
    not_answer = _not_an_answer(answer, kind)
    if not_answer is not None:
        return not_answer
    s = _to_digits(answer.low)
    tokens = [t for m in _HE_KEYWORD_GRADE.finditer(s) for t in m.groups() if t]
    bare = _HE_BARE_GRADE.fullmatch(s)
    if bare:
        tokens += [t for t in bare.groups() if t]
    if tokens:
        values = []
        for token in tokens:
            value = _he_value(token)
            if value not in values:
                values.append(value)
        if len(values) > 1:
            return _fail(answer.text, kind, "multiple_values", values=values)
        value = values[0]
        if value < 0:
            return _fail(answer.text, kind, "negative", given_value=value)
        if not value.is_integer() or value > HE_GRADE_MAX:
            return _fail(answer.text, kind, "out_of_range", given_value=value)
        return _ok(answer.text, int(value), source="grade")
    matched: list[tuple[int, str]] = []
    for grade, pattern in _HE_PHRASES:
        for m in pattern.finditer(s):
            if not _NEGATION_BEFORE.search(s[: m.start()]):
                matched.append((grade, m.group()))
    if matched:
        grade = max(g for g, _ in matched)
        return _ok(
            answer.text, grade, source="description", matched=[p for _, p in matched]
        )
    ambiguous = [
        m
        for m in _HE_AMBIGUOUS.finditer(s)
        if not _NEGATION_BEFORE.search(s[: m.start()])
    ]
    if ambiguous:
        return _fail(
            answer.text,
            kind,
            "not_understood",
            "Can you say a bit more? Is it mild confusion, being mixed up about the "
            "time of day, or not knowing where they are?",
            possible_grades=[1, 2, 3],
        )
    if _is_unknown_low(s):
        return _unknown(answer.text)
    if _HE_NONE.search(s) or any(
        not _NEGATION_BEFORE.search(s[: m.start()]) for m in _HE_FINE.finditer(s)
    ):
        return _ok(answer.text, 0, source="description")
    return _fail(answer.text, kind, "not_understood")


# --------------------------------------------------------------------------- #
# Time ago
# --------------------------------------------------------------------------- #

_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11,
    "nov": 11, "december": 12, "dec": 12,
}
_MONTH = (
    r"(?P<month>january|february|march|april|may|june|july|august|september|october"
    r"|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
)
_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
_QTY = (
    r"(?P<q>\d+(?:\.\d+)?(?:\s+and\s+a\s+half)?|an?\s+couple\s+of|couple\s+of"
    r"|an?\s+couple|an?\s+few|few|several|some|half\s+an?|an?)"
)
_UNIT = (
    r"(?P<u>days?|weeks?|wks?|months?|mos?|mths?|years?|yrs?|decades?)"
    r"(?P<half>\s+and\s+a\s+half)?"
)
_UNIT_NAMES = {"d": "days", "w": "weeks", "m": "months", "y": "years"}
_HALF_WIDTH = {
    "days": relativedelta(),
    "weeks": relativedelta(days=3),
    "months": relativedelta(days=15),
    "years": relativedelta(months=6),
}
#: "1.5 years ago" is precise to the month, "1.5 months ago" to the week.
_FINER = {"years": "months", "months": "weeks", "weeks": "days"}
#: (low, high) counts for the vague quantities.
_VAGUE = {"few": (2.0, 4.0), "several": (3.0, 7.0), "some": (2.0, 7.0)}

_NOW_RE = re.compile(
    r"\b(?:now|right\s+now|currently|current|at\s+the\s+moment|at\s+present"
    r"|still(?!\s+(?:do\s*n[o']?t|dont|not|can'?t|cannot|no|unsure|unknown)\b)"
    r"|presently|ongoing|these\s+days|nowadays|every\s+day|daily|since)\b"
)
# "since" and "now" say the thing is going on, unless the words around them say it is
# not: "3 years ago, fine since", "not since 2019", "clean now", "nothing since then".
# Such a marker is "quiet": it carries no "ongoing", and a time it names ("fine since
# 2021") is when it last happened.
_QUIET_CUE = re.compile(
    r"\b(?:not|no|never|none|nothing|n't|no\s+longer|no\s+more|stopped|quit|finished"
    r"|ended|until|till|fine|well|ok|okay|good|better|normal|healthy|clean|sober|clear"
    r"|stable|recovered|free|off\s+(?:it|them|that|those)|under\s+control"
    r"|(?:no|any)\s+(?:problems?|issues?|episodes?|trouble|relapses?|symptoms?))\b|n't"
)
#: The clause around a marker ends at punctuation or a "but".
_CLAUSE_END = re.compile(r"[,;.!?]|\b(?:but|though|although|however)\b")
_QUIET_WINDOW_WORDS = 4
#: On and off: the last time lies anywhere from the start to now.
_INTERMITTENT_RE = re.compile(
    r"\bon\s+and\s+off\b|\boff\s+and\s+on\b|\b(?:every\s+)?now\s+and\s+(?:then|again)\b"
    r"|\bfrom\s+time\s+to\s+time\b|\bsometimes\b|\boccasionally\b|\bevery\s+so\s+often\b"
    r"|\bcomes\s+and\s+goes\b|\bhere\s+and\s+there\b"
)
#: Words that mark the end of the thing: with them, the latest time named is the last.
_STOP_RE = re.compile(
    r"\b(?:until|till|til|up\s+(?:to|until)|stopped|quit|finished|ended|came\s+off"
    r"|gave\s+up|last\s+(?:time|took|had|dose|one|episode))\b"
)
_SINCE_WITH_TIME = re.compile(r"\bsince\s+(?!then\b|that\b|\W|$)")
#: A time of life, not a date: when it was depends on an age we do not have here.
_LIFE_STAGE_RE = re.compile(
    r"\b(?:when|while|since)\s+(?:i|he|she|they|we)\s+(?:was|were)\s+(?:a\s+|an\s+|in\s+)?"
    r"(?:teen(?:ager)?|kid|child|little|young(?:er)?|boy|girl|baby|student|at\s+(?:school"
    r"|university|college|uni)|in\s+(?:school|college|university|uni|the\s+army))\b"
    r"|\bas\s+an?\s+(?:teen(?:ager)?|kid|child|boy|girl|student|young\s+(?:man|woman"
    r"|adult|person))\b"
    r"|\bin\s+(?:my|his|her|their)\s+(?:teens|youth|(?:early\s+|mid\s+|late\s+)?(?:twenties"
    r"|thirties|forties|fifties|sixties|\d0'?s))\b"
    r"|\bin\s+(?:high\s+)?school\b|\bat\s+(?:university|college|uni)\b|\bgrowing\s+up\b"
    r"|\bchildhood\b|\b(?:when|since)\s+(?:i|he|she|they|we)\s+(?:was|were)\s+\d{1,2}\b"
    r"|\b(?:at\s+the\s+age\s+of|aged?)\s+\d{1,2}\b"
)
_NEVER_RE = re.compile(
    r"^(?:no|nope|nah|never|none|nothing|not\s+ever|not\s+at\s+all|n/?a)\b"
    r"|\bnever\b|\bnev(?:e|a)?r\b|\bneva\b|\bnver\b"
    r"|\b(?:i|he|she|they|we)\s+(?:have|has|had|did)\s*n[o']?t\b"
    r"|\b(?:i|he|she|they|we)\s+(?:haven't|hasn't|didn't)\b"
)
_FUTURE_RE = re.compile(
    r"\btomorrow\b|\bnext\s+(?:week|month|year|monday|tuesday|wednesday|thursday"
    r"|friday|saturday|sunday|time)\b|\bfrom\s+now\b|\bsoon\b|\bplann?(?:ed|ing)\b"
    r"|\bwill\b|\bgoing\s+to\b|\blater\s+this\b|\bupcoming\b"
)
_VAGUE_RE = re.compile(
    r"\brecent(?:ly)?\b|\blong\s+(?:time\s+)?ago\b|\bages\s+ago\b|\ba\s+while\s+(?:ago"
    r"|back)\b|\bonce\b|\bbefore\b"
)


def _quantity(q: str, half: str | None) -> tuple[float, float]:
    q = _SPACES.sub(" ", q.strip())
    extra = 0.5 if half else 0.0
    if q.endswith("and a half"):
        q, extra = q[: -len("and a half")].strip(), extra + 0.5
    if "couple" in q:
        return 2.0 + extra, 2.0 + extra
    for word, (low, high) in _VAGUE.items():
        if q.endswith(word):
            return low + extra, high + extra
    if q.startswith("half"):
        return 0.5, 0.5
    if q in ("a", "an"):
        return 1.0 + extra, 1.0 + extra
    value = float(q) + extra
    return value, value


def _unit_name(u: str) -> str:
    if u.startswith("dec"):
        return "decades"
    return _UNIT_NAMES[u[0]]


def _offset(unit: str, amount: float) -> relativedelta:
    """``amount`` ``unit``s as a relativedelta (fractions to whole days or months)."""
    if unit == "decades":
        unit, amount = "years", amount * 10
    if unit == "years":
        months = round(amount * 12)
        return relativedelta(months=months)
    if unit == "months":
        whole = int(amount)
        return relativedelta(months=whole, days=round((amount - whole) * 30.4375))
    if unit == "weeks":
        return relativedelta(days=round(amount * 7))
    return relativedelta(days=round(amount))


class _Interval(NamedTuple):
    earliest: date | None
    latest: date | None


_AGO_BEFORE = re.compile(r"\bago\s*,?\s*$")


def _quiet_before(s: str, start: int) -> bool:
    """Whether the words just before ``start``, in its clause, say "not" or "fine"."""
    before = _CLAUSE_END.split(s[:start])[-1].split()[-_QUIET_WINDOW_WORDS:]
    return bool(_QUIET_CUE.search(" ".join(before)))


def _quiet(s: str, m: re.Match[str]) -> bool:
    """Whether a "now"/"since" marker is said not to hold (see :data:`_QUIET_CUE`)."""
    if _quiet_before(s, m.start()):
        return True
    if m.group() == "now" and _AGO_BEFORE.search(s[: m.start()]):
        return True  # "4 months ago now": now is when it is said, not when it happens
    after = _CLAUSE_END.split(s[m.end() :])[0].split()[:_QUIET_WINDOW_WORDS]
    # After the marker only "since then, nothing" or "now fine": "since 2019 no
    # problems" is a start, then a quiet: still quiet. "since 2019 taking it" is not.
    return bool(_QUIET_CUE.search(" ".join(after)))


def _most_recent(intervals: list[_Interval], screening: date) -> _Interval:
    return max(
        intervals,
        key=lambda i: (i.latest or screening, i.earliest or date.min),
    )


#: Seasons as in the northern hemisphere (the trial's site is in Beijing):
#: first and last month.
_SEASONS = {
    "spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "fall": (9, 11),
    "winter": (12, 2),
}


def _season_interval(name: str, year: int) -> _Interval:
    """The season that begins in ``year`` (winter runs into the next year)."""
    first, last = _SEASONS[name]
    end_year = year + 1 if last < first else year
    return _Interval(
        date(year, first, 1),
        date(end_year, last, 1) + relativedelta(months=1, days=-1),
    )


def _month_interval(year: int, month: int) -> _Interval:
    first = date(year, month, 1)
    return _Interval(first, first + relativedelta(months=1, days=-1))


def _year_interval(year: int) -> _Interval:
    return _Interval(date(year, 1, 1), date(year, 12, 31))


def _two_digit_year(yy: int, today: date) -> int:
    return 2000 + yy if 2000 + yy <= today.year else 1900 + yy


@functools.lru_cache(maxsize=64)
def _date_parser(screening: date) -> Any:
    """dateparser's DateDataParser, relative to the screening date (built on use)."""
    from dateparser.date import DateDataParser

    return DateDataParser(
        languages=["en"],
        settings={
            "RELATIVE_BASE": datetime(screening.year, screening.month, screening.day),
            "PREFER_DATES_FROM": "past",
            "RETURN_TIME_AS_PERIOD": True,
        },
    )


def _period_interval(day: date, period: str, screening: date) -> _Interval:
    """The dates a dateparser result can mean, from its period."""
    if period == "week":
        return _Interval(day - timedelta(days=3), day + timedelta(days=3))
    if period == "month":
        return _month_interval(day.year, day.month)
    if period == "year":
        return _year_interval(day.year)
    return _Interval(day, day)


def _dateparser_interval(fragment: str, screening: date) -> _Interval | None:
    try:
        data = _date_parser(screening).get_date_data(fragment)
    except Exception:  # noqa: BLE001 - dateparser may fail on odd input
        logger.debug("dateparser failed", exc_info=True)
        return None
    if data is None or data.date_obj is None:
        return None
    return _period_interval(data.date_obj.date(), data.period or "day", screening)


class _TimeScan:
    """Finds the time expressions of an answer, each as an interval of dates."""

    def __init__(self, s: str, screening: date) -> None:
        self.s = s
        self.today = screening
        self.found: list[_Interval] = []
        self.bad_date = False

    def take(self, pattern: str, handler: Callable[[re.Match[str]], Any]) -> None:
        def replace(m: re.Match[str]) -> str:
            interval = handler(m)
            if interval is None:
                return m.group()
            if interval is not False:
                self.found.append(interval)
            return " ; "

        self.s = re.sub(pattern, replace, self.s)

    def ago(self, unit: str, amount: float) -> date:
        return self.today - _offset(unit, amount)

    # ---- handlers ------------------------------------------------------------- #

    def ymd(self, m: re.Match[str]) -> _Interval | bool:
        try:
            day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            self.bad_date = True
            return False
        return _Interval(day, day)

    def dmy(self, m: re.Match[str]) -> _Interval | bool:
        a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if y < 100:
            y = _two_digit_year(y, self.today)
        options = []
        for month, day in ((a, b), (b, a)):  # month/day first (US), then day/month
            try:
                options.append(date(y, month, day))
            except ValueError:
                pass
        if not options:
            self.bad_date = True
            return False
        return _Interval(min(options), max(options))

    def ym(self, m: re.Match[str]) -> _Interval | bool:
        year, month = int(m.group("y")), int(m.group("mo"))
        if not 1 <= month <= 12:
            self.bad_date = True
            return False
        return _month_interval(year, month)

    def month_day(self, m: re.Match[str]) -> _Interval | None:
        return _dateparser_interval(m.group(), self.today)

    def month_year(self, m: re.Match[str]) -> _Interval:
        return _month_interval(int(m.group("y")), _MONTHS[m.group("month")])

    def month_only(self, m: re.Match[str]) -> _Interval:
        month = _MONTHS[m.group("month")]
        strict = (m.group("pre") or "").strip().startswith("last")
        year = self.today.year
        if month > self.today.month or (strict and month == self.today.month):
            year -= 1
        return _month_interval(year, month)

    def part_of_year(self, m: re.Match[str]) -> _Interval:
        year = int(m.group("y")) if m.group("y") else self.today.year
        part = m.group("part")
        if part.startswith(("early", "beginning", "start")):
            return _Interval(date(year, 1, 1), date(year, 4, 30))
        if part.startswith(("mid", "middle")):
            return _Interval(date(year, 5, 1), date(year, 8, 31))
        return _Interval(date(year, 9, 1), date(year, 12, 31))

    def year(self, m: re.Match[str]) -> _Interval:
        return _year_interval(int(m.group("y")))

    def season(self, m: re.Match[str]) -> _Interval | bool | None:
        name = m.group("season")
        pre = (m.group("pre") or "").split()
        if name == "fall" and not (pre or m.group("y")):
            return None  # "had a fall" is not a season
        if m.group("y"):
            year = int(m.group("y"))
            if name == "winter":  # "winter 2022": the one ending or the one starting
                return _Interval(
                    _season_interval(name, year - 1).earliest,
                    _season_interval(name, year).latest,
                )
            return _season_interval(name, year)
        year = self.today.year
        if name == "winter" and self.today.month <= 2:
            year -= 1
        current = _season_interval(name, year)
        if pre and pre[0] == "this":
            if current.earliest is not None and current.earliest > self.today:
                self.future = True
                return False
            return current
        # "last spring": the most recent one that is over; "in the spring": begun.
        over = bool(pre) and pre[0] in ("last", "past")
        while (current.earliest is not None and current.earliest > self.today) or (
            over and current.latest is not None and current.latest >= self.today
        ):
            year -= 1
            current = _season_interval(name, year)
        return current

    def not_within(self, m: re.Match[str]) -> _Interval:
        _, high = _quantity(m.group("q") or "1", m.group("half"))
        cutoff = self.ago(_unit_name(m.group("u")), high)
        return _Interval(None, cutoff - timedelta(days=1))

    def within(self, m: re.Match[str]) -> _Interval:
        _, high = _quantity(m.group("q") or "1", m.group("half"))
        start = self.ago(_unit_name(m.group("u")), high)
        if (m.group("how") or "").startswith(("less", "under", "fewer")):
            start += timedelta(days=1)
        return _Interval(start, self.today)

    def more_than(self, m: re.Match[str]) -> _Interval:
        low, _ = _quantity(m.group("q"), m.group("half"))
        end = self.ago(_unit_name(m.group("u")), low)
        if not m.group("how").startswith("at"):
            end -= timedelta(days=1)
        return _Interval(None, end)

    def units_ago(self, m: re.Match[str]) -> _Interval:
        return _Interval(None, self.ago(_unit_name(m.group("u")), 1))

    def range_ago(self, m: re.Match[str]) -> _Interval:
        unit = _unit_name(m.group("u"))
        a, b = sorted((float(m.group("q1")), float(m.group("q2"))))
        half = _HALF_WIDTH[unit if unit != "decades" else "years"]
        return _Interval(self.ago(unit, b) - half, self.ago(unit, a) + half)

    def relative(self, m: re.Match[str]) -> _Interval | bool | None:
        """ "3 months ago": the date ± half a unit (a fraction: a finer unit)."""
        if re.search(r"(?:once|twice|times|per|every|each)\s*$", m.string[: m.start()]):
            return None  # "once a month" is how often, not when
        if (m.group("pre") or "").strip() == "in" and not m.group("ago"):
            self.future = True
            return False
        if (m.group("pre") or "").strip() == "for" and not m.group("ago"):
            if not _quiet_before(m.string, m.start()):
                return False  # a duration ("for 3 months"), not a time
            # "clean for 6 years", "not for 10 years": it last happened then.
        unit = _unit_name(m.group("u"))
        low, high = _quantity(m.group("q"), m.group("half"))
        precision = "years" if unit == "decades" else unit
        if not (low.is_integer() and high.is_integer()):
            precision = _FINER.get(precision, precision)
        half = _HALF_WIDTH[precision]
        return _Interval(self.ago(unit, high) - half, self.ago(unit, low) + half)

    def named(self, m: re.Match[str]) -> _Interval | None:
        phrase = m.group()
        phrase = re.sub(r"this\s+morning|tonight|earlier\s+today", "today", phrase)
        phrase = re.sub(r"last\s+night", "yesterday", phrase)
        phrase = re.sub(r"earlier\s+this", "this", phrase)
        return _dateparser_interval(phrase, self.today)

    def weekday(self, m: re.Match[str]) -> _Interval:
        wanted = _WEEKDAYS.index(m.group("wd"))
        back = (self.today.weekday() - wanted) % 7
        if back == 0 and (m.group("pre") or "").strip().startswith(("last", "past")):
            back = 7
        day = self.today - timedelta(days=back)
        return _Interval(day, day)

    def zh(self, m: re.Match[str]) -> _Interval | bool:
        year = int(m.group(1))
        try:
            if m.group(3):
                day = date(year, int(m.group(2)), int(m.group(3)))
                return _Interval(day, day)
            if m.group(2):
                return _month_interval(year, int(m.group(2)))
        except ValueError:
            self.bad_date = True
            return False
        return _year_interval(year)

    def scan(self) -> list[_Interval]:
        self.future = False
        qty_unit = rf"{_QTY}\s*{_UNIT}"
        opt_qty_unit = rf"(?:{_QTY}\s+)?{_UNIT}"
        self.take(
            r"\b(\d{4})\s*年\s*(?:(\d{1,2})\s*月\s*(?:(\d{1,2})\s*日)?)?", self.zh
        )
        self.take(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b", self.ymd)
        self.take(r"\b(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})\b", self.dmy)
        self.take(r"\b(?P<y>\d{4})[-/.](?P<mo>\d{1,2})\b(?![-/.]\d)", self.ym)
        self.take(r"\b(?P<mo>\d{1,2})[-/](?P<y>\d{4})\b", self.ym)
        self.take(
            rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{4}})?"
            rf"|{_MONTH.replace('month', 'month2')}\s+\d{{1,2}}(?:st|nd|rd|th)?\b"
            r"(?:,?\s+\d{4})?)(?!\d)",
            self.month_day,
        )
        self.take(rf"\b{_MONTH}(?:\s+of|,)?\s+(?P<y>\d{{4}})\b", self.month_year)
        self.take(
            r"\b(?P<part>early|beginning\s+of|start\s+of|mid|middle\s+of|late|end\s+of)"
            r"[-\s]+(?:(?P<y>\d{4})\b|this\s+year\b)",
            self.part_of_year,
        )
        self.take(
            r"(?P<pre>\b(?:last|past|this\s+past|this|in|during|since|until|till|by|over)"
            r"\s+(?:the\s+)?)?\b(?P<season>spring|summer|autumn|fall|winter)"
            r"(?:\s+(?:of\s+)?(?P<y>\d{4}))?\b",
            self.season,
        )
        self.take(
            rf"(?P<pre>\b(?:last|this\s+past|in|during|since|this)\s+)?\b{_MONTH}"
            r"(?![a-z])",
            self._month_only_guarded,
        )
        self.take(r"\b(?P<y>(?:19|20)\d{2})(?:'?s)?\b", self._year_guarded)
        self.take(
            r"\bnot\s+(?:in|within|during|for|over)\s+(?:the\s+)?(?:last|past)\s+"
            + opt_qty_unit + r"\b",
            self.not_within,
        )
        self.take(
            r"\b(?P<how>(?:(?:in|within|during|over|for)\s+)?the\s+(?:last|past)"
            r"|(?:in|within|during|over)\s+(?:the\s+)?(?:last|past)|within|past"
            r"|less\s+than|fewer\s+than|under|(?:last|past)(?=\s+\d))\s+"
            + opt_qty_unit + r"(?:\s+ago)?\b",
            self.within,
        )
        self.take(
            r"\b(?P<how>more\s+than|longer\s+than|greater\s+than|over|at\s+least"
            r"|upwards\s+of)\s+" + qty_unit + r"(?:\s+(?:ago|back|before))?\b",
            self.more_than,
        )
        self.take(
            r"\b(?:between\s+)?(?P<q1>\d+(?:\.\d+)?)\s*(?:-|to|or|and)\s*"
            r"(?P<q2>\d+(?:\.\d+)?)\s*" + _UNIT + r"(?:\s+(?:ago|back|before))?\b",
            self.range_ago,
        )
        self.take(
            r"(?P<pre>\b(?:in|for)\s+)?\b" + qty_unit
            + r"(?:\s+(?P<ago>ago|back|before|earlier|previously))?\b",
            self.relative,
        )
        self.take(
            r"\b(?:many\s+|some\s+)?(?P<u>days|weeks|months|years|decades)\s+ago\b",
            self.units_ago,
        )
        self.take(
            r"\b(?:the\s+)?day\s+before\s+yesterday\b|\byesterday\b|\btoday\b"
            r"|\btonight\b|\bthis\s+morning\b|\blast\s+night\b|\bearlier\s+today\b"
            r"|\b(?:earlier\s+)?this\s+(?:week|month|year)\b|\blast\s+(?:week|month|year)\b",
            self.named,
        )
        self.take(
            r"(?P<pre>\b(?:last|on|this\s+past|past)\s+)?\b(?P<wd>"
            + "|".join(_WEEKDAYS) + r")\b",
            self.weekday,
        )
        return self.found

    def _month_only_guarded(self, m: re.Match[str]) -> _Interval | None:
        # "may" is also a verb: only a month after "in", "last", "since"...
        if m.group("month") == "may" and not m.group("pre"):
            return None
        if m.group("month") in ("mar", "jun", "jan") and not m.group("pre"):
            return None
        return self.month_only(m)

    def _year_guarded(self, m: re.Match[str]) -> _Interval | None:
        year = int(m.group("y"))
        if m.group().endswith("s"):  # "the 2010s"
            return _Interval(date(year, 1, 1), date(min(year + 9, 9999), 12, 31))
        return self.year(m)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


_RANGE_WORDS = re.compile(r"\bor\b|\bbetween\b|\bto\b|\buntil\b|\btill\b|\bthrough\b|-")


def _time_result(
    answer: _Answer, interval: _Interval, screening: date, **detail: Any
) -> Parsed:
    earliest, latest = interval
    if earliest is not None and earliest > screening:
        return _fail(answer.text, "time_ago", "future_date")
    if earliest is not None and earliest.year < 1900:
        return _fail(answer.text, "time_ago", "out_of_range")
    if latest is None or latest > screening:
        latest = screening
    return _ok(answer.text, TimeAgo(earliest=earliest, latest=latest), **detail)


@_never_raises("time_ago")
def parse_time_ago(text: str, screening_date: date) -> Parsed:
    """When something (last) happened, as a :class:`TimeAgo` interval of dates.

    Everything is relative to ``screening_date``, never to today's date.

    * "never", "no", "I haven't" -> ``TimeAgo(never=True)``.
    * "now", "currently", "still taking it", "since 2019", "every day" -> both ends
      on the screening date (ongoing, so it happened on the screening date);
      ``detail["since"]`` when only a "since" said so.
    * Relative: "5 days ago", "yesterday" -> that day; "two weeks ago" / "about two
      weeks ago" -> ±3 days; "3 months" / "3 months ago" -> ±15 days; "a year ago" ->
      ±6 months; "a few weeks ago" (2-4), "several months ago" (3-7), "2 or 3 years
      ago", "a year and a half ago" are intervals too.
    * Bounds: "within the last month" / "less than a month ago" (earliest only), "more
      than 5 years ago" / "over a year ago" / "not in the last 3 months" (latest only).
    * Calendar: "last March" (the most recent March before the screening month, the
      whole month), "in March", "March 2024", "in 2019" (the whole year), "early
      2020", "last month" / "last year" (the previous calendar month / year),
      "2024-03-10", "10/03/2024" (both readings when day and month could swap).
    * A time after the screening date -> ``future_date``; "next week", "in 2 weeks" too.
    * Seasons (northern hemisphere): "last spring", "in the summer of 2024", "winter
      2022" (both winters the words can mean).
    * The whole answer counts. A "since" or "now" said not to hold is no "ongoing":
      "3 years ago, fine since" -> 3 years ago; "fine since 2021", "not since 2019",
      "clean for 6 years" -> then; "stopped in 2022, fine now" -> 2022. With an end
      word ("until", "stopped", "finished") the latest time named is the last one
      ("on it since 2019, stopped last month" -> last month). When the answer only
      bounds the last time ("on it since 2019 but stopped", "on and off since 2015",
      "had it in 2019, fine since 2021") the interval spans every reading, so a window
      it straddles stays unknown instead of guessing an exclusion.
    * A time of life ("when I was a teenager", "in my twenties", "not since I was
      20") -> unknown with ``detail["happened"]`` and ``detail["life_stage"]``.
    * Not an answer ("what do you mean?", "why do you ask?") -> ``not_understood``
      with ``detail["reason"]``.
    * Two separate times -> ``multiple_values``, unless joined as a range ("2019 or
      2020", "between 2019 and 2021"), which gives the whole span.
    * Hedged no ("not that I know of") -> unknown with ``detail["leaning"] == "never"``;
      "yes, I don't remember when" -> unknown with ``detail["happened"] = True``;
      "yes" alone, "recently", "a long time ago" -> ``not_understood`` (we ask when).

    Args:
        text: The answer as given.
        screening_date: The date of the screening, the reference for every answer.

    Returns:
        ``value`` as :class:`TimeAgo`, or an error.
    """
    kind = "time_ago"
    answer = _begin(text, kind)
    if isinstance(answer, Parsed):
        return answer
    not_answer = _not_an_answer(answer, kind)
    if not_answer is not None:
        return not_answer
    if isinstance(screening_date, datetime):
        screening_date = screening_date.date()
    if not isinstance(screening_date, date):
        return _fail(answer.text, kind, "not_understood", reason="no_screening_date")
    s = _to_digits(answer.low)
    s = re.sub(r"\b(19|20) ([0-9]{2})\b", r"\1\2", s)  # "twenty nineteen" -> 20 19
    # The whole answer is read before anything is decided: "3 years ago, fine since"
    # is 3 years ago, not "since" (ongoing).
    intermittent = bool(_INTERMITTENT_RE.search(s))
    marked = _INTERMITTENT_RE.sub(" ", s)  # "now and then" is no "now"
    markers = [
        (m.group() == "since", _quiet(marked, m)) for m in _NOW_RE.finditer(marked)
    ]
    ongoing_now = any(not since and not quiet for since, quiet in markers)
    ongoing_since = any(since and not quiet for since, quiet in markers)
    quiet_since = any(since and quiet for since, quiet in markers)
    stop = bool(_STOP_RE.search(s))
    ongoing = TimeAgo(earliest=screening_date, latest=screening_date)
    if ongoing_now or (ongoing_since and not stop and not intermittent):
        detail = {"since": True} if ongoing_since and not ongoing_now else {}
        return _ok(answer.text, ongoing, **detail)
    scan = _TimeScan(s, screening_date)
    found = scan.scan()
    # "on it since 2019, stopped" / "on and off since 2015": it began then, and the
    # last time lies anywhere from then to now: an honest span, never a guess.
    started = ongoing_since and bool(_SINCE_WITH_TIME.search(s) or intermittent)
    if found:
        distinct = list(dict.fromkeys(found))
        for interval in distinct:
            if interval.earliest is not None and interval.earliest > screening_date:
                return _fail(answer.text, kind, "future_date")
        if started and (len(distinct) == 1 or (intermittent and not stop)):
            start = min(
                (i.earliest for i in distinct if i.earliest is not None), default=None
            )
            return _time_result(
                answer, _Interval(start, screening_date), screening_date, since=True
            )
        if len(distinct) == 1:
            return _time_result(answer, distinct[0], screening_date)
        if stop:  # "since 2019 until last month": the end is the last time
            return _time_result(
                answer, _most_recent(distinct, screening_date), screening_date
            )
        if not (_RANGE_WORDS.search(s) or quiet_since):
            return _fail(
                answer.text,
                kind,
                "multiple_values",
                "I see more than one time. When was the most recent time?",
                intervals=[[_iso(i.earliest), _iso(i.latest)] for i in distinct],
            )
        earliest = None if any(i.earliest is None for i in distinct) else min(
            i.earliest for i in distinct if i.earliest is not None
        )
        latest = None if any(i.latest is None for i in distinct) else max(
            i.latest for i in distinct if i.latest is not None
        )
        union = _Interval(earliest, latest)
        return _time_result(answer, union, screening_date, range=True)
    if scan.bad_date:
        return _fail(answer.text, kind, "not_understood", reason="invalid_date")
    if scan.future or _FUTURE_RE.search(s):
        return _fail(answer.text, kind, "future_date")
    if _HEDGE_NO.search(s):
        return _unknown(answer.text, hedged=True, leaning="never")
    if _has_unknown_phrase(s):
        rest = _UNKNOWN_RE.sub(" ", s)
        if _NEVER_RE.search(rest):  # "no, I don't remember": a hedged no
            return _unknown(answer.text, hedged=True, leaning="never")
        if _YES_LEAD.search(rest.strip(" ,.;!")) or _POS_CUE.search(rest):
            return _unknown(answer.text, happened=True)
        return _unknown(answer.text)
    life_stage = bool(_LIFE_STAGE_RE.search(s))
    if quiet_since or life_stage:
        # "not since I was 20", "when I was a teenager": it happened, at a time only
        # the person's age would date; "nothing since" says it happened, not when.
        extra = {"life_stage": True} if life_stage else {}
        return _unknown(answer.text, happened=True, **extra)
    if _NEVER_RE.search(s):
        return _ok(answer.text, TimeAgo(never=True))
    if ongoing_since:  # "been on it on and off since": since when is not said
        return _ok(answer.text, ongoing, since=True)
    if _VAGUE_RE.search(s) or _YES_LEAD.search(s):
        return _fail(
            answer.text,
            kind,
            "not_understood",
            'When was that, roughly? For example: "two weeks ago", "last March" or '
            '"in 2019".',
            happened=True,
        )
    return _fail(answer.text, kind, "not_understood")


def window_status(
    t: TimeAgo, screening_date: date, *, days: int = 0, months: int = 0, years: int = 0
) -> bool | None:
    """Whether an event falls in the window that ends on the screening date.

    The window starts at ``screening_date - (years, months, days)`` (calendar
    arithmetic with dateutil's relativedelta) and includes that first day.

    Args:
        t: When the event happened.
        screening_date: The end of the window.
        days: Window length, days part.
        months: Window length, months part.
        years: Window length, years part.

    Returns:
        True when it certainly happened inside the window (``earliest`` on or after
        the cut-off), False when certainly not (never, or ``latest`` before the
        cut-off), None when the interval straddles the cut-off or is unbounded.
    """
    try:
        if t is None:
            return None
        if t.never:
            return False
        if isinstance(screening_date, datetime):
            screening_date = screening_date.date()
        cutoff = screening_date - relativedelta(days=days, months=months, years=years)
        if t.earliest is not None and t.earliest >= cutoff:
            return True
        if t.latest is not None and t.latest < cutoff:
            return False
        return None
    except Exception:  # noqa: BLE001
        logger.exception("window_status failed")
        return None


# --------------------------------------------------------------------------- #
# Contact details
# --------------------------------------------------------------------------- #

_PHONE_TYPES = {
    0: "fixed_line", 1: "mobile", 2: "fixed_line_or_mobile", 3: "toll_free",
    4: "premium_rate", 5: "shared_cost", 6: "voip", 7: "personal_number", 8: "pager",
    9: "uan", 10: "voicemail",
}


@_never_raises("phone")
def parse_phone(text: str, default_region: str = "CN") -> Parsed:
    """A phone number as E.164 ("+8613800138000"), validated with phonenumbers.

    Numbers without a "+" country code are read in ``default_region`` (China by
    default: "138 0013 8000"). A number inside a sentence is found. An invalid number
    -> ``not_understood``; two different numbers -> ``multiple_values``.

    Args:
        text: The answer as given.
        default_region: ISO 3166 region for numbers without a country code.

    Returns:
        ``value`` as an E.164 string, ``detail`` with ``region``, ``type`` and
        ``national`` format; or an error.
    """
    import phonenumbers

    kind = "phone"
    answer = _begin(text, kind)
    if isinstance(answer, Parsed):
        return answer
    raw = unicodedata.normalize("NFKC", answer.low)
    region = (default_region or "").upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        region = "ZZ"
    numbers: list[Any] = []
    for match in phonenumbers.PhoneNumberMatcher(
        raw, region, leniency=phonenumbers.Leniency.VALID
    ):
        if match.number not in numbers:
            numbers.append(match.number)
    if not numbers:
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            number = None
        if number is not None and phonenumbers.is_valid_number(number):
            numbers.append(number)
    if not numbers:
        if _is_unknown_low(answer.low):
            return _unknown(answer.text)
        return _fail(
            answer.text,
            kind,
            "not_understood",
            "That does not look like a full phone number. Please type it with the area "
            "code, for example 138 0013 8000, or +44 20 7946 0958.",
        )
    e164 = {
        phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)
        for n in numbers
    }
    if len(e164) > 1:
        return _fail(answer.text, kind, "multiple_values", values=sorted(e164))
    number = numbers[0]
    return _ok(
        answer.text,
        e164.pop(),
        region=phonenumbers.region_code_for_number(number),
        type=_PHONE_TYPES.get(phonenumbers.number_type(number), "unknown"),
        national=phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.NATIONAL
        ),
    )


_LOCAL_CHARS = r"-a-z0-9!#$%&'*+/=?^_`{|}~"
_EMAIL_RE = re.compile(
    rf"(?<![{_LOCAL_CHARS}.@])"
    rf"(?P<local>[{_LOCAL_CHARS}]+(?:\.[{_LOCAL_CHARS}]+)*)"
    r"@(?P<domain>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59}))(?![a-z0-9@_-]|\.[a-z0-9])"
)
_SPOKEN_EMAIL = re.compile(
    r"([a-z0-9._%+-]+)\s+at\s+([a-z0-9-]+(?:\s+dot\s+[a-z0-9-]+)+)"
)


@_never_raises("email")
def parse_email(text: str) -> Parsed:
    """An email address, lower-cased.

    Checked with a strict-enough pattern (dot-atom local part up to 64 characters,
    domain labels of letters, digits and hyphens, a top-level domain of 2+ letters,
    254 characters in all); found inside a sentence ("it's Jane@Example.com.").
    "jane at example dot com" is understood. Two different addresses ->
    ``multiple_values``; anything else -> ``not_understood``.

    Args:
        text: The answer as given.

    Returns:
        ``value`` as a lower-case address, or an error.
    """
    kind = "email"
    answer = _begin(text, kind)
    if isinstance(answer, Parsed):
        return answer
    low = re.sub(r"\bmailto:", "", answer.low)
    if "@" not in low:
        spoken = _SPOKEN_EMAIL.search(low)
        if spoken:
            low = f"{spoken.group(1)}@{spoken.group(2).replace(' dot ', '.')}"
    found: list[str] = []
    for m in _EMAIL_RE.finditer(low):
        address = m.group()
        if len(m.group("local")) <= 64 and len(address) <= 254 and address not in found:
            found.append(address)
    if len(found) > 1:
        return _fail(answer.text, kind, "multiple_values", values=found)
    if found:
        return _ok(answer.text, found[0])
    if _is_unknown_low(answer.low):
        return _unknown(answer.text)
    return _fail(
        answer.text,
        kind,
        "not_understood",
        "That does not look like an email address. Please type it like "
        "name@example.com.",
    )


# --------------------------------------------------------------------------- #
# Who is answering, and skipping an optional field
# --------------------------------------------------------------------------- #

#: The relations a caregiver can name -> the words for them. Longer phrases are
#: matched first, so "mother-in-law" is a relative, not a mother.
RELATIONS: dict[str, tuple[str, ...]] = {
    "relative": (
        "mother-in-law", "mother in law", "father-in-law", "father in law",
        "son-in-law", "son in law", "daughter-in-law", "daughter in law",
        "brother-in-law", "brother in law", "sister-in-law", "sister in law", "in-laws",
        "in laws", "parent", "relative", "relation", "family member", "family",
        "grandmother", "grandma", "granny", "nan", "nana", "grandfather", "grandpa",
        "grandad", "granddad", "aunt", "auntie", "aunty", "uncle", "cousin", "niece",
        "nephew", "grandson", "granddaughter", "grandchild", "亲戚", "家人", "家属",
    ),
    "father": (
        "father", "dad", "daddy", "papa", "stepfather", "step-father", "stepdad",
        "step-dad", "父亲", "爸爸", "爸",
    ),
    "mother": (
        "mother", "mom", "mum", "mam", "mommy", "mummy", "mama", "stepmother",
        "step-mother", "stepmom", "stepmum", "step-mum", "母亲", "妈妈", "妈",
    ),
    "husband": ("husband", "hubby", "丈夫", "老公"),
    "wife": ("wife", "missus", "missis", "妻子", "老婆"),
    "son": ("son", "stepson", "儿子"),
    "daughter": ("daughter", "stepdaughter", "女儿"),
    "brother": ("brother", "bro", "哥哥", "弟弟"),
    "sister": ("sister", "sis", "姐姐", "妹妹"),
    "partner": (
        "partner", "other half", "spouse", "boyfriend", "girlfriend", "fiance",
        "fiancee", "fiancé", "fiancée",
    ),
    "friend": ("friend", "neighbour", "neighbor", "colleague", "朋友"),
    "other": ("patient of mine", "my patient", "client", "employer", "boss"),
}
_RELATION_WORDS = sorted(
    ((word, relation) for relation, words in RELATIONS.items() for word in words),
    key=lambda item: -len(item[0]),
)
_RELATION_RE = re.compile(
    "|".join(
        re.escape(word) if not word.isascii() else rf"\b{re.escape(word)}s?\b"
        for word, _ in _RELATION_WORDS
    )
)
_RELATION_OF = {word: relation for word, relation in _RELATION_WORDS}


def _relation(word: str) -> str:
    """The relation of a matched word, plural or not ("sons", "parents")."""
    return _RELATION_OF.get(word) or _RELATION_OF.get(word[:-1], "other")
#: The person answers about themself.
_SELF_STRONG = re.compile(
    r"\b(?:i\s+am|i'm|im)\s+(?:the\s+)?(?:patient|one\s+(?:who\s+is\s+)?(?:sick|ill))\b"
    r"|\bthe\s+patient\s+is\s+me\b|我自己|本人"
)
# "I" alone is no cue: whoever types says "I" ("I'm asking for my father").
_SELF_RE = re.compile(
    r"\b(?:me|myself|self|my\s+own)\b|^(?:i\s+am|i'm|im|i\s+do)\W*$|自己|本人"
)
#: Someone else, relation not named.
_OTHER_RE = re.compile(
    r"\b(?:some(?:one|body)\s+else|another\s+person|other\s+person|(?:a|the)\s+other"
    r"|others?|(?:a|my)\s+loved\s+one|on\s+(?:his|her|their)\s+behalf|on\s+behalf"
    r"|for\s+(?:him|her|them)|care\s*giver|carer|caretaker|(?:he|she)\s+is\s+(?:sick|ill)"
    r")\b|别人|他|她"
)


@_never_raises("respondent")
def parse_respondent(text: str) -> Parsed:
    """Who is answering: the patient ("self") or someone for them ("caregiver").

    "me", "myself", "for me", "it's for me", "I am the patient" -> "self".
    "someone else", "a relative", "for my dad", "my wife", "my mother is sick" ->
    "caregiver", with ``detail["relation"]`` when a relation is named (one of the keys
    of :data:`RELATIONS`: "for my dad" -> "father", "my hubby" -> "husband").
    "I am the patient" wins over a relation named beside it ("my wife is typing");
    otherwise both a self and another person -> ``not_understood`` with
    ``detail["conflicting"]``. A question back ("who else would it be for?") ->
    ``not_understood``.

    Args:
        text: The answer as given.

    Returns:
        ``value`` in {"self", "caregiver"}, or an error / unknown.
    """
    kind = "respondent"
    answer = _begin(text, kind)
    if isinstance(answer, Parsed):
        return answer
    not_answer = _not_an_answer(answer, kind)
    if not_answer is not None:
        return not_answer
    low = answer.low
    if _SELF_STRONG.search(low):
        return _ok(answer.text, "self")
    relations = list(
        dict.fromkeys(_relation(m.group()) for m in _RELATION_RE.finditer(low))
    )
    # "my" belongs to a relation ("my mum"), so look for "me" outside the relations.
    rest = _RELATION_RE.sub(" ", low)
    is_other = bool(relations) or bool(_OTHER_RE.search(rest))
    is_self = bool(_SELF_RE.search(rest))
    if is_other and is_self:
        return _fail(answer.text, kind, "not_understood", conflicting=True)
    if is_other:
        detail = {"relation": relations[0]} if len(relations) == 1 else {}
        return _ok(answer.text, "caregiver", **detail)
    if is_self:
        return _ok(answer.text, "self")
    if _is_unknown_low(low):
        return _unknown(answer.text)
    return _fail(answer.text, kind, "not_understood")


#: Declining an optional field: "skip", "no email", "I don't have one".
_SKIP_RE = re.compile(
    rf"^(?:{_NO_WORDS})\b"
    r"|\b(?:skip|pass|n/?a|nil|nada|not\s+needed|no\s+need|not\s+necessary"
    r"|no\s+thanks?|no\s+thank\s+you|rather\s+not|prefer\s+not|leave\s+it(?:\s+(?:blank"
    r"|empty|out))?|not\s+now|next)\b"
    r"|\b(?:do\s*n[o']?t|dont|do\s+not|did\s*n[o']?t|never)\s+(?:\w+\s+)?(?:have|has|use|uses"
    r"|got|want|check|need|do)\b"
    r"|\b(?:have\s*n[o']?t|has\s*n[o']?t|haven't|hasn't)\s+(?:got\s+)?(?:one|an?\b|any)"
    r"|\bno\s+(?:e-?mail|mail|address|account|one)\b|\bwithout\s+(?:e-?mail|one)\b"
    r"|不用|没有|跳过|不需要"
)


@_never_raises("skip")
def parse_skip(text: str) -> Parsed:
    """Whether the person declines an optional field (the contact form's email).

    "skip", "none", "no", "n/a", "no thanks", "rather not", "not needed", "no email",
    "I don't have email", "I don't have one", "don't use email" -> ``value="skip"``.
    "I don't know it" -> skip too, with ``detail["unknown"]``: the field is optional.
    An address ("no@example.com"), a question back ("why do you need it?") and
    anything else -> ``not_understood``.

    Args:
        text: The answer as given.

    Returns:
        ``value == "skip"``, or ``not_understood``.
    """
    kind = "skip"
    answer = _begin(text, kind)
    if isinstance(answer, Parsed):
        return answer
    not_answer = _not_an_answer(answer, kind)
    if not_answer is not None:
        return not_answer
    low = answer.low
    if "@" in low or _DIGIT.search(low):  # an address or a number is a value
        return _fail(answer.text, kind, "not_understood", reason="value")
    if _is_unknown_low(low):
        return _ok(answer.text, "skip", unknown=True)
    if _SKIP_RE.search(low) or _DECLINED.search(low):
        return _ok(answer.text, "skip")
    return _fail(answer.text, kind, "not_understood")
