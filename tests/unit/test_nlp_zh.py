"""nlu_ext/zh_tokenizer.py inside the project's spaCy pipeline: Chinese runs cut by
jieba with our user dictionary, everything else by the English tokenizer, offsets exact,
the tokenizer saved and loaded with the pipeline; and the rule components on Chinese.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

spacy = pytest.importorskip("spacy")
pytest.importorskip("jieba")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from nlu_ext import spacy_rules, zh_tokenizer  # noqa: E402
from nlu_ext.spacy_rules import build_and_save, extract_values  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def nlp():
    return spacy_rules.default_pipeline()


@pytest.fixture(scope="module")
def saved_path(tmp_path_factory):
    return build_and_save(tmp_path_factory.mktemp("spacy_zh") / "trial_values")


def words(nlp, text):
    return [t.text for t in nlp(text) if not t.is_space]


def test_the_pipeline_uses_the_mixed_tokenizer(nlp):
    assert isinstance(nlp.tokenizer, zh_tokenizer.MixedTokenizer)
    assert nlp.config["nlp"]["tokenizer"]["@tokenizers"] == zh_tokenizer.TOKENIZER_NAME


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("INR 1.8，PTA 35%", ["INR", "1.8", "，", "PTA", "35", "%"]),
        ("总胆红素320微摩尔/升", ["总胆红素", "320", "微摩尔", "/", "升"]),
        ("TBIL 256.4 μmol/L，直接胆红素180", None),
        ("我妈肝硬化，有腹水", ["我妈", "肝硬化", "，", "有", "腹水"]),
        ("凝血酶原时间二十秒。", None),
        ("腹水！谢谢（医生）", ["腹水", "！", "谢谢", "（", "医生", "）"]),
    ],
)
def test_mixed_messages(nlp, text, expected):
    got = words(nlp, text)
    if expected is not None:
        assert got == expected
    assert "".join(got) == "".join(text.split())


def test_latin_parts_are_cut_as_in_english(nlp):
    english = spacy.blank("en")
    for latin in ["TBIL 256.4 μmol/L", "PLT 45 x10^9/L", "I'm 62", "INR:1.8"]:
        expected = [t.text for t in english(latin)]
        assert words(nlp, f"化验{latin}。")[1:-1] == expected
        assert words(nlp, latin) == expected


def test_an_english_message_is_the_english_tokenizers_doc(nlp):
    english = spacy.blank("en")
    text = "I'm 62  years old,\nbilirubin 171umol/L (PTA 35%)"
    ours, theirs = nlp(text), english(text)
    assert [(t.text, t.idx, t.whitespace_, t.norm_) for t in ours] == [
        (t.text, t.idx, t.whitespace_, t.norm_) for t in theirs
    ]


@pytest.mark.parametrize(
    "text",
    [
        "我爸今年六十二了",
        "  INR 1.8 ，PTA 35%  ",
        "我妈\u3000INR一点八几\n\n总胆红素 320",
        "ok 好的 ok",
        "I'm 他爸, we're fine。",
        "１．８，三十五％",
        "",
        "。",
    ],
)
def test_offsets_are_exact_and_no_single_space_is_a_token(nlp, text):
    doc = nlp(text)
    assert doc.text == text
    for tok in doc:
        assert text[tok.idx : tok.idx + len(tok.text)] == tok.text
        if tok.is_space:  # only where spaCy's own tokenizer makes one too
            assert tok.text != " " or tok.i == 0 or doc[tok.i - 1].whitespace_
        else:
            assert not any(ch.isspace() for ch in tok.text)


def test_a_special_cases_norm_survives_in_a_mixed_message(nlp):
    doc = nlp("I'm 他妈妈")
    assert [(t.text, t.norm_) for t in doc][:2] == [("I", "i"), ("'m", "am")]


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("我吃了一点三七", "三七"),
        ("三七粉吃了两年", "三七"),
        ("B超说有一点腹水，抽过一次", "一点"),
        ("乙肝小三阳二十多年了", "小三阳"),
        ("乙肝大三阳", "大三阳"),
        ("他有肝性脑病", "肝性脑病"),
        ("凝血酶原活动度才百分之三十五", "凝血酶原活动度"),
        ("国际标准化比值一点九", "国际标准化比值"),
        ("直接胆红素180", "直接胆红素"),
        ("今天还拉黑便", "黑便"),
        ("需要签知情同意书吗", "知情同意书"),
    ],
)
def test_our_words_stay_whole(nlp, text, word):
    # never cut inside: one token covers the whole word
    start = text.index(word)
    doc = nlp(text)
    inside = [t for t in doc if t.idx < start + len(word) and t.idx + len(t) > start]
    assert len(inside) == 1, [t.text for t in doc]


def test_no_hmm_guesses(nlp):
    # with jieba's HMM on, 三天前吐过一次血 gave 前吐过 and 今天还拉黑便 gave 还拉黑
    got = words(nlp, "三天前吐过一次血，今天还拉黑便")
    assert "前吐过" not in got and "还拉黑" not in got
    assert "吐" in got and "血" in got


def test_one_jieba_instance_per_process(nlp, saved_path):
    nlp("加载")
    loaded = spacy_rules.load_pipeline(saved_path)
    assert loaded.tokenizer._jieba is not None  # loaded at once by from_disk
    assert loaded.tokenizer._jieba is nlp.tokenizer._jieba


def test_save_and_load_round_trip(nlp, saved_path):
    assert (saved_path / "tokenizer" / "zh_words.txt").read_text(encoding="utf-8") == (
        zh_tokenizer.read_user_words()
    )
    loaded = spacy.load(saved_path)
    assert isinstance(loaded.tokenizer, zh_tokenizer.MixedTokenizer)
    for text in ["INR 1.8，PTA 35%", "我爸乙肝小三阳，总胆红素320微摩尔/升", "I'm 54."]:
        a, b = nlp(text), loaded(text)
        assert [(t.text, t.idx, t.whitespace_) for t in a] == [
            (t.text, t.idx, t.whitespace_) for t in b
        ]
        ents = [(e.label_, e.text) for e in a.ents]
        assert ents == [(e.label_, e.text) for e in b.ents]


def test_a_saved_pipeline_keeps_the_words_it_was_built_with(tmp_path):
    nlp = spacy_rules.build_pipeline()
    nlp.tokenizer.user_words = "肝肝肝\n"  # a made-up word: jieba alone never joins it
    nlp.to_disk(tmp_path / "p")
    loaded = spacy.load(tmp_path / "p")
    assert "肝肝肝" in [t.text for t in loaded("他肝肝肝了")]
    built = spacy_rules.default_pipeline()
    assert "肝肝肝" not in [t.text for t in built("他肝肝肝了")]


def test_bytes_round_trip(nlp):
    blank = spacy_rules.build_pipeline()
    blank.tokenizer.from_bytes(nlp.tokenizer.to_bytes())
    text = "我老公INR 1.8，小三阳"
    assert [t.text for t in blank(text)] == [t.text for t in nlp(text)]


def test_loads_in_a_fresh_process_after_import_nlu_ext(saved_path):
    code = (
        "import sys, nlu_ext, spacy\n"
        f"nlp = spacy.load({str(saved_path)!r}, disable=['parser'])\n"
        "print('|'.join(t.text for t in nlp('我爸INR 1.8，小三阳')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "我爸|INR|1.8|，|小三阳"


# -- the rule components on Chinese tokens ------------------------------------------


def values(text):
    return {(e["entity"], e["value"]) for e in extract_values(text)}


def test_english_lab_values_inside_chinese_messages():
    assert values("化验结果：INR 1.8，PTA 35%。") == {("inr", 1.8), ("pta", 35.0)}
    assert ("bilirubin", 256.4) in values("TBIL 256.4 μmol/L，直接胆红素180")


# Chinese lab names: the ruler finds the mention, bot.parsing reads the value (only
# values the parsers read today; the Chinese numerals are theirs to add).
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("总胆红素320微摩尔/升", {("bilirubin", 320.0)}),
        ("胆红素：256.4μmol/L，直接胆红素180", {("bilirubin", 256.4)}),
        ("上周查的国际标准化比值是1.9", {("inr", 1.9)}),
        ("凝血酶原活性35%", {("pta", 35.0)}),
        ("血小板计数：45×10⁹/L", {("platelets", 45.0)}),
        ("我爸今年62岁", {("age", 62)}),
        ("年龄：58", {("age", 58)}),
        ("肝性脑病2期", {("he_grade", 2)}),
        ("肝性脑病1级，总胆红素300", {("he_grade", 1), ("bilirubin", 300.0)}),
        ("凝血酶原活动度35%，凝血酶原时间20秒", {("pta", 35.0)}),
        (
            "总胆红素320，INR 1.8 and PTA 35%",
            {("bilirubin", 320.0), ("inr", 1.8), ("pta", 35.0)},
        ),
    ],
)
def test_chinese_lab_names(text, expected):
    assert values(text) == expected


def test_a_chinese_mention_stops_at_the_clause(nlp):
    doc = nlp("总胆红素320，国际标准化比值1.9。凝血酶原时间二十秒")
    assert [(e.label_, e.text) for e in doc.ents] == [
        ("BILIRUBIN", "总胆红素320"),
        ("INR", "国际标准化比值1.9"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "我吃了一点三七",
        "乙肝小三阳二十多年了",
        "B超说有一点腹水，抽过一次",
        "三天前吐过一次血，今天还拉黑便",
        "我爸是2019年查出来的肝硬化",
        "凝血酶原时间20秒",
        "他没有肝性脑病，胆红素不高",
    ],
)
def test_no_lab_value_from_chinese_words(text):
    found = values(text)
    assert not {kind for kind, _ in found} & {"bilirubin", "inr", "pta", "platelets"}


def test_direct_bilirubin_is_not_the_bilirubin():
    found = extract_values("直接胆红素180")
    assert not [e for e in found if e["entity"] == "bilirubin"]


def test_values_on_the_tokens_rasa_gives(nlp):
    text = "我妈的INR 1.8，PTA 35%"
    # SpacyNLP lower-cases the text before its pipeline sees it
    found = extract_values(text, nlp(text.lower()))
    assert {(e["entity"], e["value"], e["text"]) for e in found} == {
        ("inr", 1.8, "INR 1.8"),
        ("pta", 35.0, "PTA 35%"),
    }


def test_a_long_chinese_message_is_not_masked():
    text = "我" * 300 + "，INR 1.8"
    assert ("inr", 1.8) in values(text)


_MIXED = st.text(
    alphabet=st.sampled_from(
        list("我爸妈乙肝小三阳总胆红素凝血酶原一点三七十万岁，。！（）、")
        + list("INRPTA0123456789.% /µmolL\n\u3000")
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(_MIXED)
def test_never_breaks_on_mixed_text(text):
    doc = spacy_rules.default_pipeline()(text)
    assert doc.text == text
    assert all(t.text for t in doc)
    found = extract_values(text)
    for e in found:
        assert text[e["start"] : e["end"]] == e["text"]


def test_rasa_tokens_and_entities_of_a_mixed_message(saved_path, tmp_path):
    """SpacyNLP (loading the saved pipeline), SpacyTokenizer, TrialValueExtractor."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.constants import TOKENS_NAMES
    from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer
    from rasa.nlu.utils.spacy_utils import SpacyNLP
    from rasa.shared.nlu.constants import ENTITIES, TEXT
    from rasa.shared.nlu.training_data.message import Message

    from nlu_ext.value_extractor import TrialValueExtractor

    def create(component, config, name):
        return component.create(
            {**component.get_default_config(), **config},
            LocalModelStorage(tmp_path),
            Resource(name),
            ExecutionContext(GraphSchema({}), "test"),
        )

    spacy_nlp = create(SpacyNLP, {"model": str(saved_path)}, "nlp")
    tokenizer = create(SpacyTokenizer, {}, "tokenizer")
    extractor = create(TrialValueExtractor, {}, "values")
    text = "我妈  乙肝小三阳，INR 1.8，PTA 35%\n总胆红素320微摩尔/升"
    message = Message(data={TEXT: text})
    spacy_nlp.process([message], spacy_nlp.provide())
    tokenizer.process([message])
    extractor.process([message])
    tokens = message.get(TOKENS_NAMES[TEXT])
    assert [t.text for t in tokens][:8] == [
        "我妈",
        "乙肝",
        "小三阳",
        "，",
        "inr",
        "1.8",
        "，",
        "pta",
    ]
    for tok in tokens:
        assert tok.text.strip() == tok.text and tok.text
        assert text.lower()[tok.start : tok.end] == tok.text
    found = {(e["entity"], e["value"], e["text"]) for e in message.get(ENTITIES)}
    assert found == {
        ("inr", 1.8, "INR 1.8"),
        ("pta", 35.0, "PTA 35%"),
        ("bilirubin", 320.0, "总胆红素320微摩尔/升"),
    }


