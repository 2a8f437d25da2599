"""Action tests: trackers built from slots and a message, events checked (no server).

Each test reads arrange / act / assert. The actions are thin; these tests check
that they pass the right things to bot/ and return the right events.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet

from actions.ask_answer import AskAnswer
from actions.ask_slots import AskContactConfirmed, AskScreeningConsent
from actions.contact_form import ValidateContactForm
from actions.correction import CorrectAnswer
from actions.referral import SubmitReferral
from actions.result import ScreeningResult
from actions.screening_form import ValidateScreeningForm
from actions.stop import StopScreening
from actions.why_ask import WhyAsk
from bot.store import repository
from bot.store.db import make_engine, session_scope
from bot.store.models import Referral, Screening
from ops.answers import NEVER, likely_facts

DATE = "2026-11-24"
#: The likely-eligible person (ops/answers.py) as the `answers` slot holds the facts.
NO_EXCLUSIONS = {
    fact: {"never": True, "earliest": None, "latest": None} if value == NEVER else value
    for fact, value in likely_facts().items()
}


def state(**values: Any) -> dict:
    """The `answers` slot for these fact values."""
    return {
        k: {"value": v, "text": str(v), "unknown": False} for k, v in values.items()
    }


def run(action, dispatcher, tracker, domain) -> list:
    return asyncio.run(action.run(dispatcher, tracker, domain))


def texts(dispatcher) -> list[str]:
    return [m.get("text") or m.get("response") for m in dispatcher.messages]


def slot_events(events) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def screening_slots(**extra) -> dict:
    return {
        "screening_consent": True,
        "respondent": "self",
        "screening_date": DATE,
        "requested_slot": "answer",
        **extra,
    }


def test_intro_asks_consent_with_plain_text_buttons(dispatcher, make_tracker, domain):
    run(AskScreeningConsent(), dispatcher, make_tracker(), domain)

    message = dispatcher.messages[0]
    assert "not medical advice" in message["text"]
    assert [b["payload"] for b in message["buttons"]] == [
        "Yes, go ahead",
        "No, thanks",
    ]


def test_declining_consent_ends_politely(dispatcher, make_tracker, domain):
    tracker = make_tracker(
        {"screening_consent": False, "requested_slot": "screening_consent"},
        events=[{"event": "slot", "name": "screening_consent", "value": False}],
    )

    events = run(ValidateScreeningForm(), dispatcher, tracker, domain)

    assert slot_events(events)["outcome"] == "incomplete"
    assert slot_events(events)["requested_slot"] is None
    assert "That's fine" in texts(dispatcher)[0]


def test_first_question_is_age_with_progress(dispatcher, make_tracker, domain):
    events = run(AskAnswer(), dispatcher, make_tracker(screening_slots()), domain)

    assert SlotSet("current_question", "age") in events
    assert slot_events(events)["asks"] == {"key": "age", "n": 1}
    assert texts(dispatcher)[0].startswith("Question 1 of about ")
    assert "How old are you?" in texts(dispatcher)[0]


def test_caregiver_wording_names_the_relative(dispatcher, make_tracker, domain):
    tracker = make_tracker(screening_slots(respondent="caregiver", relation="father"))

    run(AskAnswer(), dispatcher, tracker, domain)

    assert "How old is your father?" in texts(dispatcher)[0]


@pytest.mark.parametrize("junk", ["}", '"', "-", "😀", 'canary-7f3a9c"}', "x" * 80])
def test_a_relation_the_model_picked_out_of_junk_is_not_repeated(
    dispatcher, make_tracker, domain, junk
):
    # Fuzzing found the relation entity filled with punctuation or emoji from odd
    # input, and the questions then read "How old is your }?".
    tracker = make_tracker(screening_slots(respondent="caregiver", relation=junk))

    run(AskAnswer(), dispatcher, tracker, domain)

    assert "How old is the patient?" in texts(dispatcher)[0]
    assert junk not in texts(dispatcher)[0]


def test_known_relations_are_named_in_any_case():
    from bot.screening.conversation import known_relation, patient_label

    assert patient_label("caregiver", "Mother") == "your mother"
    assert patient_label("caregiver", "relative") == "the patient"
    assert patient_label("self", "father") == "you"
    assert known_relation("friend") == "friend"
    assert known_relation("}") is None and known_relation(None) is None


def _validate_answer(make_tracker, dispatcher, domain, text, **slots):
    tracker = make_tracker(
        screening_slots(answer=text, **slots),
        text=text,
        events=[
            {"event": "user", "text": text, "input_channel": "rest"},
            {"event": "slot", "name": "answer", "value": text},
        ],
    )
    return slot_events(
        asyncio.run(ValidateScreeningForm().run(dispatcher, tracker, domain))
    )


def test_an_answer_is_parsed_recorded_and_the_next_question_chosen(
    dispatcher, make_tracker, domain, app_database
):
    slots = _validate_answer(
        make_tracker, dispatcher, domain, "I'm forty-five", current_question="age"
    )

    assert slots["answers"]["age"]["value"] == 45
    assert slots["current_question"] == "liver_transplant"
    assert slots["answer"] is None
    with session_scope(make_engine(app_database)) as session:
        screening = session.query(Screening).one()
        assert repository.current_answers(session, screening)["age"].normalized == 45


def test_a_unclear_answer_is_asked_again_then_recorded_as_unknown_on_the_last_asking(
    dispatcher, make_tracker, domain, app_database
):
    first = _validate_answer(
        make_tracker,
        dispatcher,
        domain,
        "purple",
        current_question="bilirubin",
        has_lab_results=None,
        asks={"key": "bilirubin", "n": 1},
    )
    assert first["answer"] is None and first["retries"] == 1.0
    assert "answers" not in first  # nothing recorded yet

    last = _validate_answer(
        make_tracker,
        dispatcher,
        domain,
        "purple again",
        current_question="age",
        retries=2.0,
        asks={"key": "age", "n": 3},
    )

    assert last["answers"]["age"]["unknown"] is True
    assert last["retries"] == 0.0
    assert any("not sure" in t for t in texts(dispatcher))


def test_retry_asks_in_other_words_with_an_example(dispatcher, make_tracker, domain):
    tracker = make_tracker(screening_slots(current_question="age", retries=1.0))

    run(AskAnswer(), dispatcher, tracker, domain)

    assert texts(dispatcher)[0].startswith("Sorry, I did not understand that.")
    assert "fifty-four" in texts(dispatcher)[0]


def test_bleeding_now_gets_emergency_advice_first(
    dispatcher, make_tracker, domain, app_database
):
    answers = state(**{k: NO_EXCLUSIONS[k] for k in list(NO_EXCLUSIONS)[:8]})

    slots = _validate_answer(
        make_tracker,
        dispatcher,
        domain,
        "Yes",
        current_question="gi_bleeding",
        answers=answers,
    )

    assert dispatcher.messages[0]["response"] == "utter_emergency"
    assert slots["current_question"] is None  # an exclusion ends the questions


def test_result_explains_the_exclusion_kindly(
    dispatcher, make_tracker, domain, app_database
):
    answers = state(**{**NO_EXCLUSIONS, "liver_cancer": "yes"})
    tracker = make_tracker(screening_slots(answers=answers))

    events = run(ScreeningResult(), dispatcher, tracker, domain)

    assert slot_events(events)["outcome"] == "ineligible"
    text = texts(dispatcher)[0]
    assert "liver cancer or another cancer" in text
    assert "not your fault" in text and "study team makes the decision" in text


@pytest.mark.parametrize(
    ("override", "outcome"),
    [
        ({}, "likely_eligible"),
        ({"has_lab_results": "no"}, "needs_review"),
        ({"thrombosis": "yes"}, "needs_review"),
        ({"age": 71}, "ineligible"),
    ],
)
def test_result_outcomes(
    dispatcher, make_tracker, domain, app_database, override, outcome
):
    answers = {**NO_EXCLUSIONS, **override}
    if override.get("has_lab_results") == "no":
        for lab in ("bilirubin", "inr", "pta", "platelets", "child_pugh"):
            answers.pop(lab)
    tracker = make_tracker(screening_slots(answers=state(**answers)))

    events = run(ScreeningResult(), dispatcher, tracker, domain)

    assert slot_events(events)["outcome"] == outcome
    with session_scope(make_engine(app_database)) as session:
        assert session.query(Screening).one().outcome == outcome


def test_correction_during_the_form_updates_the_answer(
    dispatcher, make_tracker, domain, app_database
):
    tracker = make_tracker(
        screening_slots(answers=state(age=45)),
        text="actually she is 52",
        intent="correct",
        entities=[{"entity": "age", "value": 52, "start": 15, "end": 17}],
        active_loop="screening_form",
    )

    events = run(CorrectAnswer(), dispatcher, tracker, domain)

    assert slot_events(events)["answers"]["age"]["value"] == 52
    assert "changed your answer about the age" in texts(dispatcher)[0]


def test_correction_after_the_result_that_reopens_questions(
    dispatcher, make_tracker, domain, app_database
):
    answers = state(age=45, liver_transplant="yes")
    tracker = make_tracker(
        screening_slots(answers=answers, outcome="ineligible"),
        text="sorry, he never had a transplant",
        intent="correct",
        entities=[{"entity": "topic", "value": "liver_transplant"}],
    )

    events = run(CorrectAnswer(), dispatcher, tracker, domain)

    assert slot_events(events)["answers"]["liver_transplant"]["value"] == "no"
    assert SlotSet("outcome", None) in events
    assert FollowupAction("screening_form") in events


def test_correction_that_changes_a_finished_result_shows_it_again(
    dispatcher, make_tracker, domain, app_database
):
    tracker = make_tracker(
        screening_slots(answers=state(**NO_EXCLUSIONS), outcome="likely_eligible"),
        text="wait, I did have a transplant",
        intent="correct",
        entities=[{"entity": "topic", "value": "liver_transplant"}],
    )

    events = run(CorrectAnswer(), dispatcher, tracker, domain)

    assert slot_events(events)["outcome"] == "ineligible"
    assert "This changes the result" in texts(dispatcher)[0]
    assert "liver transplant" in texts(dispatcher)[1]


def test_unclear_correction_asks_which_answer(dispatcher, make_tracker, domain):
    tracker = make_tracker(screening_slots(), text="I made a mistake", intent="correct")

    events = run(CorrectAnswer(), dispatcher, tracker, domain)

    assert events == []
    assert "Which answer" in texts(dispatcher)[0]


def test_why_ask_explains_the_pending_question(dispatcher, make_tracker, domain):
    tracker = make_tracker(screening_slots(current_question="inr"))

    run(WhyAsk(), dispatcher, tracker, domain)

    assert "INR" in texts(dispatcher)[0] and "1.5" in texts(dispatcher)[0]


def test_stop_ends_the_form_and_records_incomplete(
    dispatcher, make_tracker, domain, app_database
):
    tracker = make_tracker(
        screening_slots(answers=state(age=45)), active_loop="screening_form"
    )

    events = run(StopScreening(), dispatcher, tracker, domain)

    assert ActiveLoop(None) in events and SlotSet("outcome", "incomplete") in events
    with session_scope(make_engine(app_database)) as session:
        assert session.query(Screening).one().outcome == "incomplete"


@pytest.mark.parametrize(
    ("phone", "valid"),
    [
        ("138 0013 8000", True),
        ("+86 138 0013 8000", True),
        ("+44 20 7946 0958", True),
        ("12345", False),
        ("call me maybe", False),
    ],
)
def test_contact_phone_validation(dispatcher, make_tracker, domain, phone, valid):
    result = ValidateContactForm().validate_contact_phone(
        phone, dispatcher, make_tracker(), domain
    )

    assert (result["contact_phone"] is not None) == valid
    assert result["contact_phone"] is None or result["contact_phone"].startswith("+")


def test_contact_read_back_shows_the_details(dispatcher, make_tracker, domain):
    tracker = make_tracker(
        {
            "contact_name": "Li Wei",
            "contact_phone": "+8613800138000",
            "contact_email": "not given",
            "best_time": "mornings",
        }
    )

    run(AskContactConfirmed(), dispatcher, tracker, domain)

    text = texts(dispatcher)[0]
    assert "Li Wei" in text and "+8613800138000" in text and "mornings" in text


def test_referral_is_recorded_once_with_consent(
    dispatcher, make_tracker, domain, app_database
):
    slots = screening_slots(
        answers=state(**NO_EXCLUSIONS),
        outcome="likely_eligible",
        share_consent=True,
        contact_name="Li Wei",
        contact_phone="+8613800138000",
        contact_email="not given",
        best_time="mornings",
        contact_confirmed=True,
    )
    run(ScreeningResult(), dispatcher, make_tracker(slots), domain)

    first = run(SubmitReferral(), dispatcher, make_tracker(slots), domain)
    second = run(SubmitReferral(), dispatcher, make_tracker(slots), domain)

    assert first == second and first[0]["value"].startswith("SCR-")
    with session_scope(make_engine(app_database)) as session:
        referral = session.query(Referral).one()
        assert referral.contact_phone == "+8613800138000"
        assert referral.contact_email is None


def test_no_referral_without_consent(dispatcher, make_tracker, domain, app_database):
    tracker = make_tracker(screening_slots(share_consent=False))

    events = run(SubmitReferral(), dispatcher, tracker, domain)

    assert events == []
    assert "Nothing will be shared" in texts(dispatcher)[0]


def test_a_returning_person_is_welcomed_back_with_their_answers_kept(
    dispatcher, make_tracker, domain
):
    from actions.session_start import SessionStart

    tracker = make_tracker(screening_slots(answers=state(age=45)))

    events = run(SessionStart(), dispatcher, tracker, domain)

    assert events[0]["event"] == "session_started"
    assert slot_events(events)["answers"] == state(age=45)
    assert (events[-1]["event"], events[-1]["name"]) == ("action", "action_listen")
    assert "Welcome back" in texts(dispatcher)[0]
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == [
        "Carry on",
        "Start over",
    ]


def test_a_new_person_is_not_welcomed_back(dispatcher, make_tracker, domain):
    from actions.session_start import SessionStart

    run(SessionStart(), dispatcher, make_tracker(), domain)

    assert dispatcher.messages == []


@pytest.mark.parametrize(
    ("text", "intent", "extracted"),
    [
        ("No confusion", "emergency", True),  # a tapped quick reply is an answer
        ("he is a bit forgetful", "inform", True),
        ("no idea", "dont_know", True),
        ("what is encephalopathy?", "explain", False),  # the rules explain it
        ("he is vomiting blood", "emergency", False),  # the emergency rule answers
    ],
)
def test_extract_answer_tells_answers_from_interruptions(
    dispatcher, make_tracker, domain, text, intent, extracted
):
    tracker = make_tracker(
        screening_slots(current_question="encephalopathy", answers=state(age=45)),
        text=text,
        intent=intent,
        active_loop="screening_form",
    )

    result = ValidateScreeningForm().extract_answer(dispatcher, tracker, domain)

    reading = {"answer": {"reading": "answer", "text": text}}
    assert result == (reading if extracted else {})


def test_nothing_is_extracted_when_returning_from_an_interruption(
    dispatcher, make_tracker, domain
):
    tracker = make_tracker(
        screening_slots(current_question="age"),
        text="what is INR?",
        intent="faq",
        events=[
            {"event": "user", "text": "what is INR?"},
            {"event": "action", "name": "utter_faq"},
            {"event": "action", "name": "screening_form"},
        ],
    )

    assert ValidateScreeningForm().extract_answer(dispatcher, tracker, domain) == {}


def test_an_emergency_the_nlu_missed_still_gets_advice_first(
    dispatcher, make_tracker, domain, app_database
):
    slots = _validate_answer(
        make_tracker,
        dispatcher,
        domain,
        "he can't wake up, help",
        current_question="age",
    )

    assert dispatcher.messages[0]["response"] == "utter_emergency"
    assert slots["retries"] == 1.0  # and the question is asked again, nothing lost
