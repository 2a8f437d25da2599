"""Chinese values in the deterministic parsers (bot/parsing): numerals, units, ranges
and the traps that look like numbers.

The phrasings are written for these tests; none is copied from the NLU data.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Callable

import pytest

from bot.parsing import (
    Parsed,
    parse_age,
    parse_bilirubin,
    parse_child_pugh,
    parse_inr,
    parse_number,
    parse_platelets,
    parse_pta,
    parse_sex,
)
from bot.parsing.base import normalize
from bot.parsing.numbers import limit_within
from bot.parsing.zh_numbers import NUMERAL, value_of
from bot.screening.conversation import interpret
from bot.screening.criteria import load_trial
from bot.screening.engine import Answer, evaluate

SCREENING_DAY = date(2026, 12, 8)


def ok(parsed: Parsed, value: Any) -> None:
    assert parsed.ok, parsed
    assert parsed.value == pytest.approx(value), parsed


def refused(parsed: Parsed, code: str) -> None:
    assert not parsed.ok and not parsed.unknown, parsed
    assert parsed.error == code, parsed
    assert parsed.message, parsed


def for_review(parsed: Parsed, reason: str) -> None:
    """No value, no error: the study team checks it."""
    assert not parsed.ok and parsed.unknown and parsed.error is None, parsed
    assert parsed.detail["reason"] == reason, parsed


# --------------------------------------------------------------------------- #
# Text normalisation
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＩＮＲ１．９", "inr1.9"),
        ("总胆红素：２８０", "总胆红素:280"),
        ("活动度３２％", "活动度32%"),
        ("血小板６０×10⁹/L", "血小板60×10^9/l"),  # superscripts before NFKC
        ("INR 1。7", "inr 1.7"),  # the Chinese keyboard's full stop between digits
        ("好的。就这样", "好的. 就这样"),
        ("5，6", "5, 6"),  # a clause comma, never a decimal comma
        ("7、8", "7, 8"),
    ],
)
def test_full_width_and_chinese_punctuation(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_full_width_comma_is_not_a_decimal_comma() -> None:
    refused(parse_inr("INR 1，8"), "multiple_values")
    ok(parse_inr("INR 1,8"), 1.8)  # the English decimal comma is unchanged


# --------------------------------------------------------------------------- #
# Numerals
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("七十三", 73, 73),
        ("一点六", 1.6, 1.6),
        ("零点九", 0.9, 0.9),
        ("两百一十", 210, 210),
        ("百分之二十八", 28, 28),
        ("6万", 60000, 60000),
        ("2.5万", 25000, 25000),
        ("十万", 100000, 100000),
        ("两万五", 25000, 25000),
        ("六十多", 60, 69),
        ("四百五十多", 450, 459),
        ("一点三几", 1.3, 1.39),
        ("三十几", 30, 39),
        ("二十七八", 27, 28),
        ("六七十", 60, 79),
        ("5万多", 50000, 59000),
        ("十几万", 100000, 190000),
        ("两点多", 2, 2.9),
        ("一百多", 100, 199),
    ],
)
def test_chinese_numerals(text: str, low: float, high: float) -> None:
    m = NUMERAL.search(text)
    assert m is not None and m.group() == text
    value = value_of(m)
    assert value is not None
    assert (value.low, value.high) == pytest.approx((low, high))
    assert value.exact == (low == high)


@pytest.mark.parametrize("text", ["三七", "五三"])
def test_digit_pairs_that_are_no_range_are_no_number(text: str) -> None:
    m = NUMERAL.search(text)
    assert m is not None and value_of(m) is None


def test_parse_number_stays_without_context() -> None:
    # A bare Chinese numeral with nothing to tie it to is what the traps look like:
    # parse_number (no question, no context) does not read them.
    assert parse_number("六十二") is None
    assert parse_number("一直") is None


# --------------------------------------------------------------------------- #
# The traps: numerals that are no value
# --------------------------------------------------------------------------- #

TRAPS = [
    "一直没去复查",
    "肚子里有一点水",
    "在吃三七粉",
    "两三天前抽的血",
    "只查过一次",
    "这两天有点乏力",
    "以前是小三阳",
    "大三阳好多年了",
    "第一次住院",
]
VALUE_PARSERS = [
    parse_age,
    parse_bilirubin,
    parse_inr,
    parse_pta,
    parse_platelets,
    parse_child_pugh,
]


@pytest.mark.parametrize("parser", VALUE_PARSERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("text", TRAPS)
def test_traps_are_not_numbers(parser: Callable[[str], Parsed], text: str) -> None:
    parsed = parser(text)
    assert not parsed.ok, parsed
    assert parsed.value is None


@pytest.mark.parametrize(
    ("parser", "text", "value"),
    [
        (parse_bilirubin, "总胆红素一直在涨，现在412", 412),
        (parse_inr, "INR有一点高，一点七", 1.7),
        (parse_age, "我妈身体一直不好，今年五十八", 58),
        (parse_platelets, "这两天复查了血小板，7万", 70),
        (parse_pta, "查过一次凝血酶原活动度，百分之三十二", 32),
    ],
    ids=lambda x: getattr(x, "__name__", str(x)),
)
def test_a_value_beside_a_trap(
    parser: Callable[[str], Parsed], text: str, value: float
) -> None:
    ok(parser(text), value)


# --------------------------------------------------------------------------- #
# Age
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("我父亲今年五十七了", 57),
        ("七十岁", 70),
        ("六十八周岁", 68),
        ("45周岁", 45),
        ("年龄：39", 39),
        ("她四十一了", 41),
        ("五十三", 53),
        ("本人今年三十", 30),
        ("５２岁", 52),
        ("乙肝十几年了，今年四十九岁", 49),  # the years of illness are no age
    ],
)
def test_age_in_chinese(text: str, value: int) -> None:
    parsed = parse_age(text)
    ok(parsed, value)
    assert isinstance(parsed.value, int)


def test_approximate_age_inside_the_limits_is_its_lowest_age() -> None:
    parsed = parse_age("我老伴四十多岁")
    ok(parsed, 40)
    assert parsed.detail["approximate"] is True
    assert parsed.detail["range"] == [40, 49]


def test_two_neighbouring_ages() -> None:
    parsed = parse_age("大概四十五六岁吧")
    ok(parsed, 45)
    assert parsed.detail["range"] == [45, 46]


@pytest.mark.parametrize(
    ("text", "age_range"),
    [("七十多岁了", [70, 79]), ("十几岁", [10, 19]), ("六七十岁", [60, 79])],
)
def test_approximate_age_across_a_limit_asks_the_exact_age(
    text: str, age_range: list[int]
) -> None:
    # The same result as "in his 70s": not a value on either side of the limit.
    parsed = parse_age(text)
    refused(parsed, "not_understood")
    assert parsed.message_key == "parse_age_decade"
    assert parsed.detail["range"] == age_range
    english = parse_age("in his 70s")
    assert (english.error, english.message_key) == (parsed.error, parsed.message_key)


def test_xusui_far_from_a_limit_is_the_lower_real_age() -> None:
    parsed = parse_age("我爸虚岁六十五")
    ok(parsed, 63)
    assert parsed.detail["xusui"] is True
    assert parsed.detail["given_value"] == 65
    assert parsed.detail["range"] == [63, 64]


def test_xusui_71_is_69_or_70_both_inside() -> None:
    parsed = parse_age("虚岁71")
    ok(parsed, 69)
    assert parsed.detail["range"] == [69, 70]


@pytest.mark.parametrize(
    ("text", "age_range"), [("今年虚岁七十二", [70, 71]), ("虚岁十九", [17, 18])]
)
def test_xusui_across_a_limit_asks_the_exact_age(
    text: str, age_range: list[int]
) -> None:
    parsed = parse_age(text)
    refused(parsed, "not_understood")
    assert parsed.detail["range"] == age_range
    assert parsed.detail["xusui"] is True


def test_zhousui_is_exact() -> None:
    parsed = parse_age("七十一周岁")
    ok(parsed, 71)
    assert "xusui" not in parsed.detail


@pytest.mark.parametrize("text", ["快六十了", "乙肝二十多年了", "住院三天了"])
def test_no_age_without_an_age(text: str) -> None:
    assert not parse_age(text).ok


def test_two_ages_are_not_guessed() -> None:
    refused(parse_age("五十八岁还是五十九岁"), "multiple_values")


# --------------------------------------------------------------------------- #
# Sex
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("男", "male"),
        ("女", "female"),
        ("是男的", "male"),
        ("女的", "female"),
        ("女性", "female"),
        ("男性患者", "male"),
        ("病人是我妈", "female"),
        ("我丈夫", "male"),
        ("她", "female"),
        ("其他", "other"),
    ],
)
def test_sex_in_chinese(text: str, value: str) -> None:
    ok_value = parse_sex(text)
    assert ok_value.ok and ok_value.value == value, ok_value


def test_sex_declined_in_chinese() -> None:
    parsed = parse_sex("这个不方便说")
    assert parsed.ok and parsed.value == "other" and parsed.detail["declined"]


def test_daughter_is_not_the_explicit_female() -> None:
    # 女儿 is a family word: "I am his daughter" names a man and a woman.
    refused(parse_sex("我是他女儿"), "not_understood")
    parsed = parse_sex("我是他女婿")  # son-in-law: no 女 for female
    assert parsed.ok and parsed.value == "male"


# --------------------------------------------------------------------------- #
# Bilirubin
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("text", "umol"),
    [
        ("总胆红素412微摩尔每升", 412),
        ("总胆红素 198.6 umol/L", 198.6),
        ("TBIL：305μmol/L", 305),
        ("胆红素二百六十", 260),
        ("总胆红素两百三十微摩尔/升", 230),
        ("血清总胆红素是7.5毫克每分升", 7.5 * 17.1),
        ("总胆红素5mg/dl", 5 * 17.1),
        ("三百零八", 308),
    ],
)
def test_bilirubin_in_chinese(text: str, umol: float) -> None:
    ok(parse_bilirubin(text), umol)


@pytest.mark.parametrize(
    "text",
    [
        "总胆红素 342 μmol/L，直接胆红素 210",
        "直接胆红素210，总胆红素342",
        "DBIL 210 umol/l, TBIL 342 umol/l",
        "总胆红素342，间接胆红素132",
        "胆红素342，IBIL 132",
        "total 342, direct 210",
        "direct bilirubin 210 and total bilirubin 342 umol/L",
    ],
)
def test_direct_and_indirect_bilirubin_are_never_the_total(text: str) -> None:
    ok(parse_bilirubin(text), 342)


@pytest.mark.parametrize(
    "text",
    [
        "直接胆红素210",
        "间接胆红素一百二十",
        "DBIL 210 umol/L",
        "结合胆红素150",
        "direct bilirubin 210",
    ],
)
def test_only_a_direct_bilirubin_is_no_total(text: str) -> None:
    assert not parse_bilirubin(text).ok


def test_bilirubin_small_without_unit_asks_the_unit_as_in_english() -> None:
    zh, en = parse_bilirubin("胆红素四点二"), parse_bilirubin("bilirubin 4.2")
    refused(zh, "unit_needed")
    assert zh.detail["candidates"] == en.detail["candidates"]


def test_approximate_bilirubin_above_the_limit_is_taken() -> None:
    parsed = parse_bilirubin("总胆红素四百五十多，单位是微摩尔每升")
    ok(parsed, 450)
    assert parsed.detail["approximate"] is True
    assert parsed.detail["range"] == [450, 459]
    assert parsed.detail["given_unit"] == "µmol/L"


def test_approximate_bilirubin_across_the_limit_goes_to_review() -> None:
    # 80-89 µmol/L: the trial's limit of 85.5 falls inside it.
    parsed = parse_bilirubin("胆红素八十几")
    for_review(parsed, "approximate")
    assert parsed.detail["range"] == [80, 89]
    assert parsed.detail["limit"] == 85.5


def test_approximate_bilirubin_in_mg_is_converted_before_deciding() -> None:
    # 5.x mg/dL is 85.5 up to 102.6 µmol/L: 5.0 is exactly the limit, all at or above.
    parsed = parse_bilirubin("胆红素五点多毫克每分升")
    ok(parsed, 5 * 17.1)
    assert parsed.detail["range"] == pytest.approx([85.5, 5.9 * 17.1])
    # 4.x mg/dL stays below 5 mg/dL = 85.5 µmol/L.
    ok(parse_bilirubin("胆红素四点多mg/dl"), 4 * 17.1)
    # 4.9x mg/dL is 83.79 up to (not reaching) 85.5 µmol/L: still below.
    ok(parse_bilirubin("总胆红素四点九几毫克"), 4.9 * 17.1)


@pytest.mark.parametrize(
    "text",
    ["胆红素是正常值的5倍", "总胆红素超过正常上限三倍", "bilirubin 4 times normal"],
)
def test_times_the_normal_limit_is_for_review(text: str) -> None:
    for_review(parse_bilirubin(text), "times_normal")


# --------------------------------------------------------------------------- #
# INR
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("INR一点六", 1.6),
        ("国际标准化比值是2.3", 2.3),
        ("inr：１．４", 1.4),
        ("二点一", 2.1),
        ("INR 1.7，凝血酶原时间22秒", 1.7),
        ("凝血酶原时间二十秒，INR二点零", 2.0),
        ("INR 1.9，凝血酶原活动度31%", 1.9),
    ],
)
def test_inr_in_chinese(text: str, value: float) -> None:
    ok(parse_inr(text), value)


@pytest.mark.parametrize(
    "text", ["凝血酶原时间十九秒", "PT 21秒", "二十几秒", "INR是18秒"]
)
def test_seconds_are_never_the_inr(text: str) -> None:
    parsed = parse_inr(text)
    refused(parsed, "unknown_unit")
    assert parsed.message_key == "parse_inr_no_unit"


def test_approximate_inr_above_the_limit() -> None:
    parsed = parse_inr("INR二点几，凝血酶原时间二十多秒")
    ok(parsed, 2.0)
    assert parsed.detail["range"] == [2.0, 2.9]


def test_approximate_inr_across_the_limit_goes_to_review() -> None:
    # 1.4x never reaches 1.5; 1.x (1.0 to 1.9) may.
    ok(parse_inr("INR一点四几"), 1.4)
    parsed = parse_inr("INR一点多")
    for_review(parsed, "approximate")
    assert parsed.detail["limit"] == 1.5


# --------------------------------------------------------------------------- #
# PTA
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("凝血酶原活动度只有百分之二十九", 29),
        ("PTA 33%", 33),
        ("凝血酶原活动度：２６％", 26),
        ("百分之四十五", 45),
        ("凝血酶原活动度才三十", 30),
    ],
)
def test_pta_in_chinese(text: str, value: float) -> None:
    ok(parse_pta(text), value)


def test_pta_is_not_the_prothrombin_time() -> None:
    parsed = parse_pta("凝血酶原时间十七秒")
    refused(parsed, "unknown_unit")
    assert parsed.message_key == "parse_pta_seconds"
    ok(parse_pta("凝血酶原时间17秒，凝血酶原活动度百分之三十八"), 38)


def test_approximate_pta() -> None:
    ok(parse_pta("凝血酶原活动度二十多"), 20)
    parsed = parse_pta("凝血酶原活动度三四十")  # 30 to 40: the limit is "below 40"
    for_review(parsed, "approximate")
    assert parsed.detail["limit"] == 40


# --------------------------------------------------------------------------- #
# Platelets
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("血小板6万", 60),
        ("血小板十万", 100),
        ("血小板十二万", 120),
        ("PLT 38×10⁹/L", 38),
        ("血小板计数：９５×10^9/L", 95),
        ("血小板七十", 70),
        ("血小板才两万五", 25),
        ("血小板1.5万", 15),
        ("得病之前血小板是45", 45),
        ("4万", 40),
    ],
)
def test_platelets_in_chinese(text: str, value: float) -> None:
    ok(parse_platelets(text), value)


def test_platelets_beside_other_counts() -> None:
    ok(parse_platelets("白细胞3.2，血小板6万，血红蛋白98"), 60)


def test_approximate_platelets() -> None:
    parsed = parse_platelets("以前血小板6万多")
    ok(parsed, 60)
    assert parsed.detail["range"] == [60, 69]
    ok(parse_platelets("血小板四万多"), 40)  # 40..49.9: all below 50
    parsed = parse_platelets("血小板四五万")  # 40 to 50: 50 is not below 50
    for_review(parsed, "approximate")
    assert parsed.detail["limit"] == 50


def test_platelets_times_normal() -> None:
    for_review(
        parse_platelets("血小板是正常值的一半还不到，正常值的0.3倍"), "times_normal"
    )


# --------------------------------------------------------------------------- #
# Child-Pugh
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("text", "value", "letter"),
    [
        ("A级", 6, "A"),
        ("b级", 9, "B"),
        ("肝功能是C级", 10, "C"),
        ("Child-Pugh C", 10, "C"),
        ("child-pugh分级B级", 9, "B"),
        ("评分7分", 7, "B"),
        ("Child评分十一分", 11, "C"),
        ("六分", 6, "A"),
        ("B级，8分", 8, "B"),
    ],
)
def test_child_pugh_in_chinese(text: str, value: int, letter: str) -> None:
    parsed = parse_child_pugh(text)
    ok(parsed, value)
    assert parsed.detail["class"] == letter


def test_child_pugh_class_and_score_disagree() -> None:
    refused(parse_child_pugh("A级9分"), "multiple_values")


def test_child_pugh_range() -> None:
    parsed = parse_child_pugh("七八分")
    ok(parsed, 7)
    assert parsed.detail["score_range"] == [7, 8]
    refused(parse_child_pugh("评分九到十分"), "multiple_values")


# --------------------------------------------------------------------------- #
# The same results as English answers, and what the engine makes of them
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("parser", "zh", "en"),
    [
        (parse_bilirubin, "总胆红素二百零五微摩尔每升", "bilirubin 205 umol/L"),
        (parse_bilirubin, "总胆红素12毫克每分升", "total bilirubin 12 mg/dL"),
        (parse_inr, "INR二点二", "INR 2.2"),
        (parse_pta, "百分之三十一", "31%"),
        (parse_platelets, "血小板3万", "30,000"),
        (parse_age, "六十六岁", "66 years old"),
        (parse_child_pugh, "C级", "class C"),
    ],
    ids=lambda x: getattr(x, "__name__", str(x)),
)
def test_same_parsed_as_english(
    parser: Callable[[str], Parsed], zh: str, en: str
) -> None:
    a, b = parser(zh), parser(en)
    assert (a.ok, a.value, a.error, a.unknown) == (b.ok, b.value, b.error, b.unknown)
    assert a.detail == b.detail


def test_limits_come_from_the_criteria_file() -> None:
    assert limit_within("age", 50, 59) is None
    assert limit_within("age", 70, 79) == 70
    assert limit_within("age", 10, 19) == 18
    assert limit_within("bilirubin", 80, 89.9) == 85.5
    assert limit_within("platelets", 40, 49.9) is None
    assert limit_within("child_pugh", 8, 9) is None
    assert limit_within("child_pugh", 9, 10) == 9


def test_engine_sends_a_straddling_lab_range_to_review() -> None:
    trial = load_trial()
    question = trial.question("bilirubin")
    seen = interpret(trial, question, "胆红素八十几", SCREENING_DAY)
    assert seen.understood and seen.unknown and seen.value is None
    clear = interpret(trial, question, "总胆红素三百多", SCREENING_DAY)
    assert clear.understood and clear.value == 300


def test_engine_decides_a_clear_range_like_the_value() -> None:
    trial = load_trial()
    age = interpret(trial, trial.question("age"), "五十多岁", SCREENING_DAY)
    evaluation = evaluate(trial, [Answer("age", age.value)], SCREENING_DAY)
    assert evaluation.result("inc_age").verdict == "met"
    old = interpret(trial, trial.question("age"), "七十多了", SCREENING_DAY)
    assert old.error == "not_understood" and old.value is None


def test_birth_year_in_chinese_is_no_age() -> None:
    parsed = parse_age("我是1957年出生的")
    refused(parsed, "out_of_range")
    assert parsed.detail["looks_like_year"] == 1957


@pytest.mark.parametrize(
    ("parser", "text", "value"),
    [
        (parse_platelets, "血小板55乘10的9次方每升", 55),
        (parse_platelets, "血小板 62×10^9/升", 62),
        (parse_bilirubin, "总胆红素一百九十 umol每升", 190),
        (parse_bilirubin, "总胆红素0.3毫摩尔每升", 300),
    ],
    ids=lambda x: getattr(x, "__name__", str(x)),
)
def test_chinese_unit_words(
    parser: Callable[[str], Parsed], text: str, value: float
) -> None:
    ok(parser(text), value)
