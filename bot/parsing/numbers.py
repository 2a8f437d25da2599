"""Numbers in an answer, from digits or words.

"sixty-two" -> 62, "one point eight" -> 1.8, "1,8" -> 1.8 (a decimal comma),
"45,000" -> 45000 (thousands), "45 thousand", "1.5 lakh". Number words go through
``text_to_num``, imported on first use.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from typing import Any, Mapping, NamedTuple

from bot.parsing.base import Answer, Parsed, normalized_or_none
from bot.parsing.lexicon import UNKNOWN_RE

logger = logging.getLogger(__name__)

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


class Number(NamedTuple):
    value: float
    start: int
    end: int


def _scale_multiplier(m: re.Match[str]) -> str:
    number, word = m.group(1), m.group(2)
    factor = 1e5 if word.startswith(("lakh", "lac")) else _MULTIPLIERS[word]
    value = _body_values(number)
    if len(value) != 1:
        return m.group()
    return format_number(value[0] * factor)


def format_number(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def to_digits(low: str) -> str:
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


def find_numbers(s: str) -> list[Number]:
    """Every number in already digit-converted text, with its span."""
    found: list[Number] = []
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
            found.append(Number(sign * value, m.start(), m.end()))
    return found


def distinct(numbers: list[Number]) -> list[float]:
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
        low = normalized_or_none(text)
        found = [] if low is None else find_numbers(to_digits(low))
        if not found or not math.isfinite(found[0].value):
            return None
        return found[0].value
    except Exception:  # noqa: BLE001
        logger.exception("parse_number failed")
        return None


def single_number(
    answer: Answer, digits: str | None = None
) -> Parsed | tuple[float, str]:
    """The one number of a value answer, or the error / unknown result.

    Returns:
        ``(value, digits_text)``, or a finished :class:`Parsed`.
    """
    s = to_digits(answer.low) if digits is None else digits
    numbers = find_numbers(s)
    if not numbers:
        if UNKNOWN_RE.search(answer.low):
            return answer.unknown()
        return answer.fail("not_a_number")
    values = distinct(numbers)
    if len(values) > 1:
        return answer.fail("multiple_values", values=values)
    value = values[0]
    if not math.isfinite(value):
        return answer.fail("out_of_range", given_value=str(value))
    if value < 0:
        return answer.fail("negative", given_value=value)
    return value, s


# --------------------------------------------------------------------------- #
# Approximate values: on which side of the trial's limits a range lies
# --------------------------------------------------------------------------- #


@functools.cache
def _limits(kind: str) -> tuple[tuple[str, float], ...]:
    """The limits the trial's rules put on the facts a parser of ``kind`` reads:
    ``("at_least", 85.5)`` for "x >= 85.5" or "x < 85.5", ``("above", 70)`` for
    "x > 70" or "x <= 70" (the upper end of ``between``)."""
    from bot.screening.criteria import COMBINATORS, load_trial

    trial = load_trial()
    facts = {q.id for q in trial.questions if q.parser == kind}
    found: list[tuple[str, float]] = []

    def walk(node: Mapping[str, Any]) -> None:
        for key in COMBINATORS:
            if key in node:
                for child in node[key]:
                    walk(child)
                return
        if node.get("fact") not in facts:
            return
        for op in ("at_least", "below"):
            if op in node:
                found.append(("at_least", float(node[op])))
        if "above" in node:
            found.append(("above", float(node["above"])))
        if "between" in node:
            low, high = node["between"]
            found.extend([("at_least", float(low)), ("above", float(high))])

    for criterion in trial.criteria:
        if criterion.rule:
            walk(criterion.rule)
    for question in trial.questions:
        if question.applies_if:
            walk(question.applies_if)
    return tuple(found)


def limit_within(kind: str, low: float, high: float) -> float | None:
    """The trial's limit that falls inside ``low``..``high`` (both possible values of
    an answer of ``kind``), or None when every value in it is on the same side of
    every limit, so any of them decides the rules alike.

    An approximate answer ("五十多", 50 to 59) is usable as a value only then: a range
    across a limit ("七十多" for an age limit of 70) must not be read as one side of
    it. When the criteria cannot be read, NaN: nothing is decided.
    """
    try:
        limits = _limits(kind)
    except Exception:  # noqa: BLE001 - an unreadable file decides nothing
        logger.exception("the trial's limits for %s could not be read", kind)
        return math.nan
    for op, limit in limits:
        if op == "at_least" and (low >= limit) != (high >= limit):
            return limit
        if op == "above" and (low > limit) != (high > limit):
            return limit
    return None
