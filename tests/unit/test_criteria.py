"""The criteria file against the registry listing, and the loader's schema check.

The listing (``tests/fixtures/trial-listing.txt``, the registry page as text) is the
source the criteria file copies; these tests keep the two in step, criterion by
criterion, and prove that a malformed criteria file is refused loudly, naming the
entry at fault.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Callable

import pytest
import yaml
from support import FIXTURES

from bot.screening.criteria import (
    DEFAULT_TRIAL_FILE,
    YES_NO_VALUES,
    CriteriaError,
    Question,
    load_trial,
    load_trial_file,
    parse_trial,
)

LISTING_FILE = FIXTURES / "trial-listing.txt"

#: The stable id of every criterion, by registry number. Ids are part of the
#: project's interface (database rows, exports, the console): changing one is a
#: migration, not a rename.
INCLUSION_IDS = {
    1: "inc_age",
    2: "inc_aclf",
    3: "inc_consent",
}
EXCLUSION_IDS = {
    1: "exc_acute_complications",
    2: "exc_baseline_labs",
    3: "exc_cancer",
    4: "exc_transplant",
    5: "exc_organ_disease",
    6: "exc_thrombosis",
    7: "exc_pregnancy",
    8: "exc_allergy",
    9: "exc_immune_drugs",
    10: "exc_drug_misuse",
    11: "exc_alcohol_withdrawal",
    12: "exc_mental_health",
    13: "exc_other_trial",
    14: "exc_investigator_judgement",
}


# --- the registry listing ---------------------------------------------------------


def normalise(text: str) -> str:
    """Registry wording in comparable form: markdown escapes undone, spaces collapsed.

    The listing escapes characters the way a markdown export does (``PLT\\<50×10\\^9/L``
    stands for ``PLT<50×10^9/L``).
    """
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!<>^|~])", r"\1", text)
    return " ".join(text.split())


def parse_listing(text: str) -> dict[str, dict[int, str]]:
    """The numbered criteria of the listing: ``{"inclusion": {1: text}, ...}``."""
    sections: dict[str, dict[int, str]] = {"inclusion": {}, "exclusion": {}}
    current: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if re.fullmatch(r"-\s*Inclusion Criteria:", stripped):
            current = "inclusion"
            continue
        if re.fullmatch(r"-\s*Exclusion Criteria:", stripped):
            current = "exclusion"
            continue
        match = re.fullmatch(r"-\s*•\s*(\d+)\.\s*(.*)", stripped)
        if match and current:
            sections[current][int(match.group(1))] = normalise(match.group(2))
        elif current and sections[current]:
            current = None  # the numbered list has ended
    return sections


@pytest.fixture(scope="module")
def listing() -> dict[str, dict[int, str]]:
    """The listing's criteria (a copy kept in tests/fixtures)."""
    return parse_listing(LISTING_FILE.read_text(encoding="utf-8"))


def test_listing_parser_undoes_markdown_escapes() -> None:
    assert normalise(r"PLT\<50×10\^9/L or  Child-Pugh score\>9;") == (
        "PLT<50×10^9/L or Child-Pugh score>9;"
    )


def test_listing_has_3_inclusion_and_14_exclusion_criteria(listing) -> None:
    assert sorted(listing["inclusion"]) == [1, 2, 3]
    assert sorted(listing["exclusion"]) == list(range(1, 15))


def test_criteria_file_has_exactly_the_listing_criteria() -> None:
    trial = load_trial()
    numbers = {
        kind: sorted(c.number for c in trial.criteria if c.kind == kind)
        for kind in ("inclusion", "exclusion")
    }
    assert numbers == {"inclusion": [1, 2, 3], "exclusion": list(range(1, 15))}
    assert {c.number: c.id for c in trial.inclusions} == INCLUSION_IDS
    assert {c.number: c.id for c in trial.exclusions} == EXCLUSION_IDS
    # Registry order in the file: inclusions 1..3, then exclusions 1..14.
    assert [c.id for c in trial.criteria] == [
        *INCLUSION_IDS.values(),
        *EXCLUSION_IDS.values(),
    ]


