"""Answer first, no loops: each class of failure seen with patients (actions level).

The phrasings here are written for these tests (not taken from ``data/nlu``), and the
intents given with them are the *wrong* ones the model produced for such messages:
the point is that the answer wins whatever the model says.
"""

from __future__ import annotations

import asyncio

import pytest

from actions.ask_answer import AskAnswer
from actions.ask_slots import AskContactEmail, AskScreeningConsent
from actions.contact_form import ValidateContactForm
from actions.screening_form import ValidateScreeningForm
from bot.screening.answer_first import (
    ANSWER,
    CLARIFY,
    COMMAND,
    INTERRUPTION,
    MAX_ASKS,
    MISS,
    read_message,
)

DATE = "2026-11-24"


def slot_events(events) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def texts(dispatcher) -> list[str]:
    return [m.get("text") or m.get("response") or "" for m in dispatcher.messages]


def screening(**extra) -> dict:
    return {
        "screening_consent": True,
        "respondent": "self",
        "screening_date": DATE,
        "requested_slot": "answer",
        **extra,
    }


def turn(action, make_tracker, dispatcher, domain, slots, text, intent, **kw):
    """One user message handled by a form's validation action: its slot events."""
    tracker = make_tracker(
        slots,
        text=text,
        intent=intent,
        active_loop=kw.pop("active_loop", "screening_form"),
        events=[{"event": "user", "text": text, "input_channel": "rest"}],
        **kw,
    )
    return slot_events(asyncio.run(action.run(dispatcher, tracker, domain)))


# --------------------------------------------------------------------------- #
# The decision itself
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("text", "intent", "understood", "asks", "reading"),
    [
        ("yes, let's start", "start_over", True, 1, ANSWER),
        ("class B", "explain", True, 1, ANSWER),
        ("what does ascites mean?", "explain", False, 1, INTERRUPTION),
        ("is that the same as the yellow thing?", "affirm", True, 1, INTERRUPTION),
        ("what does ascites mean?", "explain", False, MAX_ASKS, MISS),
        ("sorry, I don't understand the question", "correct", False, 1, CLARIFY),
        ("what?", "nlu_fallback", False, 2, CLARIFY),
        ("stop", "deny", False, 1, COMMAND),
        ("start over", "affirm", False, MAX_ASKS, COMMAND),
        ("purple", "nlu_fallback", False, 1, MISS),
        ("I'd rather not stop, it's fine", "stop", True, 1, COMMAND),
    ],
)
def test_read_message(text, intent, understood, asks, reading):
    assert read_message(text, intent, understood=understood, asks=asks) == reading


@pytest.mark.parametrize(
    ("understood", "confidence", "reading"),
    [
        (True, 0.49, ANSWER),  # a clear "no" the model was unsure was a stop
        (True, 0.95, COMMAND),  # the model is sure: stop comes first
        (False, 0.49, COMMAND),  # not an answer: the stop rule acts
    ],
)
def test_an_unsure_stop_does_not_override_an_understood_answer(
    understood, confidence, reading
):
    text = "No, I would not want to sign anything like that"
    assert (
        read_message(text, "stop", understood=understood, asks=1, confidence=confidence)
        == reading
    )


# --------------------------------------------------------------------------- #
# Ordinary answers taken the first time, whatever the intent
# --------------------------------------------------------------------------- #


def test_yes_lets_start_starts_and_is_not_start_over(dispatcher, make_tracker, domain):
    slots = turn(
        ValidateScreeningForm(),
        make_tracker,
        dispatcher,
        domain,
        {"requested_slot": "screening_consent"},
        "yes, let's start",
        "start_over",
    )
    assert slots["screening_consent"] is True
    assert slots["screening_date"]


