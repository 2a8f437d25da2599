"""End to end in Simplified Chinese: complete screenings through the REST channel.

The same servers as tests/e2e/test_rest.py (the trained model, a SQLite tracker store
and application database, a real SMTP server on loopback). Each conversation is typed
in Chinese as a person would (ops/answers.py ``LIKELY_ZH``, written apart from the
training data); the outcome, the answers and the referral are read back from the
database, and every reply of a Chinese conversation must be in Chinese.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from support import rest

from bot.screening.language import has_cjk
from bot.store.db import session_scope
from bot.store.models import Answer, Referral
from ops.answers import LIKELY, LIKELY_ZH
from ops.screening import asked_fact, opening, run_screening, texts

pytestmark = pytest.mark.e2e

stack = rest.stack
Stack = rest.Stack
screening_of = rest.screening_of


def _screen(
    stack: Stack, sender: str, answers: dict[str, str], respondent: str = "我自己"
):
    return run_screening(
        stack.say, sender, answers, respondent=respondent, steps=opening("zh")
    )


def _all_chinese(transcript) -> None:
    for said, replies in transcript.turns:
        for reply in replies:
            text = reply.get("text") or ""
            assert has_cjk(text), f"{said!r} got an English reply: {text!r}"


def _answers(stack: Stack, sender: str) -> dict[str, Answer]:
    screening = screening_of(stack, sender)
    with session_scope(stack.engine) as session:
        rows = (
            session.execute(
                select(Answer).where(
                    Answer.screening_id == screening.id, Answer.superseded.is_(False)
                )
            )
            .scalars()
            .all()
        )
        return {a.fact_id: a for a in rows}


def test_likely_eligible_in_chinese_is_referred(stack: Stack):
    transcript = _screen(stack, "zh-likely", LIKELY_ZH)
    _all_chinese(transcript)
    assert screening_of(stack, "zh-likely").outcome == "likely_eligible"
    by_fact = _answers(stack, "zh-likely")
    assert by_fact["bilirubin"].normalized == 171.0
    assert by_fact["platelets"].normalized == 120.0
    assert by_fact["age"].normalized == 45.0

    for text in ("好的", "李伟", "138 0013 8000", "没有邮箱", "工作日上午"):
        replies = stack.say("zh-likely", text)
        assert replies and all(has_cjk(r.get("text") or "") for r in replies), replies
    assert "+8613800138000" in texts(replies)
    replies = stack.say("zh-likely", "对，没错")
    assert "SCR-" in texts(replies), texts(replies)
    screening = screening_of(stack, "zh-likely")
    with session_scope(stack.engine) as session:
        referral = session.execute(
            select(Referral).where(Referral.screening_id == screening.id)
        ).scalar_one()
        assert referral.contact_phone == "+8613800138000"
        assert referral.contact_name == "李伟"


def test_no_lab_results_goes_to_staff_review(stack: Stack):
    answers = {**LIKELY_ZH, "has_lab_results": "没有，化验单不在身边"}
    transcript = _screen(stack, "zh-review", answers)
    _all_chinese(transcript)
    assert screening_of(stack, "zh-review").outcome == "needs_review"
    assert "bilirubin" not in transcript.asked


def test_bilirubin_below_the_threshold_in_chinese_units_is_ineligible(stack: Stack):
    answers = {**LIKELY_ZH, "bilirubin": "总胆红素五十二，单位是微摩尔每升"}
    transcript = _screen(stack, "zh-low-bili", answers)
    _all_chinese(transcript)
    assert screening_of(stack, "zh-low-bili").outcome == "ineligible"
    assert _answers(stack, "zh-low-bili")["bilirubin"].normalized == 52.0
    # The result explains itself, in Chinese.
    assert has_cjk(texts(transcript.last))


def test_direct_bilirubin_is_not_taken_for_the_total(stack: Stack):
    answers = {**LIKELY_ZH, "bilirubin": "直接胆红素180，总胆红素256.4 μmol/L"}
    _screen(stack, "zh-dbil", answers)
    assert _answers(stack, "zh-dbil")["bilirubin"].normalized == 256.4


def test_vomiting_blood_now_gets_the_advice_and_still_counts(stack: Stack):
    answers = {**LIKELY_ZH, "gi_bleeding": "有，今天早上还吐了血"}
    transcript = _screen(stack, "zh-bleed", answers)
    shown = "\n".join(texts(replies) for _, replies in transcript.turns)
    assert "120" in shown  # the emergency number, in the Chinese advice
    assert screening_of(stack, "zh-bleed").outcome == "ineligible"
    assert transcript.asked.count("gi_bleeding") == 1


def test_a_relative_is_asked_about_their_father(stack: Stack):
    transcript = _screen(stack, "zh-carer", LIKELY_ZH, respondent="我是帮我爸问的")
    _all_chinese(transcript)
    questions = "\n".join(texts(replies) for _, replies in transcript.turns[3:])
    assert "您父亲" in questions or "你父亲" in questions, questions[:400]
    assert screening_of(stack, "zh-carer").outcome == "likely_eligible"


def test_switching_language_midway_keeps_the_answers(stack: Stack):
    sender = "zh-switch"
    for text in ("hi", "Yes, go ahead", "For myself"):
        replies = stack.say(sender, text)
    fact = asked_fact(replies)
    assert fact == "age" and not has_cjk(texts(replies))
    replies = stack.say(sender, LIKELY["age"])
    assert asked_fact(replies) == "liver_transplant"
    replies = stack.say(sender, "请说中文")
    assert has_cjk(texts(replies)), texts(replies)
    assert asked_fact(replies) == "liver_transplant"
    for _ in range(40):
        fact = asked_fact(replies)
        if fact is None:
            break
        replies = stack.say(sender, LIKELY_ZH[fact])
        assert has_cjk(texts(replies)), texts(replies)
    assert screening_of(stack, sender).outcome == "likely_eligible"
    assert _answers(stack, sender)["age"].normalized == 45.0
    replies = stack.say(sender, "English please")
    assert not has_cjk(texts(replies)), texts(replies)