@pytest.mark.parametrize(
    "kind, number, criterion_id",
    [("inclusion", n, i) for n, i in INCLUSION_IDS.items()]
    + [("exclusion", n, i) for n, i in EXCLUSION_IDS.items()],
)
def test_registry_text_matches_listing(listing, kind, number, criterion_id) -> None:
    criterion = load_trial().criterion(criterion_id)
    assert (criterion.kind, criterion.number) == (kind, number)
    assert normalise(criterion.registry_text) == listing[kind][number]


# --- question wording -------------------------------------------------------------


@pytest.mark.parametrize("question", load_trial().questions, ids=lambda q: q.id)
def test_question_has_self_and_caregiver_wording(question: Question) -> None:
    assert question.ask_self.strip() and question.ask_caregiver.strip()
    assert question.ask_self != question.ask_caregiver
    assert "{" not in question.ask_self, "self wording must not name a placeholder"
    assert question.text_for("self") == question.ask_self
    assert question.text_for(None) == question.ask_self

    # A relative is asked about the patient, never about themselves.
    assert (
        "{patient}" in question.ask_caregiver or "{Patient}" in question.ask_caregiver
    )
    worded = question.text_for("caregiver", "your father")
    assert "{" not in worded and "}" not in worded
    assert "your father" in worded.lower()
    assert "the patient" in question.text_for("caregiver").lower()


def test_caregiver_wording_capitalises_patient_at_sentence_start() -> None:
    question = Question(
        id="x",
        order=1,
        label="x",
        type="yes_no",
        ask_self="Are you well?",
        ask_caregiver="{Patient} is well? Is {patient} well?",
        example="e",
        why="w",
    )
    assert question.text_for("caregiver", "your father") == (
        "Your father is well? Is your father well?"
    )
    assert question.text_for("caregiver") == "The patient is well? Is the patient well?"


# --- the schema check -------------------------------------------------------------


@pytest.fixture(scope="module")
def pristine() -> dict[str, Any]:
    """The criteria file as parsed YAML (never mutated: tests take deep copies)."""
    return yaml.safe_load(DEFAULT_TRIAL_FILE.read_text(encoding="utf-8"))


def _criterion(data: dict[str, Any], criterion_id: str) -> dict[str, Any]:
    return next(c for c in data["criteria"] if c["id"] == criterion_id)


def _question(data: dict[str, Any], question_id: str) -> dict[str, Any]:
    return next(q for q in data["questions"] if q["id"] == question_id)


def _missing_registry_text(d):
    del _criterion(d, "exc_cancer")["registry_text"]


def _unknown_fact(d):
    _criterion(d, "exc_cancer")["rule"] = {"fact": "tumour", "equals": "yes"}


def _unsure_true(d):
    _criterion(d, "exc_thrombosis")["rule"]["map"]["unsure"] = True


def _unsure_false(d):
    _criterion(d, "inc_consent")["rule"]["map"]["unsure"] = False


def _unknown_means(d):
    _criterion(d, "exc_allergy")["unknown_means"] = "pass"


def _duplicate_question(d):
    twin = copy.deepcopy(_question(d, "allergy"))
    twin["order"] = 181
    d["questions"].append(twin)


def _duplicate_order(d):
    _question(d, "planning_baby")["order"] = 130  # same as pregnancy


def _unused_question(d):
    twin = copy.deepcopy(_question(d, "allergy"))
    twin.update(id="shoe_size", order=999)
    d["questions"].append(twin)


def _number_without_parser(d):
    del _question(d, "age")["parser"]


def _within_on_yes_no(d):
    _criterion(d, "exc_cancer")["rule"] = {
        "fact": "liver_cancer",
        "within": {"months": 3},
    }


