"""The language of a conversation (bot/screening/language.py) and how the actions'
texts follow it (the catalogue, the criteria wording, the patient's name)."""

from __future__ import annotations

import pytest

from bot.screening.conversation import is_about, patient_label, question_message
from bot.screening.criteria import load_trial, wordings
from bot.screening.engine import evaluate
from bot.screening.language import (
    conversation_language,
    message_language,
    normalize,
    requested_language,
    script_language,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("zh", "zh"),
        ("zh-CN", "zh"),
        ("zh_Hans", "zh"),
        ("ZH-tw", "zh"),
        ("en-GB", "en"),
        ("English", "en"),
        ("中文", "zh"),
        ("fr", None),
        ("", None),
        (None, None),
        (3, None),
    ],
)
def test_language_codes_and_names(value, expected):
    assert normalize(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("中文", "zh"),
        ("请用中文", "zh"),
        ("能不能说中文？", "zh"),
        ("Chinese please", "zh"),
        ("could you switch to chinese", "zh"),
        ("English", "en"),
        ("用英语吧", "en"),
        ("english please!", "en"),
        ("do you speak English?", "en"),
        # Not requests: a sentence that only mentions a language.
        ("my English is not good", None),
        ("我爸不太会说中文", None),
        ("yes", None),
        ("", None),
    ],
)
def test_explicit_requests(text, expected):
    assert requested_language(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我爸今年六十二", "zh"),
        ("INR 1.8，PTA 35%", None),  # lab names and numbers choose nothing
        ("TBIL 256 umol/L", None),
        ("ok", None),
        ("有", "zh"),
        ("he is 62 years old", "en"),
        ("总胆红素 320 umol/L", "zh"),
    ],
)
def test_script(text, expected):
    assert script_language(text) == expected


def test_english_script_never_switches_back_but_a_request_does():
    assert conversation_language("zh", "ok thanks") == "zh"
    assert conversation_language("zh", "yes, hepatitis B for years") == "zh"
    assert conversation_language("zh", "English please") == "en"
    assert conversation_language("en", "有，乙肝十几年了") == "zh"
    assert conversation_language(None, "hello there") == "en"


def test_channel_choice_beats_script_and_hint_only_counts_when_nothing_chose():
    assert message_language("有", {"language": "en"}) == "en"
    assert message_language("ok", {"language": "zh-CN"}) == "zh"
    assert message_language("ok", {"language_hint": "zh"}) is None
    assert conversation_language(None, "ok", {"language_hint": "zh-hans"}) == "zh"
    assert conversation_language("en", "ok", {"language_hint": "zh-hans"}) == "en"


def test_the_chinese_trial_has_the_same_rules_in_other_words():
    english, chinese = load_trial(), load_trial(language="zh")
    assert chinese.language == "zh" and english.language == "en"
    assert [q.id for q in english.questions] == [q.id for q in chinese.questions]
    assert [c.rule for c in english.criteria] == [c.rule for c in chinese.criteria]
    assert [t.language for t in wordings(chinese)] == ["zh", "en"]


def test_a_relative_is_asked_about_the_patient_in_their_language():
    assert patient_label("caregiver", "father", "zh") == "您父亲"
    assert patient_label("caregiver", None, "zh") == "患者"
    assert patient_label("caregiver", "father") == "your father"
    chinese = load_trial(language="zh")
    evaluation = evaluate(chinese, {}, __import__("datetime").date(2026, 12, 8))
    message = question_message(
        chinese,
        chinese.question("age"),
        evaluation,
        respondent="caregiver",
        relation="mother",
    )
    assert "您母亲" in message["question"]
    assert "{" not in message["question"]


def test_a_chinese_answer_about_the_question_is_about_it():
    trial = load_trial(language="zh")
    liver = trial.question("chronic_liver_disease")
    assert is_about(trial, liver, "得过乙肝，好多年了")
    assert is_about(trial, liver, "这个没有")
    assert not is_about(trial, liver, "上周拉肚子了")
    # The English trial reads a Chinese answer through its Chinese wording.
    assert is_about(load_trial(), liver, "得过乙肝，好多年了")


@pytest.mark.parametrize(
    ("fact", "text", "value"),
    [
        ("chronic_liver_disease", "hepatitis B for years", "yes"),
        ("chronic_liver_disease", "嗯 乙肝好多年了 小三阳", "yes"),
        ("liver_cancer", "肝癌晚期", "yes"),
        ("jaundice", "眼睛黄了一个礼拜", "yes"),
        # Negated, asked back, or about another thing: never a yes.
        ("liver_cancer", "no cancer", "no"),
        ("liver_cancer", "没有癌", "no"),
        ("chronic_liver_disease", "cirrhosis?", None),
        ("chronic_liver_disease", "肝硬化是什么", None),
        ("liver_cancer", "我有乙肝", None),
        ("chronic_liver_disease", "never heard of hepatitis", "no"),
    ],
)
def test_a_reply_naming_what_is_asked_about_is_a_yes(fact, text, value):
    from datetime import date

    from bot.screening.conversation import interpret

    for trial in (load_trial(), load_trial(language="zh")):
        got = interpret(trial, trial.question(fact), text, date(2026, 12, 8))
        assert got.value == value, (trial.language, text, got)
