"""Turn a patient's free-text answer into a normalized value, or a clear error.

Used by the eligibility engine and the NLU component; plain Python, no Rasa. Every
``parse_*`` function accepts any string (empty, huge, emoji, control characters, other
scripts) and returns a :class:`Parsed`; none of them raises.

One module per subject: ``numbers``, ``yes_no``, ``demographics`` (age, sex),
``units`` and ``labs`` (bilirubin, INR, PTA, platelets), ``child_pugh``,
``encephalopathy`` (HE grade), ``dates`` and ``time_ago``, ``contact`` (phone,
email), ``respondent`` (who answers, skipping a field), ``nonanswers`` ("I don't
know", questions back); ``base`` holds what they share and ``lexicon`` the word
lists, which the NLU's spaCy rules read too. The messages a parser sends back are in
the message catalogue (``parse_*`` keys of ``bot/screening/messages/<language>.yml``).

Conventions shared by all parsers:

* "I don't know" in its common variants (:func:`is_unknown`) gives ``unknown=True``.
  For value parsers that is ``ok=False, error=None``; for :func:`parse_yes_no` it is
  ``ok=True, value="unsure"``.
* A message that is no answer, a question back (:func:`looks_like_question`) or "I
  don't understand", is ``not_understood`` with ``detail["reason"]`` "question" or
  "confused", never a value and never "I don't know": the dialogue takes whatever a
  parser understands as the answer, so a parser must not swallow these.
* Number words are understood through ``text_to_num`` ("sixty-two", "one point
  eight"); "1,8" is a decimal comma, "45,000" a thousands separator.
* Two different values in one answer ("45 or 50", "5 mg/dL or 85 umol/L") give
  ``multiple_values``; the parser never picks one.
* Answers longer than :data:`MAX_ANSWER_LENGTH` characters are ``not_understood``
  (``detail["reason"] == "too_long"``): no real answer to these questions is that long.
* Heavy objects (the pint unit registry, dateparser's parser) are built on first use.

Bilirubin uses the clinical factor of the trial's design, 1 mg/dL = 17.1 µmol/L
(:data:`BILIRUBIN_UMOL_PER_MGDL`), not the molar mass; the canonical unit is µmol/L.
"""

from __future__ import annotations

from bot.parsing.base import ERRORS, MAX_ANSWER_LENGTH, Parsed, TimeAgo, message_text
from bot.parsing.child_pugh import child_pugh_classes, parse_child_pugh
from bot.parsing.contact import parse_email, parse_phone
from bot.parsing.demographics import parse_age, parse_sex
from bot.parsing.encephalopathy import parse_he_grade
from bot.parsing.labs import parse_bilirubin, parse_inr, parse_platelets, parse_pta
from bot.parsing.nonanswers import is_unknown, looks_like_question
from bot.parsing.numbers import parse_number
from bot.parsing.respondent import RELATIONS, parse_respondent, parse_skip
from bot.parsing.time_ago import parse_time_ago, window_status
from bot.parsing.units import BILIRUBIN_UMOL_PER_MGDL, mgdl_to_umol, umol_to_mgdl
from bot.parsing.yes_no import parse_yes_no

__all__ = [
    "BILIRUBIN_UMOL_PER_MGDL",
    "ERRORS",
    "MAX_ANSWER_LENGTH",
    "Parsed",
    "RELATIONS",
    "TimeAgo",
    "child_pugh_classes",
    "is_unknown",
    "looks_like_question",
    "message_text",
    "mgdl_to_umol",
    "parse_age",
    "parse_bilirubin",
    "parse_child_pugh",
    "parse_email",
    "parse_he_grade",
    "parse_inr",
    "parse_number",
    "parse_phone",
    "parse_platelets",
    "parse_pta",
    "parse_respondent",
    "parse_sex",
    "parse_skip",
    "parse_time_ago",
    "parse_yes_no",
    "umol_to_mgdl",
    "window_status",
]
