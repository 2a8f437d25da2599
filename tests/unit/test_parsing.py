"""Tests for bot.parsing: free-text answers to normalized values or clear errors.

Every date test uses a fixed screening date; nothing here depends on today's date.
"""

from __future__ import annotations

import logging
import math
import subprocess
import sys
from datetime import date
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import ROOT

from bot.parsing import (
    BILIRUBIN_UMOL_PER_MGDL,
    ERRORS,
    Parsed,
    TimeAgo,
    is_unknown,
    mgdl_to_umol,
    parse_age,
    parse_bilirubin,
    parse_child_pugh,
    parse_email,
    parse_he_grade,
    parse_inr,
    parse_number,
    parse_phone,
    parse_platelets,
    parse_pta,
    parse_sex,
    parse_time_ago,
    parse_yes_no,
    umol_to_mgdl,
    window_status,
)

#: The screening date of every date test (a Tuesday).
SCREENING = date(2026, 11, 24)


def _time_ago(text: str) -> Parsed:
    return parse_time_ago(text, SCREENING)


def _phone(text: str) -> Parsed:
    return parse_phone(text)


#: Every parser that takes only the answer, by name (for the robustness tests).
PARSERS: dict[str, Callable[[str], Parsed]] = {
    "yes_no": parse_yes_no,
    "age": parse_age,
    "sex": parse_sex,
    "bilirubin": parse_bilirubin,
    "inr": parse_inr,
    "pta": parse_pta,
    "platelets": parse_platelets,
    "child_pugh": parse_child_pugh,
    "he_grade": parse_he_grade,
    "time_ago": _time_ago,
    "phone": _phone,
    "email": parse_email,
}
VALUE_PARSERS = {k: v for k, v in PARSERS.items() if k != "yes_no"}


def assert_ok(parsed: Parsed, value: Any) -> None:
    """The answer was understood as ``value``."""
    assert parsed.ok, parsed
    assert parsed.error is None and parsed.message is None
    if isinstance(value, float):
        assert parsed.value == pytest.approx(value, abs=1e-9), parsed
    else:
        assert parsed.value == value, parsed


def assert_error(parsed: Parsed, code: str) -> None:
    """The answer was refused with ``code`` and a message for the patient."""
    assert code in ERRORS
    assert not parsed.ok, parsed
    assert not parsed.unknown, parsed
    assert parsed.error == code, parsed
    assert parsed.value is None
    assert parsed.message and len(parsed.message) < 200


def assert_unknown(parsed: Parsed) -> None:
    """The answer was an honest "I don't know" (not an error)."""
    assert parsed.unknown, parsed
    assert not parsed.ok and parsed.error is None and parsed.value is None


def interval(parsed: Parsed) -> tuple[date | None, date | None]:
    assert parsed.ok, parsed
    assert isinstance(parsed.value, TimeAgo) and not parsed.value.never
    return parsed.value.earliest, parsed.value.latest


# --------------------------------------------------------------------------- #
# Cross-cutting behaviour
# --------------------------------------------------------------------------- #

UNKNOWN_ANSWERS = [
    "I don't know",
    "i dont know",
    "I don’t know",
    "don't know",
    "Dunno",
    "idk",
    "no idea",
    "I have no idea",
    "not sure",
    "Not really sure",
    "I'm not sure",
    "unsure",
    "I don't remember",
    "can't remember",
    "I can't recall",
    "I forget",
    "no clue",
    "unknown",
    "?",
    "??",
    "I still don't know",
    "我不知道",
    "不清楚",
]


@pytest.mark.parametrize("text", UNKNOWN_ANSWERS)
def test_is_unknown_recognises_common_variants(text: str) -> None:
    assert is_unknown(text)


@pytest.mark.parametrize(
    "text",
    [
        "I know",
        "yes",
        "no",
        "45",
        "not sure, maybe 45",
        "yes, but I don't remember when",
        "he doesn't know where he is",
        "",
        "sure",
    ],
)
def test_is_unknown_rejects_real_answers(text: str) -> None:
    assert not is_unknown(text)


@pytest.mark.parametrize("name", sorted(VALUE_PARSERS))
@pytest.mark.parametrize("text", ["I don't know", "no idea", "not sure", "?"])
def test_unknown_answer_is_unknown_for_every_value_parser(name: str, text: str) -> None:
    assert_unknown(VALUE_PARSERS[name](text))


@pytest.mark.parametrize("text", ["I don't know", "no idea", "not sure", "?", "不知道"])
def test_unknown_answer_is_unsure_for_yes_no(text: str) -> None:
    parsed = parse_yes_no(text)
    assert parsed.ok and parsed.value == "unsure" and parsed.unknown
    assert parsed.error is None


