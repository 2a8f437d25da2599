"""Rule-based extraction of the screening values from free text (spaCy, no model).

The assistant needs a handful of numbers from what people type: age, lab values
(bilirubin, INR, prothrombin activity, platelets), the Child-Pugh score, the grade of
hepatic encephalopathy, and time expressions ("two weeks ago", "in 2019"). No pretrained
spaCy model is used: the pipeline is ``spacy.blank("en")`` with our tokenizer for
English, Chinese and mixed text (``nlu_ext/zh_tokenizer.py``: jieba for runs of Chinese
characters) plus a built-in ``entity_ruler`` whose token patterns find the mentions, in
English and in Chinese ("总胆红素320微摩尔/升"). The patterns and the tokenizer's user
dictionary are serialised with the pipeline, and Rasa's ``SpacyNLP`` loads the saved
pipeline as its ``model``; ``spacy.load(path)`` needs the tokenizer registered first
(``zh_tokenizer.register()``, done by ``import nlu_ext`` and by ``load_pipeline``).

The ruler only finds spans; turning a span into a value is the job of ``bot.parsing``
(units, number words, plausibility). A span whose value does not parse is dropped. The
word lists the parsers share (months, weekdays, time units, number words, grades,
Child-Pugh and percent words) come from ``bot.parsing.lexicon``.

Plain spaCy: this module imports nothing of Rasa (the NLU component that uses it is
``nlu_ext/value_extractor.py``).

Nothing heavy is imported at module import time (importing spaCy pulls in thinc, which
imports TensorFlow when it is installed): spaCy is imported inside the functions.

Command line: ``python -m nlu_ext.spacy_rules build <path>`` writes the pipeline to
``<path>``.
"""

from __future__ import annotations

import functools
import itertools
import logging
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.parsing.lexicon import (
    CHILD_PUGH_CLASS_LETTERS,
    CHILD_PUGH_KIND_WORDS,
    MONTH_VERBS,
    MONTHS,
    NUMBER_WORDS,
    PERCENT_WORDS,
    ROMAN_GRADES,
    TIME_UNITS,
    WEEKDAYS,
)
from nlu_ext import zh_tokenizer

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language
    from spacy.tokens import Doc, Span

logger = logging.getLogger(__name__)

EXTRACTOR_NAME = "TrialValueExtractor"

#: Entity names (Rasa side) and the canonical unit of each value. The units are the
#: ones the criteria data (bot/screening/trials/*.yml) declares for the matching
#: questions.
AGE = "age"
BILIRUBIN = "bilirubin"
INR = "inr"
PTA = "pta"
PLATELETS = "platelets"
CHILD_PUGH = "child_pugh"
HE_GRADE = "he_grade"
TIME_EXPRESSION = "time_expression"

ENTITY_UNITS: dict[str, str | None] = {
    AGE: "years",
    BILIRUBIN: "umol/L",
    INR: "ratio",
    PTA: "percent",
    PLATELETS: "10^9/L",
    CHILD_PUGH: "points",
    HE_GRADE: None,
    TIME_EXPRESSION: None,
}

#: spaCy entity label (in the pipeline) -> entity name (in the Rasa output).
LABELS: dict[str, str] = {
    "AGE": AGE,
    "BILIRUBIN": BILIRUBIN,
    "INR": INR,
    "PTA": PTA,
    "PLATELETS": PLATELETS,
    "CHILD_PUGH": CHILD_PUGH,
    "HE_GRADE": HE_GRADE,
    "TIME": TIME_EXPRESSION,
}

#: Values of these entities are integers; the others are floats.
_INT_ENTITIES = frozenset({AGE, CHILD_PUGH, HE_GRADE})

#: Longer texts are cut to this many characters before matching (offsets stay valid).
MAX_CHARS = 20_000

RULER_NAME = "trial_value_ruler"

# ----------------------------------------------------------------------------------
# Token patterns
#
# How the spaCy 3.4 English tokenizer splits the awkward cases (checked by the tests):
#   "171umol/L" -> 171umol / L      "10mg/dl"    -> 10mg / dl    "35%"  -> 35 %
#   "5.2mg/dL." -> 5.2mg / dL.      "x10^9/L"    -> x10 ^ 9 / L  "1.8"  -> 1.8
#   "45x10^9/L" -> 45x10 ^ 9 / L    "10⁹/L"      -> 10⁹/L        "45yo" -> 45yo
#   "INR:1.8"   -> INR:1.8          "PTA35%"     -> PTA35 %      "I'm"  -> I 'm
#   "45,000"    -> 45,000           "Child-Pugh" -> Child - Pugh
#   "3months"   -> 3months          (the "5.2mg/dL." period stays: capital before it)
# Patterns match on LOWER (Rasa's SpacyNLP lower-cases text unless case_sensitive).
# ----------------------------------------------------------------------------------

