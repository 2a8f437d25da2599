"""Lab values: total bilirubin, INR, prothrombin activity (PTA), platelets.

English and Chinese answers alike. In a Chinese answer only the numbers tied to the
value asked for are read (:mod:`bot.parsing.zh_numbers`): "总胆红素三百二十多，微摩尔
每升" is 320-329 µmol/L, and neither 直接胆红素 180 nor 凝血酶原时间 20 秒 is taken for
the total bilirubin or the INR. The text with those numbers alone, as digits, then goes
through the same reading as an English answer, so the results are the same.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable

from bot.parsing import zh_numbers
from bot.parsing.base import Answer, Parsed
from bot.parsing.lexicon import PERCENT_WORDS, alternation
from bot.parsing.nonanswers import answer_parser
from bot.parsing.numbers import find_numbers, format_number, single_number, to_digits
from bot.parsing.units import (
    BILIRUBIN_UNITS,
    GIGA_PER_L,
    MG_DL,
    NOT_LAB_UNITS,
    PERCENT,
    UMOL_L,
    UNIT_LABELS,
    convert,
    dimension,
    find_units,
    mgdl_to_umol,
    umol_to_mgdl,
    unit_after,
)

#: A bilirubin without a unit above this is read as µmol/L (impossible in mg/dL).
BILIRUBIN_UNITLESS_MGDL_MAX = 60.0
#: Above this (about 88 mg/dL) a bilirubin is not a real lab value.
BILIRUBIN_MAX_UMOL_L = 1500.0
INR_MIN, INR_MAX = 0.5, 15.0
PTA_MIN, PTA_MAX = 0.0, 150.0
#: A PTA at or below this without a % sign may be a fraction ("0.35"): we ask.
PTA_FRACTION_MAX = 1.5
PLATELETS_MIN, PLATELETS_MAX = 1.0, 1500.0


def _names(*words: str) -> str:
    """A regular-expression alternation of value names; a Latin name stands alone
    ("pt" is not the "pt" of "pta")."""
    return "|".join(
        rf"(?<![a-z]){w}(?![a-z])" if w.isascii() else w
        for w in sorted(words, key=len, reverse=True)
    )


_BILIRUBIN_NAMES = _names(
    "总胆红素",
    "血清总胆红素",
    "(?<!直接)(?<!间接)(?<!结合)胆红素",
    "tbil",
    "t-bil",
    "stb",
    "total bilirubin",
    "total",
    "(?<!direct )(?<!indirect )(?<!conjugated )bilirubin",
)
_INR_NAMES = _names("inr", "国际标准化比值", "国际标准化比率", "国际标准比值")
_PTA_NAMES = _names(
    "pta", "pt%", "pt活动度", "凝血酶原活动度", "凝血酶原活性", "凝血酶原活度"
)
_PLATELET_NAMES = _names("血小板", "血小板计数", "plt", "plts")
#: Names of other values: a number after one of them is not the value asked for.
_OTHER_NAMES = _names(
    "直接胆红素", "间接胆红素", "结合胆红素", "dbil", "ibil", "d-bil", "i-bil",
    "direct bilirubin", "indirect bilirubin", "conjugated bilirubin", "direct",
    "indirect", "conjugated", "unconjugated",
    "凝血酶原时间", "pt", "aptt", "活化部分凝血活酶时间", "纤维蛋白原", "fib",
    "白蛋白", "球蛋白", "alb", "alt", "ast", "谷丙", "谷草", "转氨酶", "肌酐", "cr",
    "尿素氮", "bun", "白细胞", "wbc", "红细胞", "rbc", "血红蛋白", "hb", "hgb",
    "甲胎蛋白", "afp", "血氨", "血糖", "钠", "钾", "hbv-dna", "dna", "病毒", "meld",
    "体重", "身高", "血压", "体温", "岁", "年龄",
)  # fmt: skip


def _zh_spec(own: str, *others: str, **extra: Any) -> zh_numbers.Spec:
    return zh_numbers.Spec(
        labels=re.compile(own),
        others=re.compile("|".join((_OTHER_NAMES, *others))),
        **extra,
    )


_ZH_BILIRUBIN = _zh_spec(
    _BILIRUBIN_NAMES,
    _INR_NAMES,
    _PTA_NAMES,
    _PLATELET_NAMES,
    units=re.compile(r"\s*(?:[uμµ]mol|mmol|mg|毫克|微摩)"),
    trigger=re.compile(r"(?<![a-z])(?:d-?bil|i-?bil|direct|indirect|conjugated)"),
)
_ZH_INR = _zh_spec(_INR_NAMES, _BILIRUBIN_NAMES, _PTA_NAMES, _PLATELET_NAMES)
_ZH_PTA = _zh_spec(
    _PTA_NAMES,
    _BILIRUBIN_NAMES,
    _INR_NAMES,
    _PLATELET_NAMES,
    units=re.compile(r"\s*%"),
    percent_ties=True,
)
_ZH_PLATELETS = _zh_spec(
    _PLATELET_NAMES,
    _BILIRUBIN_NAMES,
    _INR_NAMES,
    _PTA_NAMES,
    units=re.compile(r"\s*(?:[x×*]\s*10|10\s*\^|/\s*(?:[uμµ]l|nl|l|mm)|g\s*/\s*l|个)"),
    wan_ties=True,
)
_IN_SECONDS = frozenset({"s", "sec", "secs", "second", "seconds"})


def _lab(
    answer: Answer,
    spec: zh_numbers.Spec,
    reader: Callable[[Answer], Parsed],
    seconds_say: str | None = None,
) -> Parsed:
    """A lab value in English or Chinese.

    "正常值的3倍" / "3 times normal" is no value the rules can use: unknown, with
    ``detail["reason"] == "times_normal"`` (the study team reads the report). In a
    Chinese answer the numbers tied to the value are read by ``reader`` (the English
    reading); an approximate one ("三百二十多") is its low end when the whole range
    lies on one side of every limit of the trial (``detail["approximate"]`` and
    ``detail["range"]``), and unknown (``detail["reason"] == "approximate"``, for the
    study team) when a limit falls inside it. ``seconds_say``: the message when the
    only numbers are in seconds (the prothrombin time, not this value).
    """
    if zh_numbers.TIMES_NORMAL.search(answer.low):
        return answer.unknown(reason="times_normal")
    reading = zh_numbers.chinese_reading(answer, spec)
    if reading is None:
        return reader(answer)
    if not reading.taken and seconds_say and _IN_SECONDS & set(reading.dropped_units):
        return answer.fail("unknown_unit", seconds_say, given_unit="s")
    if len(reading.taken) == 1 and not reading.taken[0].exact:
        approx = zh_numbers.approximation(answer, reading, reader)
        if isinstance(approx, Parsed):
            return approx
        return zh_numbers.approximate_lab(approx, answer)
    return reader(answer._replace(low=reading.render()))


def _bilirubin_result(
    answer: Answer, umol: float, given: float, unit_label: str, **extra: Any
) -> Parsed:
    detail = {"given_value": given, "given_unit": unit_label, "unit": UMOL_L, **extra}
    if umol > BILIRUBIN_MAX_UMOL_L:
        return answer.fail("out_of_range", **detail)
    umol = round(umol, 3)
    detail["mg_dl"] = round(umol_to_mgdl(umol), 3)
    return answer.ok(umol, **detail)


def _read_bilirubin(answer: Answer) -> Parsed:
    """The English reading of :func:`parse_bilirubin`."""
    s = to_digits(answer.low)
    units = find_units(s, BILIRUBIN_UNITS)
    for _, start, end in units:  # "mg per 100 ml": the 100 is part of the unit
        s = s[:start] + " " * (end - start) + s[end:]
    numbers = find_numbers(s)
    distinct_units = sorted({u for u, _, _ in units})
    if len(distinct_units) > 1 and numbers:
        return answer.fail("multiple_values", units=distinct_units)
    result = single_number(answer, s)
    if isinstance(result, Parsed):
        return result
    value, _ = result
    if units:
        unit = distinct_units[0]
        label = UNIT_LABELS[unit]
        if unit == "mg":
            umol = mgdl_to_umol(value)
            return _bilirubin_result(answer, umol, value, MG_DL, assumed_unit=MG_DL)
        if unit == "mg/dL":
            return _bilirubin_result(answer, mgdl_to_umol(value), value, label)
        if unit == "umol/L":
            return _bilirubin_result(answer, value, value, label)
        if dimension(unit) == "substance_conc":
            umol = convert(value, unit, "umol/L")
            return _bilirubin_result(answer, umol, value, label)
        return _bilirubin_result(
            answer, mgdl_to_umol(convert(value, unit, "mg/dL")), value, label
        )
    number_end = find_numbers(s)[0].end
    token = unit_after(s, number_end)
    if token is not None:
        dim = dimension(token) if "/" in token else None
        if dim == "substance_conc":
            return _bilirubin_result(
                answer, convert(value, token, "umol/L"), value, token
            )
        if dim == "mass_conc":
            return _bilirubin_result(
                answer, mgdl_to_umol(convert(value, token, "mg/dL")), value, token
            )
        if "/" in token or token in NOT_LAB_UNITS:
            return answer.fail("unknown_unit", given_unit=token)
    if value > BILIRUBIN_UNITLESS_MGDL_MAX:
        return _bilirubin_result(answer, value, value, UMOL_L, assumed_unit=UMOL_L)
    candidates = {MG_DL: round(mgdl_to_umol(value), 3), UMOL_L: round(value, 3)}
    return answer.fail(
        "unit_needed",
        "parse_bilirubin_which_unit",
        {"value": format_number(value)},
        given_value=value,
        candidates=candidates,
    )


@answer_parser("bilirubin")
def parse_bilirubin(answer: Answer) -> Parsed:
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

    Chinese (any conversation language): 总胆红素 / TBIL / 胆红素 in 微摩尔每升 (µmol/L)
    or 毫克每分升; a number after 直接胆红素 / DBIL or 间接胆红素 / IBIL is never the
    total. "正常值的3倍" -> unknown (``detail["reason"] == "times_normal"``).
    Approximate values (三百二十多) -> :func:`_lab`.

    Args:
        text: The answer as given.

    Returns:
        ``value`` as float in µmol/L, or an error; ``detail`` keeps the given value and
        unit, and ``mg_dl``.
    """
    return _lab(answer, _ZH_BILIRUBIN, _read_bilirubin)