@pytest.mark.parametrize("name", sorted(PARSERS))
@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\x00\x01", "\u200b"])
def test_empty_answer(name: str, text: str) -> None:
    assert_error(PARSERS[name](text), "empty")


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_text_is_kept_exactly_as_given(name: str) -> None:
    text = "  Forty-Five 🙂 "
    assert PARSERS[name](text).text == text


def test_importing_the_module_builds_nothing_heavy() -> None:
    code = (
        "import sys, bot.parsing; "
        "heavy = [m for m in ('pint', 'dateparser', 'text_to_num', 'phonenumbers') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- #
# parse_number
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45", 45.0),
        ("sixty-two", 62.0),
        ("sixty two", 62.0),
        ("one point eight", 1.8),
        ("INR one point eight", 1.8),
        ("1,8", 1.8),
        ("12,5", 12.5),
        ("45,000", 45000.0),
        ("1,234.5", 1234.5),
        ("1.234.567,5", 1234567.5),
        ("0.35", 0.35),
        (".5", 0.5),
        ("1e-05", 1e-05),
        ("1.5e3", 1500.0),
        ("-3", -3.0),
        ("minus five", -5.0),
        ("45 thousand", 45000.0),
        ("forty-five thousand", 45000.0),
        ("it was 4.9, I think", 4.9),
        ("１２", 12.0),
        ("45 or 50", 45.0),
        ("45-50", 45.0),
        ("no number here", None),
        ("", None),
        ("no one told me", None),
        ("at first", None),
        ("1e999", None),
        ("四十五", None),
    ],
)
def test_parse_number(text: str, expected: float | None) -> None:
    assert parse_number(text) == expected


# --------------------------------------------------------------------------- #
# parse_yes_no
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", "yes"),
        ("Yes.", "yes"),
        ("yes, hepatitis B for years", "yes"),
        ("yeah", "yes"),
        ("yep", "yes"),
        ("sure", "yes"),
        ("of course", "yes"),
        ("I had it in 2019", "yes"),
        ("yes, but I don't remember when", "yes"),
        ("well, yes", "yes"),
        ("👍", "yes"),
        ("是", "yes"),
        ("no", "no"),
        ("No.", "no"),
        ("nope", "no"),
        ("nah", "no"),
        ("no never", "no"),
        ("never", "no"),
        ("I have never had it", "no"),
        ("none", "no"),
        ("没有", "no"),
    ],
)
def test_yes_no_definite(text: str, value: str) -> None:
    parsed = parse_yes_no(text)
    assert_ok(parsed, value)
    assert not parsed.unknown


@pytest.mark.parametrize(
    ("text", "leaning"),
    [
        ("I think so", "yes"),
        ("yes, I think so", "yes"),
        ("probably", "yes"),
        ("I believe so", "yes"),
        ("not that I know of", "no"),
        ("not to my knowledge", "no"),
        ("I don't think so", "no"),
        ("probably not", "no"),
        ("not really", "no"),
        ("maybe", None),
        ("yes and no", None),
    ],
)
def test_yes_no_hedged_is_unsure_with_leaning(text: str, leaning: str | None) -> None:
    parsed = parse_yes_no(text)
    assert_ok(parsed, "unsure")
    assert not parsed.unknown
    assert parsed.detail == {"hedged": True, "leaning": leaning}


@pytest.mark.parametrize("text", ["not anymore", "I used to", "no longer"])
def test_yes_no_past_only_is_unsure(text: str) -> None:
    parsed = parse_yes_no(text)
    assert_ok(parsed, "unsure")
    assert parsed.detail == {"past_only": True}


@pytest.mark.parametrize("text", ["ok", "banana", "what is hepatitis?", "🙂"])
def test_yes_no_not_understood(text: str) -> None:
    assert_error(parse_yes_no(text), "not_understood")


# --------------------------------------------------------------------------- #
# parse_age
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("17", 17),
        ("18", 18),
        ("70", 70),
        ("71", 71),
        ("I'm 45", 45),
        ("forty-five", 45),
        ("Forty five", 45),
        ("he turned 60 in May", 60),
        ("62 years old", 62),
        ("he's seventy one", 71),
        ("45 years and 6 months", 45),
        ("17.9", 17),
        ("8 months old", 0),
        ("0", 0),
        ("120", 120),
        ("not sure, maybe 45", 45),
    ],
)
def test_age(text: str, age: int) -> None:
    parsed = parse_age(text)
    assert_ok(parsed, age)
    assert isinstance(parsed.value, int)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("400", "out_of_range"),
        ("121", "out_of_range"),
        ("-5", "negative"),
        ("minus 5", "negative"),
        ("45 or 50", "multiple_values"),
        ("45-50", "multiple_values"),
        ("between 45 and 50", "multiple_values"),
        ("old", "not_a_number"),
        ("快七十了", "not_a_number"),
        ("🙂🙂", "not_a_number"),
        ("in his 60s", "not_understood"),
        ("1e999", "out_of_range"),
    ],
)
def test_age_errors(text: str, code: str) -> None:
    assert_error(parse_age(text), code)


