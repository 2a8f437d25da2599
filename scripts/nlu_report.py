"""Summarise a `rasa test nlu` output folder: intent and entity F1 (weighted avg).

The rule-based TrialValueExtractor is left out: the NLU data does not annotate the
values it finds (by design), so Rasa counts all its finds as errors. Its accuracy is
measured by tests/unit/test_nlp.py instead.

Usage: python scripts/nlu_report.py results/crossval
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _weighted(report_file: Path) -> dict | None:
    if not report_file.exists():
        return None
    report = json.loads(report_file.read_text())
    return report.get("weighted avg") or report.get("micro avg")


def main(folder: str) -> int:
    """Print one line per report found; exit 1 when none is found."""
    out = Path(folder)
    rows = [
        ("intent", out / "intent_report.json"),
        ("entity (DIET: relation, topic)", out / "DIETClassifier_report.json"),
        ("retrieval (ResponseSelector)", out / "response_selection_report.json"),
    ]
    found = 0
    for name, path in rows:
        avg = _weighted(path)
        if avg is None:
            continue
        found += 1
        print(
            f"{name:34s} F1 {avg['f1-score']:.3f}  precision {avg['precision']:.3f}  "
            f"recall {avg['recall']:.3f}  (support {avg.get('support', '?')})"
        )
    return 0 if found else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "results/crossval"))
