"""The eligibility engine, through its public entry point
:func:`bot.screening.engine.evaluate`.

Every test runs on a fixed screening date (``SCREENING``): nothing depends on today.
Most tests start from ``CLEAN``, an answer set that is likely eligible with known lab
values, and change one fact, so each case reads as "this one answer, this outcome".
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Callable, Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.parsing import TimeAgo
from bot.screening.criteria import Question, load_trial
from bot.screening.engine import Answer, Evaluation, evaluate
from bot.vocab import (
    INCOMPLETE,
    INELIGIBLE,
    LIKELY_ELIGIBLE,
    MET,
    NEEDS_REVIEW,
    NOT_ASKED,
    NOT_MET,
    UNKNOWN,
)
from ops import answers

SCREENING = date(2026, 11, 24)
TRIAL = load_trial()

#: Outcomes from worst to best for the person: adding an exclusion must never move up.
RANK = {INELIGIBLE: 0, INCOMPLETE: 1, NEEDS_REVIEW: 2, LIKELY_ELIGIBLE: 3}

DONT_KNOW = object()  # "I don't know" / an answer that stayed unclear
DROP = object()  # remove the fact from the answer set


def on(day: date) -> TimeAgo:
    """An event on one known day."""
    return TimeAgo(never=False, earliest=day, latest=day)


def between(earliest: date, latest: date) -> TimeAgo:
    """An event somewhere between two days (e.g. "last spring")."""
    return TimeAgo(never=False, earliest=earliest, latest=latest)


NEVER = TimeAgo(never=True, earliest=None, latest=None)
NOW = on(SCREENING)

#: Likely eligible, with known lab values (bilirubin in µmol/L, the canonical unit).
CLEAN: dict[str, Any] = {
    fact: NEVER if value == answers.NEVER else value
    for fact, value in answers.likely_facts(sex="female").items()
}
LAB_FACTS = ("bilirubin", "inr", "pta", "platelets", "child_pugh")


def answer(fact_id: str, value: Any) -> Answer:
    """An :class:`Answer` as the dialogue would record it."""
    if value is DONT_KNOW:
        return Answer(fact_id, None, text="I don't know", unknown=True)
    return Answer(fact_id, value, text=str(value))


def answers_from(values: Mapping[str, Any]) -> dict[str, Answer]:
    return {f: answer(f, v) for f, v in values.items() if v is not DROP}


def screen(overrides: Mapping[str, Any] | None = None) -> Evaluation:
    """Evaluate ``CLEAN`` with some facts changed (or dropped with ``DROP``)."""
    values = {**CLEAN, **(overrides or {})}
    return evaluate(TRIAL, answers_from(values), SCREENING)


def verdict(evaluation: Evaluation, criterion_id: str) -> str:
    return evaluation.result(criterion_id).verdict


def deciding(evaluation: Evaluation) -> set[str]:
    return {r.criterion_id for r in evaluation.deciding}


def check_invariants(ev: Evaluation) -> None:
    """What must hold for every evaluation, whatever the answers."""
    judgement = ev.result("exc_investigator_judgement")
    assert judgement.verdict == NOT_ASKED and not judgement.rules_out
    rules_out = [
        r
        for r in ev.results
        if r.criterion.screenable
        and (r.verdict == MET if r.criterion.is_exclusion else r.verdict == NOT_MET)
    ]
    if rules_out:
        assert ev.outcome == INELIGIBLE
        assert ev.next_question is None and ev.remaining == 0
    else:
        assert ev.outcome != INELIGIBLE
    if ev.outcome == LIKELY_ELIGIBLE:
        for r in ev.results:
            if r.criterion.screenable:
                assert r.verdict == (NOT_MET if r.criterion.is_exclusion else MET)
    assert (ev.outcome == INCOMPLETE) == (ev.next_question is not None)


# --- the clean answer set ---------------------------------------------------------


def test_clean_answers_are_likely_eligible() -> None:
    ev = screen()
    assert ev.outcome == LIKELY_ELIGIBLE
    assert ev.next_question is None and ev.remaining == 0 and ev.complete
    assert {c.id: verdict(ev, c.id) for c in TRIAL.inclusions} == {
        c.id: MET for c in TRIAL.inclusions
    }
    assert {c.id: verdict(ev, c.id) for c in TRIAL.exclusions if c.screenable} == {
        c.id: NOT_MET for c in TRIAL.exclusions if c.screenable
    }
    check_invariants(ev)


def test_investigator_judgement_is_never_asked_and_never_decides() -> None:
    for ev in (
        screen(),
        screen({"liver_cancer": "yes"}),
        evaluate(TRIAL, {}, SCREENING),
    ):
        result = ev.result("exc_investigator_judgement")
        assert result.verdict == NOT_ASKED
        assert not result.rules_out
        assert result not in ev.deciding and result not in ev.to_review
        assert result in ev.not_screenable
        assert result.reason == result.criterion.reasons["not_asked"]
    assert screen().outcome == LIKELY_ELIGIBLE


# --- boundaries -------------------------------------------------------------------

BOUNDARIES = [
    # (case, overrides, outcome, criterion, verdict)
    ("age_17", {"age": 17}, INELIGIBLE, "inc_age", NOT_MET),
    ("age_18", {"age": 18}, LIKELY_ELIGIBLE, "inc_age", MET),
    ("age_70", {"age": 70}, LIKELY_ELIGIBLE, "inc_age", MET),
    ("age_71", {"age": 71}, INELIGIBLE, "inc_age", NOT_MET),
    # Bilirubin in µmol/L: 1 mg/dL = 17.1 µmol/L, so 5 mg/dL = 85.5 µmol/L.
    ("bili_4.9mgdl", {"bilirubin": 4.9 * 17.1}, INELIGIBLE, "inc_aclf", NOT_MET),
    ("bili_83.79", {"bilirubin": 83.79}, INELIGIBLE, "inc_aclf", NOT_MET),
    ("bili_5.0mgdl", {"bilirubin": 5.0 * 17.1}, LIKELY_ELIGIBLE, "inc_aclf", MET),
    ("bili_85.5", {"bilirubin": 85.5}, LIKELY_ELIGIBLE, "inc_aclf", MET),
    ("bili_85", {"bilirubin": 85}, INELIGIBLE, "inc_aclf", NOT_MET),
    ("bili_86", {"bilirubin": 86}, LIKELY_ELIGIBLE, "inc_aclf", MET),
    # Coagulopathy: INR >= 1.5 OR PTA < 40; the other test is held on the wrong side.
    ("inr_1.49", {"inr": 1.49, "pta": 50}, INELIGIBLE, "inc_aclf", NOT_MET),
    ("inr_1.5", {"inr": 1.5, "pta": 50}, LIKELY_ELIGIBLE, "inc_aclf", MET),
    ("pta_39", {"pta": 39, "inr": 1.2}, LIKELY_ELIGIBLE, "inc_aclf", MET),
    ("pta_40", {"pta": 40, "inr": 1.2}, INELIGIBLE, "inc_aclf", NOT_MET),
    ("inr_only", {"inr": 1.8, "pta": DONT_KNOW}, LIKELY_ELIGIBLE, "inc_aclf", MET),
    ("pta_only", {"inr": DONT_KNOW, "pta": 35}, LIKELY_ELIGIBLE, "inc_aclf", MET),
    ("platelets_49", {"platelets": 49}, INELIGIBLE, "exc_baseline_labs", MET),
    ("platelets_50", {"platelets": 50}, LIKELY_ELIGIBLE, "exc_baseline_labs", NOT_MET),
    ("child_pugh_9", {"child_pugh": 9}, LIKELY_ELIGIBLE, "exc_baseline_labs", NOT_MET),
    ("child_pugh_10", {"child_pugh": 10}, INELIGIBLE, "exc_baseline_labs", MET),
    # Complication: ascites and/or encephalopathy; encephalopathy grade >= II excludes.
    (
        "he0_ascites",
        {"encephalopathy": 0, "ascites": "yes"},
        LIKELY_ELIGIBLE,
        "inc_aclf",
        MET,
    ),
    (
        "he1_no_ascites",
        {"encephalopathy": 1, "ascites": "no"},
        LIKELY_ELIGIBLE,
        "inc_aclf",
        MET,
    ),
    (
        "he2",
        {"encephalopathy": 2, "ascites": "no"},
        INELIGIBLE,
        "exc_acute_complications",
        MET,
    ),
    ("he3", {"encephalopathy": 3}, INELIGIBLE, "exc_acute_complications", MET),
    ("he4", {"encephalopathy": 4}, INELIGIBLE, "exc_acute_complications", MET),
    ("he1", {"encephalopathy": 1}, LIKELY_ELIGIBLE, "exc_acute_complications", NOT_MET),
    (
        "he0_no_ascites",
        {"encephalopathy": 0, "ascites": "no"},
        INELIGIBLE,
        "inc_aclf",
        NOT_MET,
    ),
]


@pytest.mark.parametrize(
    "overrides, outcome, criterion_id, expected",
    [pytest.param(*case[1:], id=case[0]) for case in BOUNDARIES],
)
def test_boundary(overrides, outcome, criterion_id, expected) -> None:
    ev = screen(overrides)
    assert verdict(ev, criterion_id) == expected
    assert ev.outcome == outcome
    if outcome == INELIGIBLE:
        assert deciding(ev) == {criterion_id}
    check_invariants(ev)


def test_bilirubin_threshold_is_5_mg_per_dl_in_canonical_units() -> None:
    assert 5.0 * 17.1 >= 85.5 > 4.9 * 17.1  # the converted values used above


#: (fact, criterion, the window's edge: the screening date minus one window, in
#: calendar arithmetic). The edge day itself is the window's first day
#: (bot.parsing.window_status); a day before it is outside.
WINDOWS = [
    ("immune_drugs", "exc_immune_drugs", date(2026, 10, 24)),  # 1 month
    ("other_trial", "exc_other_trial", date(2026, 8, 24)),  # 3 months
    ("drug_misuse", "exc_drug_misuse", date(2021, 11, 24)),  # 5 years
    ("mental_health", "exc_mental_health", date(2024, 11, 24)),  # 24 months
]
DAY = timedelta(days=1)
WINDOW_ANSWERS = [
    # (case, the answer as a function of the edge, outcome, verdict)
    ("inside", lambda edge: on(edge + DAY), INELIGIBLE, MET),
    ("edge_day", lambda edge: on(edge), INELIGIBLE, MET),  # the window's first day
    ("outside", lambda edge: on(edge - DAY), LIKELY_ELIGIBLE, NOT_MET),
    (
        "straddling",
        lambda e: between(e - 10 * DAY, e + 10 * DAY),
        NEEDS_REVIEW,
        UNKNOWN,
    ),
    ("wide_inside", lambda edge: between(edge + DAY, SCREENING), INELIGIBLE, MET),
    ("now", lambda edge: NOW, INELIGIBLE, MET),
    ("never", lambda edge: NEVER, LIKELY_ELIGIBLE, NOT_MET),
    ("dont_know", lambda edge: DONT_KNOW, NEEDS_REVIEW, UNKNOWN),
]


@pytest.mark.parametrize(
    "when, outcome, expected", [pytest.param(*c[1:], id=c[0]) for c in WINDOW_ANSWERS]
)
@pytest.mark.parametrize(
    "fact, criterion_id, edge", WINDOWS, ids=[w[0] for w in WINDOWS]
)
def test_time_window(fact, criterion_id, edge, when, outcome, expected) -> None:
    ev = screen({fact: when(edge)})
    assert verdict(ev, criterion_id) == expected
    assert ev.outcome == outcome
    if outcome == INELIGIBLE:
        assert deciding(ev) == {criterion_id}
    if outcome == NEEDS_REVIEW:
        assert [r.criterion_id for r in ev.to_review] == [criterion_id]
    check_invariants(ev)


def test_windows_in_the_criteria_file_are_the_listing_windows() -> None:
    rules = {c.id: c.rule for c in TRIAL.criteria}
    assert rules["exc_immune_drugs"]["within"] == {"months": 1}
    assert rules["exc_drug_misuse"]["within"] == {"years": 5}
    assert rules["exc_mental_health"]["within"] == {"months": 24}
    other_trial = {"fact": "other_trial", "within": {"months": 3}}
    assert other_trial in rules["exc_other_trial"]["any"]


@pytest.mark.parametrize(
    "stored, expected",
    [
        ({"never": False, "earliest": "2026-11-10", "latest": "2026-11-10"}, MET),
        ({"never": False, "earliest": "2026-09-01", "latest": "2026-09-30"}, NOT_MET),
        ({"never": True, "earliest": None, "latest": None}, NOT_MET),
        ({"never": False, "earliest": "not a date", "latest": None}, UNKNOWN),
        ("two weeks ago", UNKNOWN),
    ],
)
def test_time_ago_in_its_stored_json_form(stored, expected) -> None:
    ev = screen({"immune_drugs": stored})
    assert verdict(ev, "exc_immune_drugs") == expected


# --- outcomes ---------------------------------------------------------------------

SINGLE_EXCLUSIONS = [
    ("liver_transplant", "yes", "exc_transplant"),
    ("stem_cell_therapy", "yes", "exc_other_trial"),
    ("liver_cancer", "yes", "exc_cancer"),
    ("gi_bleeding", "yes", "exc_acute_complications"),
    ("kidney_injury", "yes", "exc_acute_complications"),
    ("infection", "yes", "exc_acute_complications"),
    ("encephalopathy", 2, "exc_acute_complications"),
    ("pregnancy", "yes", "exc_pregnancy"),
    ("other_trial", NOW, "exc_other_trial"),
    ("immune_drugs", NOW, "exc_immune_drugs"),
    ("organ_disease", "yes", "exc_organ_disease"),
    ("allergy", "yes", "exc_allergy"),
    ("alcohol_withdrawal", "yes", "exc_alcohol_withdrawal"),
    ("drug_misuse", NOW, "exc_drug_misuse"),
    ("mental_health", NOW, "exc_mental_health"),
    ("platelets", 30, "exc_baseline_labs"),
    ("child_pugh", 12, "exc_baseline_labs"),
]


@pytest.mark.parametrize("fact, value, criterion_id", SINGLE_EXCLUSIONS)
def test_single_exclusion_makes_ineligible(fact, value, criterion_id) -> None:
    ev = screen({fact: value})
    assert ev.outcome == INELIGIBLE
    assert deciding(ev) == {criterion_id}
    assert (
        ev.result(criterion_id).reason == ev.result(criterion_id).criterion.reasons[MET]
    )
    check_invariants(ev)


def test_every_screenable_exclusion_is_covered_above() -> None:
    covered = {c for _, _, c in SINGLE_EXCLUSIONS}
    assert covered == {c.id for c in TRIAL.exclusions if c.screenable} - {
        "exc_thrombosis"
    }


def test_man_planning_a_baby_is_ineligible() -> None:
    ev = screen({"sex": "male", "pregnancy": DROP, "planning_baby": "yes"})
    assert ev.outcome == INELIGIBLE
    assert deciding(ev) == {"exc_pregnancy"}


@pytest.mark.parametrize(
    "overrides, criterion_id",
    [
        ({"age": 80}, "inc_age"),
        ({"consent": "no"}, "inc_consent"),
        ({"ascites": "no", "encephalopathy": 0}, "inc_aclf"),
    ],
)
def test_single_inclusion_failure_makes_ineligible(overrides, criterion_id) -> None:
    ev = screen(overrides)
    assert ev.outcome == INELIGIBLE
    assert deciding(ev) == {criterion_id}


@pytest.mark.parametrize("value", ["yes", "unsure", DONT_KNOW])
def test_past_thrombosis_goes_to_review_never_ineligible(value) -> None:
    ev = screen({"thrombosis": value})
    assert ev.outcome == NEEDS_REVIEW
    assert verdict(ev, "exc_thrombosis") == UNKNOWN
    assert [r.criterion_id for r in ev.to_review] == ["exc_thrombosis"]


def test_no_lab_results_goes_to_review() -> None:
    ev = screen({"has_lab_results": "no", **{f: DROP for f in LAB_FACTS}})
    assert ev.outcome == NEEDS_REVIEW
    assert verdict(ev, "inc_aclf") == UNKNOWN
    assert verdict(ev, "exc_baseline_labs") == UNKNOWN
    assert ev.next_question is None


@pytest.mark.parametrize("value", ["no", "unsure", DONT_KNOW])
def test_chronic_liver_disease_not_confirmed_goes_to_review(value) -> None:
    # Chronic liver disease may be undiagnosed: "no" cannot rule anyone out.
    ev = screen({"chronic_liver_disease": value})
    assert ev.outcome == NEEDS_REVIEW
    assert verdict(ev, "inc_aclf") == UNKNOWN


@pytest.mark.parametrize(
    "labs",
    [
        pytest.param(
            {"has_lab_results": "no", **{f: DROP for f in LAB_FACTS}}, id="no-labs"
        ),
        pytest.param({"bilirubin": DONT_KNOW}, id="bilirubin-unknown"),
    ],
)
def test_no_jaundice_and_no_bilirubin_value_is_ineligible(labs) -> None:
    ev = screen({"jaundice": "no", **labs})
    assert ev.outcome == INELIGIBLE
    assert verdict(ev, "inc_aclf") == NOT_MET
    assert deciding(ev) == {"inc_aclf"}


def test_a_lab_value_overturns_a_symptom_report() -> None:
    """By design: the bilirubin value outranks "no yellowing" (first_known)."""
    symptoms_only = screen({"jaundice": "no", "bilirubin": DONT_KNOW})
    assert verdict(symptoms_only, "inc_aclf") == NOT_MET
    assert symptoms_only.outcome == INELIGIBLE

    with_lab = screen({"jaundice": "no", "bilirubin": 171})
    assert verdict(with_lab, "inc_aclf") == MET
    assert with_lab.outcome == LIKELY_ELIGIBLE

    low_lab = screen({"jaundice": "yes", "bilirubin": 40})
    assert verdict(low_lab, "inc_aclf") == NOT_MET


def test_visible_jaundice_without_bilirubin_needs_review() -> None:
    ev = screen({"jaundice": "yes", "bilirubin": DONT_KNOW})
    assert ev.outcome == NEEDS_REVIEW
    assert verdict(ev, "inc_aclf") == UNKNOWN


def test_empty_answers_are_incomplete_and_start_with_age() -> None:
    ev = evaluate(TRIAL, {}, SCREENING)
    assert ev.outcome == INCOMPLETE
    assert ev.next_question is not None and ev.next_question.id == "age"
    assert ev.answered == 0 and ev.remaining > 0
    assert not ev.deciding
    check_invariants(ev)


def test_answers_as_an_iterable_and_unknown_facts_are_ignored() -> None:
    answers = [*answers_from(CLEAN).values(), Answer("shoe_size", 44)]
    ev = evaluate(TRIAL, answers, SCREENING)
    assert ev.outcome == LIKELY_ELIGIBLE
    assert ev.answered == len(CLEAN)


# --- flow -------------------------------------------------------------------------


def simulate(pick: Callable[[Question], Any], start: Mapping[str, Any] | None = None):
    """Answer the engine's questions in its own order until it stops asking.

    Returns the ids asked, in order, and the final evaluation. Fails the test when the
    engine repeats a question, asks out of the file's order, or asks more questions
    than there are facts.
    """
    answers = answers_from(start or {})
    asked: list[str] = []
    for _ in range(len(TRIAL.questions) + 1):
        ev = evaluate(TRIAL, answers, SCREENING)
        check_invariants(ev)
        question = ev.next_question
        if question is None:
            assert ev.remaining == 0
            assert ev.outcome != INCOMPLETE
            return asked, ev
        assert question.id not in answers, f"asked {question.id} twice"
        assert question.id in ev.open_facts
        # No open, unanswered question without a condition comes earlier in the file.
        for other in TRIAL.questions:
            if other.id in ev.open_facts and other.applies_if is None:
                assert other.order >= question.order, (question.id, other.id)
        if asked:
            assert question.order > TRIAL.question(asked[-1]).order, (
                asked,
                question.id,
            )
        asked.append(question.id)
        answers[question.id] = answer(question.id, pick(question))
    pytest.fail(f"more than {len(TRIAL.questions)} questions: {asked}")


def from_values(
    values: Mapping[str, Any], default: Any = "no"
) -> Callable[[Question], Any]:
    return lambda q: values.get(q.id, default)


def typed_default(kind: str) -> Callable[[Question], Any]:
    """One default answer per question type: 'low' (reassuring), 'high', 'unknown'."""

    def pick(q: Question) -> Any:
        if kind == "unknown":
            return "unsure" if q.type == "yes_no" else DONT_KNOW
        low = kind == "low"
        if q.type == "yes_no":
            return "no" if low else "yes"
        if q.type == "choice":
            return q.choices[0 if low else -1].value
        if q.type == "time_ago":
            return NEVER if low else NOW
        return {"age": 50}.get(q.id, 0 if low else 1000)

    return pick


CLEAN_SEQUENCE = [
    "age", "liver_transplant", "stem_cell_therapy", "liver_cancer",
    "chronic_liver_disease", "jaundice", "ascites", "encephalopathy", "gi_bleeding",
    "kidney_injury", "infection", "sex", "pregnancy", "other_trial", "immune_drugs",
    "organ_disease", "thrombosis", "allergy", "alcohol_withdrawal", "drug_misuse",
    "mental_health", "has_lab_results", "bilirubin", "inr", "platelets", "child_pugh",
    "consent",
]  # fmt: skip


def test_clean_conversation_follows_the_file_order() -> None:
    asked, ev = simulate(from_values(CLEAN))
    # jaundice is not needed once bilirubin is known; PTA not once INR >= 1.5.
    assert asked == CLEAN_SEQUENCE
    orders = [TRIAL.question(f).order for f in asked]
    assert orders == sorted(orders)
    assert ev.outcome == LIKELY_ELIGIBLE


def test_without_labs_no_lab_question_is_asked() -> None:
    asked, ev = simulate(from_values({**CLEAN, "has_lab_results": "no"}))
    assert not set(asked) & set(LAB_FACTS)
    assert asked[-2:] == ["has_lab_results", "consent"]
    assert ev.outcome == NEEDS_REVIEW


@pytest.mark.parametrize(
    "labs, outcome",
    [
        pytest.param({"bilirubin": 171}, LIKELY_ELIGIBLE, id="bilirubin-high"),
        pytest.param({"bilirubin": DONT_KNOW}, INELIGIBLE, id="bilirubin-unknown"),
        pytest.param({"has_lab_results": "no"}, INELIGIBLE, id="no-labs"),
    ],
)
def test_no_yellowing_waits_for_the_bilirubin_question(labs, outcome) -> None:
    """A "no" to the yellowing question does not end the screening while a bilirubin
    value can still settle jaundice; it decides only when no value comes."""
    asked, ev = simulate(from_values({**CLEAN, "jaundice": "no", **labs}))
    assert asked.index("jaundice") < asked.index("has_lab_results")
    assert "has_lab_results" in asked
    assert ev.outcome == outcome
    if outcome == INELIGIBLE:
        assert deciding(ev) == {"inc_aclf"}


@pytest.mark.parametrize(
    "sex, asks, never_asks",
    [
        ("male", "planning_baby", "pregnancy"),
        ("female", "pregnancy", "planning_baby"),
        ("other", "pregnancy", "planning_baby"),
    ],
)
def test_pregnancy_questions_follow_sex(sex, asks, never_asks) -> None:
    asked, _ = simulate(from_values({**CLEAN, "sex": sex}))
    assert asks in asked and never_asks not in asked
    assert asked.index("sex") < asked.index(asks)


def test_sex_is_asked_before_any_pregnancy_question() -> None:
    answers = answers_from({f: v for f, v in CLEAN.items() if f != "sex"})
    for fact in ("pregnancy", "planning_baby"):
        answers.pop(fact, None)
    ev = evaluate(TRIAL, answers, SCREENING)
    assert ev.next_question is not None and ev.next_question.id == "sex"


@pytest.mark.parametrize(
    "start",
    [
        pytest.param({"liver_transplant": "yes"}, id="exclusion"),
        pytest.param({"age": 16}, id="inclusion"),
        pytest.param({"age": 50, "encephalopathy": 3}, id="exclusion-late-fact"),
    ],
)
def test_a_definite_exclusion_ends_the_questions(start) -> None:
    ev = evaluate(TRIAL, answers_from(start), SCREENING)
    assert ev.outcome == INELIGIBLE
    assert ev.next_question is None and ev.complete
    assert ev.remaining == 0


def test_conversation_stops_at_the_first_definite_exclusion() -> None:
    asked, ev = simulate(from_values({**CLEAN, "liver_cancer": "yes"}))
    assert asked == CLEAN_SEQUENCE[: CLEAN_SEQUENCE.index("liver_cancer") + 1]
    assert ev.outcome == INELIGIBLE


@pytest.mark.parametrize("kind", ["low", "high", "unknown"])
def test_conversation_terminates_with_a_default_answer_per_type(kind) -> None:
    asked, ev = simulate(typed_default(kind))
    assert len(asked) <= len(TRIAL.questions)
    if kind == "unknown":
        assert ev.outcome == NEEDS_REVIEW


# --- property-based -----------------------------------------------------------------

#: Plausible ranges (canonical units) and the thresholds of the criteria.
NUMBER_VALUES = {
    "age": (0, 110, [17, 18, 70, 71]),
    "bilirubin": (0, 900, [85, 85.5, 86, 4.9 * 17.1, 5.0 * 17.1]),
    "inr": (0.5, 10, [1.49, 1.5]),
    "pta": (0, 150, [39, 40]),
    "platelets": (0, 800, [49, 50]),
    "child_pugh": (5, 15, [9, 10]),
}


def known_value(question: Question) -> st.SearchStrategy:
    """A valid, definite value for a question, in its canonical form."""
    if question.type == "yes_no":
        return st.sampled_from(["yes", "no"])
    if question.type == "choice":
        return st.sampled_from([c.value for c in question.choices])
    if question.type == "number":
        low, high, edges = NUMBER_VALUES.get(question.id, (0, 1000, []))
        return st.one_of(
            st.floats(low, high, allow_nan=False),
            st.integers(int(low), int(high)),
            st.sampled_from(edges or [low]),
        )
    days_ago = st.integers(0, 3650)
    spans = st.tuples(days_ago, st.integers(0, 400)).map(
        lambda t: between(
            SCREENING - timedelta(days=t[0] + t[1]), SCREENING - timedelta(t[0])
        )
    )
    stored = spans.map(
        lambda t: {
            "never": False,
            "earliest": t.earliest.isoformat(),
            "latest": t.latest.isoformat(),
        }
    )
    return st.one_of(st.just(NEVER), spans, stored)


def unknown_value(question: Question) -> st.SearchStrategy:
    """An answer that does not settle the fact."""
    options = [DONT_KNOW] + (["unsure"] if question.type == "yes_no" else [])
    return st.sampled_from(options)


def answer_sets(only_unknown: bool = False) -> st.SearchStrategy:
    """Partial answer sets: each fact absent, unknown, or a random valid value."""
    return st.fixed_dictionaries(
        {},
        optional={
            q.id: unknown_value(q)
            if only_unknown
            else st.one_of(unknown_value(q), known_value(q))
            for q in TRIAL.questions
        },
    )


def run(values: Mapping[str, Any]) -> Evaluation:
    return evaluate(TRIAL, answers_from(values), SCREENING)


PROPERTY = settings(max_examples=100, deadline=None)


@PROPERTY
@given(answer_sets())
def test_property_a_definite_failure_is_never_likely_eligible(values) -> None:
    ev = run(values)  # (5) never raises
    check_invariants(ev)  # (1) and the investigator's judgement


@PROPERTY
@given(answer_sets())
def test_property_adding_an_exclusion_never_improves_the_outcome(values) -> None:
    before = run(values)
    after = run({**values, "liver_cancer": "yes"})
    assert after.outcome == INELIGIBLE
    assert RANK[after.outcome] <= RANK[before.outcome]
    assert "exc_cancer" in deciding(after)


@PROPERTY
@given(answer_sets(), st.sampled_from(TRIAL.questions), st.data())
def test_property_a_known_answer_never_loses_a_definite_exclusion(
    values, question, data
):
    value = data.draw(known_value(question), label="known value")
    before = run({**values, question.id: data.draw(unknown_value(question))})
    after = run({**values, question.id: value})
    for b, a in zip(before.results, after.results, strict=True):
        if b.criterion.is_exclusion and b.verdict == MET:
            assert a.verdict == MET, (b.criterion_id, question.id, value)
        if (
            not b.criterion.is_exclusion
            and b.verdict == NOT_MET
            and a.verdict != NOT_MET
        ):
            # Only the lab value (or its gate) can overturn "no yellowing": by design.
            assert b.criterion_id == "inc_aclf"
            assert question.id in ("bilirubin", "has_lab_results")
    if before.outcome == INELIGIBLE and any(
        r.criterion.is_exclusion for r in before.deciding
    ):
        assert after.outcome == INELIGIBLE


@PROPERTY
@given(answer_sets(only_unknown=True))
def test_property_unknown_answers_alone_never_make_ineligible(values) -> None:
    ev = run(values)
    assert ev.outcome != INELIGIBLE
    assert not ev.deciding


def test_all_facts_unknown_is_needs_review() -> None:
    ev = run({q.id: DONT_KNOW for q in TRIAL.questions})
    assert ev.outcome == NEEDS_REVIEW
    assert ev.next_question is None


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_property_any_conversation_terminates(data) -> None:
    def pick(question: Question) -> Any:
        return data.draw(
            st.one_of(unknown_value(question), known_value(question)), label=question.id
        )

    asked, _ = simulate(pick)
    assert len(asked) <= len(TRIAL.questions)
    assert len(set(asked)) == len(asked)


# --- regressions: bugs found by these tests, fixed in bot/screening/engine.py -------


def test_unknown_sex_never_silently_passes_the_pregnancy_exclusion() -> None:
    ev = screen({"sex": DONT_KNOW, "pregnancy": DROP})
    assert verdict(ev, "exc_pregnancy") != NOT_MET
    assert ev.outcome != LIKELY_ELIGIBLE


def test_unsure_about_lab_results_still_asks_for_the_labs() -> None:
    ev = screen({"has_lab_results": "unsure", **{f: DROP for f in LAB_FACTS}})
    assert ev.next_question is not None and ev.next_question.id == "bilirubin"


def test_unsure_about_lab_results_does_not_rule_out_before_asking_bilirubin() -> None:
    values = {"age": 45, "jaundice": "no", "has_lab_results": "unsure"}
    ev = evaluate(TRIAL, answers_from(values), SCREENING)
    assert ev.outcome != INELIGIBLE
    assert ev.next_question is not None