@pytest.mark.parametrize("text", ["class B", "Child-Pugh B", "it was a class B"])
def test_child_pugh_class_is_an_answer_not_an_explanation(
    dispatcher, make_tracker, domain, app_database, text
):
    slots = turn(
        ValidateScreeningForm(),
        make_tracker,
        dispatcher,
        domain,
        screening(current_question="child_pugh"),
        text,
        "explain",
    )
    assert "child_pugh" in slots["answers"]
    assert slots["answers"]["child_pugh"]["unknown"] is False
    assert slots["current_question"] != "child_pugh"


def test_grade_three_confusion_is_emergency_advice_and_a_recorded_exclusion(
    dispatcher, make_tracker, domain, app_database
):
    from actions import common

    text = "very sleepy, hard to wake up, and doesn't know where we are"
    slots = turn(
        ValidateScreeningForm(),
        make_tracker,
        dispatcher,
        domain,
        screening(current_question="encephalopathy", respondent="caregiver"),
        text,
        "emergency",
    )
    assert slots["answers"]["encephalopathy"]["value"] >= 3
    assert "utter_emergency" in texts(dispatcher)
    assert texts(dispatcher).count("utter_emergency") == 1
    tracker = make_tracker({**screening(), "answers": slots["answers"]})
    assert common.evaluation(tracker).outcome == "ineligible"


@pytest.mark.parametrize(
    ("text", "intent", "value"),
    [
        ("yes, I have them here", "affirm", "yes"),
        ("no, I don't have them with me, sorry", "correct", "no"),
        ("yep got the papers right here", "inform", "yes"),
    ],
)
def test_lab_results_at_hand_with_more_words(
    dispatcher, make_tracker, domain, app_database, text, intent, value
):
    slots = turn(
        ValidateScreeningForm(),
        make_tracker,
        dispatcher,
        domain,
        screening(current_question="has_lab_results"),
        text,
        intent,
    )
    assert slots["answers"]["has_lab_results"]["value"] == value


@pytest.mark.parametrize(
    "text", ["I don't have email", "no email sorry", "none", "skip", "I don't use one"]
)
def test_optional_email_accepts_having_none(dispatcher, make_tracker, domain, text):
    slots = turn(
        ValidateContactForm(),
        make_tracker,
        dispatcher,
        domain,
        {
            "share_consent": True,
            "contact_name": "Li",
            "contact_phone": "+8613800138000",
            "requested_slot": "contact_email",
        },
        text,
        "deny",
        active_loop="contact_form",
    )
    assert slots["contact_email"] == "not given"


def _email_turn(dispatcher, make_tracker, domain, text):
    return turn(
        ValidateContactForm(),
        make_tracker,
        dispatcher,
        domain,
        {
            "share_consent": True,
            "contact_name": "Li",
            "contact_phone": "+8613800138000",
            "requested_slot": "contact_email",
        },
        text,
        "answer",
        active_loop="contact_form",
    )


def test_an_email_address_is_recorded(dispatcher, make_tracker, domain):
    # parse_skip returns a Parsed, always true: the address was taken for a skip.
    slots = _email_turn(dispatcher, make_tracker, domain, "li.wei@example.com")
    assert slots["contact_email"] == "li.wei@example.com"


def test_a_malformed_email_is_asked_again(dispatcher, make_tracker, domain):
    slots = _email_turn(dispatcher, make_tracker, domain, "li.wei at example")
    assert slots["contact_email"] is None


def test_a_question_back_is_not_swallowed_as_an_answer(
    dispatcher, make_tracker, domain
):
    tracker = make_tracker(
        screening(current_question="ascites"),
        text="what does ascites mean?",
        intent="explain",
        active_loop="screening_form",
    )
    events = asyncio.run(ValidateScreeningForm().run(dispatcher, tracker, domain))
    assert "answers" not in slot_events(events)  # the form rejects: the rule explains


# --------------------------------------------------------------------------- #
# "What?" and no loops
# --------------------------------------------------------------------------- #