def test_age_birth_year_is_explained() -> None:
    parsed = parse_age("1965")
    assert_error(parsed, "out_of_range")
    assert parsed.detail["looks_like_year"] == 1965
    assert "year of birth" in (parsed.message or "")


# --------------------------------------------------------------------------- #
# parse_sex
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("female", "female"),
        ("Female", "female"),
        ("F", "female"),
        ("woman", "female"),
        ("she", "female"),
        ("a girl", "female"),
        ("she is my mother", "female"),
        ("trans woman", "female"),
        ("女", "female"),
        ("male", "male"),
        ("M", "male"),
        ("man", "male"),
        ("he", "male"),
        ("my husband", "male"),
        ("he's a boy", "male"),
        ("男", "male"),
        ("other", "other"),
        ("non-binary", "other"),
        ("intersex", "other"),
    ],
)
def test_sex(text: str, value: str) -> None:
    assert_ok(parse_sex(text), value)


@pytest.mark.parametrize("text", ["prefer not to say", "I'd rather not say", "decline"])
def test_sex_declined_is_other(text: str) -> None:
    parsed = parse_sex(text)
    assert_ok(parsed, "other")
    assert parsed.detail["declined"] is True


@pytest.mark.parametrize("text", ["I'm his wife", "banana", "45"])
def test_sex_not_understood(text: str) -> None:
    assert_error(parse_sex(text), "not_understood")


# --------------------------------------------------------------------------- #
# Bilirubin
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("text", "umol"),
    [
        ("4.9 mg/dL", 83.79),
        ("5.0 mg/dL", 85.5),
        ("5 mg/dl", 85.5),
        ("4.9mg/dL", 83.79),
        ("5 mg per dl", 85.5),
        ("5 milligrams per deciliter", 85.5),
        ("5 mg%", 85.5),
        ("bilirubin is five point two milligrams per decilitre", 88.92),
        ("1,8 mg/dl", 30.78),
        ("85 umol/L", 85.0),
        ("86 µmol/L", 86.0),  # micro sign U+00B5
        ("86 μmol/L", 86.0),  # Greek mu U+03BC
        ("85 micromol/L", 85.0),
        ("85 micromoles", 85.0),
        ("eighty-five micromoles per litre", 85.0),
        ("85 uM", 85.0),
        ("0.085 mmol/L", 85.0),
        ("49 mg/L", 83.79),
        ("0.049 g/L", 83.79),
        ("5 mg per 100 ml", 85.5),
    ],
)
def test_bilirubin_with_unit(text: str, umol: float) -> None:
    parsed = parse_bilirubin(text)
    assert_ok(parsed, umol)
    assert "assumed_unit" not in parsed.detail
    assert parsed.detail["unit"] == "µmol/L"


def test_bilirubin_keeps_what_was_given() -> None:
    parsed = parse_bilirubin("10 mg/dL")
    assert parsed.detail["given_value"] == 10
    assert parsed.detail["given_unit"] == "mg/dL"
    assert parsed.detail["mg_dl"] == 10


@pytest.mark.parametrize(("text", "umol"), [("85", 85.0), ("86", 86.0), ("61", 61.0)])
def test_bilirubin_without_unit_above_60_is_micromolar(text: str, umol: float) -> None:
    parsed = parse_bilirubin(text)
    assert_ok(parsed, umol)
    assert parsed.detail["assumed_unit"] == "µmol/L"


def test_bilirubin_bare_mg_is_read_as_mg_per_dl() -> None:
    parsed = parse_bilirubin("5 mg")
    assert_ok(parsed, 85.5)
    assert parsed.detail["assumed_unit"] == "mg/dL"


@pytest.mark.parametrize("text", ["5", "60", "4.9", "bilirubin 5 at the hospital"])
def test_bilirubin_without_unit_up_to_60_asks_for_the_unit(text: str) -> None:
    parsed = parse_bilirubin(text)
    assert_error(parsed, "unit_needed")
    value = parsed.detail["given_value"]
    assert parsed.detail["candidates"] == {
        "mg/dL": round(value * 17.1, 3),
        "µmol/L": value,
    }
    assert "mg/dL" in (parsed.message or "") and "µmol/L" in (parsed.message or "")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("5 mg/dL or 85 umol/L", "multiple_values"),
        ("5 mg/dL (85 µmol/L)", "multiple_values"),
        ("5 or 6 mg/dL", "multiple_values"),
        ("100 mg/dL", "out_of_range"),
        ("1501 umol/L", "out_of_range"),
        ("2000", "out_of_range"),
        ("-5 mg/dL", "negative"),
        ("5 mmHg", "unknown_unit"),
        ("5%", "unknown_unit"),
        ("5 iu/l", "unknown_unit"),
        ("high", "not_a_number"),
        ("5 g/dL", "out_of_range"),
    ],
)
def test_bilirubin_errors(text: str, code: str) -> None:
    assert_error(parse_bilirubin(text), code)


