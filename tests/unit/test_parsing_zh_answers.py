"""Chinese answers: the same parsers, the same results as for English answers.

Each table checks both ways: what patients and their relatives type in Chinese is read
right, and the traps are not read as answers, numbers or dates ("一直" is "all along",
"两三天" is "two or three days", "一次" is "once", "这两天" is "these days").

Every phrasing here was written for these tests. Dates are relative to a fixed
screening date (a Monday); nothing depends on today's date.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.parsing import (
    TimeAgo,
    is_unknown,
    looks_like_question,
    parse_email,
    parse_he_grade,
    parse_phone,
    parse_respondent,
    parse_skip,
    parse_time_ago,
    parse_yes_no,
    window_status,
)
from bot.parsing.zh_time import zh_number, zh_year

DAY = date(2026, 12, 7)


# --------------------------------------------------------------------------- #
# Yes / no / unsure
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("有", "yes"),
        ("有的", "yes"),
        ("有过。", "yes"),
        ("是", "yes"),
        ("是的呀", "yes"),
        ("对", "yes"),
        ("对的", "yes"),
        ("没错", "yes"),
        ("嗯嗯", "yes"),
        ("没有", "no"),
        ("没", "no"),
        ("不是", "no"),
        ("没有过", "no"),
        ("从来没有", "no"),
        ("从来没有过。", "no"),
        ("不", "no"),
        ("无", "no"),
        ("我没有", "no"),
        ("他从没有过", "no"),
        ("嗯，没有的", "no"),
        # More words after the answer word: the answer word decides.
        ("有，乙肝大三阳快十年了", "yes"),
        ("有的，前年做过一次胃镜", "yes"),
        ("没有，从来没住过院", "no"),
        ("没有啊，他身体一直挺好", "no"),
        ("不是，是脂肪肝", "no"),
    ],
)
def test_yes_no_answer_words(text, value):
    result = parse_yes_no(text)
    assert result.ok and result.value == value, result
    assert not result.detail.get("cue"), "an answer word is no cue"


@pytest.mark.parametrize(
    "text",
    [
        "不清楚",
        "不知道",
        "我也不确定",
        "记不清了",
        "这个真忘了",
        "不太清楚",
        "医生没说",
    ],
)
def test_yes_no_dont_know_is_unsure(text):
    result = parse_yes_no(text)
    assert result.ok and result.value == "unsure" and result.unknown, result


@pytest.mark.parametrize(
    ("text", "leaning"),
    [
        ("好像有", "yes"),
        ("可能有吧", "yes"),
        ("应该是", "yes"),
        ("有吧", "yes"),
        ("应该没有", "no"),
        ("好像没有", "no"),
        ("没听说过", "no"),
        ("据我所知没有", "no"),
        ("没有吧", "no"),
        ("有时候会", None),
    ],
)
def test_yes_no_hedges_are_unsure_not_yes(text, leaning):
    result = parse_yes_no(text)
    assert result.ok and result.value == "unsure" and not result.unknown, result
    assert result.detail == {"hedged": True, "leaning": leaning}


def test_yes_no_plain_no_then_a_modest_one_is_no():
    result = parse_yes_no("没有，应该没有")
    assert result.value == "no" and result.detail == {"modest": True}


def test_yes_no_past_only():
    for text in ("以前有，现在没有了", "早就不吃了"):
        result = parse_yes_no(text)
        assert result.value == "unsure" and result.detail == {"past_only": True}


@pytest.mark.parametrize(
    ("text", "value"),
    [("他查出过肝癌", "yes"), ("B超说肚子里有一点水", "yes"), ("他肾脏没毛病", "no")],
)
def test_yes_no_from_a_verb_or_a_negation_is_a_cue(text, value):
    result = parse_yes_no(text)
    assert result.value == value and result.detail == {"cue": True}, result


def test_yes_no_keeps_the_answer_when_only_the_when_is_forgotten():
    result = parse_yes_no("得过乙肝，哪年记不清了")
    assert result.value == "yes" and not result.unknown


@pytest.mark.parametrize(
    "text",
    [
        "张有才",  # a name: not "有"
        "王是",
        "刘晓东",
        "上午有空",  # a time to call: not "有"
        "没问题",  # "no problem": nothing to a question of health
        "他肝不好",
        "算了",  # a stop word, read elsewhere
        "好的",  # agreeing to an offer only
    ],
)
def test_yes_no_not_understood(text):
    result = parse_yes_no(text)
    assert not result.ok and result.error == "not_understood", result


@pytest.mark.parametrize(
    "text", ["什么是腹水？", "这个要空腹吗", "是不是要去医院查", "为什么问这个"]
)
def test_yes_no_question_back_is_no_answer(text):
    result = parse_yes_no(text)
    assert result.error == "not_understood" and result.detail["reason"] == "question"


def test_yes_no_confused_is_no_answer():
    result = parse_yes_no("没看懂您的意思")
    assert result.error == "not_understood" and result.detail["reason"] == "confused"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("好", "yes"),
        ("好的", "yes"),
        ("好啊，开始吧", "yes"),
        ("可以", "yes"),
        ("可以的", "yes"),
        ("行", "yes"),
        ("来吧", "yes"),
        ("开始吧", "yes"),
        ("没问题", "yes"),
        ("我同意", "yes"),
        ("不用了", "no"),
        ("不用了，谢谢", "no"),
        ("算了吧", "no"),
        ("算了", "no"),
        ("先不了", "no"),
        ("改天吧", "no"),
        ("以后再说吧", "no"),
    ],
)
def test_consent(text, value):
    result = parse_yes_no(text, consent=True)
    assert result.ok and result.value == value, result


def test_consent_words_are_not_a_yes_to_a_question_of_fact():
    for text in ("可以", "开始吧", "来吧"):
        assert not parse_yes_no(text).ok


# --------------------------------------------------------------------------- #
# "I don't know" and questions back
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("text", "unknown"),
    [
        ("不知道", True),
        ("我真不清楚", True),
        ("这个我记不得了", True),
        ("说不好", True),
        ("也不知道到底有没有", True),
        ("记不清是哪一年了", True),
        ("有，就是不记得哪年", False),
        ("不清楚，大概四十五", False),
        ("没有", False),
    ],
)
def test_is_unknown(text, unknown):
    assert is_unknown(text) is unknown


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("这个检查要空腹吗？", True),
        ("要住院吗", True),
        ("是不是还要抽血", True),
        ("有没有什么风险", True),
        ("为什么要问这个", True),
        ("黄疸是什么", True),
        ("请问在哪里做检查", True),
        ("你们是哪个科室的？", True),
        ("怎么算", True),
        # Answers, not questions.
        ("有，为什么问这个？", False),
        ("没什么问题", False),
        ("不知道自己在哪", False),
        ("不知道为什么老想睡", False),
        ("谁都不认识了", False),
        ("两周前？", False),
        ("不知道有没有", False),
        ("没有", False),
    ],
)
def test_looks_like_question(text, question):
    assert looks_like_question(text) is question


# --------------------------------------------------------------------------- #
# When: against the screening date
# --------------------------------------------------------------------------- #


def _when(text: str) -> TimeAgo:
    result = parse_time_ago(text, DAY)
    assert result.ok, result
    value: TimeAgo = result.value
    return value


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("两周前", date(2026, 11, 20), date(2026, 11, 26)),
        ("大概三天前", date(2026, 12, 4), date(2026, 12, 4)),
        ("3天以前", date(2026, 12, 4), date(2026, 12, 4)),
        ("上个月", date(2026, 11, 1), date(2026, 11, 30)),
        ("上月底停的", date(2026, 11, 1), date(2026, 11, 30)),
        ("去年三月", date(2025, 3, 1), date(2025, 3, 31)),
        ("去年3月份", date(2025, 3, 1), date(2025, 3, 31)),
        ("半年前", date(2026, 5, 23), date(2026, 6, 22)),
        ("3个月以前", date(2026, 8, 23), date(2026, 9, 22)),
        ("三个月之前", date(2026, 8, 23), date(2026, 9, 22)),
        ("2022年停的", date(2022, 1, 1), date(2022, 12, 31)),
        ("二〇二一年五月", date(2021, 5, 1), date(2021, 5, 31)),
        ("2024年8月15号", date(2024, 8, 15), date(2024, 8, 15)),
        ("前年", date(2024, 1, 1), date(2024, 12, 31)),
        ("去年年底", date(2025, 9, 1), date(2025, 12, 31)),
        ("一年多以前", date(2024, 12, 7), date(2025, 12, 7)),
        ("两三天前", date(2026, 12, 4), date(2026, 12, 5)),
        ("昨天", date(2026, 12, 6), date(2026, 12, 6)),
        ("前天吃的最后一次", date(2026, 12, 5), date(2026, 12, 5)),
        ("上周", date(2026, 11, 30), date(2026, 12, 6)),
        ("十月份", date(2026, 10, 1), date(2026, 10, 31)),
        ("停了三个月了", date(2026, 8, 23), date(2026, 9, 22)),
        ("最近一个月内", date(2026, 11, 7), date(2026, 12, 7)),
        # The screening date is a Monday.
        ("上周三", date(2026, 12, 2), date(2026, 12, 2)),
        ("上礼拜天停的", date(2026, 12, 6), date(2026, 12, 6)),
        ("星期六", date(2026, 12, 5), date(2026, 12, 5)),
    ],
)
def test_time_ago_dates(text, earliest, latest):
    when = _when(text)
    assert (when.never, when.earliest, when.latest) == (False, earliest, latest)


def test_time_ago_long_ago_has_no_lower_bound():
    for text in ("很多年前", "好多年以前"):
        when = _when(text)
        assert when.earliest is None and when.latest == date(2025, 12, 7)
    assert _when("超过五年了").earliest is None


@pytest.mark.parametrize(
    "text",
    ["一直在吃", "现在还在吃", "目前正在用", "每天都吃", "从2019年开始吃，一直没停"],
)
def test_time_ago_ongoing(text):
    when = _when(text)
    assert when.earliest == when.latest == DAY


@pytest.mark.parametrize(
    ("text", "earliest"),
    [
        ("三年前得过，后来一直好好的", date(2023, 6, 7)),  # not ongoing
        ("两年前住过院，现在没事了", date(2024, 6, 7)),
        ("一年前吃过，现在不吃了", date(2025, 6, 7)),
    ],
)
def test_time_ago_reads_the_whole_answer(text, earliest):
    when = _when(text)
    assert when.earliest == earliest and when.latest is not None
    assert when.latest < DAY


def test_time_ago_the_end_is_the_last_time():
    when = _when("2019年开始吃，上个月停了")
    assert (when.earliest, when.latest) == (date(2026, 11, 1), date(2026, 11, 30))


@pytest.mark.parametrize("text", ["从来没有", "没有", "没有，从没吃过", "一直没有过"])
def test_time_ago_never(text):
    assert _when(text).never


def test_time_ago_range_and_two_times():
    when = _when("去年或者前年")
    assert (when.earliest, when.latest) == (date(2024, 1, 1), date(2025, 12, 31))
    two = parse_time_ago("去年吃过，前年也吃过", DAY)
    assert two.error == "multiple_values"


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("好像没有", {"hedged": True, "leaning": "never"}),
        ("得过，不记得哪年", {"happened": True}),
        ("记不清了", {}),
        ("小时候得过", {"happened": True, "life_stage": True}),
    ],
)
def test_time_ago_unknown(text, detail):
    result = parse_time_ago(text, DAY)
    assert result.unknown and not result.ok and result.detail == detail, result


@pytest.mark.parametrize("text", ["以前得过", "前段时间", "很久以前了"])
def test_time_ago_vague_asks_when(text):
    result = parse_time_ago(text, DAY)
    assert result.error == "not_understood" and result.detail == {"happened": True}


def test_time_ago_future_and_bad_dates():
    assert parse_time_ago("明年打算去做", DAY).error == "future_date"
    assert parse_time_ago("2027年1月", DAY).error == "future_date"
    assert parse_time_ago("这周五", DAY).error == "future_date"
    assert parse_time_ago("2025年13月", DAY).error == "not_understood"


@pytest.mark.parametrize(
    "text",
    [
        "一次",  # once: no number, no date
        "乙肝小三阳",  # a serology pattern, not 3
        "三七粉",  # a herbal medicine, not 37
    ],
)
def test_time_ago_traps_hold_no_date(text):
    result = parse_time_ago(text, DAY)
    assert not result.ok, result


def test_time_ago_these_days_is_recent_not_two():
    when = _when("这两天")
    assert when.earliest == date(2026, 11, 30) and when.latest == DAY


def test_time_ago_window():
    assert window_status(_when("两周前"), DAY, months=1) is True
    assert window_status(_when("半年前"), DAY, months=3) is False
    assert window_status(_when("从来没有"), DAY, months=3) is False


def test_time_ago_question_back():
    result = parse_time_ago("为什么要问时间？", DAY)
    assert result.detail.get("reason") == "question"


def test_chinese_numbers_and_years():
    assert [zh_number(t) for t in ("十二", "二十", "两", "一百零五", "7")] == [
        12.0,
        20.0,
        2.0,
        105.0,
        7.0,
    ]
    assert zh_number("两三") is None and zh_number("一直") is None
    assert zh_year("二〇二二", DAY) == 2022 and zh_year("22", DAY) == 2022
    assert zh_year("98", DAY) == 1998


# --------------------------------------------------------------------------- #
# Encephalopathy
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("text", "grade"),
    [
        ("没有糊涂", 0),
        ("人很清醒", 0),
        ("脑子挺清楚的", 0),
        ("一次都没糊涂过", 0),
        ("有点糊涂", 1),
        ("最近有点犯糊涂", 1),
        ("白天睡觉，晚上不睡", 1),
        ("白天睡晚上不睡，叫得醒", 1),
        ("黑白颠倒", 1),
        ("反应比以前慢", 1),
        ("反应有点慢", 1),
        ("特别嗜睡", 2),
        ("分不清白天晚上", 2),
        ("不知道今天几号", 2),
        ("很想睡但是叫得醒", 3),
        ("不知道自己在哪", 3),
        ("家里人都不认识了", 3),
        ("叫不醒", 4),
        ("昏迷了", 4),
        ("怎么叫都不醒", 4),
        ("有点糊涂，这两天叫不醒", 4),  # the worst sign decides
        ("肝性脑病I期", 1),
        ("肝性脑病 II 期", 2),
        ("肝性脑病Ⅲ期", 3),
        ("肝性脑病IV期", 4),
        ("2级", 2),
        ("医生说是三级", 3),
        ("0级", 0),
    ],
)
def test_he_grade(text, grade):
    result = parse_he_grade(text)
    assert result.ok and result.value == grade, result


def test_he_grade_traps():
    # "两三天" is how long, not a grade.
    assert parse_he_grade("两三天前开始有点糊涂").value == 1
    assert parse_he_grade("1-2级").error == "multiple_values"
    assert parse_he_grade("肝性脑病5期").error == "out_of_range"
    # A bare "confused" fits several grades: asked again, with the choices.
    bare = parse_he_grade("糊涂")
    assert bare.error == "not_understood" and bare.detail["possible_grades"] == [
        1,
        2,
        3,
    ]
    assert not parse_he_grade("他最近不正常").ok
    assert not parse_he_grade("没有昏迷").ok  # not grade 4, but not grade 0 either
    assert parse_he_grade("不知道").unknown


# --------------------------------------------------------------------------- #
# Who answers, skipping the email, contact details
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("text", "value", "relation"),
    [
        ("我自己", "self", None),
        ("本人", "self", None),
        ("是我", "self", None),
        ("我就是病人", "self", None),
        ("给我自己问的", "self", None),
        ("帮我爸问", "caregiver", "father"),
        ("替我妈问一下", "caregiver", "mother"),
        ("给老公问的", "caregiver", "husband"),
        ("帮我爱人咨询", "caregiver", "partner"),
        ("我是他女儿", "caregiver", "father"),
        ("我是她儿子", "caregiver", "mother"),
        ("我是他老婆", "caregiver", "husband"),
        ("我是她妹妹", "caregiver", "sister"),
        ("我是他的同事", "caregiver", "friend"),
        ("是我婆婆", "caregiver", "relative"),
        ("为别人问的", "caregiver", None),
        ("他自己不方便打字，我帮他问", "caregiver", None),
    ],
)
def test_respondent(text, value, relation):
    result = parse_respondent(text)
    assert result.ok and result.value == value, result
    assert result.detail.get("relation") == relation


@pytest.mark.parametrize(
    "text", ["没有", "不想留", "跳过", "没有邮箱", "我不用邮箱", "先不留了", "不方便给"]
)
def test_skip(text):
    assert parse_skip(text).value == "skip"


def test_skip_refuses_an_address_and_a_question():
    assert not parse_skip("wang.li@163.com").ok
    assert not parse_skip("为什么要邮箱？").ok


@pytest.mark.parametrize(
    "text",
    [
        "138 1234 5678",
        "+86 138 1234 5678",
        "手机号：138-1234-5678",
        "电话是13812345678",
        "一三八 一二三四 五六七八",
        "幺三八幺二三四五六七八",
    ],
)
def test_phone(text):
    result = parse_phone(text)
    assert result.ok and result.value == "+8613812345678", result


def test_phone_short_chinese_numbers_are_not_digits():
    assert not parse_phone("打一两次就行").ok


def test_email_inside_chinese():
    assert parse_email("我的邮箱是 Wang.Li@163.com，谢谢").value == "wang.li@163.com"
    assert parse_email("不知道").unknown


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("愿意", "yes"),
        ("我愿意签", "yes"),
        ("同意的", "yes"),
        ("不太愿意", "no"),
        ("不同意，谢谢", "no"),
    ],
)
def test_willing_or_not_answers_the_consent_question(text, value):
    # "Would you be willing to sign a consent form?" is answered with 愿意, not 有.
    parsed = parse_yes_no(text)
    assert parsed.ok and parsed.value == value


@pytest.mark.parametrize("text", ["愿意吗", "愿意不愿意"])
def test_asking_back_about_willing_is_no_answer(text):
    assert not parse_yes_no(text).ok


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("行，您问吧，我都照实说", "yes"),
        ("可以，麻烦转给研究团队", "yes"),
        ("好的，不过我不想留电话", None),
        ("好的，可以吗", None),
        ("好滴", "yes"),
        ("没毛病", "yes"),
    ],
)
def test_a_yes_to_an_offer_with_more_words_after_it(text, value):
    assert parse_yes_no(text, consent=True).value == value


def test_the_model_alone_never_stops_an_understood_chinese_answer():
    from bot.screening.answer_first import ANSWER, COMMAND, read_message

    # "No, no plans for a baby": the model said stop (sure); the words did not.
    assert (
        read_message(
            "没有，不打算要孩子", "stop", understood=True, asks=1, confidence=0.95
        )
        == ANSWER
    )
    assert (
        read_message(
            "没有，不想继续了", "stop", understood=True, asks=1, confidence=0.95
        )
        == COMMAND
    )


@pytest.mark.parametrize(
    ("text", "value"),
    [("木有", "no"), ("没得", "no"), ("有有有", "yes"), ("没有没有", "no")],
)
def test_colloquial_yes_and_no(text, value):
    # Typed on a phone: 木有 (internet slang), 没得 (dialect), doubled words.
    assert parse_yes_no(text).value == value


@pytest.mark.parametrize("text", ["就是我", "就我啊"])
def test_just_me_is_answering_for_oneself(text):
    assert parse_respondent(text).value == "self"