def test_i_dont_understand_gets_the_question_in_simpler_words(
    dispatcher, make_tracker, domain
):
    slots = turn(
        ValidateScreeningForm(),
        make_tracker,
        dispatcher,
        domain,
        screening(current_question="ascites", asks={"key": "ascites", "n": 1}),
        "sorry, I don't understand the question",
        "correct",
    )
    assert slots == {"answer": None, "clarify": True}

    events = asyncio.run(
        AskAnswer().run(
            dispatcher,
            make_tracker(
                screening(
                    current_question="ascites",
                    clarify=True,
                    asks={"key": "ascites", "n": 1},
                )
            ),
            domain,
        )
    )
    said = texts(dispatcher)[-1]
    assert said.startswith("Let me put it another way.")
    assert "Why I ask:" in said and "fluid" in said
    assert slot_events(events)["asks"] == {"key": "ascites", "n": 2}
    assert slot_events(events)["clarify"] is None


def test_the_third_miss_is_recorded_as_unknown_kindly_with_the_human_path(
    dispatcher, make_tracker, domain, app_database
):
    asked = {"key": "bilirubin", "n": 1}
    slots = turn(
        ValidateScreeningForm(),
        make_tracker,
        dispatcher,
        domain,
        screening(current_question="bilirubin", has_lab_results=None, asks=asked),
        "purple",
        "nlu_fallback",
    )
    assert slots["answer"] is None and slots["retries"] == 1.0

    asked = {"key": "age", "n": MAX_ASKS}
    slots = turn(
        ValidateScreeningForm(),
        make_tracker,
        dispatcher,
        domain,
        screening(current_question="age", asks=asked, retries=2.0),
        "purple again",
        "nlu_fallback",
    )
    assert slots["answers"]["age"]["unknown"] is True
    assert slots["current_question"] != "age"
    assert any("talk to a person" in t for t in texts(dispatcher))


# Rasa files the prediction of a response selector trained on every retrieval intent
# under "default" (ours); one trained for a single intent, under the intent's name.
@pytest.mark.parametrize("selector", ["default", "faq"])
def test_an_faq_on_the_last_asking_is_answered_and_the_question_settled(
    dispatcher, make_tracker, domain, app_database, selector
):
    tracker = make_tracker(
        screening(current_question="ascites", asks={"key": "ascites", "n": MAX_ASKS}),
        text="is there a cost?",
        intent="faq",
        active_loop="screening_form",
    )
    tracker.latest_message["response_selector"] = {
        selector: {"response": {"utter_action": "utter_faq/cost"}}
    }
    slots = slot_events(
        asyncio.run(ValidateScreeningForm().run(dispatcher, tracker, domain))
    )
    assert slots["answers"]["ascites"]["unknown"] is True
    assert texts(dispatcher)[0] == "utter_faq/cost"


def test_consent_unclear_three_times_ends_politely_instead_of_looping(
    dispatcher, make_tracker, domain
):
    slots = turn(
        ValidateScreeningForm(),
        make_tracker,
        dispatcher,
        domain,
        {
            "requested_slot": "screening_consent",
            "asks": {"key": "screening_consent", "n": MAX_ASKS},
        },
        "banana",
        "nlu_fallback",
    )
    assert slots["screening_consent"] is False
    assert slots["outcome"] == "incomplete"


def test_asking_again_is_shorter_and_counted(dispatcher, make_tracker, domain):
    tracker = make_tracker({"asks": {"key": "screening_consent", "n": 1}})
    events = asyncio.run(AskScreeningConsent().run(dispatcher, tracker, domain))
    assert texts(dispatcher)[0].startswith("Sorry, I did not catch that.")
    assert slot_events(events)["asks"] == {"key": "screening_consent", "n": 2}

    events = asyncio.run(AskContactEmail().run(dispatcher, make_tracker(), domain))
    assert slot_events(events)["asks"] == {"key": "contact_email", "n": 1}


# --------------------------------------------------------------------------- #
# Every count shown to the person comes from the engine
# --------------------------------------------------------------------------- #