def test_bilirubin_conversion_constants() -> None:
    assert BILIRUBIN_UMOL_PER_MGDL == 17.1
    assert mgdl_to_umol(5) == pytest.approx(85.5)
    assert umol_to_mgdl(85.5) == pytest.approx(5)


# --------------------------------------------------------------------------- #
# INR, PTA, platelets
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.49", 1.49),
        ("1.5", 1.5),
        ("INR 1.8", 1.8),
        ("INR one point eight", 1.8),
        ("1,8", 1.8),
        ("0.5", 0.5),
        ("15", 15.0),
        ("it was about 2.3", 2.3),
    ],
)
def test_inr(text: str, value: float) -> None:
    assert_ok(parse_inr(text), value)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("90", "out_of_range"),
        ("0.4", "out_of_range"),
        ("15.1", "out_of_range"),
        ("-1.5", "negative"),
        ("1.5 or 1.6", "multiple_values"),
        ("15 seconds", "unknown_unit"),
        ("45%", "unknown_unit"),
        ("normal", "not_a_number"),
    ],
)
def test_inr_errors(text: str, code: str) -> None:
    assert_error(parse_inr(text), code)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("39", 39.0),
        ("40", 40.0),
        ("39%", 39.0),
        ("40 %", 40.0),
        ("PTA 35 percent", 35.0),
        ("35 per cent", 35.0),
        ("thirty five percent", 35.0),
        ("1%", 1.0),
        ("0%", 0.0),
        ("150", 150.0),
        ("1.6", 1.6),
    ],
)
def test_pta(text: str, value: float) -> None:
    assert_ok(parse_pta(text), value)


@pytest.mark.parametrize("text", ["0.35", "1.5", "1", "0.9"])
def test_pta_small_number_without_percent_is_not_guessed(text: str) -> None:
    parsed = parse_pta(text)
    assert_error(parsed, "unit_needed")
    value = float(text)
    assert parsed.detail["candidates"] == {
        "fraction": round(value * 100, 3),
        "percent": value,
    }


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("200", "out_of_range"),
        ("151%", "out_of_range"),
        ("-35%", "negative"),
        ("35 or 40", "multiple_values"),
        ("18 seconds", "unknown_unit"),
        ("low", "not_a_number"),
    ],
)
def test_pta_errors(text: str, code: str) -> None:
    assert_error(parse_pta(text), code)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("45", 45.0),
        ("49", 49.0),
        ("50", 50.0),
        ("45 x10^9/L", 45.0),
        ("45 x 10^9/L", 45.0),
        ("45×10⁹/L", 45.0),
        ("45 10^9/L", 45.0),
        ("45*10*9/L", 45.0),
        ("45×109/L", 45.0),  # the superscript lost in a copy-paste
        ("45 G/L", 45.0),
        ("45 k/uL", 45.0),
        ("45 K/µL", 45.0),
        ("45k", 45.0),
        ("45,000", 45.0),
        ("45000/uL", 45.0),
        ("45,000 per microlitre", 45.0),
        ("45000 /mm3", 45.0),
        ("150 x 10^3/µL", 150.0),
        ("45 /nL", 45.0),
        ("45 thousand", 45.0),
        ("forty-five thousand", 45.0),
        ("1.5 lakh", 150.0),
        ("1500", 1500.0),
        ("1", 1.0),
    ],
)
def test_platelets(text: str, value: float) -> None:
    assert_ok(parse_platelets(text), value)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("0.5", "out_of_range"),
        ("45 per microlitre", "out_of_range"),  # 45/µL is 0.045 x10^9/L
        ("2,000,000", "out_of_range"),
        ("-45", "negative"),
        ("45 or 50", "multiple_values"),
        ("45 fl", "unknown_unit"),
        ("45%", "unknown_unit"),
        ("low", "not_a_number"),
    ],
)
def test_platelets_errors(text: str, code: str) -> None:
    assert_error(parse_platelets(text), code)


