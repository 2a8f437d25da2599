"""Numbers in a Chinese answer: which ones are values, and what they are.

A Chinese sentence is full of numerals that are no value: 一直 ("all along"), 有一点
("a little"), 一次 ("once"), 这两天 ("these days"), 两三天 ("two or three days"), 三七
(a herbal medicine), 小三阳 (a hepatitis B serology pattern). So a number is taken only
when it is tied to what the question asks for: the nearest name of a lab value before
it in the same clause is the parser's own (总胆红素 320; a number after 直接胆红素 is
not the total), or the parser's unit or age word follows it (320 微摩尔每升, 六十二岁),
or it is the whole answer ("一点八吧"). A numeral followed by a counter or a noun
(次, 天, 直, 阳, 点 not followed by a digit) is not a value at all, nor one after
这, 那, 第, 小, 大, 前.

Forms read: digits (62, 256.4), Chinese numerals through ``cn2an`` on the span only
(六十二, 一点八, 三百二十, 两百), 万 (8万 = 80000, 1.5万, 十万, 两万五 = 25000),
百分之三十五 (35, a percent), and the approximate forms, as ranges: 五十多 = 50-59,
三百二十多 = 320-329, 一点八几 = 1.80-1.89, 二十几 = 20-29, 8万多 = 80000-89000,
十几万 = 100000-190000, 三十五六 = 35-36, 七八十 = 70-89, 两三 = 2-3, 三十来 = 28-34.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

from bot.parsing.base import Answer, Parsed
from bot.parsing.numbers import format_number, limit_within
from bot.parsing.units import chinese_units
from bot.screening.language import has_cjk

logger = logging.getLogger(__name__)

_DIGIT = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
    "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_PLACE = {"十": 10, "百": 100, "千": 1000}
_CN = "[零〇一二两三四五六七八九十百千]"

NUMERAL = re.compile(
    r"(?P<pct>百分之)?"
    rf"(?P<body>(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?|{_CN}{{1,12}}(?:点[零〇一二三四五六七八九]{{1,6}})?)"
    r"(?P<approx>点?[多几]|来)?(?![0-9零〇一二两三四五六七八九])"
    rf"(?P<wan>万(?:{_CN}+|\d+)?)?"
    r"(?P<approx_wan>[多几来])?"
)
#: Digits that belong to a unit, not to a value: "×10^9/L", "10*9", "/mm3", "100 ml".
_UNIT_DIGITS = re.compile(
    r"[x×*·]\s*10\s*(?:\^|\*\*|\*|e)?\s*\(?[-+]?\d{1,2}\)?"
    r"|(?<![\d.])10\s*(?:\^|\*\*|e)\s*\(?[-+]?\d{1,2}\)?"
    r"|mm\s*\^?\s*3|100\s*ml"
)
#: Before a numeral: it names a day, a rank or a serology pattern, not a value.
_NOT_AFTER = frozenset("这那第每小大前后哪头几")
#: What may follow a value: the end, punctuation, a Latin unit, or these words.
_AFTER_VALUE = re.compile(
    r"\s*(?:$|[\x21-\x7e×μµ]|左右|上下|以上|以下|之间|出头|吧|了|啦|啊|呀|呢|哦|的|是|和|跟"
    r"|与|或|还是|到|至|这样|那样|而已|差不多|微摩|毫克|毫摩|秒|分|岁|周岁|虚岁|个|万|升"
    r"|年出生|年生)"
)
#: Words that carry no value: an answer that is a number and only these is the number.
FILLERS = (
    r"大概|大约|约|差不多|左右|上下|吧|了|啦|啊|呀|呢|哦|嗯|是|的|应该|可能|好像|我记得"
    r"|记得|就|才|只有|有|还|都|已经|目前|现在|最近|结果|化验|检查|报告|单子|上面|写着|写的"
)
_CLAUSE_END = re.compile(r"[,;!?]|\.(?!\d)")


class ZhValue(NamedTuple):
    """One number of the answer, as said.

    ``low`` and ``high`` are the lowest and highest value said (equal when exact:
    三百二十多 gives 320 and 329); ``top`` is the upper bound of what the words allow
    (330, exclusive), for deciding on which side of a limit the value lies.
    """

    low: float
    high: float
    top: float
    percent: bool
    start: int
    end: int

    @property
    def exact(self) -> bool:
        return self.low == self.high

    def probe(self, integer: bool) -> float:
        """The highest value possible: ``high`` for whole numbers (an age), just
        below ``top`` for a measurement."""
        if self.exact or integer:
            return self.high
        return self.top - (self.top - self.low) * 1e-3


@functools.lru_cache(maxsize=1)
def _cn2an() -> Callable[[str, str], float]:
    import cn2an

    convert: Callable[[str, str], float] = cn2an.cn2an
    return convert


def _plain(body: str) -> float | None:
    """A span without 多/几/万 as a number: digits, or Chinese numerals (strict)."""
    if body[0].isdigit():
        return float(body.replace(",", ""))
    whole, point, tenths = body.replace("两", "二").partition("点")
    try:
        number = float(_cn2an()(whole, "strict"))
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    if point:  # the digits after 点 one by one (cn2an refuses "二点零")
        number += float("0." + "".join(str(_DIGIT[c]) for c in tenths))
    return number


def _decimals(body: str) -> int:
    for point in (".", "点"):
        if point in body:
            return len(body.split(point, 1)[1])
    return 0


def _step(value: float, decimals: int) -> float:
    """The place an approximation word stands for: 五十多 -> 10, 一点八几 -> 0.1."""
    if decimals:
        return float(10.0**-decimals)
    step = 1.0
    whole = int(value)
    while whole >= 10 and whole % 10 == 0:
        whole //= 10
        step *= 10
    return step


_PAIR = re.compile(
    r"(?P<prefix>.*[十百千])?(?P<a>[一二两三四五六七八九])(?P<b>[二三四五六七八九])"
    r"(?P<place>[十百千])?"
)


def _body_range(body: str) -> tuple[float, float, float] | None:
    """``(low, high, unit)`` of a body: 三十五六 -> (35, 36, 1), 七八十 -> (70, 80, 1);
    an exact number has low == high; None when it is no number (三七)."""
    pair = _PAIR.fullmatch(body)
    if pair:
        a, b = _DIGIT[pair.group("a")], _DIGIT[pair.group("b")]
        if b != a + 1 or (pair.group("prefix") and pair.group("place")):
            return None
        if pair.group("prefix"):
            base = _plain(pair.group("prefix") + pair.group("a"))
            return None if base is None else (base, base + 1, 1.0)
        if not pair.group("place"):  # 四五: 4 or 5
            return float(a), float(b), 1.0
        place = _PLACE[pair.group("place")]  # 六七十: in the sixties or seventies
        return float(a * place), float((b + 1) * place - 1), 1.0
    value = _plain(body)
    if value is None:
        return None
    return value, value, float(10.0 ** -_decimals(body)) if _decimals(body) else 1.0


def _approximate(
    low: float, high: float, unit: float, word: str | None, decimals: int
) -> tuple[float, float, float]:
    """``(low, high, top)`` after an approximation word (多, 几, 来)."""
    if not word or low != high:
        return low, high, high + unit
    if word.startswith("点"):  # 三点多: 3 and some tenths
        return low, low + 0.9, low + 1
    step = _step(low, decimals)
    small = step / 10 if decimals else min(unit, step)
    if word == "来":  # 三十来岁: about thirty, a little under or over
        return low - 2 * small, low + step / 2 - small, low + step / 2
    return low, low + step - small, low + step


def value_of(m: re.Match[str]) -> ZhValue | None:
    """The number a :data:`NUMERAL` match says, or None (三七, 一千二)."""
    body = m.group("body")
    parts = _body_range(body)
    if parts is None:
        return None
    decimals = _decimals(body)
    low, high, top = _approximate(*parts, m.group("approx"), decimals)
    wan = m.group("wan")
    if wan:
        tail = wan[1:]
        extra = 0.0
        if tail:
            if len(tail) == 1 and tail in _DIGIT:  # 两万五 = 25000
                extra = _DIGIT[tail] * 1000.0
            else:
                parsed = _plain(tail)
                if parsed is None:
                    return None
                extra = parsed
        low, high, top = (x * 10000 + extra for x in (low, high, top))
        if m.group("approx_wan") and low == high:
            step = 10000.0 * _step(low / 10000, 0) if not tail else 1000.0
            low, high, top = low, low + step - step / 10, low + step
    elif m.group("approx_wan"):
        return None
    low, high, top = (round(x, 9) for x in (low, high, top))
    return ZhValue(low, high, top, bool(m.group("pct")), m.start(), m.end())


def _masked(low: str) -> str:
    """``low`` with the digits of units ("×10^9") hidden, same length."""
    return _UNIT_DIGITS.sub(lambda m: re.sub(r"\d", "#", m.group()), low)


def numerals(low: str) -> list[tuple[ZhValue | None, int, int]]:
    """Every numeral span of ``low`` that is not part of a unit: ``(value or None if
    it is no number, start, end)``."""
    found: list[tuple[ZhValue | None, int, int]] = []
    for m in NUMERAL.finditer(_masked(low)):
        found.append((value_of(m), m.start(), m.end()))
    return found


@dataclass(frozen=True)
class Spec:
    """What ties a number to one kind of answer.

    Attributes:
        labels: the names of this value (总胆红素, TBIL).
        others: names of other values (直接胆红素, 凝血酶原时间): a number after them
            is theirs.
        units: a unit or age word right after the number (微摩尔, 岁).
        fillers: more words that may surround a number that is the whole answer.
        wan_ties: a number with 万 is this value's (platelets: 8万).
        percent_ties: 百分之 ties the number (PTA).
        trigger: an answer without Chinese is read this way too when it matches
            (an English answer that names the direct bilirubin).
    """

    labels: re.Pattern[str]
    others: re.Pattern[str] | None = None
    units: re.Pattern[str] | None = None
    fillers: str = ""
    wan_ties: bool = False
    percent_ties: bool = False
    trigger: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Reading:
    """A Chinese answer, read for one kind of value.

    Attributes:
        parts: the text in pieces: plain text, and the values taken.
        taken: the values tied to this kind, in order.
        dropped_units: the unit words after numbers that were not taken ("s").
    """

    parts: tuple[str | ZhValue, ...]
    taken: tuple[ZhValue, ...]
    dropped_units: tuple[str, ...]

    def render(self, pick: Callable[[ZhValue], float] | None = None) -> str:
        """The text with the taken values as digits (``pick`` chooses the value of an
        approximate one; its low end by default) and the other numbers blanked."""
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = pick(part) if pick else part.low
            out.append(f" {format_number(value)}{'%' if part.percent else ''} ")
        return re.sub(r"\s+", " ", "".join(out)).strip()


_DROPPED_UNIT = re.compile(
    r"\s*(?:%|秒钟?|分钟?|岁|[a-zμµ][a-z0-9μµ/^.]*(?:\s*/\s*[a-z0-9μµ^]+)?)"
)


def _nearest_label(low: str, start: int, spec: Spec) -> str | None:
    """ "own" or "other": the nearest value name before ``start``, in its clause if
    there is one there, else in the clauses before ("胆红素一直很高，320")."""
    clause_start = 0
    for m in _CLAUSE_END.finditer(low, 0, start):
        clause_start = m.end()
    for begin in (clause_start, 0):
        best: tuple[int, str] | None = None
        for pattern, which in ((spec.labels, "own"), (spec.others, "other")):
            if pattern is None:
                continue
            for m in pattern.finditer(low, begin, start):
                if best is None or m.end() > best[0]:
                    best = (m.end(), which)
        if best is not None:
            return best[1]
    return None


def _is_whole(low: str, start: int, end: int, spec: Spec) -> bool:
    rest = low[:start] + " " + low[end:]
    for pattern in (spec.labels, spec.units):
        if pattern is not None:
            rest = pattern.sub(" ", rest)
    words = FILLERS + (f"|{spec.fillers}" if spec.fillers else "")
    rest = re.sub(words, " ", rest)
    return not re.sub(r"[\s\W_]+", "", rest)


def read(low: str, spec: Spec) -> Reading:
    """Which numbers of the normalized answer ``low`` are values of ``spec``'s kind."""
    parts: list[str | ZhValue] = []
    taken: list[ZhValue] = []
    dropped: list[str] = []
    cursor = 0
    for value, start, end in numerals(low):
        if start < cursor:
            continue
        is_value = (
            value is not None
            and (start == 0 or low[start - 1] not in _NOT_AFTER)
            and bool(_AFTER_VALUE.match(low, end))
        )
        take = False
        if value is not None and is_value:
            label = _nearest_label(low, start, spec)
            take = label == "own" or (
                label is None
                and (
                    bool(spec.units and spec.units.match(low, end))
                    or (spec.wan_ties and "万" in low[start:end])
                    or (spec.percent_ties and value.percent)
                    or _is_whole(low, start, end, spec)
                )
            )
        parts.append(low[cursor:start])
        if take and value is not None:
            parts.append(value)
            taken.append(value)
            cursor = end
            continue
        cursor = end
        if is_value:
            unit = _DROPPED_UNIT.match(low, end)
            if unit and unit.group().strip():
                dropped.append(unit.group().strip())
                cursor = unit.end()
        parts.append(" ")
    parts.append(low[cursor:])
    return Reading(tuple(parts), tuple(taken), tuple(dropped))