_SECONDS = frozenset({"s", "sec", "secs", "second", "seconds"})
_PERCENT_RE = re.compile(rf"%|\bper\s*cent\b|\b(?:{alternation(PERCENT_WORDS)})\b")


def _read_inr(answer: Answer) -> Parsed:
    """The English reading of :func:`parse_inr`."""
    result = single_number(answer)
    if isinstance(result, Parsed):
        return result
    value, s = result
    token = unit_after(s, find_numbers(s)[0].end)
    if _PERCENT_RE.search(s) or (token is not None and token in _SECONDS):
        return answer.fail(
            "unknown_unit",
            "parse_inr_no_unit",
            given_unit=token,
        )
    if not INR_MIN <= value <= INR_MAX:
        return answer.fail("out_of_range", given_value=value)
    return answer.ok(value)


@answer_parser("inr")
def parse_inr(answer: Answer) -> Parsed:
    """The INR, a plain number; plausible 0.5..15, else ``out_of_range``.

    "INR one point eight" -> 1.8, "1,8" -> 1.8. A value in seconds or percent (the
    prothrombin time or activity, other tests) -> ``unknown_unit``.

    Chinese: INR / 国际标准化比值; 凝血酶原时间 (PT) in 秒 is not the INR: an answer
    with only seconds -> ``unknown_unit``. Approximate values (一点八几) ->
    :func:`_lab`.

    Args:
        text: The answer as given.

    Returns:
        ``value`` as float, or an error.
    """
    return _lab(answer, _ZH_INR, _read_inr, "parse_inr_no_unit")