# --------------------------------------------------------------------------- #
# Child-Pugh and encephalopathy
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("text", "value", "cls", "score_range"),
    [
        ("class A", 6, "A", [5, 6]),
        ("class B", 9, "B", [7, 9]),
        ("class C", 10, "C", [10, 15]),
        ("Child C", 10, "C", [10, 15]),
        ("Child-Pugh class C", 10, "C", [10, 15]),
        ("C", 10, "C", [10, 15]),
        ("probably class B", 9, "B", [7, 9]),
        ("5", 5, "A", [5, 6]),
        ("9", 9, "B", [7, 9]),
        ("10", 10, "C", [10, 15]),
        ("15", 15, "C", [10, 15]),
        ("score 8", 8, "B", [7, 9]),
        ("I have a score of 8", 8, "B", [7, 9]),
        ("8/15", 8, "B", [7, 9]),
        ("Child-Pugh B8", 8, "B", [7, 9]),
        ("class C, score 12", 12, "C", [10, 15]),
        ("seven", 7, "B", [7, 9]),
    ],
)
def test_child_pugh(text: str, value: int, cls: str, score_range: list[int]) -> None:
    parsed = parse_child_pugh(text)
    assert_ok(parsed, value)
    assert parsed.detail == {"class": cls, "range": score_range}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("4", "out_of_range"),
        ("16", "out_of_range"),
        ("-8", "negative"),
        ("8 or 9", "multiple_values"),
        ("B or C", "multiple_values"),
        ("class C, score 6", "multiple_values"),
        ("8.5", "not_understood"),
        ("bad", "not_a_number"),
    ],
)
def test_child_pugh_errors(text: str, code: str) -> None:
    assert_error(parse_child_pugh(text), code)


@pytest.mark.parametrize(
    ("text", "grade"),
    [
        ("0", 0),
        ("2", 2),
        ("grade 2", 2),
        ("grade II", 2),
        ("Grade ii", 2),
        ("stage 3", 3),
        ("III", 3),
        ("grade IV", 4),
        ("grade one", 1),
        ("none", 0),
        ("no", 0),
        ("No confusion", 0),
        ("he is not confused", 0),
        ("normal", 0),
        ("mild confusion", 1),
        ("a bit forgetful", 1),
        ("short attention span", 1),
        ("trouble concentrating", 1),
        ("his sleep is reversed, awake at night", 1),
        ("A little confused, or sleeping in the day and awake at night", 1),
        ("2 days ago he became a bit confused", 1),
        ("very drowsy", 2),
        ("lethargic", 2),
        ("disoriented to time", 2),
        ("doesn't know what day it is", 2),
        ("obvious personality change", 2),
        ("Very drowsy, or mixed up about the time of day", 2),
        ("very sleepy but can be woken", 3),
        ("confused, does not know where she is", 3),
        ("Very sleepy but can be woken, mixed up about the place", 3),
        ("coma", 4),
        ("in a coma", 4),
        ("cannot be woken", 4),
        ("Cannot be woken", 4),
        ("he is not in a coma but very drowsy", 2),
    ],
)
def test_he_grade(text: str, grade: int) -> None:
    assert_ok(parse_he_grade(text), grade)


@pytest.mark.parametrize("text", ["confused", "sleepy", "disoriented", "mixed up"])
def test_he_grade_vague_description_asks_back(text: str) -> None:
    parsed = parse_he_grade(text)
    assert_error(parsed, "not_understood")
    assert parsed.detail["possible_grades"] == [1, 2, 3]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("5", "out_of_range"),
        ("grade 7", "out_of_range"),
        ("2.5", "out_of_range"),
        ("-2", "negative"),
        ("grade 2 or 3", "multiple_values"),
        ("2 or 3", "multiple_values"),
        ("II-III", "multiple_values"),
        ("banana", "not_understood"),
    ],
)
def test_he_grade_errors(text: str, code: str) -> None:
    assert_error(parse_he_grade(text), code)


# --------------------------------------------------------------------------- #
# Time ago
# --------------------------------------------------------------------------- #

