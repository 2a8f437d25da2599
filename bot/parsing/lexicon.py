"""The shared word lists of the English parsers and of the NLU's spaCy rules.

One list each: the months, the weekdays, the time units, the number words, the grades
of encephalopathy, the Child-Pugh words, the percent words, the words that open a yes
or a no, and the phrases of "I don't know". The parsers (``bot.parsing``) build their
regular expressions from them, and the spaCy entity ruler
(``nlu_ext/spacy_rules.py``) its token patterns, so both read the same words.

Words of another language belong in a lexicon of their own beside this one.
"""

from __future__ import annotations

import re

from bot.parsing.zh_lexicon import ANSWER_WORD_ZH, UNKNOWN_ZH

#: Month names and abbreviations -> month number. Full names first, then the
#: abbreviations, "sept" before "sep": joined into a regular expression, the longer
#: form is tried first.
MONTHS: dict[str, int] = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6,
    "july": 7, "august": 8, "september": 9, "october": 10, "november": 11,
    "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sept": 9,
    "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
#: Month words that are also common English words ("may", "march" as verbs): matched
#: as a month only after a preposition ("in May", "last March").
MONTH_VERBS = frozenset({"may", "march", "mar"})

WEEKDAYS: tuple[str, ...] = (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
)  # fmt: skip

#: The units of a time ago -> the words for them, in the order the NLU lists them.
TIME_UNITS: dict[str, tuple[str, ...]] = {
    "days": ("day", "days"),
    "weeks": ("week", "weeks", "wk", "wks"),
    "months": ("month", "months", "mo", "mos", "mth", "mths"),
    "years": ("year", "years", "yr", "yrs"),
    "decades": ("decade", "decades"),
}
#: Every time-unit word -> its unit.
TIME_UNIT_OF: dict[str, str] = {
    word: unit for unit, words in TIME_UNITS.items() for word in words
}

#: Number words (the parsers convert them with text2num; the NLU matches them).
NUMBER_WORDS: tuple[str, ...] = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
    "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty", "fourty", "fifty",
    "sixty", "seventy", "eighty", "ninety", "hundred", "thousand",
)  # fmt: skip

#: Hepatic encephalopathy grades written in Roman numerals.
ROMAN_GRADES: dict[str, int] = {"i": 1, "ii": 2, "iii": 3, "iv": 4}

#: The words that name the Child-Pugh score, and the words for its class.
CHILD_PUGH_NAMES: tuple[str, ...] = ("child", "pugh", "turcotte", "ctp")
CHILD_PUGH_KIND_WORDS: tuple[str, ...] = ("class", "grade", "category", "stage")
CHILD_PUGH_CLASS_LETTERS: tuple[str, ...] = ("a", "b", "c")

#: Percent written as a word ("35 percent"); "per cent" is two words.
PERCENT_WORDS: tuple[str, ...] = ("percent", "pct", "percentage")

# The words that open a yes or a no, typos and drawn-out forms included ("yse", "noo",
# "nop", "yesss"). Regular-expression alternations: one list, used by every parser
# that needs to see a yes or a no.
YES_WORDS = (
    r"ye+s+|yse|ys|yess+|ye+a+h*|yeh|ya+h*|yep+|yup+|yas+|aye|y|sure|definitely"
    r"|certainly|absolutely|of\s+course|correct|right|true|affirmative|indeed|positive"
)
NO_WORDS = (
    r"no+|nop+e*|nah+|naw+|n|never|none|negative|false|incorrect|nothing"
    r"|not\s+at\s+all|not\s+ever"
)
#: A yes/no word left after removing the "don't know" phrases means a real answer
#: ("yes, but I don't remember when").
YES_NO_WORD = re.compile(
    r"\b(?:ye+s+|yse|ye+a+h*|yep+|yup+|no+|nop+e*|nah+|never|none)\b|" + ANSWER_WORD_ZH
)

#: The phrases of "I don't know", "not sure", "no idea" (on normalized text).
UNKNOWN_RE = re.compile(
    r"(?:^|\b(?:i|we)\s+(?:really\s+|still\s+|just\s+|honestly\s+)?|\bhonestly\s+)"
    r"(?:do\s*n[o']?t|dont|didn't|didnt|did\s+not)\s+(?:really\s+|even\s+)?"
    r"(?:know|remember|recall|recollect)\b"
    r"|\b(?:i\s+)?(?:can\s*not|can'?t|couldn'?t|could\s+not)\s+(?:really\s+)?"
    r"(?:remember|recall|say|tell)\b"
    r"|\bno\s+(?:idea|clue|clues|recollection|memory\s+of)\b"
    r"|\bnot\s+(?:really\s+|too\s+|so\s+)?(?:sure|shure|sur|suer|certain|known)\b"
    r"|\b(?:unsure|uncertain|unknown|dunno|donno|idk|dk|forgot|forgotten)\b"
    r"|\b(?:i\s+)?forget\b"
    r"|\bhave(?:\s+not|n'?t)\s+(?:got\s+)?(?:a\s+clue|any\s+idea)\b"
    r"|\bnever\s+(?:been\s+)?(?:told|checked|tested|measured)\b"
    r"|\bno\s*one\s+(?:told|knows)\b|\bnobody\s+(?:told|knows)\b"
    r"|\bwho\s+knows\b|\bbeats\s+me\b|\bnot\s+a\s+clue\b"
    r"|^\?+$|" + UNKNOWN_ZH
)


def alternation(words: tuple[str, ...] | list[str]) -> str:
    """``words`` as a regular-expression alternation, longest first, escaped."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