Token = dict[str, Any]
Alt = list[Token]  # one alternative: a sequence of token specs

_NUMBER_CONNECTORS = ["-", "and", "point"]

_NUM_RE = r"\d+(?:[.,]\d+)*"
_DEC_RE = r"\d+(?:[.,]\d+)?"


def _in(words: Iterable[str], op: str | None = None) -> Token:
    tok: Token = {"LOWER": {"IN": list(words)}}
    if op:
        tok["OP"] = op
    return tok


def _re(regex: str, op: str | None = None) -> Token:
    tok: Token = {"LOWER": {"REGEX": regex}}
    if op:
        tok["OP"] = op
    return tok


def _w(word: str, op: str | None = None) -> Token:
    tok: Token = {"LOWER": word}
    if op:
        tok["OP"] = op
    return tok


_DASH = {"ORTH": {"IN": ["-", "–", "—"]}, "OP": "?"}
_WORD = _in(NUMBER_WORDS)
#: a number written in words: "four", "sixty two", "sixty-two", "one point eight",
#: "one hundred and seventy one point five". The length is bounded (no "*"): an
#: unbounded operator makes the matcher quadratic on a long run of number words.
_WORD_OR_CONNECTOR = _in([*NUMBER_WORDS, *_NUMBER_CONNECTORS], "?")
NUM_WORDS: list[Alt] = [
    [_WORD],
    [_WORD, *([_WORD_OR_CONNECTOR] * 6), _WORD],
]
NUM_DIGITS: list[Alt] = [[_re(f"^{_NUM_RE}$")]]
NUM: list[Alt] = NUM_DIGITS + NUM_WORDS
INT_NUM: list[Alt] = [[_re(r"^\d{1,3}$")]] + NUM_WORDS

#: words allowed between a keyword and its value ("bilirubin level was about 171")
FILLER_WORDS = [
    "is", "was", "were", "are", "'s", "’s", "be", "been", "has", "had", "of", "at",
    "about", "around", "approximately", "approx", "roughly", "~", ":", "=", "-",
    "level", "levels", "value", "values", "count", "counts", "result", "results",
    "reading", "test", "now", "currently", "latest", "last", "recent", "most", "still",
]  # fmt: skip
FILL: Alt = [_in(FILLER_WORDS, "?"), _in(FILLER_WORDS, "?"), _in(FILLER_WORDS, "?")]


def _alts(*slots: list[Alt]) -> Iterator[list[Token]]:
    """Every concatenation of one alternative per slot."""
    for combo in itertools.product(*slots):
        yield [dict(tok) for alt in combo for tok in alt]


def _patterns(label: str, *slots: list[Alt]) -> list[dict[str, Any]]:
    return [{"label": label, "pattern": p} for p in _alts(*slots)]


def _bilirubin_patterns() -> list[dict[str, Any]]:
    keyword: list[Alt] = [
        [
            _in(["total", "serum"], "?"),
            _in(["bilirubin", "bilirubins", "bili", "tbil", "tbili", "t-bil", "t.bil"]),
        ],
        [_in(["total", "serum"], "?"), _w("t"), _DASH, _in(["bil", "bili"])],
    ]
    heads = ["umol", "µmol", "μmol", "micromol", "micromols", "micromole", "micromoles",
             "mg", "mgs", "milligram", "milligrams"]  # fmt: skip
    per = _in(["/", "per", "a"], "?")
    denominator = _re(r"^(?:d?l|lit(?:er|re)s?|decilit(?:er|re)s?)\.?$", "?")
    unit: list[Alt] = [[], [_in(heads), per, denominator]]
    glued: list[Alt] = [
        [_re(rf"^{_DEC_RE}(?:umol|µmol|μmol|micromol|mg)$"), per, denominator]
    ]
    glued_keyword: list[Alt] = [
        [_re(rf"^(?:t-?bili?|bili(?:rubin)?)[:=]?{_DEC_RE}$")],
    ]
    return (
        _patterns("BILIRUBIN", keyword, [FILL], NUM, unit)
        + _patterns("BILIRUBIN", keyword, [FILL], glued)
        + _patterns("BILIRUBIN", glued_keyword, unit)
    )


def _inr_patterns() -> list[dict[str, Any]]:
    keyword: list[Alt] = [
        [_w("inr")],
        [_w("pt"), _in(["/", "-"]), _w("inr")],
        [_w("international"), _in(["normalised", "normalized"]), _w("ratio")],
    ]
    return _patterns("INR", keyword, [FILL], NUM) + _patterns(
        "INR", [[_re(rf"^inr[:=]?{_DEC_RE}$")]]
    )