D = date


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("now", SCREENING, SCREENING),
        ("currently", SCREENING, SCREENING),
        ("still taking it", SCREENING, SCREENING),
        ("yes, right now", SCREENING, SCREENING),
        ("since 2019", SCREENING, SCREENING),
        ("today", SCREENING, SCREENING),
        ("yesterday", D(2026, 11, 23), D(2026, 11, 23)),
        ("the day before yesterday", D(2026, 11, 22), D(2026, 11, 22)),
        ("5 days ago", D(2026, 11, 19), D(2026, 11, 19)),
        ("last Friday", D(2026, 11, 20), D(2026, 11, 20)),
        ("two weeks ago", D(2026, 11, 7), D(2026, 11, 13)),
        ("about two weeks ago", D(2026, 11, 7), D(2026, 11, 13)),
        ("2 weeks ago", D(2026, 11, 7), D(2026, 11, 13)),
        ("last week", D(2026, 11, 14), D(2026, 11, 20)),
        ("a few weeks ago", D(2026, 10, 24), D(2026, 11, 13)),
        ("3 months", D(2026, 8, 9), D(2026, 9, 8)),
        ("3 months ago", D(2026, 8, 9), D(2026, 9, 8)),
        ("three months back", D(2026, 8, 9), D(2026, 9, 8)),
        ("2 or 3 months ago", D(2026, 8, 9), D(2026, 10, 9)),
        ("last month", D(2026, 10, 1), D(2026, 10, 31)),
        ("last March", D(2026, 3, 1), D(2026, 3, 31)),
        ("in March", D(2026, 3, 1), D(2026, 3, 31)),
        ("December", D(2025, 12, 1), D(2025, 12, 31)),
        ("March 2024", D(2024, 3, 1), D(2024, 3, 31)),
        ("I took it in may 2025", D(2025, 5, 1), D(2025, 5, 31)),
        ("10 March 2024", D(2024, 3, 10), D(2024, 3, 10)),
        ("2024-03-10", D(2024, 3, 10), D(2024, 3, 10)),
        ("25/12/2023", D(2023, 12, 25), D(2023, 12, 25)),
        ("10/03/2024", D(2024, 3, 10), D(2024, 10, 3)),  # day and month may swap
        ("2019年3月", D(2019, 3, 1), D(2019, 3, 31)),
        ("a year ago", D(2025, 5, 24), D(2026, 5, 24)),
        ("a year and a half ago", D(2025, 5, 9), D(2025, 6, 8)),
        ("1.5 years ago", D(2025, 5, 9), D(2025, 6, 8)),
        ("last year", D(2025, 1, 1), D(2025, 12, 31)),
        ("this year", D(2026, 1, 1), SCREENING),
        ("in 2026", D(2026, 1, 1), SCREENING),
        ("in 2019", D(2019, 1, 1), D(2019, 12, 31)),
        ("twenty nineteen", D(2019, 1, 1), D(2019, 12, 31)),
        ("early 2020", D(2020, 1, 1), D(2020, 4, 30)),
        ("2019 or 2020", D(2019, 1, 1), D(2020, 12, 31)),
        ("within the last month", D(2026, 10, 24), SCREENING),
        ("less than a month ago", D(2026, 10, 25), SCREENING),
        ("more than 5 years ago", None, D(2021, 11, 23)),
        ("over a year ago", None, D(2025, 11, 23)),
        ("not in the last 3 months", None, D(2026, 8, 23)),
        ("years ago", None, D(2025, 11, 24)),
        ("no, stopped two weeks ago", D(2026, 11, 7), D(2026, 11, 13)),
    ],
)
def test_time_ago_interval(text: str, earliest: date | None, latest: date) -> None:
    assert interval(_time_ago(text)) == (earliest, latest)


@pytest.mark.parametrize("text", ["never", "no", "No, never", "I haven't", "none"])
def test_time_ago_never(text: str) -> None:
    assert_ok(_time_ago(text), TimeAgo(never=True))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("next week", "future_date"),
        ("in two weeks", "future_date"),
        ("tomorrow", "future_date"),
        ("2030", "future_date"),
        ("December 2026", "future_date"),
        ("2019 and 2021", "multiple_values"),
        ("2023-02-30", "not_understood"),
        ("banana", "not_understood"),
        ("for 3 months", "not_understood"),
        ("yes", "not_understood"),
        ("recently", "not_understood"),
        ("a long time ago", "not_understood"),
    ],
)
def test_time_ago_errors(text: str, code: str) -> None:
    assert_error(_time_ago(text), code)


def test_time_ago_yes_without_a_time_asks_when() -> None:
    parsed = _time_ago("yes")
    assert parsed.detail["happened"] is True


def test_time_ago_yes_but_dont_remember_when_is_unknown_but_happened() -> None:
    parsed = _time_ago("yes, but I don't remember when")
    assert_unknown(parsed)
    assert parsed.detail["happened"] is True


def test_time_ago_hedged_no_is_unknown() -> None:
    parsed = _time_ago("not that I know of")
    assert_unknown(parsed)
    assert parsed.detail["leaning"] == "never"


def test_time_ago_last_march_in_march_means_the_year_before() -> None:
    march = date(2026, 3, 15)
    assert interval(parse_time_ago("last March", march)) == (
        date(2025, 3, 1),
        date(2025, 3, 31),
    )
    assert interval(parse_time_ago("in March", march)) == (date(2026, 3, 1), march)


def test_time_ago_is_relative_to_the_screening_date_only() -> None:
    old = date(2010, 1, 10)
    assert interval(parse_time_ago("two weeks ago", old)) == (
        date(2009, 12, 24),
        date(2009, 12, 30),
    )
    assert interval(parse_time_ago("now", old)) == (old, old)
    assert_error(parse_time_ago("in 2019", old), "future_date")


