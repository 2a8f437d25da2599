"""A screening as the study team reviews it: criterion by criterion.

For each criterion of the trial (in the criteria file's order), the verdict with
its reason, and for each fact the rule uses: the question's label, the person's own
words and the normalized value. Used by the console and the exports, so both say
the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot import vocab
from bot.screening.criteria import Criterion, Question, Trial
from bot.store.models import Answer, Screening

#: How the criteria file's canonical units read on screen.
UNIT_LABELS = {
    "years": "years",
    "umol/L": "µmol/L",
    "ratio": "",
    "percent": "%",
    "10^9/L": "×10⁹/L",
    "points": "points",
}

YES_NO_LABELS = {"yes": "Yes", "no": "No", "unsure": "Not sure"}

#: How verdicts read for inclusion and exclusion criteria (for an exclusion,
#: "met" means the exclusion applies).
VERDICT_LABELS = {
    "inclusion": {
        vocab.MET: "Met",
        vocab.NOT_MET: "Not met",
        vocab.UNKNOWN: "Unknown",
        vocab.NOT_ASKED: "Not asked",
    },
    "exclusion": {
        vocab.MET: "Met: excluded",
        vocab.NOT_MET: "Not met: does not apply",
        vocab.UNKNOWN: "Unknown",
        vocab.NOT_ASKED: "Not asked",
    },
}


@dataclass(frozen=True)
class FactRow:
    """One answered (or unanswered) fact under a criterion."""

    question: Question
    as_given: str | None
    value: str
    unknown: bool
    answered: bool


@dataclass(frozen=True)
class CriterionRow:
    """One criterion with its verdict, reason and facts."""

    criterion: Criterion
    verdict: str
    verdict_label: str
    reason: str
    facts: tuple[FactRow, ...]


def format_number(value: float) -> str:
    """A number without a pointless ``.0``; at most 4 significant decimals."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.4g}" if abs(value) < 1e6 else str(value)


def format_value(question: Question | None, value: Any, unknown: bool = False) -> str:
    """The normalized value of an answer, in words a clinician reads at a glance.

    Args:
        question: The question answered (``None`` if it is no longer in the file).
        value: The normalized value as stored.
        unknown: The person did not know.

    Returns:
        For example "Yes", "171 µmol/L", "Grade 1: A little confused...",
        "never", "between 2025-03-01 and 2025-04-01".
    """
    if unknown or value is None:
        return "unknown"
    if question is None:
        return str(value)
    if question.type == "yes_no":
        return YES_NO_LABELS.get(str(value), str(value))
    if question.type == "number" and isinstance(value, (int, float)):
        unit = UNIT_LABELS.get(question.unit or "", question.unit or "")
        return f"{format_number(value)} {unit}".strip()
    if question.type == "choice":
        for choice in question.choices:
            if choice.value == value or str(choice.value) == str(value):
                # A graded choice keeps its number ("1: A little confused");
                # a named one reads as its label ("Male").
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    return f"{value}: {choice.label}"
                return choice.label
        return str(value)
    if question.type == "time_ago" and isinstance(value, dict):
        if value.get("never"):
            return "never"
        earliest, latest = value.get("earliest"), value.get("latest")
        if earliest and latest:
            if earliest == latest:
                return f"on {earliest}"
            return f"between {earliest} and {latest}"
        if latest:
            return f"on or before {latest}"
        if earliest:
            return f"on or after {earliest}"
        return "unknown"
    return str(value)


def current_answers(screening: Screening) -> dict[str, Answer]:
    """The current (not superseded) answer per fact, from the loaded relationship."""
    return {a.fact_id: a for a in screening.answers if not a.superseded}


def criteria_summary(trial: Trial, screening: Screening) -> list[CriterionRow]:
    """Every criterion of the trial with its stored verdict and the answers it used.

    A criterion with no stored verdict (a screening stopped early) reads
    "not asked".
    """
    verdicts = {v.criterion_id: v for v in screening.verdicts}
    answers = current_answers(screening)
    rows: list[CriterionRow] = []
    for criterion in trial.criteria:
        stored = verdicts.get(criterion.id)
        verdict = stored.verdict if stored else vocab.NOT_ASKED
        reason = (stored.reason if stored else None) or criterion.reasons.get(
            "not_asked" if not criterion.screenable else "unknown", ""
        )
        facts = []
        for fact_id in sorted(
            criterion.facts,
            key=lambda f: trial.question(f).order if _has(trial, f) else 10**6,
        ):
            question = trial.question(fact_id) if _has(trial, fact_id) else None
            if question is None:
                continue
            answer = answers.get(fact_id)
            facts.append(
                FactRow(
                    question=question,
                    as_given=answer.as_given if answer else None,
                    value=(
                        format_value(question, answer.normalized, answer.unknown)
                        if answer
                        else "not asked"
                    ),
                    unknown=bool(answer.unknown) if answer else False,
                    answered=answer is not None,
                )
            )
        rows.append(
            CriterionRow(
                criterion=criterion,
                verdict=verdict,
                verdict_label=VERDICT_LABELS[criterion.kind][verdict],
                reason=reason,
                facts=tuple(facts),
            )
        )
    return rows


def investigator_note(trial: Trial) -> Criterion | None:
    """The criterion no question can screen (exclusion 14: the investigator's
    judgement), which every referral must mention."""
    for criterion in trial.criteria:
        if not criterion.screenable:
            return criterion
    return None


def _has(trial: Trial, fact_id: str) -> bool:
    try:
        trial.question(fact_id)
    except KeyError:
        return False
    return True
