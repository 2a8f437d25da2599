"""Who the patient is: age in years, and sex."""

from __future__ import annotations

import math
import re
from typing import Any

from bot.parsing import zh_numbers
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


#: Chinese: the words that name an age, before the number (今年六十二, 虚岁71) or
#: after it (六十二岁, 62周岁), and the people a relative answering names.
_ZH_AGE = zh_numbers.Spec(
    labels=re.compile(
        r"今年|年龄|年纪|岁数|虚岁|周岁|实岁|足岁|(?<![a-z])aged?(?![a-z])"
    ),
    others=re.compile(
        r"病了|得病|生病|住院|乙肝|肝炎|肝硬化|体重|身高|血压|胆红素|血小板|inr|pta"
    ),
    units=re.compile(
        r"\s*(?:周岁|虚岁|实岁|足岁|岁|年出生|年生|years?\b|yrs?\b|y/?o\b)"
    ),
    fillers=(
        r"我|你|他|她|我爸爸?|我妈妈?|爸爸|妈妈|父亲|母亲|老公|丈夫|老婆|妻子|爱人|老伴"
        r"|儿子|女儿|病人|患者|老人家?|本人|我家|家里"
    ),
)
#: 虚岁, the traditional reckoning: one or two years above the age in years.
_XUSUI = re.compile(r"虚岁")
_XUSUI_OVER = (1, 2)


@answer_parser("age")
def parse_age(answer: Answer) -> Parsed:
    """An age in whole years, in English or Chinese.

    Chinese: "我爸今年六十二了", "六十二岁", "62周岁" -> 62; only a number tied to an
    age word (岁, 今年, 年龄) or that is the whole answer is read ("乙肝二十多年了" has
    no age). An approximate age ("五十多岁": 50-59, "三十五六") and a 虚岁 age (the
    traditional reckoning, 1-2 years above: "虚岁71" is 69-70) are ranges: when every
    age in the range is on the same side of every age limit of the trial, the lowest
    (``detail["approximate"]``, ``detail["range"]``, ``detail["xusui"]``); when a limit
    falls inside it ("七十多", "虚岁72"), the same result as "in his 70s":
    ``not_understood`` (``parse_age_decade``) with ``detail["range"]``: the exact age
    is asked for.

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
    reading = zh_numbers.chinese_reading(answer, _ZH_AGE, lab=False)
    if reading is None:
        return _read_age(answer)
    taken = reading.taken
    xusui = bool(_XUSUI.search(answer.low)) and len(taken) == 1 and taken[0].exact
    if xusui:
        given = taken[0]
        low, high = given.low - _XUSUI_OVER[1], given.low - _XUSUI_OVER[0]
        taken = (given._replace(low=low, high=high, top=high + 1),)
        reading = zh_numbers.Reading(
            tuple(taken[0] if p is given else p for p in reading.parts),
            taken,
            reading.dropped_units,
        )
    if len(taken) != 1 or taken[0].exact:
        return _read_age(answer._replace(low=reading.render()))
    approx = zh_numbers.approximation(answer, reading, _read_age, integer=True)
    if isinstance(approx, Parsed):
        return approx
    extra: dict[str, Any] = {"approximate": True, "range": approx.range}
    if xusui:
        extra.update(xusui=True, given_value=int(taken[0].high) + _XUSUI_OVER[0])
    if approx.limit is None:
        return answer.ok(approx.low.value, **extra)
    return answer.fail("not_understood", "parse_age_decade", **extra)


def _read_age(answer: Answer) -> Parsed:
    """The English reading of :func:`parse_age`."""
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
_FEMALE_1 = re.compile(
    r"\b(?:female|woman|women|girl|lady|feminine|fem)\b|女(?!儿|婿|朋友|友)"
)
_MALE_1 = re.compile(r"\b(?:male|man|men|boy|gentleman|guy|masculine)\b|男(?!朋友|友)")
_FEMALE_2 = re.compile(
    r"\b(?:she|her|hers|herself|mother|mom|mum|mam|mommy|mummy|wife|daughter|sister"
    r"|aunt|auntie|grandmother|grandma|granny|niece|girlfriend)\b"
    r"|她|妈|母亲|女儿|妻子|老婆|媳妇|奶奶|外婆|姥姥|姐|妹|阿姨|姑|婶|舅妈|女朋友|女友"
)
_MALE_2 = re.compile(
    r"\b(?:he|him|his|himself|father|dad|daddy|husband|son|brother|uncle|grandfather"
    r"|grandpa|nephew|boyfriend)\b"
    r"|他|爸|父亲|儿子|丈夫|老公|爷爷|外公|姥爷|哥|弟|叔|伯|舅(?!妈)|男朋友|男友|女婿"
)
#: Chinese: not wanting to say, and another answer than female or male.
_ZH_DECLINED = re.compile(r"不想说|不方便说|不愿意?说|不愿透露|保密|不告诉")
_ZH_OTHER = re.compile(r"其他|其它|都不是|双性|间性")


@answer_parser("sex")
def parse_sex(answer: Answer) -> Parsed:
    """Sex as "female", "male" or "other".

    Explicit words ("female", "woman", "girl", "male", "man", "boy", a lone "f"/"m")
    win over pronouns and family words ("she", "my husband"). "prefer not to say" ->
    "other" with ``detail["declined"] = True``; "non-binary", "intersex", "other" ->
    "other". A self-described "trans woman" is "female" (the words used are
    respected). Contradicting cues ("I'm his wife") -> ``not_understood``.
    Chinese: 男, 男的, 男性 -> "male"; 女, 女的, 女性 -> "female" (not the 女 of 女儿
    or 女婿, nor the 男 of 男朋友, which are family words: "我是他女儿" contradicts);
    family words and pronouns (我爸, 她) as in English; 不想说 -> declined.

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
    if DECLINED.search(low) or _ZH_DECLINED.search(low):
        return answer.ok("other", declined=True)
    if (_SEX_OTHER.search(low) or _ZH_OTHER.search(low)) and not (
        _FEMALE_1.search(low) or _MALE_1.search(low)
    ):
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