def _read_pta(answer: Answer) -> Parsed:
    """The English reading of :func:`parse_pta`."""
    result = single_number(answer)
    if isinstance(result, Parsed):
        return result
    value, s = result
    has_percent = bool(_PERCENT_RE.search(s))
    token = unit_after(s, find_numbers(s)[0].end)
    if not has_percent and token is not None and token in _SECONDS:
        return answer.fail(
            "unknown_unit",
            "parse_pta_seconds",
            given_unit=token,
        )
    if value > PTA_MAX:
        return answer.fail("out_of_range", given_value=value)
    if not has_percent and value <= PTA_FRACTION_MAX:
        return answer.fail(
            "unit_needed",
            "parse_pta_fraction",
            {"percent": format_number(value * 100), "value": format_number(value)},
            given_value=value,
            candidates={"fraction": round(value * 100, 3), "percent": value},
        )
    detail = {} if has_percent else {"assumed_unit": PERCENT}
    return answer.ok(value, **detail)


@answer_parser("pta")
def parse_pta(answer: Answer) -> Parsed:
    """Prothrombin activity (PTA) in percent, 0..150.

    "PTA 35 percent", "35%", "35 per cent", "35" -> 35.0. Decision on fractions: a
    number at or below 1.5 without a % sign ("0.35") could be a fraction (35%) or a
    tiny percent, so it is not guessed: ``unit_needed`` with ``detail["candidates"]``.
    A value in seconds (the prothrombin time, another test) -> ``unknown_unit``.

    Chinese: 凝血酶原活动度 / PTA, "百分之三十五" -> 35.0; 凝血酶原时间 (PT) in 秒
    -> ``unknown_unit``. Approximate values -> :func:`_lab`.

    Args:
        text: The answer as given.

    Returns:
        ``value`` as float in percent, or an error.
    """
    return _lab(answer, _ZH_PTA, _read_pta, "parse_pta_seconds")


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
    "ul": "microliter",
    "mcl": "microliter",
    "nl": "nanoliter",
    "ml": "milliliter",
    "dl": "deciliter",
    "l": "liter",
    "cmm": "microliter",
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
    return convert(1.0, name, "liter")


