"""Contact details: a phone number (E.164, with phonenumbers, imported on first use)
and an email address."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from bot.parsing.base import Answer, Parsed
from bot.parsing.nonanswers import answer_parser, is_unknown_low

_PHONE_TYPES = {
    0: "fixed_line",
    1: "mobile",
    2: "fixed_line_or_mobile",
    3: "toll_free",
    4: "premium_rate",
    5: "shared_cost",
    6: "voip",
    7: "personal_number",
    8: "pager",
    9: "uan",
    10: "voicemail",
}


#: Digits said in Chinese ("一三八…", "幺" for 1 when reading numbers out).
_ZH_DIGITS = str.maketrans("零〇一幺二两三四五六七八九", "0011223456789")
_ZH_DIGIT_RUN = re.compile(
    r"[零〇一幺二两三四五六七八九][零〇一幺二两三四五六七八九\s-]{6,}"
)


def _zh_digits(text: str) -> str:
    """Runs of seven or more Chinese digits as ASCII digits: a number read out
    ("一三八 一二三四 五六七八"). Shorter runs ("一两个") are left alone."""
    return _ZH_DIGIT_RUN.sub(lambda m: m.group().translate(_ZH_DIGITS), text)


@answer_parser("phone", questions=False)
def parse_phone(answer: Answer, default_region: str = "CN") -> Parsed:
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

    raw = _zh_digits(unicodedata.normalize("NFKC", answer.low))
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
        if is_unknown_low(answer.low):
            return answer.unknown()
        return answer.fail("not_understood", "parse_phone_invalid")
    e164 = {
        phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)
        for n in numbers
    }
    if len(e164) > 1:
        return answer.fail("multiple_values", values=sorted(e164))
    number = numbers[0]
    return answer.ok(
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


@answer_parser("email", questions=False)
def parse_email(answer: Answer) -> Parsed:
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
        return answer.fail("multiple_values", values=found)
    if found:
        return answer.ok(found[0])
    if is_unknown_low(answer.low):
        return answer.unknown()
    return answer.fail("not_understood", "parse_email_invalid")
