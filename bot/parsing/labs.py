"""Lab values: total bilirubin, INR, prothrombin activity (PTA), platelets."""

from __future__ import annotations

import math
import re
from typing import Any

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


def _bilirubin_result(
    answer: Answer, umol: float, given: float, unit_label: str, **extra: Any
) -> Parsed:
    detail = {"given_value": given, "given_unit": unit_label, "unit": UMOL_L, **extra}
    if umol > BILIRUBIN_MAX_UMOL_L:
        return answer.fail("out_of_range", **detail)
    umol = round(umol, 3)
    detail["mg_dl"] = round(umol_to_mgdl(umol), 3)
    return answer.ok(umol, **detail)


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

    Args:
        text: The answer as given.

    Returns:
        ``value`` as float in µmol/L, or an error; ``detail`` keeps the given value and
        unit, and ``mg_dl``.
    """
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


_SECONDS = frozenset({"s", "sec", "secs", "second", "seconds"})
_PERCENT_RE = re.compile(rf"%|\bper\s*cent\b|\b(?:{alternation(PERCENT_WORDS)})\b")


@answer_parser("inr")
def parse_inr(answer: Answer) -> Parsed:
    """The INR, a plain number; plausible 0.5..15, else ``out_of_range``.

    "INR one point eight" -> 1.8, "1,8" -> 1.8. A value in seconds or percent (the
    prothrombin time or activity, other tests) -> ``unknown_unit``.

    Args:
        text: The answer as given.

    Returns:
        ``value`` as float, or an error.
    """
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


@answer_parser("pta")
def parse_pta(answer: Answer) -> Parsed:
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


@answer_parser("platelets")
def parse_platelets(answer: Answer) -> Parsed:
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