def test_the_introduction_the_progress_and_the_faq_give_one_count(
    dispatcher, make_tracker, domain
):
    import re

    from actions.session_start import SessionStart

    events = asyncio.run(SessionStart().run(dispatcher, make_tracker(), domain))
    faq_total = slot_events(events)["question_total"]

    asyncio.run(AskScreeningConsent().run(dispatcher, make_tracker(), domain))
    asyncio.run(AskAnswer().run(dispatcher, make_tracker(screening()), domain))
    intro, first = texts(dispatcher)[-2:]

    intro_total = re.search(r"about (\d+) short questions", intro).group(1)
    progress_total = re.search(r"Question 1 of about (\d+)", first).group(1)
    assert intro_total == progress_total == faq_total

    import yaml
    from support import ROOT as root

    faq = yaml.safe_load((root / "data/nlu/faq.yml").read_text())
    how_long = faq["responses"]["utter_faq/how_long_screening"][0]["text"]
    assert "{question_total}" in how_long and not re.search(r"\d+ short", how_long)


# --------------------------------------------------------------------------- #
# Corrections and volunteered facts are not swallowed by the pending question
# --------------------------------------------------------------------------- #

AGE_72 = [{"entity": "age", "value": 72, "extractor": "TrialValueExtractor"}]


@pytest.mark.parametrize(
    "text",
    ["Sorry, I got that wrong earlier, actually I'm 72", "oops wait im 72 not that"],
)
def test_a_new_age_while_another_question_is_pending_corrects_the_age(
    dispatcher, make_tracker, domain, app_database, text
):
    earlier = {"age": {"value": 52, "text": "52", "unknown": False}}
    slots = turn(
        ValidateScreeningForm(),
        make_tracker,
        dispatcher,
        domain,
        screening(current_question="liver_transplant", answers=earlier),
        text,
        "inform",
        entities=AGE_72,
    )
    assert slots["answers"]["age"]["value"] == 72
    assert "liver_transplant" not in slots["answers"]  # "wrong"/"not" is no answer
    assert any("changed your answer about the age" in t for t in texts(dispatcher))
    # 72 is outside 18 to 70: nothing more to ask, the result follows.
    assert slots["current_question"] is None


def test_a_volunteered_age_is_recorded_and_said(
    dispatcher, make_tracker, domain, app_database
):
    slots = turn(
        ValidateScreeningForm(),
        make_tracker,
        dispatcher,
        domain,
        screening(
            current_question="liver_transplant",
            answers={"age": {"value": 45, "text": "45", "unknown": False}},
        ),
        "no, never. And she is 45 by the way",
        "deny",
        entities=[{"entity": "age", "value": 45}],
    )
    assert slots["answers"]["liver_transplant"]["value"] == "no"
    assert slots["answers"]["age"]["value"] == 45  # the same value: nothing changes

    dispatcher.messages.clear()
    slots = turn(
        ValidateScreeningForm(),
        make_tracker,
        dispatcher,
        domain,
        screening(current_question="has_lab_results"),
        "yes, INR 1.9 and PTA 35%",
        "affirm",
        entities=[{"entity": "inr", "value": 1.9}, {"entity": "pta", "value": 35.0}],
    )
    assert slots["answers"]["has_lab_results"]["value"] == "yes"
    assert slots["answers"]["inr"]["value"] == 1.9
    assert slots["answers"]["pta"]["volunteered"] is True
    assert any("also noted" in t for t in texts(dispatcher))
    assert slots["current_question"] not in ("has_lab_results", "inr", "pta")


def test_a_question_that_names_a_value_is_no_correction(
    dispatcher, make_tracker, domain
):
    earlier = {"age": {"value": 52, "text": "52", "unknown": False}}
    tracker = make_tracker(
        screening(current_question="liver_transplant", answers=earlier),
        text="can a 72 year old join the study?",
        intent="faq",
        entities=AGE_72,
        active_loop="screening_form",
    )
    events = asyncio.run(ValidateScreeningForm().run(dispatcher, tracker, domain))
    assert "answers" not in slot_events(events)  # rejected: the FAQ rule answers it
