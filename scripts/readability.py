"""Report the US grade level of every patient-facing text (``make readability``).

Texts: the questions (patient and caregiver wording), examples, "why" answers,
reasons and quick replies of the criteria file; the action message catalogue; the
domain's responses; and the FAQ, glossary and small-talk answers in data/nlu.
Grade: Flesch-Kincaid, from the textstat library. The goal is grade 8 or below.
"""

from __future__ import annotations

import re
import statistics
import sys
from pathlib import Path

import textstat
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.screening.criteria import load_trial  # noqa: E402
from bot.screening.messages import catalogue  # noqa: E402

GOAL = 8.0


def patient_texts() -> list[tuple[str, str]]:
    """(where, text) for every patient-facing text."""
    trial = load_trial()
    found: list[tuple[str, str]] = []
    for q in trial.questions:
        found += [
            (f"question {q.id} (self)", q.ask_self),
            (f"question {q.id} (caregiver)", q.text_for("caregiver", "your father")),
            (f"question {q.id} example", q.example),
            (f"question {q.id} why", q.why),
        ]
    for criterion in trial.criteria:
        for verdict, reason in criterion.reasons.items():
            found.append((f"reason {criterion.id} {verdict}", reason))
    for key, entry in catalogue().items():
        found.append((f"message {key}", entry["text"]))
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    for name, variants in domain["responses"].items():
        found += [(f"response {name}", v["text"]) for v in variants if _english(v)]
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for name, variants in (data.get("responses") or {}).items():
            found += [(f"response {name}", v["text"]) for v in variants if _english(v)]
    return found


def _english(variant: dict) -> bool:
    """An English variant: one without a condition (the Chinese ones have one;
    their sentence length is checked by tests/unit/test_messages_zh.py)."""
    return not variant.get("condition")


def clean(text: str) -> str:
    """Drop {placeholders} and bullets before scoring."""
    return re.sub(r"\{[a-z_]+\}", "it", text).replace("•", "")


def main() -> int:
    """Print the grades; the exit status is 0 (a report, not a gate)."""
    rows = [
        (where, textstat.flesch_kincaid_grade(clean(text)))
        for where, text in patient_texts()
    ]
    grades = [g for _, g in rows]
    over = sorted((r for r in rows if r[1] > GOAL), key=lambda r: -r[1])
    print(f"patient-facing texts: {len(rows)}")
    print(
        f"Flesch-Kincaid grade: mean {statistics.mean(grades):.1f}, "
        f"median {statistics.median(grades):.1f}, max {max(grades):.1f}"
    )
    print(
        f"at or below grade {GOAL:g}: {len(rows) - len(over)} of {len(rows)} "
        f"({100 * (len(rows) - len(over)) / len(rows):.0f}%)"
    )
    if over:
        print("above the goal (hardest first):")
        for where, grade in over[:25]:
            print(f"  {grade:5.1f}  {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