def _inclusion_with_exc_prefix(d):
    _criterion(d, "inc_consent")["kind"] = "exclusion"


def _exclusion_with_inc_prefix(d):
    _criterion(d, "exc_allergy")["id"] = "inc_allergy"


def _unknown_fact_in_applies_if(d):
    _question(d, "pregnancy")["applies_if"] = {"fact": "gender", "in": ["female"]}


def _unknown_question_key(d):
    _question(d, "age")["entities"] = ["age"]


def _entity_named_twice(d):
    _question(d, "inr")["entity"] = "pta"


def _otherwise_dangling(d):
    _question(d, "pregnancy")["otherwise"] = "fatherhood"


def _otherwise_on_a_question_that_always_applies(d):
    _question(d, "allergy")["otherwise"] = "planning_baby"


#: (case id, how to break the file, a word the message must contain, the entry's id)
MALFORMED: list[tuple[str, Callable[[dict], None], str, str]] = [
    ("missing_registry_text", _missing_registry_text, "registry_text", "exc_cancer"),
    ("unknown_fact_in_rule", _unknown_fact, "tumour", "exc_cancer"),
    ("unsure_mapped_to_true", _unsure_true, "unsure", "exc_thrombosis"),
    ("unsure_mapped_to_false", _unsure_false, "unsure", "inc_consent"),
    ("unknown_means_not_staff_review", _unknown_means, "staff_review", "exc_allergy"),
    ("duplicate_question_id", _duplicate_question, "twice", "allergy"),
    ("duplicate_order", _duplicate_order, "order", "planning_baby"),
    ("unused_question", _unused_question, "shoe_size", "shoe_size"),
    ("number_without_parser", _number_without_parser, "parser", "age"),
    ("within_on_yes_no_fact", _within_on_yes_no, "within", "exc_cancer"),
    ("inclusion_kind_exc_prefix", _inclusion_with_exc_prefix, "prefix", "inc_consent"),
    ("exclusion_kind_inc_prefix", _exclusion_with_inc_prefix, "prefix", "inc_allergy"),
    ("unknown_fact_in_applies_if", _unknown_fact_in_applies_if, "gender", "pregnancy"),
    ("unknown_question_key", _unknown_question_key, "entities", "age"),
    ("entity_named_twice", _entity_named_twice, "pta", "inr"),
    ("otherwise_dangling", _otherwise_dangling, "fatherhood", "pregnancy"),
    (
        "otherwise_always_applies",
        _otherwise_on_a_question_that_always_applies,
        "always applies",
        "allergy",
    ),
]

#: Cases whose message locates the entry only by its list position, or not at all.
NAMES_ENTRY_BY_POSITION_ONLY = {
    "missing_registry_text": "criteria/5",
    "unknown_means_not_staff_review": "criteria/10",
}


def test_shipped_criteria_file_is_valid(pristine) -> None:
    trial = parse_trial(copy.deepcopy(pristine))
    assert trial.id == "aclf-ucmsc-302"
    assert len(trial.questions) == len(pristine["questions"])


@pytest.mark.parametrize(
    "breaker, keyword", [pytest.param(b, k, id=c) for c, b, k, _ in MALFORMED]
)
def test_malformed_file_is_refused_loudly(pristine, breaker, keyword) -> None:
    broken = copy.deepcopy(pristine)
    breaker(broken)
    with pytest.raises(CriteriaError) as excinfo:
        parse_trial(broken)
    assert keyword in str(excinfo.value)


@pytest.mark.parametrize(
    "case, breaker, entry",
    [
        pytest.param(
            c,
            b,
            e,
            id=c,
        )
        for c, b, _, e in MALFORMED
    ],
)
def test_malformed_file_message_names_the_entry(pristine, case, breaker, entry) -> None:
    broken = copy.deepcopy(pristine)
    breaker(broken)
    with pytest.raises(CriteriaError) as excinfo:
        parse_trial(broken)
    assert re.search(rf"\b{re.escape(entry)}\b", str(excinfo.value)), str(excinfo.value)


