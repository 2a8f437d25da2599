"""Summarise a `rasa test nlu` output folder: intent and entity F1 (weighted avg), and
the intent F1 of each language.

The rule-based TrialValueExtractor is left out: the NLU data does not annotate the
values it finds (by design), so Rasa counts all its finds as errors. Its accuracy is
measured by tests/unit/test_nlp.py and tests/unit/test_nlp_zh.py instead.

One model serves English and Chinese, so the test examples are split by script
(``bot.screening.language.has_cjk``: any Chinese character makes a Chinese example) and
the intent and retrieval F1 are given for each language. That needs every prediction,
right and wrong: run `rasa test nlu` with ``--successes`` (the Makefile's ``crossval``
and ``nlu-heldout`` targets do); without it only the overall lines are printed.

Usage: python scripts/nlu_report.py results/crossval
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.screening.language import CHINESE, ENGLISH, has_cjk  # noqa: E402

LANGUAGE_NAMES = {ENGLISH: "English", CHINESE: "Chinese"}

#: per-example files: (success file, error file, target key, prediction key)
_EXAMPLE_FILES = {
    "intent": (
        "intent_successes.json",
        "intent_errors.json",
        "intent",
        "intent_prediction",
    ),
    "retrieval": (
        "response_selection_successes.json",
        "response_selection_errors.json",
        "intent_response_key_target",
        "intent_response_key_prediction",
    ),
}
_REPORT_FILES = {
    "intent": "intent_report.json",
    "retrieval": "response_selection_report.json",
}


def _weighted(report_file: Path) -> dict[str, Any] | None:
    if not report_file.exists():
        return None
    report = json.loads(report_file.read_text())
    avg = report.get("weighted avg") or report.get("micro avg")
    return avg if isinstance(avg, dict) else None


def _total_support(report_file: Path) -> int | None:
    avg = _weighted(report_file)
    if avg is None or not isinstance(avg.get("support"), (int, float)):
        return None
    return int(avg["support"])


def _read_list(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    data = json.loads(path.read_text())
    return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []


def examples(folder: Path, kind: str) -> list[tuple[str, str, str]] | None:
    """(text, target, prediction) of every test example of ``kind``, or None when the
    folder does not hold them all (no ``--successes``, or no such evaluation)."""
    ok_name, err_name, target_key, pred_key = _EXAMPLE_FILES[kind]
    rows: list[tuple[str, str, str]] = []
    for item in _read_list(folder / ok_name) + _read_list(folder / err_name):
        prediction = item.get(pred_key) or {}
        predicted = prediction.get("name") if isinstance(prediction, dict) else None
        rows.append(
            (str(item.get("text", "")), str(item.get(target_key)), str(predicted))
        )
    support = _total_support(folder / _REPORT_FILES[kind])
    if support is None or len(rows) != support:
        return None
    return rows


def weighted_f1(pairs: list[tuple[str, str]]) -> tuple[float, float]:
    """(weighted-average F1, accuracy) of (target, prediction) pairs, as scikit-learn's
    classification report weighs it: each target label's F1 by its support."""
    if not pairs:
        return 0.0, 0.0
    support = Counter(t for t, _ in pairs)
    predicted = Counter(p for _, p in pairs)
    correct = Counter(t for t, p in pairs if t == p)
    total = 0.0
    for label, n in support.items():
        tp = correct[label]
        precision = tp / predicted[label] if predicted[label] else 0.0
        recall = tp / n
        f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
        total += f1 * n
    return total / len(pairs), sum(correct.values()) / len(pairs)


def language_of(text: str) -> str:
    """The language a test example counts for: Chinese when it has a Chinese
    character (INR, PTA and units are written the same in both languages)."""
    return CHINESE if has_cjk(text) else ENGLISH


def per_language(
    rows: list[tuple[str, str, str]],
) -> dict[str, tuple[float, float, int, list[tuple[str, str, str]]]]:
    """language -> (weighted F1, accuracy, examples, the wrong ones)."""
    out: dict[str, tuple[float, float, int, list[tuple[str, str, str]]]] = {}
    for language in LANGUAGE_NAMES:
        mine = [r for r in rows if language_of(r[0]) == language]
        if not mine:
            continue
        f1, accuracy = weighted_f1([(t, p) for _, t, p in mine])
        out[language] = (f1, accuracy, len(mine), [r for r in mine if r[1] != r[2]])
    return out


def main(folder: str, show_errors: int = 5) -> int:
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
    for kind in ("intent", "retrieval"):
        if _weighted(out / _REPORT_FILES[kind]) is None:
            continue
        all_rows = examples(out, kind)
        if all_rows is None:
            print(f"  {kind} per language: needs `rasa test nlu --successes`")
            continue
        for language, (f1, acc, n, wrong) in per_language(all_rows).items():
            label = f"  {kind}, {LANGUAGE_NAMES[language]}"
            print(f"{label:34s} F1 {f1:.3f}  accuracy {acc:.3f}  (support {n})")
            for text, target, predicted in wrong[:show_errors]:
                print(f"      {target} -> {predicted}: {text[:60]}")
    return 0 if found else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "results/crossval"))
