"""The simulated patients: who answers, the true facts, and how they behave.

A :class:`Case` holds the *truth* about one patient (what a well-informed person
would answer to every question), not what the assistant should conclude: the
expected outcome is computed from these facts by the project's own engine
(:func:`ops.simulator.expected_outcome`). The boundary cases are generated from one
likely-eligible base case, one fact changed at a time.

Fact values:

* yes / no questions: ``"yes"``, ``"no"`` or :data:`UNKNOWN` (the person is not sure);
* ``age``: whole years; ``sex``: ``"male"``, ``"female"`` or ``"other"``;
* ``encephalopathy``: the grade 0..4;
* time-ago questions: :data:`NEVER` or :class:`Ago` (``Ago(2, "months")``);
* ``bilirubin``: :class:`Lab` (value and unit as on the report, µmol/L or mg/dL);
  ``inr``, ``pta`` (percent), ``platelets`` (×10⁹/L): numbers; ``child_pugh``: a
  score or a class letter (``"B"``); any lab may be :data:`UNKNOWN`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ops.answers import NEVER, NUMBERS, likely_facts

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Ago:
    """Something that last happened ``n`` weeks, months or years ago."""

    n: int
    unit: str  # weeks | months | years


@dataclass(frozen=True)
class Lab:
    """A lab value as written on the report."""

    value: float
    unit: str  # "umol/L" | "mg/dL"


# Behaviours ------------------------------------------------------------------


@dataclass(frozen=True)
class Correction:
    """Answer ``fact`` with ``said`` first; correct it (to the true value) after
    ``after`` more questions, or straight after the result if that comes first."""

    said: Any
    after: int = 3
    fact: str = "age"


@dataclass(frozen=True)
class Emergency:
    """Before answering ``before``, say that an emergency is happening now."""

    before: str


@dataclass(frozen=True)
class Interrupt:
    """Before answering ``before``, ask what a term means or why it is asked."""

    before: str
    kind: str = "term"  # term | why


@dataclass(frozen=True)
class Stop:
    """Stop after answering ``after`` screening questions (outcome: incomplete)."""

    after: int


@dataclass(frozen=True)
class Case:
    """One simulated patient."""

    id: str
    facts: dict[str, Any]
    respondent: str = "self"  # self | caregiver
    relation: str | None = None  # "my father" (caregiver only)
    behaviours: tuple[Any, ...] = ()
    email: str | None = None
    note: str = ""

    def behaviour(self, kind: type) -> Any:
        """The first behaviour of a kind, or None."""
        return next((b for b in self.behaviours if isinstance(b, kind)), None)

    @property
    def stops(self) -> bool:
        """Whether the person stops before the end."""
        return self.behaviour(Stop) is not None


#: A person who is likely eligible: every inclusion met, no exclusion (ops/answers.py;
#: every fact, the pregnancy questions included, with the bilirubin as on a report).
BASE: dict[str, Any] = {
    **likely_facts(asked_only=False),
    "bilirubin": Lab(NUMBERS["bilirubin"], "umol/L"),
}

#: Caregivers: the relation as typed, and the patient's sex it implies.
RELATIONS = {
    "my father": "male",
    "my mother": "female",
    "my wife": "female",
    "my husband": "male",
    "my son": "male",
    "my daughter": "female",
    "my brother": "male",
    "my sister": "female",
}


def _case(
    case_id: str,
    note: str,
    respondent: str = "self",
    relation: str | None = None,
    behaviours: tuple[Any, ...] = (),
    **changes: Any,
) -> Case:
    facts = {**BASE, **changes}
    if relation is not None:
        facts["sex"] = changes.get("sex", RELATIONS[relation])
    return Case(case_id, facts, respondent, relation, behaviours, note=note)


def boundary_cases() -> list[Case]:
    """One fact changed at a time, on both sides of every cut-off."""
    one = [
        # Age: 18 to 70 inclusive.
        ("age-17", "below the age range", {"age": 17}),
        ("age-18", "lowest age", {"age": 18}),
        ("age-70", "highest age", {"age": 70}),
        ("age-71", "above the age range", {"age": 71}),
        # Bilirubin: at least 5 mg/dL = 85.5 µmol/L.
        ("bili-85umol", "bilirubin just below", {"bilirubin": Lab(85, "umol/L")}),
        ("bili-86umol", "bilirubin just above", {"bilirubin": Lab(86, "umol/L")}),
        ("bili-4.9mgdl", "bilirubin below, mg/dL", {"bilirubin": Lab(4.9, "mg/dL")}),
        (
            "bili-5.0mgdl",
            "bilirubin at the cut-off, mg/dL",
            {"bilirubin": Lab(5.0, "mg/dL")},
        ),
        (
            "bili-10.5mgdl",
            "bilirubin well above, mg/dL",
            {"bilirubin": Lab(10.5, "mg/dL")},
        ),
        # Coagulopathy: INR >= 1.5 or PTA < 40 %.
        ("inr-1.49-pta-45", "no clotting problem", {"inr": 1.49, "pta": 45}),
        ("inr-1.5", "INR at the cut-off", {"inr": 1.5}),
        (
            "inr-1.49-pta-39",
            "PTA alone shows the clotting problem",
            {"inr": 1.49, "pta": 39},
        ),
        ("inr-1.2-pta-40", "PTA at the cut-off (not below)", {"inr": 1.2, "pta": 40}),
        # Platelets below 50, Child-Pugh above 9 (before the liver got worse).
        ("plt-49", "platelets below", {"platelets": 49}),
        ("plt-50", "platelets at the cut-off", {"platelets": 50}),
        ("plt-80", "platelets in thousands", {"platelets": 80}),
        ("cp-9", "Child-Pugh 9", {"child_pugh": 9}),
        ("cp-10", "Child-Pugh 10", {"child_pugh": 10}),
        ("cp-class-B", "Child-Pugh class B", {"child_pugh": "B"}),
        ("cp-class-C", "Child-Pugh class C", {"child_pugh": "C"}),
        # Encephalopathy grades (ascites yes), and as the only complication.
        ("he-1", "mild confusion", {"encephalopathy": 1}),
        ("he-2", "confusion grade II", {"encephalopathy": 2}),
        (
            "he-1-no-ascites",
            "grade I is the only complication",
            {"encephalopathy": 1, "ascites": "no"},
        ),
        (
            "he-0-no-ascites",
            "no complication at all",
            {"encephalopathy": 0, "ascites": "no"},
        ),
        # Time windows, inside and outside.
        ("trial-2mo", "other study 2 months ago", {"other_trial": Ago(2, "months")}),
        ("trial-4mo", "other study 4 months ago", {"other_trial": Ago(4, "months")}),
        (
            "immune-2wk",
            "immune medicine 2 weeks ago",
            {"immune_drugs": Ago(2, "weeks")},
        ),
        (
            "immune-2mo",
            "immune medicine 2 months ago",
            {"immune_drugs": Ago(2, "months")},
        ),
        ("drugs-4yr", "drug misuse 4 years ago", {"drug_misuse": Ago(4, "years")}),
        ("drugs-6yr", "drug misuse 6 years ago", {"drug_misuse": Ago(6, "years")}),
        (
            "mental-1yr",
            "severe mental illness 1 year ago",
            {"mental_health": Ago(1, "years")},
        ),
        (
            "mental-3yr",
            "severe mental illness 3 years ago",
            {"mental_health": Ago(3, "years")},
        ),
        # Every yes / no exclusion, and the inclusions that a "no" fails.
        ("transplant", "liver transplant", {"liver_transplant": "yes"}),
        ("stem-cells", "past stem cell treatment", {"stem_cell_therapy": "yes"}),
        ("cancer", "cancer", {"liver_cancer": "yes"}),
        ("kidney", "sudden kidney injury", {"kidney_injury": "yes"}),
        ("infection", "uncontrolled infection", {"infection": "yes"}),
        ("organ", "serious disease of another organ", {"organ_disease": "yes"}),
        ("allergy", "severe allergy", {"allergy": "yes"}),
        ("withdrawal", "alcohol withdrawal", {"alcohol_withdrawal": "yes"}),
        ("planning-baby", "man planning a baby", {"planning_baby": "yes"}),
        ("pregnant", "pregnant woman", {"sex": "female", "pregnancy": "yes"}),
        ("woman-eligible", "woman, not pregnant", {"sex": "female", "age": 62}),
        ("sex-other", "prefers not to say the sex", {"sex": "other", "age": 39}),
        ("no-consent", "will not sign the consent form", {"consent": "no"}),
        (
            "no-jaundice-labs",
            "no yellowing, bilirubin low",
            {"jaundice": "no", "bilirubin": Lab(40, "umol/L")},
        ),
        # Staff review.
        (
            "thrombosis",
            "past blood clot: the investigator decides",
            {"thrombosis": "yes"},
        ),
        (
            "no-chronic",
            "no known long-term liver disease",
            {"chronic_liver_disease": "no"},
        ),
        ("no-labs", "no lab results at hand", {"has_lab_results": "no"}),
        (
            "labs-unknown",
            "has results, knows none of the numbers",
            {
                "bilirubin": UNKNOWN,
                "inr": UNKNOWN,
                "pta": UNKNOWN,
                "platelets": UNKNOWN,
                "child_pugh": UNKNOWN,
            },
        ),
        ("cp-unknown", "does not know the Child-Pugh score", {"child_pugh": UNKNOWN}),
        ("allergy-unsure", "not sure about allergies", {"allergy": UNKNOWN}),
        ("consent-unsure", "not sure about the consent form", {"consent": UNKNOWN}),
        (
            "age-unknown-labs-no",
            "no labs, not sure about the infection",
            {"has_lab_results": "no", "infection": UNKNOWN},
        ),
    ]
    return [_case(cid, note, **changes) for cid, note, changes in one]


def caregiver_cases() -> list[Case]:
    """Relatives answering for the patient."""
    return [
        _case("cg-father", "father, likely eligible", "caregiver", "my father", age=58),
        _case(
            "cg-mother-review",
            "mother, no lab results",
            "caregiver",
            "my mother",
            age=66,
            has_lab_results="no",
        ),
        _case(
            "cg-wife-he3",
            "wife, confusion grade III (emergency advice first)",
            "caregiver",
            "my wife",
            encephalopathy=3,
        ),
        _case(
            "cg-husband-he4",
            "husband, cannot be woken",
            "caregiver",
            "my husband",
            encephalopathy=4,
        ),
        _case("cg-father-71", "father aged 71", "caregiver", "my father", age=71),
        _case(
            "cg-daughter-unsure-lab",
            "daughter, bilirubin unknown",
            "caregiver",
            "my daughter",
            age=27,
            bilirubin=UNKNOWN,
        ),
        _case(
            "cg-brother-thrombosis",
            "brother, past clot",
            "caregiver",
            "my brother",
            age=52,
            thrombosis="yes",
        ),
        _case(
            "cg-sister-bili-mg",
            "sister, bilirubin in mg/dL",
            "caregiver",
            "my sister",
            age=49,
            bilirubin=Lab(10.5, "mg/dL"),
            platelets=80,
            child_pugh="B",
        ),
    ]


def behaviour_cases() -> list[Case]:
    """Corrections, emergencies, interruptions and stopping partway."""
    return [
        _case(
            "correct-age-up",
            "says 52, corrects to 72 a few questions later",
            behaviours=(Correction(said=52, after=3),),
            age=72,
        ),
        _case(
            "cg-correct-age",
            "caregiver says 57, then 'actually he is 58'",
            "caregiver",
            "my father",
            behaviours=(Correction(said=57, after=4),),
            age=58,
        ),
        _case(
            "correct-after-result",
            "says 72, corrects to 58 once told it does not fit",
            behaviours=(Correction(said=72, after=99),),
            age=58,
        ),
        _case(
            "emergency-bleeding",
            "mentions vomiting blood before the bleeding question",
            "caregiver",
            "my father",
            behaviours=(Emergency(before="encephalopathy"),),
            gi_bleeding="yes",
        ),
        _case(
            "emergency-early",
            "vomiting blood, said at the first question",
            behaviours=(Emergency(before="age"),),
            gi_bleeding="yes",
        ),
        _case(
            "ask-ascites",
            "asks what ascites is first",
            behaviours=(Interrupt("ascites"),),
        ),
        _case(
            "ask-why-age",
            "asks why the age is needed",
            behaviours=(Interrupt("age", "why"),),
        ),
        _case(
            "ask-inr",
            "asks what INR is, then answers",
            "caregiver",
            "my mother",
            behaviours=(Interrupt("inr"),),
            age=61,
        ),
        _case(
            "ask-why-drugs",
            "asks why drug use matters",
            behaviours=(Interrupt("drug_misuse", "why"),),
        ),
        _case("stop-early", "stops after three questions", behaviours=(Stop(after=3),)),
        _case(
            "stop-labs",
            "stops at the lab questions",
            "caregiver",
            "my son",
            behaviours=(Stop(after=18),),
            age=33,
        ),
    ]


def all_cases() -> list[Case]:
    """Every case: boundaries, caregivers, behaviours (ids are unique)."""
    cases = [*boundary_cases(), *caregiver_cases(), *behaviour_cases()]
    cases.append(replace(cases[0], id="base", facts=dict(BASE), note="likely eligible"))
    cases.append(
        replace(
            cases[0],
            id="base-email",
            facts=dict(BASE),
            email="li.wei@example.com",
            note="likely eligible, gives an email",
        )
    )
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    return cases


#: The deterministic sample for ``make test`` (case id, style): mixed cases, all styles.
SAMPLE = (
    ("base", "terse"),
    ("base", "chatty"),
    ("cg-sister-bili-mg", "messy"),
    ("age-71", "terse"),
    ("bili-4.9mgdl", "messy"),
    ("cp-class-B", "chatty"),
    ("cg-wife-he3", "terse"),
    ("thrombosis", "messy"),
    ("no-labs", "chatty"),
    ("correct-age-up", "terse"),
    ("ask-ascites", "chatty"),
    ("stop-early", "messy"),
)

__all__ = [
    "NEVER",
    "UNKNOWN",
    "Ago",
    "Lab",
    "Correction",
    "Emergency",
    "Interrupt",
    "Stop",
    "Case",
    "BASE",
    "RELATIONS",
    "all_cases",
    "SAMPLE",
]
