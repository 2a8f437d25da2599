"""nlu_ext/spacy_rules.py: the rule-based value extractor (spaCy blank English and an
entity ruler).

Pure spaCy tests: the module imports nothing of Rasa (importing the ``nlu_ext`` package
does, for its components). The pipeline is built once per module.
"""

from __future__ import annotations

import pytest

spacy = pytest.importorskip("spacy")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from nlu_ext import spacy_rules as nlp  # noqa: E402
from nlu_ext.spacy_rules import build_and_save, extract_values, load_pipeline  # noqa: E402


@pytest.fixture(scope="module")
def pipeline():
    # the pipeline extract_values matches with (built once per process)
    return nlp.default_pipeline()


@pytest.fixture(scope="module")
def saved_path(tmp_path_factory):
    return build_and_save(tmp_path_factory.mktemp("spacy") / "trial_values")


@pytest.fixture(scope="module")
def loaded(saved_path):
    """The saved pipeline, reloaded with plain spaCy: no import from this project."""
    return spacy.load(saved_path)


# (text, entity, value): every example of the design brief.
EXAMPLES = [
    ("bilirubin 171 umol/L", "bilirubin", 171.0),
    ("TBil 10 mg/dl", "bilirubin", 171.0),
    ("bili 300", "bilirubin", 300.0),
    ("bilirubin 171umol/L", "bilirubin", 171.0),
    ("TBil 10mg/dl", "bilirubin", 171.0),
    ("total bilirubin 5 mg/dL", "bilirubin", 85.5),
    ("INR 1.8", "inr", 1.8),
    ("INR of one point eight", "inr", 1.8),
    ("INR:1.8", "inr", 1.8),
    ("PTA 35%", "pta", 35.0),
    ("prothrombin activity 35 percent", "pta", 35.0),
    ("platelets 45", "platelets", 45.0),
    ("PLT 45 x10^9/L", "platelets", 45.0),
    ("platelet count 45,000", "platelets", 45.0),
    ("plt 45×10⁹/L", "platelets", 45.0),
    ("platelets 45x10^9/L", "platelets", 45.0),
    ("Child-Pugh 10", "child_pugh", 10),
    ("Child Pugh class C", "child_pugh", 10),
    ("child pugh score of 8", "child_pugh", 8),
    ("Child-Pugh A", "child_pugh", 6),  # a class alone: the score bot.parsing gives it
    ("grade 2 encephalopathy", "he_grade", 2),
    ("HE grade II", "he_grade", 2),
    ("stage 3", "he_grade", 3),
    ("I'm 45", "age", 45),
    ("45 years old", "age", 45),
    ("aged 62", "age", 62),
    ("he is sixty two", "age", 62),
    ("turned 60", "age", 60),
    ("45-year-old", "age", 45),
    ("two weeks ago", "time_expression", "two weeks ago"),
    ("in 2019", "time_expression", "in 2019"),
    ("last March", "time_expression", "last March"),
    ("3 months ago", "time_expression", "3 months ago"),
    ("yesterday", "time_expression", "yesterday"),
]

UNITS = {
    "age": "years",
    "bilirubin": "umol/L",
    "inr": "ratio",
    "pta": "percent",
    "platelets": "10^9/L",
    "child_pugh": "points",
    "he_grade": None,
    "time_expression": None,
}


@pytest.mark.parametrize("mention, entity, value", EXAMPLES)
def test_example_gives_entity_value_and_offsets(mention, entity, value):
    prefix = "Well, the doctor said "
    text = f"{prefix}{mention} then."
    found = extract_values(text)
    assert len(found) == 1, found
    ent = found[0]
    assert ent["entity"] == entity
    assert ent["value"] == (pytest.approx(value) if isinstance(value, float) else value)
    assert type(ent["value"]) is type(value)
    assert (ent["start"], ent["end"]) == (len(prefix), len(prefix) + len(mention))
    assert ent["text"] == mention == text[ent["start"] : ent["end"]]
    assert ent["unit"] == UNITS[entity]
    assert ent["confidence_entity"] == 1.0
    assert ent["extractor"] == "TrialValueExtractor"


def test_value_that_does_not_parse_is_dropped_not_guessed(pipeline):
    # 5.2 without a unit could be mg/dL or µmol/L: the ruler finds the mention, the
    # parser asks for the unit, so no entity comes out.
    text = "total bilirubin was 5.2"
    assert [(e.label_, e.text) for e in pipeline(text).ents] == [("BILIRUBIN", text)]
    assert extract_values(text) == []
    # an impossible INR
    assert extract_values("INR 99") == []


def test_several_values_in_one_message():
    text = "My father is 62, his bilirubin was 300 umol/L two weeks ago and INR 1.8."
    found = [(e["entity"], e["value"], e["text"]) for e in extract_values(text)]
    assert found == [
        ("age", 62, "father is 62"),
        ("bilirubin", 300.0, "bilirubin was 300 umol/L"),
        ("time_expression", "two weeks ago", "two weeks ago"),
        ("inr", 1.8, "INR 1.8"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "I'm 45 kg",  # a weight
        "he is 2 weeks out of hospital",  # a duration
        "grade 2 ascites",  # another condition's grade
        "oesophageal varices stage 3",
        "Child Pugh is a concern",  # "a" is an article here
        "I may 5 times",  # "may" is a verb
        "bilirubin less than 50",  # a bound is not a value
        "I am 5 foot 6",  # a height
        "I was 45 when it started",  # a past age
        "Stage 4 cancer",
        "No, I don't know my INR",
        "INR unknown",
    ],
)
def test_look_alikes_are_not_extracted(text):
    assert extract_values(text) == []