_PERCENT: list[Alt] = [
    [],
    [{"ORTH": "%"}],
    [_in(PERCENT_WORDS)],
    [_w("per"), _w("cent")],
]


def _pta_patterns() -> list[dict[str, Any]]:
    keyword: list[Alt] = [
        [_w("pta")],
        [_in(["prothrombin", "pt"]), _w("time", "?"), _w("activity")],
    ]
    return _patterns("PTA", keyword, [FILL], NUM, _PERCENT) + _patterns(
        "PTA", [[_re(rf"^pta[:=]?{_DEC_RE}%?$")]], _PERCENT
    )


def _platelet_patterns() -> list[dict[str, Any]]:
    keyword: list[Alt] = [
        [
            _in(
                [
                    "platelet",
                    "platelets",
                    "plt",
                    "plts",
                    "plat",
                    "thrombocyte",
                    "thrombocytes",
                ]
            )
        ]
    ]
    times = _in(["x", "×", "*"], "?")
    slash = _in(["/", "per"], "?")
    litre = _re(r"^(?:l|litre|liter)\.?$", "?")
    micro = ["ul", "µl", "μl", "mcl", "mm3", "microlitre", "microliter", "cumm"]
    unit: list[Alt] = [
        [],
        # x10^9/L  |  x 10 ^ 9 / L  |  ×10^9/L
        [
            times,
            _re(r"^[x×*]?10$"),
            {"ORTH": "^", "OP": "?"},
            _re(r"^(?:9|e9)$"),
            slash,
            litre,
        ],
        # x10⁹/L (one token)  |  10e9/L
        [times, _re(r"^[x×*]?10(?:⁹|\^9|e9)(?:/l)?\.?$"), slash, litre],
        [_w("g"), _w("/"), _re(r"^l\.?$")],
        [_in(["k", "thousand"]), slash, _in(micro, "?")],
        [_in(["/", "per"]), _in(micro)],
    ]
    glued: list[Alt] = [
        [_re(rf"^{_NUM_RE}k$"), slash, _in(micro, "?")],
        [
            _re(rf"^{_DEC_RE}[x×*]10$"),
            {"ORTH": "^", "OP": "?"},
            _re(r"^(?:9|e9)$"),
            slash,
            litre,
        ],
        [_re(rf"^{_DEC_RE}[x×*]10(?:⁹|\^9|e9)(?:/l)?\.?$"), slash, litre],
        [_re(rf"^{_NUM_RE}/(?:ul|µl|μl|mcl|mm3)$")],
    ]
    return _patterns("PLATELETS", keyword, [FILL], NUM, unit) + _patterns(
        "PLATELETS", keyword, [FILL], glued
    )


def _child_pugh_patterns() -> list[dict[str, Any]]:
    keyword: list[Alt] = [
        [_in(["child", "child's", "childs"]), _DASH, _w("pugh")],
        [_in(["child", "child's"]), _DASH, _w("pugh"), _DASH, _w("turcotte")],
        [_in(["child", "child's"]), _DASH, _w("turcotte"), _DASH, _w("pugh")],
        [_in(["ctp", "childpugh", "child-pugh"])],
    ]
    kind_words = ["score", "class", "grade", "category", "stage", "classification"]
    kind_opt: list[Alt] = [[_in(kind_words, "?")]]
    kind_req: list[Alt] = [[_in(CHILD_PUGH_KIND_WORDS)]]
    points: list[Alt] = [[_in(["points", "point", "pts"], "?")]]
    return (
        _patterns("CHILD_PUGH", keyword, kind_opt, [FILL], NUM, points)
        # "Child Pugh class C", "child-pugh grade a"
        + _patterns(
            "CHILD_PUGH", keyword, kind_req, [FILL], [[_in(CHILD_PUGH_CLASS_LETTERS)]]
        )
        # "Child-Pugh C", "child pugh b" (a bare lower-case "a" is too ambiguous)
        + _patterns(
            "CHILD_PUGH",
            keyword,
            [FILL],
            [[{"ORTH": {"IN": [c.upper() for c in CHILD_PUGH_CLASS_LETTERS]}}]],
        )
        + _patterns("CHILD_PUGH", keyword, [FILL], [[_in(["b", "c"])]])
    )