@pytest.mark.parametrize("case, position", sorted(NAMES_ENTRY_BY_POSITION_ONLY.items()))
def test_schema_level_errors_give_the_entry_position(pristine, case, position) -> None:
    breaker = next(b for c, b, _, _ in MALFORMED if c == case)
    broken = copy.deepcopy(pristine)
    breaker(broken)
    with pytest.raises(CriteriaError, match=re.escape(position)):
        parse_trial(broken)


def test_positions_used_above_are_the_entries_meant(pristine) -> None:
    assert pristine["criteria"][5]["id"] == "exc_cancer"
    assert pristine["criteria"][10]["id"] == "exc_allergy"


def test_bad_window_unit_in_rule_is_a_criteria_error(pristine) -> None:
    broken = copy.deepcopy(pristine)
    _criterion(broken, "exc_immune_drugs")["rule"]["within"] = {"weeks": 4}
    with pytest.raises(CriteriaError, match="exc_immune_drugs"):
        parse_trial(broken)


@pytest.mark.parametrize("bad", [True, "Yes", "y"])
def test_equals_value_outside_the_facts_answers_is_refused(pristine, bad) -> None:
    broken = copy.deepcopy(pristine)
    _criterion(broken, "exc_cancer")["rule"] = {"fact": "liver_cancer", "equals": bad}
    with pytest.raises(CriteriaError, match="exc_cancer"):
        parse_trial(broken)


def _leaves(rule: Any):
    if not rule:
        return
    for key in ("all", "any", "first_known"):
        if key in rule:
            for child in rule[key]:
                yield from _leaves(child)
            return
    yield rule


def test_shipped_rules_compare_against_values_the_facts_can_take(pristine) -> None:
    """Guards the real file against the YAML 1.1 yes/no trap until the loader does."""
    questions = {q["id"]: q for q in pristine["questions"]}
    rules = [(f"criterion {c['id']}", c.get("rule")) for c in pristine["criteria"]]
    rules += [
        (f"question {q['id']}", q.get("applies_if")) for q in pristine["questions"]
    ]
    for where, rule in rules:
        for leaf in _leaves(rule):
            question = questions[leaf["fact"]]
            if question["type"] == "yes_no":
                allowed = set(YES_NO_VALUES)
            elif question["type"] == "choice":
                allowed = {c["value"] for c in question["choices"]}
            else:
                continue
            if "equals" in leaf:
                assert leaf["equals"] in allowed, where
            if "in" in leaf:
                assert set(leaf["in"]) <= allowed, where
            if "map" in leaf:
                assert set(leaf["map"]) <= allowed, where
                assert all(v in (True, False, "unknown") for v in leaf["map"].values())


# --- reading the file -------------------------------------------------------------


def test_missing_file_is_a_criteria_error_naming_the_path(tmp_path) -> None:
    path = tmp_path / "no-such-trial.yml"
    with pytest.raises(CriteriaError, match="no-such-trial.yml"):
        load_trial_file(path)


def test_invalid_yaml_is_a_criteria_error_naming_the_path(tmp_path) -> None:
    path = tmp_path / "broken.yml"
    path.write_text("questions: [unclosed\n", encoding="utf-8")
    with pytest.raises(CriteriaError, match="broken.yml"):
        load_trial_file(path)


def test_yaml_that_is_not_a_mapping_is_a_criteria_error(tmp_path) -> None:
    path = tmp_path / "list.yml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(CriteriaError, match="list.yml"):
        load_trial_file(path)


def test_round_trip_through_a_file(tmp_path, pristine) -> None:
    path = tmp_path / "copy.yml"
    path.write_text(yaml.safe_dump(pristine, allow_unicode=True), encoding="utf-8")
    assert [c.id for c in load_trial_file(path).criteria] == [
        *INCLUSION_IDS.values(),
        *EXCLUSION_IDS.values(),
    ]
