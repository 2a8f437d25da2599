"""The likely-eligible person, written once: derived from the criteria file.

Every scripted screening (the end-to-end and channel tests, the production and fault
tests, the benchmark, the fuzzer, the simulated patients, the engine and action
tests) starts from this person. What can be derived from the criteria file
(``bot/screening/trials/aclf-ucmsc.yml``) is derived, so a new criterion is one edit
here at most:

* which questions there are, in their order, and which are asked (``applies_if``);
* yes/no questions: "no" when an exclusion criterion uses the fact, else "yes"
  (the inclusions and the gates: lab results at hand, consent);
* time-ago questions: never; choice questions: the first choice (grade 0), except
  ``sex``, which is a parameter;
* the words a quick reply sends: the criteria file's own labels ("Yes", "Never",
  "No confusion", "Male").

Written by hand: the lab and age values (inside every threshold) and a few patient
phrasings (not training data: ``data/nlu/`` holds none of them).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from bot.screening.criteria import Question, Trial, load_trial

NEVER = "never"

#: Numbers inside every threshold (bilirubin in µmol/L, the canonical unit).
NUMBERS: dict[str, float | int] = {
    "age": 45,
    "bilirubin": 171,
    "inr": 1.8,
    "pta": 35,
    "platelets": 120,
    "child_pugh": 7,
}

#: What a person types where a button would not do (or says it their own way).
PHRASED = {
    "chronic_liver_disease": "yes, hepatitis B for years",
    "bilirubin": "bilirubin 171 umol/L",
    "pta": "35%",
}
#: Typed rather than tapped: the age as a sentence.
TYPED = {**PHRASED, "age": "I'm 45"}


@cache
def trial() -> Trial:
    """The project's trial, loaded once."""
    return load_trial()


def _excluding_facts(t: Trial) -> set[str]:
    return {fact for c in t.criteria if c.is_exclusion for fact in c.facts}


def _applies(question: Question, facts: dict[str, Any]) -> bool:
    rule = question.applies_if
    if not rule:
        return True
    value = facts.get(rule["fact"])
    if "in" in rule:
        return value in rule["in"]
    if "map" in rule:
        return bool(rule["map"].get(value))
    return value == rule.get("equals")


def likely_facts(*, sex: str = "male", asked_only: bool = True) -> dict[str, Any]:
    """The likely-eligible person's facts, in question order.

    Args:
        sex: ``"male"``, ``"female"`` or ``"other"``.
        asked_only: Leave out the questions this person is not asked (a man is not
            asked about pregnancy); ``False`` gives every fact (the simulator's truth).
    """
    t = trial()
    excluding = _excluding_facts(t)
    facts: dict[str, Any] = {}
    for q in t.questions:
        if q.id == "sex":
            value: Any = sex
        elif q.type == "yes_no":
            value = "no" if q.id in excluding else "yes"
        elif q.type == "time_ago":
            value = NEVER
        elif q.type == "choice":
            value = q.choices[0].value
        elif q.id in NUMBERS:
            value = NUMBERS[q.id]
        else:
            raise KeyError(f"ops/answers.py: no likely-eligible value for {q.id!r}")
        if asked_only and not _applies(q, facts):
            continue
        facts[q.id] = value
    return facts


def _label(q: Question, value: Any) -> str:
    """The quick reply that says ``value`` (the criteria file's label)."""
    choices = q.choices or trial().quick_replies.get(q.type, ())
    for choice in choices:
        if choice.value == value:
            return choice.label
    return f"{value:g}" if isinstance(value, float) else str(value)


def replies(*, sex: str = "male", typed: bool = False) -> dict[str, str]:
    """What the person sends: a quick reply where one fits, else typed words.

    ``typed=True`` gives the sentence for the age as well ("I'm 45").
    """
    t = trial()
    said = {f: _label(t.question(f), v) for f, v in likely_facts(sex=sex).items()}
    for q in t.questions:  # what a man is not asked, answered if asked all the same
        said.setdefault(q.id, _label(q, "no") if q.type == "yes_no" else "")
    return {**said, **(TYPED if typed else PHRASED)}


#: A person who is likely eligible, typing (the scripts' default).
LIKELY = replies(typed=True)
#: The same person tapping quick replies (the widget and messaging tests).
LIKELY_REPLIES = replies()


#: The likely-eligible man again, typing in Chinese as a patient would (written by
#: hand for the scripted screenings; data/nlu/ holds none of these).
LIKELY_ZH: dict[str, str] = {
    "age": "我今年45岁",
    "liver_transplant": "没有",
    "stem_cell_therapy": "没做过",
    "liver_cancer": "没有，医生没说过",
    "chronic_liver_disease": "有，乙肝十几年了",
    "jaundice": "有，眼睛和皮肤都发黄",
    "ascites": "有，肚子里有水",
    "encephalopathy": "没有糊涂",
    "gi_bleeding": "没有",
    "kidney_injury": "没有",
    "infection": "没有",
    "sex": "男",
    "pregnancy": "没有",
    "planning_baby": "没有",
    "other_trial": "从来没参加过",
    "immune_drugs": "没吃过",
    "organ_disease": "没有",
    "thrombosis": "没有",
    "allergy": "没有",
    "alcohol_withdrawal": "没有",
    "drug_misuse": "从来没有",
    "mental_health": "从来没有",
    "has_lab_results": "有，化验单就在手边",
    "bilirubin": "总胆红素171微摩尔/升",
    "inr": "INR 1.8",
    "pta": "凝血酶原活动度百分之三十五",
    "platelets": "血小板12万",
    "child_pugh": "B级",
    "consent": "愿意",
}
