"""What every parser shares: the result types, the text normalisation and the result
helpers, with the messages for the person taken from the message catalogue.

A parser works on an :class:`Answer`: the text as given, its normalized lower-case
form, and the kind of answer expected (which names the example in a message).
``answer.ok(value)``, ``answer.fail(code)`` and ``answer.unknown()`` build the
:class:`Parsed` result. The opening every parser shares (empty and too-long answers,
questions back) is :func:`bot.parsing.nonanswers.answer_parser`.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping, NamedTuple

from bot.screening import messages
from bot.settings import MAX_MESSAGE_CHARS

logger = logging.getLogger(__name__)

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

#: Longer answers are not parsed (``not_understood`` with reason ``too_long``): the
#: one message-length limit, :data:`bot.settings.MAX_MESSAGE_CHARS`.
MAX_ANSWER_LENGTH = MAX_MESSAGE_CHARS


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
        kind: The kind of answer the parser reads ("age", "bilirubin", ...).
        message_key: The catalogue key of ``message`` (``parse_...``), and
        message_vars: its variables, to say it again in another language
            (:func:`message_text`).
    """

    ok: bool
    value: Any = None
    unknown: bool = False
    error: str | None = None
    message: str | None = None
    text: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    kind: str = ""
    message_key: str | None = None
    message_vars: Mapping[str, Any] = field(default_factory=dict)


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
# Messages, from the catalogue (bot/screening/messages/<language>.yml)
# --------------------------------------------------------------------------- #


def message_text(
    key: str, kind: str, language: str = messages.DEFAULT_LANGUAGE, **variables: Any
) -> str:
    """The catalogue message ``key`` for an answer of ``kind``.

    ``{what}`` and ``{example}`` name the answer expected; they come from the
    catalogue entry ``parse_what_<kind>`` (its text and its example).
    """
    what = messages.catalogue(language)[f"parse_what_{kind}"]
    return str(
        messages.render(
            key,
            language,
            **{"what": what["text"], "example": what["example"], **variables},
        )["text"]
    )


def error_key(code: str) -> str:
    """The catalogue key of the general message for the error ``code``."""
    return f"parse_error_{code}"


def fail(
    text: str,
    kind: str,
    code: str,
    say: str | None = None,
    say_vars: Mapping[str, Any] | None = None,
    **detail: Any,
) -> Parsed:
    """A refused answer: error ``code`` and a message (``say``, or the general one)."""
    key = say or error_key(code)
    variables = dict(say_vars or {})
    return Parsed(
        ok=False,
        error=code,
        message=message_text(key, kind, **variables),
        text=text,
        detail=detail,
        kind=kind,
        message_key=key,
        message_vars=variables,
    )


# --------------------------------------------------------------------------- #
# Text normalization
# --------------------------------------------------------------------------- #

_SUPERSCRIPT_RUN = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_DASHES = re.compile("[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "`": "'"})
SPACES = re.compile(r"\s+")
#: Chinese punctuation that NFKC leaves alone or makes ambiguous: the ideographic
#: comma and the full-width comma end a clause (never a decimal or thousands comma:
#: "8，9" is two numbers), and the ideographic full stop is a decimal point between
#: digits (what a Chinese keyboard types for ".") and a full stop elsewhere.
_CJK_COMMAS = re.compile("[\uff0c\u3001\ufe50\ufe51]")
_CJK_DECIMAL_STOP = re.compile("(?<=[0-9\uff10-\uff19])\u3002(?=[0-9\uff10-\uff19])")
_CJK_STOPS = re.compile("[\u3002\uff61]")


def as_text(text: Any) -> str:
    """Any value as the string a parser reads ("" for None)."""
    if isinstance(text, str):
        return text
    return "" if text is None else str(text)


def normalize(text: str) -> str:
    """NFKC, one dash and quote, ASCII digits, no control characters, lower case.

    Superscripts become ``^n`` first, so "10⁹/L" stays "10^9/l" (NFKC alone would give
    "109/l"). Full-width digits, letters and punctuation become ASCII ("ＩＮＲ１．８",
    "：", "％"); the Chinese commas "，" and "、" become ", " and "。" a full stop, or
    a decimal point between digits ("1。8").
    """
    chars = []
    for ch in text:
        cat = unicodedata.category(ch)
        chars.append(" " if cat[0] == "C" or cat in ("Zl", "Zp") else ch)
    s = "".join(chars)
    s = _SUPERSCRIPT_RUN.sub(lambda m: "^" + m.group().translate(_SUPERSCRIPTS), s)
    if not s.isascii():
        s = _CJK_COMMAS.sub(", ", s)
        s = _CJK_STOPS.sub(". ", _CJK_DECIMAL_STOP.sub(".", s))
    s = unicodedata.normalize("NFKC", s)
    s = _DASHES.sub("-", s).translate(_QUOTES)
    if not s.isascii():
        s = "".join(
            str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch
            for ch in s
        )
    return SPACES.sub(" ", s).strip().lower()


def normalized_or_none(text: Any) -> str | None:
    """The normalized text, or None when it is too long to read."""
    original = as_text(text)
    if len(original) > MAX_ANSWER_LENGTH:
        return None
    return normalize(original)


class Answer(NamedTuple):
    """One answer being parsed, and the results it can give."""

    text: str  # as given
    low: str  # normalized, lower case
    kind: str  # the kind of answer expected

    def ok(self, value: Any, **detail: Any) -> Parsed:
        """A usable value."""
        return Parsed(
            ok=True, value=value, text=self.text, detail=detail, kind=self.kind
        )

    def fail(
        self,
        code: str,
        say: str | None = None,
        say_vars: Mapping[str, Any] | None = None,
        **detail: Any,
    ) -> Parsed:
        """A refused answer (see :func:`fail`)."""
        return fail(self.text, self.kind, code, say, say_vars, **detail)

    def unknown(self, **detail: Any) -> Parsed:
        """ "I don't know": no value, no error."""
        return Parsed(
            ok=False, unknown=True, text=self.text, detail=detail, kind=self.kind
        )

    def unsure(self, **detail: Any) -> Parsed:
        """A usable "unsure" that is also an "I don't know" (yes/no questions)."""
        return Parsed(
            ok=True,
            value="unsure",
            unknown=True,
            text=self.text,
            detail=detail,
            kind=self.kind,
        )


def begin(text: Any, kind: str) -> Parsed | Answer:
    """The empty and too-long answers, or the :class:`Answer` to parse."""
    original = as_text(text)
    if len(original) > MAX_ANSWER_LENGTH:
        return fail(original, kind, "not_understood", reason="too_long")
    low = normalize(original)
    if not low:
        return fail(original, kind, "empty")
    return Answer(original, low, kind)
