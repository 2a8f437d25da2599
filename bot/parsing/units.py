"""Units of the lab values: the bilirubin units as written or spoken, pint's
conversions (the registry built on first use), and mg/dL <-> µmol/L. Chinese unit
words (微摩尔每升, 毫克每分升, 秒, 10的9次方/升) are written as the English readings
expect them (:func:`chinese_units`).

Bilirubin uses the clinical factor of the trial's design, 1 mg/dL = 17.1 µmol/L
(:data:`BILIRUBIN_UMOL_PER_MGDL`), not the molar mass; the canonical unit is µmol/L.
"""

from __future__ import annotations

import functools
import re
from typing import Any

#: Clinical convention from the design: 1 mg/dL of bilirubin = 17.1 µmol/L.
BILIRUBIN_UMOL_PER_MGDL = 17.1

#: Canonical unit labels (the micro sign is U+00B5).
UMOL_L = "µmol/L"
MG_DL = "mg/dL"
GIGA_PER_L = "10^9/L"
PERCENT = "%"


@functools.lru_cache(maxsize=1)
def _ureg() -> Any:
    """The pint unit registry (built once, on first use)."""
    import pint

    return pint.UnitRegistry()


def convert(value: float, unit: str, target: str) -> float:
    """``value`` in ``unit`` expressed in ``target`` (pint unit strings)."""
    return float(_ureg().Quantity(value, unit).to(target).magnitude)


def dimension(unit: str) -> str | None:
    """ "mass_conc", "substance_conc" or None for a pint unit string."""
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
BILIRUBIN_UNITS: list[tuple[re.Pattern[str], str]] = [
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
        re.compile(
            rf"(?<![a-z])(?:mmol|milli\s*-?\s*mol)(?:e|es|s)?\b(?:{_PER}{_LITRE})?"
        ),
        "mmol/L",
    ),
    (re.compile(r"(?<![a-z])(?:mg|milligrams?)\b"), "mg"),
]
UNIT_LABELS = {
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
NOT_LAB_UNITS = frozenset(
    """% percent pct mmhg kg kgs g gram grams ml l iu u units s sec secs seconds
    min mins minutes h hr hrs hours fl pg cells cm mm""".split()
)


#: Chinese unit words of the lab values, as the English parsers write them.
ZH_LAB_UNITS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"微摩尔?(?:每|/|每一)?(?:升|l)|微摩尔?|微mol/l"), " umol/l "),
    (re.compile(r"毫摩尔?(?:每|/)?(?:升|l)"), " mmol/l "),
    (re.compile(r"毫克(?:每|/)(?:分升|dl)|毫克每百毫升"), " mg/dl "),
    (re.compile(r"毫克"), " mg "),
    (re.compile(r"秒钟?"), " s "),
    (re.compile(r"(?:乘以?|[x×*])?\s*10\s*的\s*9\s*次方?"), " x10^9"),
    (re.compile(r"(?:/|每)\s*升"), "/l"),
    (re.compile(r"(?:/|每)\s*微升"), "/ul"),
)


def chinese_units(low: str) -> str:
    """``low`` with the Chinese unit words of lab values written as the English
    parsers read them (微摩尔每升 -> umol/l, 秒 -> s)."""
    for pattern, unit in ZH_LAB_UNITS:
        low = pattern.sub(unit, low)
    return low


def unit_after(s: str, end: int) -> str | None:
    m = _UNIT_TOKEN.match(s, end)
    if not m:
        return None
    token = m.group(1).rstrip(".")
    return token or None


def find_units(
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
