"""The Child-Pugh score, or its class (A, B, C).

The classes, their score ranges and the score a class alone counts as are the trial's
data: the ``classes`` of the ``child_pugh`` question in the criteria file
(``bot/screening/trials/*.yml``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Mapping

from bot.parsing import zh_numbers
from bot.parsing.base import Answer, Parsed
from bot.parsing.lexicon import CHILD_PUGH_CLASS_LETTERS, CHILD_PUGH_KIND_WORDS
from bot.parsing.nonanswers import answer_parser
from bot.parsing.numbers import find_numbers, single_number, to_digits

if TYPE_CHECKING:  # pragma: no cover
    from bot.screening.criteria import ScoreClass

CHILD_PUGH_MIN, CHILD_PUGH_MAX = 5, 15
_LETTERS = "".join(CHILD_PUGH_CLASS_LETTERS)
_KINDS = "|".join(CHILD_PUGH_KIND_WORDS)

_CP_CLASS = re.compile(
    rf"\b(?:child(?:[-\s]*(?:turcotte[-\s]*)?pugh)?|ctp|cp|{_KINDS})"
    rf"\s*[-:]?\s*(?:class\s*|score\s*|grade\s*)?([{_LETTERS}])"
    r"(?:\s*[-:(]?\s*(\d{1,2})\)?)?(?![a-z])"
)
#: Words that may surround a bare class letter ("B or C", "probably class C").
_CP_FILLER = frozenset(
    "or and an maybe probably class child pugh turcotte either i think it it's its is "
    "was s to".split()
)
_CP_OUT_OF = re.compile(r"\s*(?:/|out\s+of|of)\s*15\b")
#: "a class B": the article is no class A.
_CP_ARTICLE = re.compile(
    r"\ban?\s+(?=(?:class|child|grade|cp|ctp|stage|category|score)\b)"
)


def child_pugh_classes() -> Mapping[str, ScoreClass]:
    """The Child-Pugh classes of the trial (the criteria file), by letter.

    Each gives its range of scores and the score the class alone counts as.
    """
    from bot.screening.criteria import load_trial

    for question in load_trial().questions:
        if question.parser == "child_pugh" and question.classes:
            return question.classes
    raise LookupError("the criteria file gives no Child-Pugh classes")


#: Chinese: the names of the score and its class, and the score's unit (分, points).
_ZH_CHILD_PUGH = zh_numbers.Spec(
    labels=re.compile(
        rf"child|pugh|ctp|评分|得分|分数|打分|积分|肝功能|分级|[{_LETTERS}]\s*级"
    ),
    others=re.compile(r"meld|胆红素|白蛋白|inr|pta|血小板|岁|年"),
    units=re.compile(r"\s*分"),
)
_ZH_CLASS = re.compile(rf"([{_LETTERS}])\s*级")
_ZH_CLASS_WORDS = re.compile(r"分级|级别|评级|分期|等级")
_ZH_SCORE_WORDS = re.compile(r"评分|得分|分数|打分|积分")


def _zh_child_pugh(low: str) -> str:
    """A Chinese answer in the words of the English reading: "B级" -> "class b",
    "评分" -> "score"."""
    low = _ZH_CLASS.sub(r" class \1 ", low)
    low = _ZH_CLASS_WORDS.sub(" class ", low)
    return _ZH_SCORE_WORDS.sub(" score ", low)


@answer_parser("child_pugh")
def parse_child_pugh(answer: Answer) -> Parsed:
    """A Child-Pugh score, 5..15, in English or Chinese.

    Chinese: "A级", "B级", "C级", "Child-Pugh C", "评分8分", "八分", "B级8分"; only a
    number tied to the score (评分, 分, a class) or that is the whole answer is read.
    A range ("八九分") is its lowest score when it lies on one side of the trial's
    limit (``detail["approximate"]``, ``detail["score_range"]``), else unknown
    (``detail["reason"] == "approximate"``, for the study team).

    "8", "score 8", "8 points", "8/15" -> 8. A class alone gives the score the
    criteria file says it counts as (:func:`child_pugh_classes`; for this trial the
    score nearest its "> 9" cut-off): "class A" -> 6 (range 5-6), "class B" -> 9
    (7-9), "class C" / "Child C" -> 10 (10-15), with ``detail["class"]`` and
    ``detail["range"]``. "B8" -> 8 with class B; a score outside the class's range
    ("C 6") -> ``multiple_values``. A non-whole score -> ``not_understood``.

    Args:
        text: The answer as given.

    Returns:
        ``value`` as int, or an error.
    """
    reading = zh_numbers.chinese_reading(answer, _ZH_CHILD_PUGH, lab=False)
    if reading is None:
        return _read_child_pugh(answer)
    if len(reading.taken) == 1 and not reading.taken[0].exact:
        approx = zh_numbers.approximation(
            answer,
            reading,
            lambda a: _read_child_pugh(a._replace(low=_zh_child_pugh(a.low))),
            integer=True,
        )
        if isinstance(approx, Parsed):
            return approx
        return zh_numbers.approximate_lab(approx, answer, key="score_range")
    return _read_child_pugh(answer._replace(low=_zh_child_pugh(reading.render())))


def _read_child_pugh(answer: Answer) -> Parsed:
    """The English reading of :func:`parse_child_pugh`."""
    s = _CP_ARTICLE.sub(" ", _CP_OUT_OF.sub(" ", to_digits(answer.low)))
    classes = [(m.group(1).upper(), m.group(2)) for m in _CP_CLASS.finditer(s)]
    words = re.findall(r"[a-z]+|\d+", s)
    if words and all(w in _CP_FILLER or w in CHILD_PUGH_CLASS_LETTERS for w in words):
        classes += [(w.upper(), None) for w in words if w in CHILD_PUGH_CLASS_LETTERS]
    s_scores = _CP_CLASS.sub(lambda m: f" {m.group(2) or ''} ", s)
    letters = sorted({c for c, _ in classes})
    if len(letters) > 1:
        return answer.fail("multiple_values", classes=letters)
    table = child_pugh_classes()
    if not find_numbers(s_scores) and letters:
        given = table[letters[0]]
        return answer.ok(
            given.counts_as, **{"class": letters[0], "range": [given.low, given.high]}
        )
    result = single_number(answer, s_scores)
    if isinstance(result, Parsed):
        return result
    value, _ = result
    if not value.is_integer():
        return answer.fail(
            "not_understood",
            "parse_child_pugh_whole",
            given_value=value,
        )
    score = int(value)
    if not CHILD_PUGH_MIN <= score <= CHILD_PUGH_MAX:
        return answer.fail("out_of_range", given_value=score)
    score_class = next(
        letter for letter, c in table.items() if c.low <= score <= c.high
    )
    if letters and letters[0] != score_class:
        return answer.fail(
            "multiple_values",
            "parse_child_pugh_other_class",
            {"score": score, "score_class": score_class, "given_class": letters[0]},
            classes=letters,
            score=score,
        )
    found = table[score_class]
    return answer.ok(score, **{"class": score_class, "range": [found.low, found.high]})