# -- scripts/nlu_report.py: intent F1 per language -----------------------------------


def _nlu_report():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "nlu_report", ROOT / "scripts" / "nlu_report.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write_results(folder, rows):
    import json

    ok = [r for r in rows if r[1] == r[2]]
    bad = [r for r in rows if r[1] != r[2]]

    def dump(items):
        return json.dumps(
            [
                {
                    "text": t,
                    "intent": g,
                    "intent_prediction": {"name": p, "confidence": 0.9},
                }
                for t, g, p in items
            ]
        )

    (folder / "intent_successes.json").write_text(dump(ok))
    (folder / "intent_errors.json").write_text(dump(bad))
    avg = {"precision": 0.5, "recall": 0.5, "f1-score": 0.5, "support": len(rows)}
    (folder / "intent_report.json").write_text(json.dumps({"weighted avg": avg}))


def test_nlu_report_per_language(tmp_path, capsys):
    report = _nlu_report()
    rows = [
        ("hello", "greet", "greet"),
        ("bye", "goodbye", "goodbye"),
        ("INR 1.8", "inform", "inform"),
        ("您好", "greet", "greet"),
        ("再见", "goodbye", "greet"),
        ("INR 一点八", "inform", "inform"),
    ]
    _write_results(tmp_path, rows)
    assert report.main(str(tmp_path)) == 0
    out = capsys.readouterr().out
    assert "intent, English" in out and "intent, Chinese" in out
    english = next(ln for ln in out.splitlines() if "intent, English" in ln)
    chinese = next(ln for ln in out.splitlines() if "intent, Chinese" in ln)
    assert "F1 1.000" in english and "(support 3)" in english
    # greet: P 1/2, R 1 -> 2/3; goodbye: 0; inform: 1 -> (2/3 + 0 + 1) / 3 = 0.556
    assert "F1 0.556" in chinese and "accuracy 0.667" in chinese
    assert "goodbye -> greet: 再见" in out


def test_nlu_report_says_when_predictions_are_missing(tmp_path, capsys):
    report = _nlu_report()
    _write_results(
        tmp_path, [("hello", "greet", "greet"), ("再见", "goodbye", "greet")]
    )
    (tmp_path / "intent_successes.json").unlink()  # run without --successes
    assert report.main(str(tmp_path)) == 0
    assert "needs `rasa test nlu --successes`" in capsys.readouterr().out


def test_weighted_f1_matches_scikit_learn():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    report = _nlu_report()
    pairs = [("a", "a"), ("a", "b"), ("b", "b"), ("c", "b"), ("c", "c"), ("a", "d")]
    targets = [t for t, _ in pairs]
    predictions = [p for _, p in pairs]
    expected = sklearn_metrics.f1_score(
        targets, predictions, average="weighted", zero_division=0
    )
    assert report.weighted_f1(pairs)[0] == pytest.approx(expected)