def _he_grade_patterns() -> list[dict[str, Any]]:
    grade_word: list[Alt] = [[_in(["grade", "stage"])]]
    grades = ["0", "1", "2", "3", "4", *ROMAN_GRADES, *NUMBER_WORDS[:5]]
    grade_value: list[Alt] = [[_in(grades)]]
    hepatic = _in(["hepatic", "liver", "portosystemic"], "?")
    # after the grade, "he" must be written "HE" (else: "stage 2 he was ...")
    after: list[Alt] = [
        [hepatic, _in(["encephalopathy", "coma"])],
        [{"ORTH": "HE"}],
    ]
    before: list[Alt] = [
        [hepatic, _in(["encephalopathy", "he", "coma"]), *FILL],
        [_w("west"), _w("haven"), _in(["criteria", "scale", "score"], "?")],
    ]
    return (
        _patterns("HE_GRADE", grade_word, grade_value)
        + _patterns("HE_GRADE", grade_word, grade_value, after)
        + _patterns("HE_GRADE", before, grade_word, grade_value)
    )


_YEARS_WORDS = ["years", "year", "yrs", "yr", "y", "y.o", "y.o.", "yo"]


def _age_patterns() -> list[dict[str, Any]]:
    subject = _in([
        "i", "he", "she", "they", "we", "patient", "mom", "mum", "mother", "dad",
        "father",
        "husband", "wife", "son", "daughter", "brother", "sister", "grandmother",
        "grandfather", "grandma", "grandpa", "uncle", "aunt", "partner", "friend",
    ])  # fmt: skip
    # not "was": "I was 45 when ..." is not the age now
    be = _in(["'m", "’m", "m", "am", "is", "'s", "’s", "are", "'re", "’re"])
    adverb = _in(["now", "currently", "only", "just", "already", "turning"], "?")
    subject_be: list[Alt] = [[subject, be, adverb]]
    years = _in(_YEARS_WORDS)
    unit_opt: list[Alt] = [
        [],
        [years],
        [_DASH, years, _DASH, _w("old")],
        [years, _in(["of", "in"]), _w("age")],
        [_w("y"), _w("/"), _w("o")],
    ]
    unit_req: list[Alt] = [
        [_DASH, years, _DASH, _w("old")],
        [years, _in(["of", "in"]), _w("age")],
        [_w("y"), _w("/"), _w("o")],
        [_in(["yo", "y.o", "y.o."])],
    ]
    glued_age: list[Alt] = [[_re(r"^\d{1,3}(?:yo|yrs?|y|y\.o\.?)$")]]
    glued_unit: list[Alt] = [[], [_w("/"), _w("o")], [_w("old")]]
    age_word: list[Alt] = [
        [_w("my", "?"), _in(["age", "aged"]), _in(["is", "of", ":", "=", "-"], "?")],
        [_in(["turned", "turning", "turn", "turns"])],
    ]
    return (
        _patterns("AGE", subject_be, INT_NUM, unit_opt)
        + _patterns("AGE", age_word, INT_NUM, unit_opt)
        + _patterns("AGE", INT_NUM, unit_req)
        + _patterns("AGE", [[], *subject_be, *age_word], glued_age, glued_unit)
    )


_MONTHS = list(MONTHS)
#: months safe to match without a preposition before them ("may" and "march" are verbs)
_SAFE_MONTHS = [m for m in _MONTHS if m not in MONTH_VERBS]
_WEEKDAYS = list(WEEKDAYS)
_TIME_UNITS = [
    *(word for words in TIME_UNITS.values() for word in words),
    "fortnight",
    "hour",
    "hours",
]