@pytest.mark.parametrize(
    "text, tokens",
    [
        ("171umol/L", ["171umol", "/", "L"]),
        ("10mg/dl", ["10mg", "/", "dl"]),
        ("35%", ["35", "%"]),
        ("1.8", ["1.8"]),
        ("45,000", ["45,000"]),
        ("x10^9/L", ["x10", "^", "9", "/", "L"]),
        ("45x10^9/L", ["45x10", "^", "9", "/", "L"]),
        ("INR:1.8", ["INR:1.8"]),
        ("Child-Pugh", ["Child", "-", "Pugh"]),
        ("I'm", ["I", "'m"]),
    ],
)
def test_tokenizer_splits_the_patterns_rely_on(pipeline, text, tokens):
    assert [t.text for t in pipeline.make_doc(text)] == tokens


BAD_INPUTS = [
    "",
    " ",
    "\n\t\r",
    "\x00\x01\x02\x1b[31m",
    "😀" * 10_000,
    "😀 " * 5_000,
    "x" * 10_000,
    "bilirubin " * 1_000,
    "one " * 2_500,
    "inr " + "one point " * 1_000,
    "我今年四十五岁，胆红素171微摩尔每升" * 200,
    "我今年四十五岁",
    "INR 1.8 " * 1_250,
    "\ud800",  # a lone surrogate
    "bilirubin 1e999 mg/dL",
]


@pytest.mark.parametrize("text", BAD_INPUTS, ids=range(len(BAD_INPUTS)))
def test_bad_inputs_never_raise(text):
    found = extract_values(text)
    assert isinstance(found, list)
    for ent in found:
        assert text[ent["start"] : ent["end"]] == ent["text"]


_WORDS = [
    "INR", "bilirubin", "PLT", "PTA", "Child-Pugh", "grade", "stage", "HE", "I'm", "is",
    "he", "aged", "turned", "years", "old", "ago", "in", "last", "March", "2019", "45",
    "1.8", "171umol/L", "mg/dl", "35%", "x10^9/L", "45,000", "one", "point", "eight",
    "sixty", "two", "weeks", "C", "II", ".", ",", "😀", "肝", "\x00", "-", "  ",
]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(
        st.text(max_size=200),
        st.lists(st.sampled_from(_WORDS), max_size=40).map(" ".join),
        st.lists(st.sampled_from(_WORDS), max_size=40).map("".join),
    )
)
def test_any_text_gives_well_formed_entities(text):
    for ent in extract_values(text):
        assert 0 <= ent["start"] < ent["end"] <= len(text)
        assert text[ent["start"] : ent["end"]] == ent["text"]
        assert ent["entity"] in UNITS
        assert ent["value"] is not None


def test_not_a_string_gives_nothing():
    assert extract_values(None) == []  # type: ignore[arg-type]
    assert extract_values(42) == []  # type: ignore[arg-type]


def test_a_doc_of_another_text_is_ignored(pipeline):
    other = pipeline("INR 1.8")
    assert extract_values("platelets 45", other)[0]["entity"] == "platelets"


def test_saved_pipeline_is_small_and_loads_with_plain_spacy(
    saved_path, loaded, pipeline
):
    size = sum(f.stat().st_size for f in saved_path.rglob("*") if f.is_file())
    assert size < 5 * 1024 * 1024
    assert loaded.pipe_names == ["trial_value_ruler"]
    assert loaded is not pipeline
    text = "Aged 62, INR of one point eight, bilirubin 171umol/L, HE grade II, in 2019."
    ents = [(e.label_, e.start_char, e.end_char) for e in loaded(text).ents]
    assert ents == [(e.label_, e.start_char, e.end_char) for e in pipeline(text).ents]
    assert len(ents) == 5
    assert extract_values(text, loaded(text)) == extract_values(text)


def test_lower_cased_doc_gives_the_same_entities(loaded):
    # Rasa's SpacyNLP lower-cases the text before spaCy sees it (case_sensitive: false).
    text = "Child-Pugh C, HE grade II, PLT 45 x10^9/L and she's 62 y/o"
    found = extract_values(text, loaded(text.lower()))
    assert found == extract_values(text)
    assert [(e["entity"], e["value"]) for e in found] == [
        ("child_pugh", 10),
        ("he_grade", 2),
        ("platelets", 45.0),
        ("age", 62),
    ]
    assert found[0]["text"] == "Child-Pugh C"  # original case, not the doc's


def test_command_line_build(tmp_path, capsys):
    assert nlp.main(["build", str(tmp_path / "p")]) == 0
    assert (tmp_path / "p" / "config.cfg").is_file()
    assert nlp.main(["nonsense"]) == 2


def test_load_pipeline_is_cached(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(spacy, "load", lambda path: calls.append(path) or object())
    first = load_pipeline(tmp_path)
    assert load_pipeline(str(tmp_path)) is first
    assert calls == [str(tmp_path.resolve())]


def test_patterns_are_valid_for_spacy():
    from spacy.schemas import validate_token_pattern

    for entry in nlp.patterns()[::7]:  # a sample: the full check takes seconds
        assert validate_token_pattern(entry["pattern"]) == []
