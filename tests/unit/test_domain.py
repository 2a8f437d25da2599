"""The domain, the NLU data, the message catalogue and the criteria file agree.

The questions live in the criteria file and the other texts in the catalogue; these
tests fail when the pieces drift apart (a term with no explanation, a fact nobody can
correct, an action the domain names but the action server lacks, a message variable
nothing fills).
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor
from support import ROOT

from actions import constants as c
from bot.screening.criteria import load_trial
from bot.screening.messages import catalogue, placeholders

NLU = ROOT / "data" / "nlu"

#: Variables the actions supply to catalogue messages (actions/common.py `say`, the
#: question message, and result_variables).
SUPPLIED = {
    "site_contact",
    "question_total",
    "emergency_number",
    "contact_name",
    "contact_phone",
    "contact_email",
    "best_time",
    "screening_ref",
    "number",
    "total",
    "question",
    "example",
    "reasons",
    "review_items",
    "final_decision",
    "trial_title",
    "label",
    "why",
    # the parsers' messages (bot/parsing: Parsed.message_vars, and what/example)
    "what",
    "value",
    "percent",
    "score",
    "score_class",
    "given_class",
    # the site contact's parts (actions.common.site_contact)
    "name",
    "org",
    "phone",
    "email",
}


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def nlu_responses() -> dict:
    responses: dict = {}
    for path in NLU.glob("*.yml"):
        responses.update(_yaml(path).get("responses") or {})
    return responses


@pytest.fixture(scope="module")
def topic_values() -> set[str]:
    values = set()
    for path in NLU.glob("*.yml"):
        for item in _yaml(path).get("nlu") or []:
            if "synonym" in item:
                values.add(item["synonym"])
    return values


def test_every_term_a_question_uses_has_an_explanation(nlu_responses):
    trial = load_trial()
    terms = {term for q in trial.questions for term in q.terms}
    missing = {t for t in terms if f"utter_faq/{t}" not in nlu_responses}
    assert terms and not missing


def test_every_answerable_fact_can_be_corrected_by_name(topic_values):
    questions = load_trial().questions
    # Asked as part of another topic: the lab results' gate, and the questions a
    # topic means for the people its own question does not apply to.
    gates = {"has_lab_results"} | {q.otherwise for q in questions if q.otherwise}
    facts = {q.id for q in questions} - gates
    assert facts <= topic_values


def test_value_entities_are_domain_entities(domain):
    value_entities = load_trial().value_entities
    assert len(value_entities) == 7
    assert set(value_entities) <= set(domain["entities"])


def test_every_domain_action_is_served_and_every_served_action_is_in_the_domain(domain):
    executor = ActionExecutor()
    executor.register_package("actions")
    served = set(executor.actions)
    assert set(domain["actions"]) == served
    assert not [a for a in served if not a.startswith(("action_", "validate_"))]


def test_every_form_slot_has_an_ask_action_and_a_message(domain):
    for form, spec in domain["forms"].items():
        for slot in spec["required_slots"]:
            if slot == c.ANSWER:  # asked by action_ask_answer from the criteria file
                assert "action_ask_answer" in domain["actions"]
                continue
            assert f"action_ask_{slot}" in domain["actions"], (form, slot)
            assert f"ask_{slot}" in catalogue(), (form, slot)


def test_every_message_variable_is_supplied():
    for key, entry in catalogue().items():
        assert placeholders(entry["text"]) <= SUPPLIED, key


def test_domain_responses_only_use_slots(domain):
    for name, variants in domain["responses"].items():
        for variant in variants:
            assert placeholders(variant["text"]) <= set(domain["slots"]), name


def test_interruptions_are_domain_intents_and_answers_are_not_interruptions(domain):
    from bot.screening.answer_first import INTERRUPTION_INTENTS

    assert set(INTERRUPTION_INTENTS) <= set(domain["intents"])
    # An answer must never be swallowed: answers and "I don't know" are not excluded.
    answers = {"answer", "nlu_fallback"}
    assert not answers & set(INTERRUPTION_INTENTS)
    # Extracted by the form's validation action only (see domain.yml).
    assert domain["slots"][c.ANSWER]["mappings"] == [{"type": "custom"}]


def test_action_classes_are_one_per_module_except_the_slot_askers():
    import actions.ask_slots

    concrete = [
        cls
        for cls in _all_subclasses(Action)
        if cls.__module__.startswith("actions.") and not inspect.isabstract(cls)
    ]
    by_module: dict[str, int] = {}
    for cls in concrete:
        by_module[cls.__module__] = by_module.get(cls.__module__, 0) + 1
    assert by_module.pop(actions.ask_slots.__name__) >= 8
    assert set(by_module.values()) == {1}


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)