def _time_patterns() -> list[dict[str, Any]]:
    year = _re(r"^(?:19|20)\d\d$")
    month = _in(_MONTHS)
    day = _re(r"^(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?$")
    quantity: list[Alt] = [
        *NUM,
        [_in(["a", "an"])],
        [_w("a", "?"), _in(["few", "couple"]), _w("of", "?")],
        [_in(["several", "some", "many"])],
    ]
    unit: list[Alt] = [[_in(_TIME_UNITS)]]
    ago: list[Alt] = [[_in(["ago", "back", "earlier"])]]
    glued_quantity: list[Alt] = [
        [_re(r"^\d+(?:days?|d|weeks?|wks?|w|months?|mos?|mths?|m|years?|yrs?|y)$")]
    ]
    prep: list[Alt] = [
        [_in(["in", "since", "during", "around", "until", "by", "from"])]
    ]
    month_prep: list[Alt] = [
        [
            _in(
                [
                    "in",
                    "since",
                    "during",
                    "last",
                    "this",
                    "early",
                    "late",
                    "mid",
                    "around",
                    "until",
                    "by",
                    "from",
                    "past",
                    "previous",
                ]
            )
        ]  # fmt: skip
    ]
    relative: list[Alt] = [
        [
            _in(["last", "this", "past", "previous"]),
            _in(
                [
                    "week",
                    "month",
                    "year",
                    "spring",
                    "summer",
                    "autumn",
                    "fall",
                    "winter",
                    "night",
                    "weekend",
                    "christmas",
                    *_WEEKDAYS,
                ]
            ),
        ],  # fmt: skip
        [_w("yesterday")],
        [_w("today")],
        [_w("the"), _w("day"), _w("before"), _w("yesterday")],
        [_w("earlier"), _w("this"), _in(["week", "month", "year"])],
    ]
    window: list[Alt] = [
        [_in(["in", "within", "over", "during"]), _w("the"), _in(["last", "past"])]
    ]
    date_token: list[Alt] = [
        [_re(r"^\d{1,2}[/.-]\d{1,2}[/.-](?:\d{2}|\d{4})$")],
        [_re(r"^\d{1,2}/(?:19|20)\d\d$")],
        [_re(r"^(?:19|20)\d\d[/.-]\d{1,2}(?:[/.-]\d{1,2})?$")],
        [year, _w("-"), _re(r"^\d{1,2}$"), _w("-"), _re(r"^\d{1,2}$")],
    ]
    return (
        _patterns("TIME", quantity, unit, ago)
        + _patterns("TIME", glued_quantity, ago)
        + _patterns("TIME", prep, [[year]])
        + _patterns("TIME", month_prep, [[month]], [[], [year]])
        + _patterns(
            "TIME",
            [[], [_w("on")], [_w("in")], [_w("since")]],
            [[day]],
            [[month]],
            [[], [year]],
        )
        + _patterns("TIME", [[_in(_SAFE_MONTHS)], [_w("may")], [_w("march")]], [[year]])
        + _patterns(
            "TIME", [[_in(_SAFE_MONTHS)]], [[day]], [[], [_w(","), year], [year]]
        )
        + _patterns("TIME", relative)
        + _patterns("TIME", window, [[], *quantity], unit)
        + _patterns("TIME", [[], [_in(["on", "in", "since"])]], date_token)
    )


# Chinese mentions. The tokenizer cuts Chinese runs with jieba and our user dictionary
# (nlu_ext/zh_words.txt), so each lab name is one token: 总胆红素, 国际标准化比值,
# 凝血酶原活动度, 血小板; and 直接胆红素 (direct bilirubin) or 凝血酶原时间 (PT, in
# seconds) are tokens of their own that no pattern starts with. A mention is the lab
# name and what follows it up to the end of the clause (at most 6 tokens, no English
# word but a unit): the bot.parsing parsers read the value from it, as for English.

_ZH_NUMERAL = r"^[零〇一二两三四五六七八九十百千万几多余来点]+$"
_ZH_KEYWORDS: dict[str, list[list[str]]] = {
    "BILIRUBIN": [["总胆红素"], ["胆红素"]],
    "INR": [["国际标准化比值"]],
    "PTA": [["凝血酶原活动度"], ["凝血酶原", "活动度"], ["凝血酶原", "活性"]],
    "PLATELETS": [["血小板"], ["血小板", "计数"]],
    "HE_GRADE": [["肝性脑病"], ["肝昏迷"]],
}
#: Tokens a Chinese mention never runs over: clause punctuation and other lab names.
_ZH_STOPS = sorted(
    {"，", "。", "；", "！", "？", "、", ",", ";", "!", "?", "（", "）", "(", ")"}
    | {w for alts in _ZH_KEYWORDS.values() for alt in alts for w in alt}
    | {"直接胆红素", "间接胆红素", "凝血酶原时间", "年龄", "年纪", "岁"}
)
_ZH_UNIT_WORDS = (
    "μmol|µmol|umol|mmol|mol|mg|dl|l|ml|ul|x10|x|×|s|sec|secs|g|iu|i|ii|iii|iv"
)
_ZH_VALUE: Token = {
    "LOWER": {
        "REGEX": rf"^(?:[^a-z]+|\S*\d\S*|{_ZH_UNIT_WORDS})$",
        "NOT_IN": _ZH_STOPS,
    }
}
_ZH_AGE_TOKEN = (
    r"^(?:\d{1,3}|[零〇一二两三四五六七八九十几多来]+)(?:周|虚)?岁(?:了|多)?$"
)


