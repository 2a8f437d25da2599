"""Who the patient is: age in years, and sex."""

from __future__ import annotations

import math
import re
from typing import Any

from bot.parsing.base import Answer, Parsed
from bot.parsing.nonanswers import DECLINED, answer_parser, is_unknown_low
from bot.parsing.numbers import distinct, find_numbers, single_number, to_digits

AGE_MAX = 120

_AGE_EXTRA_UNITS = re.compile(
    r"(?:,|\band\b)?\s*(\d+(?:\.\d+)?)\s*(?:months?|mos?|weeks?|wks?|days?)\b"
)
_AGE_DECADE = re.compile(
    r"(?<![\d.])(\d)0'?s\b|\b(twen|thir|for|fif|six|seven|eigh|nine)ties\b"
)
_DECADE_WORDS = {
    "twen": 20,
    "thir": 30,
    "for": 40,
    "fif": 50,
    "six": 60,
    "seven": 70,
    "eigh": 80,
    "nine": 90,
}


@answer_parser("age")
def parse_age(answer: Answer) -> Parsed:
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
    s = to_digits(answer.low)
    decade = _AGE_DECADE.search(s)
    if decade and not re.search(r"\b\d+\s*(?:years?|yrs?|y/?o)\b", s):
        low_end = (
            int(decade.group(1)) * 10
            if decade.group(1)
            else _DECADE_WORDS[decade.group(2)]
        )
        return answer.fail(
            "not_understood",
            "parse_age_decade",
            range=[low_end, low_end + 9],
        )
    in_months = False
    if len(distinct(find_numbers(s))) > 1:
        s = _AGE_EXTRA_UNITS.sub(" ", s)
    else:
        only_months = re.fullmatch(
            r"\D*?(\d+(?:\.\d+)?)\s*(?:months?|mos?)\b(?:\s*old)?\W*", s
        )
        in_months = bool(only_months)
    result = single_number(answer, s)
    if isinstance(result, Parsed):
        return result
    value, _ = result
    if in_months:
        value = value / 12.0
    if value > AGE_MAX:
        extra: dict[str, Any] = {"given_value": value}
        say = None
        if value.is_integer() and 1900 <= value <= 2100:
            extra["looks_like_year"] = int(value)
            say = "parse_age_birth_year"
        return answer.fail("out_of_range", say, **extra)
    detail: dict[str, Any] = {}
    if not value.is_integer():
        detail["given_value"] = value
    return answer.ok(int(math.floor(value)), **detail)


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


@answer_parser("sex")
def parse_sex(answer: Answer) -> Parsed:
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
    low = answer.low
    bare = re.sub(r"[\s\W_]+", "", low)
    if bare == "f":
        return answer.ok("female")
    if bare == "m":
        return answer.ok("male")
    if DECLINED.search(low):
        return answer.ok("other", declined=True)
    if _SEX_OTHER.search(low) and not (_FEMALE_1.search(low) or _MALE_1.search(low)):
        return answer.ok("other")
    for female, male in ((_FEMALE_1, _MALE_1), (_FEMALE_2, _MALE_2)):
        is_f, is_m = bool(female.search(low)), bool(male.search(low))
        if is_f and not is_m:
            return answer.ok("female")
        if is_m and not is_f:
            return answer.ok("male")
        if is_f and is_m:
            return answer.fail("not_understood", conflicting=True)
    if is_unknown_low(low):
        return answer.unknown()
    return answer.fail("not_understood")