def _read_platelets(answer: Answer) -> Parsed:
    """The English reading of :func:`parse_platelets`."""
    s = to_digits(answer.low)
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
    result = single_number(answer, s)
    if isinstance(result, Parsed):
        return result
    value, s = result
    token = unit_after(s, find_numbers(s)[0].end)
    if not volume and not exp_match and token is not None:
        if "/" in token or token in NOT_LAB_UNITS:
            return answer.fail("unknown_unit", given_unit=token)
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
        return answer.fail("out_of_range", **detail)
    return answer.ok(round(giga_per_l, 3), unit=GIGA_PER_L, **detail)


@answer_parser("platelets")
def parse_platelets(answer: Answer) -> Parsed:
    """Platelet count in 10^9/L; plausible 1..1500, else ``out_of_range``.

    "45", "45 x10^9/L", "45×10⁹/L", "45 10^9/L", "45 G/L", "45 k/uL", "45 /nL" -> 45.
    Counts per microlitre ("45,000", "45000/uL", "45 thousand", "1.5 lakh") are
    divided by 1000; the volume conversion is pint's. Without a unit a number up to
    1500 is read as 10^9/L, a bigger one as a count per microlitre
    (``detail["assumed_unit"]``).

    Chinese: 血小板 / PLT; 万 is ten thousand per microlitre ("8万" -> 80, "十万" ->
    100). Approximate values (8万多) -> :func:`_lab`.

    Args:
        text: The answer as given.

    Returns:
        ``value`` as float in 10^9/L (3 decimals), or an error.
    """
    return _lab(answer, _ZH_PLATELETS, _read_platelets)