def _zh_patterns() -> list[dict[str, Any]]:
    value: list[Alt] = [
        [{"ORTH": {"IN": ["：", ":", "是", "为"]}, "OP": "?"}, _ZH_VALUE]
        + [{**_ZH_VALUE, "OP": "?"}] * 5
    ]
    found: list[dict[str, Any]] = []
    for label, keywords in _ZH_KEYWORDS.items():
        keyword: list[Alt] = [[_in(alt[:1]), *map(_w, alt[1:])] for alt in keywords]
        found += _patterns(label, keyword, value)
    # "INR一点八几", "PTA百分之三十五": an English lab name, a value in Chinese numerals
    numerals: list[Alt] = [[_re(_ZH_NUMERAL)] + [_re(_ZH_NUMERAL, "?")] * 3]
    found += _patterns("INR", [[_w("inr")]], numerals)
    found += _patterns("PTA", [[_w("pta")]], [[_re(r"^百分之.*")]])
    # ages: "六十二岁" (one token), "62 周岁", "虚岁 70", "年龄：58"
    age_number: list[Alt] = [[_re(r"^\d{1,3}$")], [_re(_ZH_NUMERAL)]]
    found += _patterns("AGE", [[_re(_ZH_AGE_TOKEN)]])
    found += _patterns("AGE", age_number, [[_in(["岁", "周岁", "岁了", "多岁"])]])
    found += _patterns(
        "AGE",
        [[_in(["年龄", "年纪", "虚岁", "周岁"])]],
        [[{"ORTH": {"IN": ["：", ":", "是"]}, "OP": "?"}]],
        age_number,
    )
    return found


def patterns() -> list[dict[str, Any]]:
    """All entity-ruler patterns ({"label", "pattern"} dicts)."""
    return (
        _zh_patterns()
        + _bilirubin_patterns()
        + _inr_patterns()
        + _pta_patterns()
        + _platelet_patterns()
        + _child_pugh_patterns()
        + _he_grade_patterns()
        + _age_patterns()
        + _time_patterns()
    )


# ----------------------------------------------------------------------------------
# The pipeline
# ----------------------------------------------------------------------------------


def build_pipeline(validate: bool = False) -> Language:
    """A blank English pipeline with the value patterns in an ``entity_ruler``.

    ``validate`` checks every pattern against spaCy's schema (slow: about 2 s); the
    saved pipeline never validates on load.
    """
    import spacy

    from nlu_ext import zh_tokenizer

    zh_tokenizer.register()
    nlp = spacy.blank(
        "en",
        config={"nlp": {"tokenizer": {"@tokenizers": zh_tokenizer.TOKENIZER_NAME}}},
    )
    nlp.meta["name"] = "trial_values"
    nlp.meta["version"] = "1.0.0"
    nlp.meta["description"] = (
        "Blank English tokenizer (jieba for Chinese runs) and an entity ruler "
        "finding screening values "
        "(age, bilirubin, INR, PTA, platelets, Child-Pugh, HE grade, time expressions)."
    )
    ruler = nlp.add_pipe(
        "entity_ruler",
        name=RULER_NAME,
        config={"phrase_matcher_attr": None, "validate": False, "overwrite_ents": True},
    )
    all_patterns = patterns()
    if validate:
        from spacy.schemas import validate_token_pattern

        for entry in all_patterns:
            errors = validate_token_pattern(entry["pattern"])
            if errors:
                raise ValueError(f"bad pattern {entry}: {errors}")
    ruler.add_patterns(all_patterns)  # type: ignore[attr-defined]  # an EntityRuler
    return nlp