def test_time_ago_accepts_a_datetime_and_rejects_no_date() -> None:
    from datetime import datetime

    parsed = parse_time_ago("yesterday", datetime(2026, 11, 24, 15, 30))
    assert interval(parsed) == (date(2026, 11, 23), date(2026, 11, 23))
    assert_error(parse_time_ago("yesterday", None), "not_understood")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- #
# window_status
# --------------------------------------------------------------------------- #

#: (window, cut-off) for the trial's windows, from SCREENING.
WINDOWS = [
    ({"months": 1}, date(2026, 10, 24)),
    ({"months": 3}, date(2026, 8, 24)),
    ({"years": 5}, date(2021, 11, 24)),
    ({"months": 24}, date(2024, 11, 24)),
    ({"days": 28}, date(2026, 10, 27)),
]


@pytest.mark.parametrize(("window", "cutoff"), WINDOWS)
def test_window_status_edges(window: dict[str, int], cutoff: date) -> None:
    day = date.resolution
    on = TimeAgo(earliest=cutoff, latest=cutoff)
    before = TimeAgo(earliest=cutoff - day, latest=cutoff - day)
    straddles = TimeAgo(earliest=cutoff - day, latest=cutoff)
    assert window_status(on, SCREENING, **window) is True
    assert window_status(before, SCREENING, **window) is False
    assert window_status(straddles, SCREENING, **window) is None
    assert window_status(TimeAgo(never=True), SCREENING, **window) is False
    assert window_status(TimeAgo(latest=cutoff - day), SCREENING, **window) is False
    assert window_status(TimeAgo(latest=cutoff), SCREENING, **window) is None
    assert window_status(TimeAgo(earliest=cutoff), SCREENING, **window) is True
    assert window_status(TimeAgo(), SCREENING, **window) is None


@pytest.mark.parametrize(
    ("text", "window", "expected"),
    [
        ("4 weeks ago", {"months": 1}, True),
        ("5 weeks ago", {"months": 1}, False),
        ("2024-10-24", {"months": 1}, False),
        ("2026-10-24", {"months": 1}, True),
        ("2026-10-23", {"months": 1}, False),
        ("last month", {"months": 1}, None),
        ("now", {"months": 1}, True),
        ("never", {"months": 1}, False),
        ("2 months ago", {"months": 3}, True),
        ("3 months ago", {"months": 3}, None),
        ("4 months ago", {"months": 3}, False),
        ("not in the last 3 months", {"months": 3}, False),
        ("2026-08-24", {"months": 3}, True),
        ("2026-08-23", {"months": 3}, False),
        ("4 years ago", {"years": 5}, True),
        ("5 years ago", {"years": 5}, None),
        ("6 years ago", {"years": 5}, False),
        ("in 2022", {"years": 5}, True),
        ("in 2021", {"years": 5}, None),
        ("in 2019", {"years": 5}, False),
        ("more than 5 years ago", {"years": 5}, False),
        ("2021-11-24", {"years": 5}, True),
        ("2021-11-23", {"years": 5}, False),
        ("last year", {"months": 24}, True),
        ("in 2024", {"months": 24}, None),
        ("in 2023", {"months": 24}, False),
        ("2024-11-24", {"months": 24}, True),
        ("2024-11-23", {"months": 24}, False),
    ],
)
def test_window_status_from_answers(
    text: str, window: dict[str, int], expected: bool | None
) -> None:
    parsed = _time_ago(text)
    assert parsed.ok, parsed
    assert window_status(parsed.value, SCREENING, **window) is expected


# --------------------------------------------------------------------------- #
# Phone and email
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("138 0013 8000", "+8613800138000"),
        ("13800138000", "+8613800138000"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("my number is 138-0013-8000", "+8613800138000"),
        ("１３８００１３８０００", "+8613800138000"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phone(text: str, e164: str) -> None:
    assert_ok(parse_phone(text), e164)


def test_phone_other_default_region() -> None:
    assert_ok(parse_phone("020 7946 0958", default_region="GB"), "+442079460958")
    parsed = parse_phone("+8613800138000", default_region="nonsense")
    assert_ok(parsed, "+8613800138000")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("12345", "not_understood"),
        ("call me", "not_understood"),
        ("+86 123", "not_understood"),
        ("138 0013 8000 or 139 0013 8000", "multiple_values"),
    ],
)
def test_phone_errors(text: str, code: str) -> None:
    assert_error(parse_phone(text), code)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("jane@example.com", "jane@example.com"),
        ("John.Doe@Example.COM", "john.doe@example.com"),
        ("it's jane+trial@example.co.uk.", "jane+trial@example.co.uk"),
        ("jane at example dot com", "jane@example.com"),
        ("ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", "jane@example.com"),
    ],
)
def test_email(text: str, address: str) -> None:
    assert_ok(parse_email(text), address)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("jane@example", "not_understood"),
        ("jane@@example.com", "not_understood"),
        ("a@b@c.com", "not_understood"),
        (".jane@example.com", "not_understood"),
        ("jane..doe@example.com", "not_understood"),
        ("jane@-example.com", "not_understood"),
        ("jane@example.c", "not_understood"),
        ("no email", "not_understood"),
        ("x@y.co, z@w.org", "multiple_values"),
    ],
)
def test_email_errors(text: str, code: str) -> None:
    assert_error(parse_email(text), code)


