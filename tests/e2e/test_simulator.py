"""The simulated-patient suite (ops/simulator.py).

Pure parts first (no server): the expected outcomes come from the engine and fit the
criteria, the question recogniser knows every question in every wording, the phrase
banks were never trained on. Then a deterministic sample of about a dozen complete
screenings through the REST channel, mixed cases and styles, checked against the
simulator's targets (100 % correct, 0 unsafe, at most 1.0 question asked again per
screening, no question asked more than 3 times in a row). ``make simulate`` runs
every case in every style.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from support import ROOT

from bot.screening.conversation import buttons as question_buttons
from bot.screening.conversation import evaluate_state, question_message
from bot.screening.criteria import load_trial
from bot.screening.engine import evaluate
from bot.screening.messages import render
from bot.vocab import INCOMPLETE, INELIGIBLE, LIKELY_ELIGIBLE, NEEDS_REVIEW
from ops import sim_phrases, sim_phrases_zh, simulator
from ops.sim_cases import BASE, SAMPLE, Ago, Case, Lab, Stop, all_cases

#: The cases of the Chinese sample (each in its sample style): likely eligible,
#: a relative with bilirubin in mg/dL, a Child-Pugh class, no lab results, a
#: correction, a stop.
ZH_SAMPLE = ("base", "cg-sister-bili-mg", "cp-class-B", "no-labs", "correct-age-up")

pytest_plugins = ["support.simulator"]

TODAY = date(2026, 6, 15)
TRIAL = load_trial()


def case(**changes) -> Case:
    return Case("t", {**BASE, **changes})


# --------------------------------------------------------------------------- #
# Expected outcomes (the engine over the facts)
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("changes", "outcome"),
    [
        ({}, LIKELY_ELIGIBLE),
        ({"age": 17}, INELIGIBLE),
        ({"age": 18}, LIKELY_ELIGIBLE),
        ({"age": 70}, LIKELY_ELIGIBLE),
        ({"age": 71}, INELIGIBLE),
        ({"bilirubin": Lab(85, "umol/L")}, INELIGIBLE),
        ({"bilirubin": Lab(86, "umol/L")}, LIKELY_ELIGIBLE),
        ({"bilirubin": Lab(4.9, "mg/dL")}, INELIGIBLE),
        ({"bilirubin": Lab(5.0, "mg/dL")}, LIKELY_ELIGIBLE),
        ({"inr": 1.49, "pta": 45}, INELIGIBLE),
        ({"inr": 1.5}, LIKELY_ELIGIBLE),
        ({"inr": 1.49, "pta": 39}, LIKELY_ELIGIBLE),
        ({"inr": 1.2, "pta": 40}, INELIGIBLE),
        ({"platelets": 49}, INELIGIBLE),
        ({"platelets": 50}, LIKELY_ELIGIBLE),
        ({"child_pugh": 9}, LIKELY_ELIGIBLE),
        ({"child_pugh": 10}, INELIGIBLE),
        ({"child_pugh": "B"}, LIKELY_ELIGIBLE),
        ({"child_pugh": "C"}, INELIGIBLE),
        ({"encephalopathy": 1, "ascites": "no"}, LIKELY_ELIGIBLE),
        ({"encephalopathy": 2}, INELIGIBLE),
        ({"encephalopathy": 0, "ascites": "no"}, INELIGIBLE),
        ({"other_trial": Ago(2, "months")}, INELIGIBLE),
        ({"other_trial": Ago(4, "months")}, LIKELY_ELIGIBLE),
        ({"immune_drugs": Ago(2, "weeks")}, INELIGIBLE),
        ({"immune_drugs": Ago(2, "months")}, LIKELY_ELIGIBLE),
        ({"drug_misuse": Ago(4, "years")}, INELIGIBLE),
        ({"drug_misuse": Ago(6, "years")}, LIKELY_ELIGIBLE),
        ({"mental_health": Ago(1, "years")}, INELIGIBLE),
        ({"mental_health": Ago(3, "years")}, LIKELY_ELIGIBLE),
        ({"thrombosis": "yes"}, NEEDS_REVIEW),
        ({"has_lab_results": "no"}, NEEDS_REVIEW),
        ({"child_pugh": "unknown"}, NEEDS_REVIEW),
        ({"allergy": "unknown"}, NEEDS_REVIEW),
        ({"sex": "female", "pregnancy": "yes"}, INELIGIBLE),
        ({"planning_baby": "yes"}, INELIGIBLE),
    ],
)
def test_the_expected_outcome_comes_from_the_engine(changes, outcome):
    assert simulator.expected(case(**changes), TODAY).outcome == outcome


def test_a_person_who_stops_is_expected_incomplete_but_judged_on_the_facts():
    stops = Case("t", {**BASE, "age": 71}, behaviours=(Stop(after=1),))
    want = simulator.expected(stops, TODAY)
    assert want.outcome == INCOMPLETE and want.facts_outcome == INELIGIBLE


def test_the_engine_asks_only_what_applies():
    man = simulator.expected(case(), TODAY).questions
    woman = simulator.expected(case(sex="female"), TODAY).questions
    assert "planning_baby" in man and "pregnancy" not in man
    assert "pregnancy" in woman and "planning_baby" not in woman
    assert "pta" not in man  # an INR of 1.8 settles the clotting problem
    no_labs = simulator.expected(case(has_lab_results="no"), TODAY).questions
    assert "bilirubin" not in no_labs


def test_the_normalised_answers_are_what_the_assistant_stores():
    """A fact's normalised form evaluates like the assistant's own interpretation of
    a plain answer to the same question."""
    typed = {
        "age": "45",
        "bilirubin": "171 umol/L",
        "child_pugh": "class B",
        "other_trial": "never",
        "immune_drugs": "2 months ago",
        "encephalopathy": "0",
    }
    facts = {
        "age": 45,
        "bilirubin": Lab(171, "umol/L"),
        "child_pugh": "B",
        "other_trial": "never",
        "immune_drugs": Ago(2, "months"),
        "encephalopathy": 0,
    }
    from bot.screening.conversation import interpret

    for fact, text in typed.items():
        ours = simulator.normalised(fact, facts[fact], TODAY)
        theirs = interpret(TRIAL, TRIAL.question(fact), text, TODAY)
        if fact == "immune_drugs":  # an interval around the day: same verdict
            assert (
                evaluate(TRIAL, {fact: ours}, TODAY).result("exc_immune_drugs").verdict
                == evaluate_state(TRIAL, {fact: {"value": theirs.value}}, TODAY)
                .result("exc_immune_drugs")
                .verdict
            )
        else:
            assert ours.value == theirs.value, fact


def test_there_are_enough_cases_on_both_sides_of_every_outcome():
    cases = all_cases()
    assert len(cases) >= 60
    outcomes = {simulator.expected(c).outcome for c in cases}
    assert outcomes == {LIKELY_ELIGIBLE, NEEDS_REVIEW, INELIGIBLE, INCOMPLETE}
    assert sum(c.respondent == "caregiver" for c in cases) >= 8
    ids = {c.id for c in cases}
    assert {cid for cid, _ in SAMPLE} <= ids


# --------------------------------------------------------------------------- #
# Recognising the questions
# --------------------------------------------------------------------------- #


def _question_replies(
    fact: str, respondent: str, relation: str | None, retry: bool = False
) -> list[dict]:
    evaluation = evaluate_state(TRIAL, {}, TODAY)
    msg = question_message(
        TRIAL,
        TRIAL.question(fact),
        evaluation,
        respondent=respondent,
        relation=relation,
        retry=retry,
    )
    rendered = render(msg["key"], **{k: v for k, v in msg.items() if k != "key"})
    return [
        {
            "text": rendered["text"],
            "buttons": question_buttons(TRIAL, TRIAL.question(fact)),
        }
    ]


@pytest.mark.parametrize("fact", [q.id for q in TRIAL.questions])
@pytest.mark.parametrize(
    ("respondent", "relation"),
    [
        ("self", None),
        ("caregiver", "father"),
        ("caregiver", "wife"),
        ("caregiver", None),
    ],
)
def test_every_question_is_recognised_in_every_wording(fact, respondent, relation):
    assert simulator.pending(_question_replies(fact, respondent, relation)) == fact
    retry = _question_replies(fact, respondent, relation, retry=True)
    assert simulator.pending(retry) == fact


def test_the_last_question_asked_is_the_pending_one():
    replies = [
        {"text": "Thank you, I have changed your answer about the age."},
        *_question_replies("ascites", "self", None),
    ]
    assert simulator.pending(replies) == "ascites"
    assert simulator.pending([{"text": "It was nice talking to you."}]) is None


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("ask_screening_consent", "start"),
        ("ask_respondent", "respondent"),
        ("ask_share_consent", "share"),
        ("ask_contact_name", "name"),
        ("ask_contact_phone", "phone"),
        ("invalid_phone", "phone"),
        ("ask_contact_email", "email"),
        ("ask_best_time", "best_time"),
        ("ask_contact_confirmed", "confirm"),
    ],
)
def test_the_fixed_questions_are_recognised(key, name):
    text = render(
        key,
        contact_name="Li Wei",
        contact_phone="+8613800138000",
        contact_email="-",
        best_time="mornings",
        site_contact="the team",
    )["text"]
    assert simulator.pending([{"text": text}]) == name


@pytest.mark.parametrize("outcome", [LIKELY_ELIGIBLE, NEEDS_REVIEW, INELIGIBLE])
def test_the_result_message_shows_its_outcome(outcome):
    text = render(
        f"result_{outcome}",
        final_decision="",
        review_items="- x",
        reasons="- y",
        site_contact="the team",
    )["text"]
    assert simulator.shown_outcome([{"text": text}]) == outcome


def test_a_player_answers_from_the_facts_in_its_style():
    """A scripted assistant that asks age then bilirubin then shows a result."""
    script = iter(
        [
            _question_replies("age", "self", None),
            _question_replies("bilirubin", "self", None),
            [
                {
                    "text": render(
                        "result_ineligible", reasons="- age", site_contact="x"
                    )["text"]
                }
            ],
        ]
    )
    sent: list[str] = []

    def say(sender, text):
        sent.append(text)
        return next(script)

    the_case = Case("p", {**BASE, "bilirubin": Lab(10.5, "mg/dL")})
    played = simulator.Player(the_case, "messy", say).play()
    assert played.shown == INELIGIBLE and played.finished
    assert sent[1] in {"fourty five", "45yo", "45 yrs"}
    assert "10.5" in sent[2]
    assert played.repeats == 0 and played.max_consecutive == 1


def test_repeats_are_counted_as_consecutive_asks():
    script = iter([_question_replies("age", "self", None)] * 5 + [[{"text": "bye"}]])
    played = simulator.Player(
        case(), "terse", lambda s, t: next(script), max_turns=5
    ).play()
    assert played.capped and played.never_finished
    assert played.repeats == 4 and played.max_consecutive == 5


def test_the_phrases_were_never_trained_on():
    trained = "\n".join(
        p.read_text(encoding="utf-8").casefold()
        for p in (ROOT / "data" / "nlu").rglob("*.yml")
    )
    lines = {
        line.strip().lstrip("-").strip().strip("\"'") for line in trained.splitlines()
    }
    voices = [
        sim_phrases.Voice.of("self", None),
        sim_phrases.Voice.of("caregiver", "male"),
        sim_phrases.Voice.of("caregiver", "female"),
    ]
    values = {
        "n": "45",
        "words": "fourty five",
        "unit": "months",
        "unit_short": "mths",
        "value": "1.8",
        "k": "80",
        "lower": "b",
        "relation": "my father",
        "name": "Li Wei",
        "name_lower": "li wei",
    }
    copied = set()
    for phrase in sim_phrases.all_phrases():
        for voice in voices:
            said = phrase.format(**voice.fields(), **values).casefold()
            # One- and two-word answers ("no", "yes", "not sure") are everyone's words.
            if len(said.split()) > 2 and said in lines:
                copied.add(said)
    assert not copied, copied
    # The Chinese banks: anything longer than four characters is a phrasing of ours.
    chinese = {**values, "words": "四十五", "unit": "个月", "unit_short": "个月"}
    chinese.update(
        {"relation": "我爸", "name": "李伟", "name_lower": "李伟", "wan": "8"}
    )
    for phrase in sim_phrases_zh.all_phrases():
        for voice in ("self", "male", "female"):
            v = sim_phrases_zh.Voice.of(
                "self" if voice == "self" else "caregiver", voice
            )
            said = phrase.format(**v.fields(), **chinese).casefold()
            if len(said) > 4 and said in lines:
                copied.add(said)
    assert not copied, copied


# --------------------------------------------------------------------------- #
# The sample, against the running servers
# --------------------------------------------------------------------------- #


@pytest.mark.e2e
def test_the_sample_of_simulated_patients_meets_the_targets(
    sim_servers, sim_reader, tmp_path
):
    played = simulator.run_suite(
        simulator.sample_pairs(), sim_servers.say, sim_reader, concurrency=3
    )
    result = simulator.report(played)
    (tmp_path / "report.json").write_text(json.dumps(result, indent=2, default=str))
    table = simulator.table(result)
    failures = json.dumps(result["failures"], indent=1, default=str)[:6000]
    # The servers really played: every screening got replies.
    assert all(p.turns and p.turns[0].replies for p in played), table
    assert result["passed"], f"{table}\n{failures}"


@pytest.mark.e2e
def test_a_sample_of_simulated_patients_in_chinese_meets_the_targets(
    sim_servers, sim_reader, tmp_path
):
    pairs = [p for p in simulator.sample_pairs() if p[0].id in ZH_SAMPLE]
    played = simulator.run_suite(
        pairs, sim_servers.say, sim_reader, concurrency=3, language="zh"
    )
    result = simulator.report(played)
    (tmp_path / "report-zh.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False, default=str)
    )
    table = simulator.table(result)
    failures = json.dumps(result["failures"], indent=1, ensure_ascii=False, default=str)
    assert all(p.turns and p.turns[0].replies for p in played), table
    assert result["passed"], f"{table}\n{failures[:6000]}"