def build_and_save(path: Path | str) -> Path:
    """Write the pipeline to ``path``; ``spacy.load(path)`` restores it once the
    tokenizer is registered (``nlu_ext.zh_tokenizer.register()``; ``import nlu_ext``
    does it)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    default_pipeline().to_disk(path)
    return path


@functools.lru_cache(maxsize=8)
def _load_cached(path: str) -> Language:
    import spacy

    from nlu_ext import zh_tokenizer

    zh_tokenizer.register()
    return spacy.load(path)


def load_pipeline(path: Path | str) -> Language:
    """``spacy.load(path)``, cached per resolved path."""
    return _load_cached(str(Path(path).resolve()))


@functools.lru_cache(maxsize=1)
def default_pipeline() -> Language:
    """The pipeline built in memory (cached): what ``extract_values`` matches with."""
    return build_pipeline()


# ----------------------------------------------------------------------------------
# From spans to values
# ----------------------------------------------------------------------------------

_WORD_ALT = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_FIRST_NUMBER = re.compile(rf"\d|\b(?:{_WORD_ALT})\b", re.IGNORECASE)
_GRADE_VALUE = re.compile(
    r"(?<![\w])(iv|iii|ii|i|[0-4]|zero|one|two|three|four)(?![\w])", re.I
)
#: the same inside Chinese ("肝性脑病2期", "肝性脑病II期"): no ASCII letter or digit
#: next to it
_GRADE_VALUE_ZH = re.compile(
    r"(?<![A-Za-z0-9])(IV|III|II|I|iv|iii|ii|[0-4])(?![A-Za-z0-9.])"
)
_CP_CLASS = re.compile(r"(?<![\w'’])([abc])(?![\w])", re.IGNORECASE)
_TIMES_TEN = re.compile(r"([x×*])10(?=\s*(?:\^|e9|⁹))", re.IGNORECASE)
_TRAILING = " \t\r\n.,;:/-"

#: a bare "stage 3" / "grade 2" is not about encephalopathy next to one of these
_OTHER_CONDITIONS = frozenset(
    """ascites varices varix esophageal oesophageal fibrosis steatosis fatty liver
    cirrhosis
    kidney renal ckd aki cancer carcinoma tumor tumour hcc lymphoma breast lung colon
    hypertension fever bleeding hemorrhage haemorrhage ulcer reflux burn child pugh
    childpugh ctp""".split()
)
_ENCEPHALOPATHY_WORDS = frozenset({"encephalopathy", "he", "coma", "haven"})
#: an "age" number followed by one of these is not an age ("he is 2 weeks out")
_NOT_AGE_NEXT = frozenset(
    """day days week weeks wk wks month months mo mos hour hours minute minutes kg kgs
    kilo kilos kilograms lb lbs pound pounds stone st cm m foot feet ft inch inches tall
    % percent times mg ml g l umol µmol μmol x × points of out ago back later earlier
    since after post before am pm people children kids yuan rmb dollars euros""".split()
)


def _parsers() -> dict[str, Callable[[str], Any]]:
    from bot import parsing

    return {
        AGE: parsing.parse_age,
        BILIRUBIN: parsing.parse_bilirubin,
        INR: parsing.parse_inr,
        PTA: parsing.parse_pta,
        PLATELETS: parsing.parse_platelets,
        CHILD_PUGH: parsing.parse_child_pugh,
        HE_GRADE: parsing.parse_he_grade,
    }


def _digits(text: str) -> str:
    """Number words as digits ("one point eight" -> "1.8"); the text on failure."""
    try:
        from text_to_num import alpha2digit

        return str(alpha2digit(text, "en", threshold=0))
    except Exception:  # noqa: BLE001 - text2num is a helper, never a reason to fail
        return text


def _candidates(kind: str, span_text: str) -> list[str]:
    """Texts to hand to the parser, most specific first (the keyword cut off)."""
    found: list[str] = []
    if kind == HE_GRADE:
        m = _GRADE_VALUE.search(span_text) or _GRADE_VALUE_ZH.search(span_text)
        if m:
            found += [m.group(1), f"grade {m.group(1)}"]
    elif kind == CHILD_PUGH:
        m = _FIRST_NUMBER.search(span_text)
        if m:
            found.append(span_text[m.start() :])
        else:
            rest = re.split(r"pugh|turcotte|ctp", span_text, flags=re.IGNORECASE)[-1]
            c = _CP_CLASS.search(rest)
            if c:
                letter = c.group(1).upper()
                found += [f"class {letter}", letter, f"Child-Pugh {letter}"]
    else:
        m = _FIRST_NUMBER.search(span_text)
        if m:
            found.append(span_text[m.start() :])
    found.append(span_text)
    if kind == PLATELETS:
        # "x10^9" written without a space: also offer "x 10^9" (same meaning), which
        # parsers keyed on a word boundary before the 10 read more reliably.
        found += [_TIMES_TEN.sub(r"\1 10", c) for c in found if _TIMES_TEN.search(c)]
    out: list[str] = []
    for cand in found + [_digits(c) for c in found]:
        cand = cand.strip()
        if cand and cand not in out:
            out.append(cand)
    return out


def _coerce(kind: str, value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if value != value or value in (float("inf"), float("-inf")):  # NaN / inf
        return None
    if kind in _INT_ENTITIES:
        if float(value) != int(value):
            return None
        return int(value)
    return float(value)


def _parse_value(kind: str, span_text: str) -> int | float | None:
    parse = _parsers()[kind]
    for candidate in _candidates(kind, span_text):
        try:
            parsed = parse(candidate)
        except Exception:  # noqa: BLE001 - a parser bug must not break the conversation
            logger.debug("parser for %s raised on %r", kind, candidate, exc_info=True)
            continue
        if (
            parsed is None
            or not getattr(parsed, "ok", False)
            or getattr(parsed, "unknown", False)
        ):
            continue
        value = _coerce(kind, getattr(parsed, "value", None))
        if value is not None:
            return value
    return None


def _time_parses(span_text: str) -> bool:
    """Does ``bot.parsing`` understand this time expression (against today's date)?"""
    from datetime import date

    from bot import parsing

    try:
        parsed = parsing.parse_time_ago(span_text, date.today())
    except Exception:  # noqa: BLE001
        logger.debug("parse_time_ago raised on %r", span_text, exc_info=True)
        return False
    return bool(parsed is not None and getattr(parsed, "ok", False))


def _lower(tok: Any) -> str:
    return tok.lower_ if tok is not None else ""


def _context_rejects(kind: str, ent: Span) -> bool:
    doc = ent.doc
    after = doc[ent.end] if ent.end < len(doc) else None
    before = doc[ent.start - 1] if ent.start > 0 else None
    if kind == AGE:
        return _lower(after) in _NOT_AGE_NEXT
    if kind == HE_GRADE:
        words = {t.lower_ for t in ent}
        if words & _ENCEPHALOPATHY_WORDS:
            return False
        return _lower(after) in _OTHER_CONDITIONS or _lower(before) in _OTHER_CONDITIONS
    return False


def _doc_for(text: str, doc: Doc | None) -> Doc:
    """A doc of ``text`` matched by our ruler, on ``doc``'s tokens when they line up."""
    from spacy.tokens import Doc as SpacyDoc

    nlp = default_pipeline()
    if doc is not None:
        try:
            doc_text = doc.text
        except Exception:  # noqa: BLE001
            doc_text = None
        # Rasa's SpacyNLP lower-cases the text: compare case-insensitively, and rebuild
        # the tokens from the original text so ORTH patterns ("HE", "C") see its case.
        if doc_text is not None and len(doc_text) == len(text) and len(doc) > 0:
            if doc_text == text or doc_text == text.lower():
                words = [text[t.idx : t.idx + len(t.text)] for t in doc]
                spaces = [bool(t.whitespace_) for t in doc]
                ours = SpacyDoc(nlp.vocab, words=words, spaces=spaces)
                if ours.text == text:
                    for _, proc in nlp.pipeline:
                        ours = proc(ours)
                    return ours
    return nlp(_mask_long_runs(text))


#: The tokenizer is quadratic on a long run without whitespace (10,000 emoji take half a
#: minute). No value mention is that long, so such runs are masked, length preserved.
#: Chinese runs are cut by jieba, not by that tokenizer, so they are not masked.
_LONG_RUN = re.compile(
    rf"[^\s{zh_tokenizer.CJK_CHARS}{zh_tokenizer.FULLWIDTH_PUNCT}]{{200,}}"
)


def _mask_long_runs(text: str) -> str:
    return _LONG_RUN.sub(lambda m: "x" * len(m.group()), text)


def _entity(kind: str, start: int, end: int, text: str, value: Any) -> dict[str, Any]:
    return {
        "entity": kind,
        "start": start,
        "end": end,
        "value": value,
        "text": text[start:end],
        "confidence_entity": 1.0,
        "extractor": EXTRACTOR_NAME,
        "unit": ENTITY_UNITS[kind],
    }


def _extract(text: str, doc: Doc | None) -> list[dict[str, Any]]:
    text = text[:MAX_CHARS]
    if not text.strip():
        return []
    matched = _doc_for(text, doc)
    entities: list[dict[str, Any]] = []
    for ent in matched.ents:
        kind = LABELS.get(ent.label_)
        if kind is None:
            continue
        start, end = ent.start_char, ent.end_char
        while end > start and text[end - 1] in _TRAILING:
            end -= 1
        while start < end and text[start].isspace():
            start += 1
        if end <= start or _context_rejects(kind, ent):
            continue
        span_text = text[start:end]
        if kind == TIME_EXPRESSION:
            if _time_parses(span_text):
                entities.append(_entity(kind, start, end, text, span_text))
            continue
        value = _parse_value(kind, span_text)
        if value is not None:
            entities.append(_entity(kind, start, end, text, value))
    return entities


def extract_values(text: str, doc: Doc | None = None) -> list[dict[str, Any]]:
    """Rasa-style entity dicts for every value found in ``text``; never raises.

    ``doc`` is an optional spaCy doc of the same text (for example the one Rasa's
    ``SpacyNLP`` attached, possibly lower-cased): its tokenisation is reused so that the
    entity boundaries fall on the tokens Rasa uses. Each dict holds ``entity`` (one of
    ``ENTITY_UNITS``), ``start``/``end`` (character offsets into ``text``), ``value``
    (int for age, child_pugh, he_grade; float for the lab values, in the canonical unit;
    the raw text for time_expression), ``text``, ``confidence_entity``, ``extractor``
    and ``unit``.
    """
    try:
        if not isinstance(text, str) or not text:
            return []
        return _extract(text, doc)
    except Exception:  # noqa: BLE001 - extraction must never break the conversation
        logger.warning("value extraction failed", exc_info=True)
        return []


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) != 2 or argv[0] != "build":
        print("usage: python -m nlu_ext.spacy_rules build <path>", file=sys.stderr)
        return 2
    path = build_and_save(Path(argv[1]))
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    print(f"wrote spaCy pipeline to {path} ({size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