# --------------------------------------------------------------------------- #
# Properties (hypothesis)
# --------------------------------------------------------------------------- #

FAST = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@FAST
@given(st.floats(min_value=1e-6, max_value=1e6, allow_nan=False))
def test_mgdl_umol_round_trip(x: float) -> None:
    assert math.isclose(umol_to_mgdl(mgdl_to_umol(x)), x, rel_tol=1e-6)
    assert math.isclose(mgdl_to_umol(umol_to_mgdl(x)), x, rel_tol=1e-6)


@FAST
@given(st.floats(min_value=0.01, max_value=87.7, allow_nan=False))
def test_bilirubin_mg_dl_matches_conversion(x: float) -> None:
    parsed = parse_bilirubin(f"{x} mg/dL")
    assert parsed.ok, parsed
    assert parsed.value == round(mgdl_to_umol(x), 3)


@FAST
@given(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["{}", "{:,}", "{:.3f}", "{:,.2f}", "{:e}", "{:g}"]),
)
def test_parse_number_reads_formatted_floats(x: float, fmt: str) -> None:
    text = fmt.format(x)
    assert parse_number(text) == float(text.replace(",", ""))


def _check_never_raises(name: str, text: str, caplog: pytest.LogCaptureFixture) -> None:
    parsed = PARSERS[name](text)
    assert isinstance(parsed, Parsed)
    assert parsed.text == text
    assert parsed.detail.get("reason") != "internal_error", (name, text)
    assert parsed.error is None or parsed.error in ERRORS
    if parsed.ok and name != "yes_no":
        assert parsed.error is None and not parsed.unknown and parsed.value is not None
    if parsed.unknown:
        assert parsed.error is None


#: Answer-like fragments, so the generated text also reaches the deep branches.
FRAGMENTS = st.sampled_from(
    list("0123456789 .,-+/x×^%µμ?")
    + [
        "mg/dL",
        "umol/L",
        " or ",
        " ago",
        "weeks",
        "months",
        "grade ",
        "class ",
        "no",
        "yes",
        "not sure",
        "2019",
        "March ",
        "last ",
        "in ",
        "10⁹",
        "minus",
        "k/uL",
        "@",
        ".com",
        "+86",
        "never",
        "coma",
        "e",
    ]
)
ANSWERS = st.one_of(st.text(), st.lists(FRAGMENTS, max_size=10).map("".join))


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=ANSWERS)
def test_parsers_never_raise(
    name: str, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="bot.parsing"):
        _check_never_raises(name, text, caplog)
        parse_number(text)
        is_unknown(text)
    assert not caplog.records, caplog.text


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=st.text(min_size=900, max_size=1200))
def test_parsers_never_raise_on_long_text(
    name: str, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    _check_never_raises(name, text, caplog)


HUGE = [
    "9" * 10_000,
    "a " * 5_000,
    "🙂" * 10_000,
    "1, " * 3_000,
    "march 2019 " * 900,
    "我不知道" * 2_500,
]
ODD = ["四十五", "我不知道", "🙂", "\x00\x07\x1b[31m", "\ud800", "﷽", "null", "NaN"]


@pytest.mark.parametrize("name", sorted(PARSERS))
@pytest.mark.parametrize("text", HUGE + ODD, ids=lambda t: repr(t[:12]))
def test_parsers_survive_huge_and_odd_text(
    name: str, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    _check_never_raises(name, text, caplog)
    if len(text) > 1000:
        parsed = PARSERS[name](text)
        assert parsed.error == "not_understood"
        assert parsed.detail["reason"] == "too_long"
    assert parse_number(text) is None or math.isfinite(parse_number(text) or 0.0)
    is_unknown(text)


def test_arabic_indic_digits_are_numbers() -> None:
    assert_ok(parse_age("٤٥"), 45)


@pytest.mark.parametrize("text", ["I'm 45", "he is 60", "she is 52 years old"])
def test_an_answer_to_another_question_is_not_a_yes(text: str) -> None:
    # Regression: "I'm 45" given to a yes/no question once read as "yes".
    assert not parse_yes_no(text).ok
