"""The Chinese wording of the criteria file (``aclf-ucmsc.zh.yml``) against the English.

The overlay may change wording only. These tests keep it in step with the criteria
file: the Chinese trial has the same questions, rules and criteria; every text a person
reads in English has a Chinese text with the same placeholders; nothing is left in
English; the lab questions name what a Chinese lab report prints; and an overlay that
names an id the criteria file does not have is refused at load.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from bot.screening.conversation import NAMED_RELATIONS, quick_replies
from bot.screening.criteria import (
    DEFAULT_TRIAL_FILE,
    CriteriaError,
    Trial,
    load_trial,
    overlay_path,
    patient_words,
    read_overlay,
)
from bot.screening.language import has_cjk

ZH_FILE = overlay_path(DEFAULT_TRIAL_FILE, "zh")

#: The question and criterion texts a person reads, by field.
QUESTION_TEXTS = ("label", "example", "why", "window_text")
ASK_TEXTS = ("self", "caregiver")

#: Latin words a Chinese text may keep: what Chinese lab reports and doctors print.
LATIN_ALLOWED = frozenset(
    {"INR", "PTA", "PT", "TBIL", "PLT", "mol", "µmol", "mg", "dL", "Child", "Pugh"}
    | {"APASL", "II"}
)
_LATIN_WORD = re.compile(r"[A-Za-zµμ]{2,}")
_PLACEHOLDER = re.compile(r"\{[A-Za-z_]+\}")
_SENTENCE_END = re.compile(r"[。！？；\n]")
_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def english_data() -> dict[str, Any]:
    """The criteria file as parsed YAML."""
    data = yaml.safe_load(DEFAULT_TRIAL_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def overlay() -> dict[str, Any]:
    """The Chinese overlay as read by the loader."""
    return read_overlay(DEFAULT_TRIAL_FILE, "zh")


@pytest.fixture(scope="module")
def english() -> Trial:
    return load_trial(language="en")


@pytest.fixture(scope="module")
def chinese() -> Trial:
    return load_trial(language="zh")


def english_texts(data: dict[str, Any]) -> dict[str, str]:
    """Every text of the criteria file a person reads, by a path naming its place."""
    texts = {"trial.plain_title": data["trial"]["plain_title"]}
    for kind, choices in data["quick_replies"].items():
        for choice in choices:
            texts[f"quick_replies.{kind}.{choice['value']}"] = choice["label"]
    for q in data["questions"]:
        where = f"questions.{q['id']}"
        for key in QUESTION_TEXTS:
            if key in q:
                texts[f"{where}.{key}"] = q[key]
        for key in ASK_TEXTS:
            texts[f"{where}.ask.{key}"] = q["ask"][key]
        for choice in q.get("choices", ()):
            texts[f"{where}.choices.{choice['value']}"] = choice["label"]
    for c in data["criteria"]:
        texts[f"criteria.{c['id']}.summary"] = c["summary"]
        for key, reason in c["reasons"].items():
            texts[f"criteria.{c['id']}.reasons.{key}"] = reason
    return texts


def overlay_texts(overlay: dict[str, Any]) -> dict[str, Any]:
    """Every text of the overlay, by the same paths as :func:`english_texts`."""
    texts: dict[str, Any] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else str(key))
        elif not path.endswith(".names"):  # words to recognise, not texts to read
            texts[path] = node

    for section in ("trial", "quick_replies", "questions", "criteria"):
        walk(overlay.get(section) or {}, section)
    return texts


def sentences(text: str) -> Iterator[str]:
    for sentence in _SENTENCE_END.split(text):
        if sentence.strip():
            yield sentence.strip()


# --- the same trial, in other words ------------------------------------------------


def test_chinese_trial_loads_with_the_overlay(chinese: Trial) -> None:
    assert chinese.question("age").label == "年龄"
    assert has_cjk(chinese.plain_title)


def test_same_questions_in_the_same_order(english: Trial, chinese: Trial) -> None:
    def shape(trial: Trial) -> list[tuple[Any, ...]]:
        return [
            (
                q.id,
                q.order,
                q.type,
                q.parser,
                q.unit,
                q.window,
                q.urgent_if,
                q.applies_if,
                q.if_not_asked,
                q.terms,
                q.classes,
                q.entity,
                q.otherwise,
                tuple(c.value for c in q.choices),
            )
            for q in trial.questions
        ]

    assert shape(chinese) == shape(english)


def test_same_criteria_and_rules(english: Trial, chinese: Trial) -> None:
    def shape(trial: Trial) -> list[tuple[Any, ...]]:
        return [
            (
                c.id,
                c.kind,
                c.number,
                c.rule,
                c.screenable,
                c.facts,
                tuple(sorted(c.reasons)),
                # The registry's own words stay verbatim, in English.
                c.registry_text,
            )
            for c in trial.criteria
        ]

    assert shape(chinese) == shape(english)
    assert chinese.id == english.id and chinese.version == english.version
    assert chinese.sites == english.sites and chinese.sponsor == english.sponsor


def test_same_quick_replies_by_value(english: Trial, chinese: Trial) -> None:
    def values(trial: Trial) -> dict[str, list[Any]]:
        return {k: [c.value for c in v] for k, v in trial.quick_replies.items()}

    assert values(chinese) == values(english)


# --- every text worded in Chinese --------------------------------------------------


def test_every_english_text_has_a_chinese_text_and_no_more(
    english_data: dict[str, Any], overlay: dict[str, Any]
) -> None:
    # Wording only: the loader ignores any other section, so a stray one is a mistake.
    assert set(overlay) <= {
        "language",
        "trial",
        "patient",
        "quick_replies",
        "questions",
        "criteria",
    }
    en, zh = english_texts(english_data), overlay_texts(overlay)
    assert sorted(set(en) - set(zh)) == [], "English texts without Chinese"
    assert sorted(set(zh) - set(en)) == [], "Chinese texts the English does not have"


def test_every_chinese_text_is_chinese(
    english_data: dict[str, Any], overlay: dict[str, Any]
) -> None:
    en = english_texts(english_data)
    for path, text in overlay_texts(overlay).items():
        assert isinstance(text, str) and text.strip(), path
        assert has_cjk(text), f"{path}: {text!r} has no Chinese"
        assert text != en.get(path), f"{path} is the English text"


def test_placeholders_match_per_field(
    english_data: dict[str, Any], overlay: dict[str, Any]
) -> None:
    en = english_texts(english_data)
    for path, text in overlay_texts(overlay).items():
        zh_names = set(_PLACEHOLDER.findall(text))
        en_names = set(_PLACEHOLDER.findall(en[path]))
        assert zh_names == en_names, f"{path}: {zh_names} against {en_names}"
    # Only the placeholders the code fills: a typo would reach the person as it is.
    used = {p for t in overlay_texts(overlay).values() for p in _PLACEHOLDER.findall(t)}
    assert used <= {"{patient}", "{Patient}", "{window}"}


def test_no_english_left_untranslated(overlay: dict[str, Any]) -> None:
    for path, text in overlay_texts(overlay).items():
        for sentence in sentences(_PLACEHOLDER.sub("", text)):
            latin = _LATIN_WORD.findall(sentence)
            assert not latin or has_cjk(sentence), f"{path}: {sentence!r}"
            stray = sorted(set(latin) - LATIN_ALLOWED)
            assert not stray, f"{path}: English words {stray} in {sentence!r}"


def test_sentences_stay_short(overlay: dict[str, Any]) -> None:
    """About 30 Chinese characters at most, for very ill readers."""
    for path, text in overlay_texts(overlay).items():
        named = text.replace("{patient}", "患者").replace("{Patient}", "患者")
        for sentence in sentences(named):
            count = len(_CJK_CHAR.findall(sentence))
            assert count <= 32, f"{path}: {count} characters in {sentence!r}"


def test_examples_are_chinese_answers_in_quotes(chinese: Trial) -> None:
    for q in chinese.questions:
        answers = re.findall(r"“([^”]+)”", q.example)
        assert answers, f"{q.id}: no quoted example answer in {q.example!r}"
        assert any(has_cjk(a) or re.fullmatch(r"[\d.%]+", a) for a in answers), q.id


# --- naming the patient to a relative ----------------------------------------------


def test_every_named_relation_has_chinese_words() -> None:
    words = patient_words(language="zh")
    assert has_cjk(words["default"])
    assert set(words["relations"]) == set(NAMED_RELATIONS)
    for relation, name in words["relations"].items():
        assert name.startswith("您") and has_cjk(name[1:]), relation


def test_caregiver_questions_name_the_patient(chinese: Trial) -> None:
    for q in chinese.questions:
        for name in ("您母亲", "患者"):
            text = q.text_for("caregiver", name)
            assert name in text and "{" not in text, (q.id, text)
        assert q.text_for(None) == q.ask_self
        assert "{" not in q.ask_self, q.id


# --- quick replies and choices -----------------------------------------------------


def test_quick_replies_are_chinese_with_the_window_filled(chinese: Trial) -> None:
    for q in chinese.questions:
        labels = [c.label for c in quick_replies(chinese, q)]
        # A button press is matched by its label: two alike would be ambiguous.
        assert len(labels) == len(set(labels)), (q.id, labels)
        assert all(has_cjk(label) and "{" not in label for label in labels), labels
        if q.window_text:
            assert any(q.window_text in label for label in labels), (q.id, labels)
    other_trial = chinese.question("other_trial")
    assert "最近3个月内" in [c.label for c in quick_replies(chinese, other_trial)]


def test_encephalopathy_choices_use_patients_words(chinese: Trial) -> None:
    labels = {c.value: c.label for c in chinese.question("encephalopathy").choices}
    assert "糊涂" in labels[0] and "糊涂" in labels[1]
    assert "白天睡晚上不睡" in labels[1]
    assert "叫得醒" in labels[3]
    assert labels[4] == "叫不醒"


# --- lab questions in the words of a Chinese lab report ----------------------------


@pytest.mark.parametrize(
    ("question_id", "must_name"),
    [
        ("bilirubin", ("总胆红素", "TBIL", "µmol/L", "直接胆红素")),
        ("inr", ("国际标准化比值", "INR", "凝血酶原时间", "秒")),
        ("pta", ("凝血酶原活动度", "PTA", "%", "凝血酶原时间", "秒")),
        ("platelets", ("血小板", "PLT", "×10⁹/L")),
        ("child_pugh", ("Child-Pugh", "A、B、C")),
    ],
)
def test_lab_questions_name_the_report_line(
    chinese: Trial, question_id: str, must_name: tuple[str, ...]
) -> None:
    q = chinese.question(question_id)
    for text in (q.ask_self, q.ask_caregiver):
        for word in must_name:
            assert word in text, f"{question_id}: {word!r} missing from {text!r}"


def test_lab_questions_warn_against_the_look_alikes(chinese: Trial) -> None:
    bilirubin = chinese.question("bilirubin").ask_self
    assert "不是直接胆红素" in bilirubin
    inr = chinese.question("inr").ask_self
    assert re.search(r"凝血酶原时间[^。]*秒[^。]*不是\s*INR", inr), inr


# --- a bad overlay is refused ------------------------------------------------------


def _copy_trial(tmp_path: Path, overlay: dict[str, Any]) -> Path:
    """The criteria file and a (changed) Chinese overlay, side by side in tmp_path."""
    path = tmp_path / DEFAULT_TRIAL_FILE.name
    path.write_text(DEFAULT_TRIAL_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    overlay_path(path, "zh").write_text(
        yaml.safe_dump(overlay, allow_unicode=True), encoding="utf-8"
    )
    return path


def test_the_copied_overlay_loads_unchanged(tmp_path: Path) -> None:
    """The tmp copy itself is good: the failures below come from the change alone."""
    raw = yaml.safe_load(ZH_FILE.read_text(encoding="utf-8"))
    trial = load_trial(str(_copy_trial(tmp_path, raw)), language="zh")
    assert trial.question("age").label == "年龄"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda o: o["questions"].update(no_such_question={"label": "无"}), "question"),
        (lambda o: o["criteria"].update(exc_no_such={"summary": "无"}), "criterion"),
        (
            lambda o: o["questions"]["sex"]["choices"].update(unknown="未知"),
            "choice",
        ),
        (lambda o: o["quick_replies"].update(scale={"1": "一"}), "quick replies"),
        # A `yes:` key written without quotes is YAML's True, not the value "yes".
        (lambda o: o["quick_replies"]["yes_no"].update({True: "是"}), "choice"),
        (lambda o: o["trial"].update(sponsor="三〇二医院"), "trial.sponsor"),
        (lambda o: o.update(language="en"), "not the zh wording"),
    ],
)
def test_an_overlay_naming_an_unknown_id_is_refused(
    tmp_path: Path, change: Any, message: str
) -> None:
    raw = yaml.safe_load(ZH_FILE.read_text(encoding="utf-8"))
    change(raw)
    with pytest.raises(CriteriaError, match=message):
        load_trial(str(_copy_trial(tmp_path, raw)), language="zh")


def test_a_missing_overlay_is_refused(tmp_path: Path) -> None:
    path = tmp_path / DEFAULT_TRIAL_FILE.name
    path.write_text(DEFAULT_TRIAL_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(CriteriaError, match="cannot read criteria wording"):
        load_trial(str(path), language="zh")


def test_the_names_of_what_a_question_asks_about_exist_in_both_languages(
    english: Trial, chinese: Trial
) -> None:
    # A reply naming the thing asked about is a yes ("乙肝好多年了"): each question
    # with English names has Chinese ones too, written in Chinese.
    for q in english.questions:
        zh = chinese.question(q.id)
        assert bool(q.names) == bool(zh.names), q.id
        if q.names:
            assert zh.names != q.names and all(has_cjk(n) for n in zh.names), q.id