#: "正常值的3倍", "正常上限2倍", "超过正常3倍": a multiple of the normal limit.
TIMES_NORMAL = re.compile(
    r"(?:正常(?:值|上限|高限|范围)?|上限)(?:的)?\s*(?:的)?\s*[0-9零〇一二两三四五六七八九十点.多几]+\s*倍"
    r"|(?:超过|超出|高出|高于|是)正常(?:值|上限)?\s*[0-9零〇一二两三四五六七八九十点.多几]+\s*倍"
    r"|\d+(?:\.\d+)?\s*(?:x|times)\s+(?:the\s+)?(?:upper\s+limit|normal|uln)\b"
)


def chinese_reading(answer: Answer, spec: Spec, *, lab: bool = True) -> Reading | None:
    """The :class:`Reading` of a Chinese answer (None for an answer without Chinese
    characters, which the English parser reads as it is). ``lab``: the Chinese unit
    words of lab values are written as the English parsers read them first."""
    if not has_cjk(answer.text) and not (
        spec.trigger and spec.trigger.search(answer.low)
    ):
        return None
    return read(chinese_units(answer.low) if lab else answer.low, spec)


class Approximation(NamedTuple):
    """An approximate answer read at both ends.

    Attributes:
        low: the reader's result for the lowest value said (三百二十多: 320).
        high: its result for the highest value said (329), or a failure.
        limit: the trial's limit inside the range (:func:`limit_within`), None when
            the whole range is on one side of every limit, NaN when it is unknown.
    """

    low: Parsed
    high: Parsed
    limit: float | None

    @property
    def range(self) -> list[Any]:
        return [self.low.value, self.high.value if self.high.ok else None]


def approximation(
    answer: Answer,
    reading: Reading,
    reader: Callable[[Answer], Parsed],
    *,
    integer: bool = False,
) -> Approximation | Parsed:
    """Read the one approximate value of ``reading`` at its ends with ``reader`` (the
    English parser, which converts the units), and find whether a limit of the trial
    falls inside it. A failure at the low end is the answer's result."""
    at_low = reader(answer._replace(low=reading.render(lambda v: v.low)))
    if not at_low.ok:
        return at_low
    at_high = reader(answer._replace(low=reading.render(lambda v: v.high)))
    at_top = reader(answer._replace(low=reading.render(lambda v: v.probe(integer))))
    if not (at_high.ok and at_top.ok):
        return Approximation(at_low, at_high, math.nan)
    limit = limit_within(answer.kind, float(at_low.value), float(at_top.value))
    return Approximation(at_low, at_high, limit)


def approximate_lab(
    approx: Approximation, answer: Answer, key: str = "range"
) -> Parsed:
    """An approximate lab value: its low end when the whole range decides the rules
    alike (``detail["approximate"]``, and the range under ``key``), else "unknown"
    with ``detail["reason"] == "approximate"``, for the study team to check: a range
    across a limit is never read as one side of it."""
    if approx.limit is None:
        detail = {**approx.low.detail, "approximate": True, key: approx.range}
        return answer.ok(approx.low.value, **detail)
    limit = None if math.isnan(approx.limit) else approx.limit
    return answer.unknown(reason="approximate", limit=limit, **{key: approx.range})
