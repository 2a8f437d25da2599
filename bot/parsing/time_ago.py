"""When something last happened (:func:`parse_time_ago`), and whether that falls in a
window ending on the screening date (:func:`window_status`).

The whole answer is read before anything is decided: "since" and "now" say a thing is
going on unless the words around them say it is not ("3 years ago, fine since").
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from typing import Any

from dateutil.relativedelta import relativedelta

from bot.parsing.base import Answer, Parsed, TimeAgo
from bot.parsing.dates import (
    CLAUSE_END,
    QUIET_CUE,
    QUIET_WINDOW_WORDS,
    Interval,
    TimeScan,
    iso,
    quiet_before,
    zh_dateparser_interval,
)
from bot.parsing.lexicon import UNKNOWN_RE
from bot.parsing.nonanswers import answer_parser, has_unknown_phrase
from bot.parsing.numbers import to_digits
from bot.parsing.yes_no import HEDGE_NO, POS_CUE, YES_LEAD
from bot.parsing.zh_lexicon import CLAUSE_PUNCT, HEDGE_NO_ZH, POS_CUE_ZH, YES_LEAD_ZH
from bot.parsing.zh_time import (
    FUTURE_ZH,
    INTERMITTENT_ZH,
    LIFE_STAGE_ZH,
    NEVER_ZH,
    ONGOING_ZH,
    QUIET_ZH,
    RANGE_ZH,
    SINCE_ZH,
    STOP_ZH,
    VAGUE_ZH,
    scan_zh,
)

logger = logging.getLogger(__name__)

_NOW_RE = re.compile(
    r"\b(?:now|right\s+now|currently|current|at\s+the\s+moment|at\s+present"
    r"|still(?!\s+(?:do\s*n[o']?t|dont|not|can'?t|cannot|no|unsure|unknown)\b)"
    r"|presently|ongoing|these\s+days|nowadays|every\s+day|daily|since)\b"
)
# "since" and "now" say the thing is going on, unless the words around them say it is
# not: "3 years ago, fine since", "not since 2019", "clean now", "nothing since then".
# Such a marker is "quiet": it carries no "ongoing", and a time it names ("fine since
# 2021") is when it last happened.
#: On and off: the last time lies anywhere from the start to now.
_INTERMITTENT_RE = re.compile(
    r"\bon\s+and\s+off\b|\boff\s+and\s+on\b|\b(?:every\s+)?now\s+and\s+(?:then|again)\b"
    r"|\bfrom\s+time\s+to\s+time\b|\bsometimes\b|\boccasionally\b|\bevery\s+so\s+often\b"
    r"|\bcomes\s+and\s+goes\b|\bhere\s+and\s+there\b"
)
#: Words that mark the end of the thing: with them, the latest time named is the last.
_STOP_RE = re.compile(
    r"\b(?:until|till|til|up\s+(?:to|until)|stopped|quit|finished|ended|came\s+off"
    r"|gave\s+up|last\s+(?:time|took|had|dose|one|episode))\b"
)
_SINCE_WITH_TIME = re.compile(r"\bsince\s+(?!then\b|that\b|\W|$)")
#: A time of life, not a date: when it was depends on an age we do not have here.
_LIFE_STAGE_RE = re.compile(
    r"\b(?:when|while|since)\s+(?:i|he|she|they|we)\s+(?:was|were)\s+(?:a\s+|an\s+|in\s+)?"
    r"(?:teen(?:ager)?|kid|child|little|young(?:er)?|boy|girl|baby|student|at\s+(?:school"
    r"|university|college|uni)|in\s+(?:school|college|university|uni|the\s+army))\b"
    r"|\bas\s+an?\s+(?:teen(?:ager)?|kid|child|boy|girl|student|young\s+(?:man|woman"
    r"|adult|person))\b"
    r"|\bin\s+(?:my|his|her|their)\s+(?:teens|youth|(?:early\s+|mid\s+|late\s+)?(?:twenties"
    r"|thirties|forties|fifties|sixties|\d0'?s))\b"
    r"|\bin\s+(?:high\s+)?school\b|\bat\s+(?:university|college|uni)\b|\bgrowing\s+up\b"
    r"|\bchildhood\b|\b(?:when|since)\s+(?:i|he|she|they|we)\s+(?:was|were)\s+\d{1,2}\b"
    r"|\b(?:at\s+the\s+age\s+of|aged?)\s+\d{1,2}\b"
)
_NEVER_RE = re.compile(
    r"^(?:no|nope|nah|never|none|nothing|not\s+ever|not\s+at\s+all|n/?a)\b"
    r"|\bnever\b|\bnev(?:e|a)?r\b|\bneva\b|\bnver\b"
    r"|\b(?:i|he|she|they|we)\s+(?:have|has|had|did)\s*n[o']?t\b"
    r"|\b(?:i|he|she|they|we)\s+(?:haven't|hasn't|didn't)\b"
)
_FUTURE_RE = re.compile(
    r"\btomorrow\b|\bnext\s+(?:week|month|year|monday|tuesday|wednesday|thursday"
    r"|friday|saturday|sunday|time)\b|\bfrom\s+now\b|\bsoon\b|\bplann?(?:ed|ing)\b"
    r"|\bwill\b|\bgoing\s+to\b|\blater\s+this\b|\bupcoming\b"
)
_VAGUE_RE = re.compile(
    r"\brecent(?:ly)?\b|\blong\s+(?:time\s+)?ago\b|\bages\s+ago\b|\ba\s+while\s+(?:ago"
    r"|back)\b|\bonce\b|\bbefore\b"
)

_AGO_BEFORE = re.compile(r"\bago\s*,?\s*$")


def _quiet(s: str, m: re.Match[str]) -> bool:
    """Whether a "now"/"since" marker is said not to hold (see :data:`QUIET_CUE`)."""
    if quiet_before(s, m.start()):
        return True
    if m.group() == "now" and _AGO_BEFORE.search(s[: m.start()]):
        return True  # "4 months ago now": now is when it is said, not when it happens
    after = CLAUSE_END.split(s[m.end() :])[0].split()[:QUIET_WINDOW_WORDS]
    # After the marker only "since then, nothing" or "now fine": "since 2019 no
    # problems" is a start, then a quiet: still quiet. "since 2019 taking it" is not.
    return bool(QUIET_CUE.search(" ".join(after)))


def _union(intervals: list[Interval]) -> Interval:
    """The smallest interval holding them all (an open end stays open)."""
    earliest = (
        None
        if any(i.earliest is None for i in intervals)
        else min(i.earliest for i in intervals if i.earliest is not None)
    )
    latest = (
        None
        if any(i.latest is None for i in intervals)
        else max(i.latest for i in intervals if i.latest is not None)
    )
    return Interval(earliest, latest)


def _most_recent(intervals: list[Interval], screening: date) -> Interval:
    return max(
        intervals,
        key=lambda i: (i.latest or screening, i.earliest or date.min),
    )


_RANGE_WORDS = re.compile(r"\bor\b|\bbetween\b|\bto\b|\buntil\b|\btill\b|\bthrough\b|-")


def _time_result(
    answer: Answer, interval: Interval, screening: date, **detail: Any
) -> Parsed:
    earliest, latest = interval
    if earliest is not None and earliest > screening:
        return answer.fail("future_date")
    if earliest is not None and earliest.year < 1900:
        return answer.fail("out_of_range")
    if latest is None or latest > screening:
        latest = screening
    return answer.ok(TimeAgo(earliest=earliest, latest=latest), **detail)


@answer_parser("time_ago")
def parse_time_ago(answer: Answer, screening_date: date) -> Parsed:
    """When something (last) happened, as a :class:`TimeAgo` interval of dates.

    Everything is relative to ``screening_date``, never to today's date.

    * "never", "no", "I haven't" -> ``TimeAgo(never=True)``.
    * "now", "currently", "still taking it", "since 2019", "every day" -> both ends
      on the screening date (ongoing, so it happened on the screening date);
      ``detail["since"]`` when only a "since" said so.
    * Relative: "5 days ago", "yesterday" -> that day; "two weeks ago" / "about two
      weeks ago" -> ±3 days; "3 months" / "3 months ago" -> ±15 days; "a year ago" ->
      ±6 months; "a few weeks ago" (2-4), "several months ago" (3-7), "2 or 3 years
      ago", "a year and a half ago" are intervals too.
    * Bounds: "within the last month" / "less than a month ago" (earliest only), "more
      than 5 years ago" / "over a year ago" / "not in the last 3 months" (latest only).
    * Calendar: "last March" (the most recent March before the screening month, the
      whole month), "in March", "March 2024", "in 2019" (the whole year), "early
      2020", "last month" / "last year" (the previous calendar month / year),
      "2024-03-10", "10/03/2024" (both readings when day and month could swap).
    * A time after the screening date -> ``future_date``; "next week", "in 2 weeks" too.
    * Seasons (northern hemisphere): "last spring", "in the summer of 2024", "winter
      2022" (both winters the words can mean).
    * The whole answer counts. A "since" or "now" said not to hold is no "ongoing":
      "3 years ago, fine since" -> 3 years ago; "fine since 2021", "not since 2019",
      "clean for 6 years" -> then; "stopped in 2022, fine now" -> 2022. With an end
      word ("until", "stopped", "finished") the latest time named is the last one
      ("on it since 2019, stopped last month" -> last month). When the answer only
      bounds the last time ("on it since 2019 but stopped", "on and off since 2015",
      "had it in 2019, fine since 2021") the interval spans every reading, so a window
      it straddles stays unknown instead of guessing an exclusion.
    * A time of life ("when I was a teenager", "in my twenties", "not since I was
      20") -> unknown with ``detail["happened"]`` and ``detail["life_stage"]``.
    * Not an answer ("what do you mean?", "why do you ask?") -> ``not_understood``
      with ``detail["reason"]``.
    * Two separate times -> ``multiple_values``, unless joined as a range ("2019 or
      2020", "between 2019 and 2021"), which gives the whole span.
    * Hedged no ("not that I know of") -> unknown with ``detail["leaning"] == "never"``;
      "yes, I don't remember when" -> unknown with ``detail["happened"] = True``;
      "yes" alone, "recently", "a long time ago" -> ``not_understood`` (we ask when).

    Args:
        text: The answer as given.
        screening_date: The date of the screening, the reference for every answer.

    Returns:
        ``value`` as :class:`TimeAgo`, or an error.
    """
    if isinstance(screening_date, datetime):
        screening_date = screening_date.date()
    if not isinstance(screening_date, date):  # a caller's bug, not the person's
        return answer.fail(  # type: ignore[unreachable]
            "not_understood", reason="no_screening_date"
        )
    if _HAN.search(answer.low):
        zh = _parse_zh(answer, answer.low, screening_date)
        if zh is not None:
            return zh
    s = to_digits(answer.low)
    s = re.sub(r"\b(19|20) ([0-9]{2})\b", r"\1\2", s)  # "twenty nineteen" -> 20 19
    # The whole answer is read before anything is decided: "3 years ago, fine since"
    # is 3 years ago, not "since" (ongoing).
    intermittent = bool(_INTERMITTENT_RE.search(s))
    marked = _INTERMITTENT_RE.sub(" ", s)  # "now and then" is no "now"
    markers = [
        (m.group() == "since", _quiet(marked, m)) for m in _NOW_RE.finditer(marked)
    ]
    ongoing_now = any(not since and not quiet for since, quiet in markers)
    ongoing_since = any(since and not quiet for since, quiet in markers)
    quiet_since = any(since and quiet for since, quiet in markers)
    stop = bool(_STOP_RE.search(s))
    ongoing = TimeAgo(earliest=screening_date, latest=screening_date)
    if ongoing_now or (ongoing_since and not stop and not intermittent):
        detail = {"since": True} if ongoing_since and not ongoing_now else {}
        return answer.ok(ongoing, **detail)
    scan = TimeScan(s, screening_date)
    found = scan.scan()
    # "on it since 2019, stopped" / "on and off since 2015": it began then, and the
    # last time lies anywhere from then to now: an honest span, never a guess.
    started = ongoing_since and bool(_SINCE_WITH_TIME.search(s) or intermittent)
    if found:
        distinct = list(dict.fromkeys(found))
        for interval in distinct:
            if interval.earliest is not None and interval.earliest > screening_date:
                return answer.fail("future_date")
        if started and (len(distinct) == 1 or (intermittent and not stop)):
            start = min(
                (i.earliest for i in distinct if i.earliest is not None), default=None
            )
            return _time_result(
                answer, Interval(start, screening_date), screening_date, since=True
            )
        if len(distinct) == 1:
            return _time_result(answer, distinct[0], screening_date)
        if stop:  # "since 2019 until last month": the end is the last time
            return _time_result(
                answer, _most_recent(distinct, screening_date), screening_date
            )
        if not (_RANGE_WORDS.search(s) or quiet_since):
            return answer.fail(
                "multiple_values",
                "parse_time_ago_which",
                intervals=[[iso(i.earliest), iso(i.latest)] for i in distinct],
            )
        return _time_result(answer, _union(distinct), screening_date, range=True)
    if scan.bad_date:
        return answer.fail("not_understood", reason="invalid_date")
    if scan.future or _FUTURE_RE.search(s):
        return answer.fail("future_date")
    if HEDGE_NO.search(s):
        return answer.unknown(hedged=True, leaning="never")
    if has_unknown_phrase(s):
        rest = UNKNOWN_RE.sub(" ", s)
        if _NEVER_RE.search(rest):  # "no, I don't remember": a hedged no
            return answer.unknown(hedged=True, leaning="never")
        if YES_LEAD.search(rest.strip(" ,.;!")) or POS_CUE.search(rest):
            return answer.unknown(happened=True)
        return answer.unknown()
    life_stage = bool(_LIFE_STAGE_RE.search(s))
    if quiet_since or life_stage:
        # "not since I was 20", "when I was a teenager": it happened, at a time only
        # the person's age would date; "nothing since" says it happened, not when.
        extra = {"life_stage": True} if life_stage else {}
        return answer.unknown(happened=True, **extra)
    if _NEVER_RE.search(s):
        return answer.ok(TimeAgo(never=True))
    if ongoing_since:  # "been on it on and off since": since when is not said
        return answer.ok(ongoing, since=True)
    if _VAGUE_RE.search(s) or YES_LEAD.search(s):
        return answer.fail(
            "not_understood",
            "parse_time_ago_when",
            happened=True,
        )
    return answer.fail("not_understood")


_HAN = re.compile(r"[\u3400-\u9fff]")
_ZH_CLAUSE = re.compile(CLAUSE_PUNCT.replace(r"\s", "") + r"|但是?|可是|不过|后来|然后")
_ZH_HEDGE_NO = re.compile(HEDGE_NO_ZH)
_ZH_HAPPENED = re.compile(rf"^(?:{YES_LEAD_ZH})|{POS_CUE_ZH}")


def _zh_quiet(s: str, m: re.Match[str]) -> bool:
    """Whether an "ongoing" marker is said not to hold: "后来一直好好的", "现在不吃了",
    "一直没再犯"; or is about something else in its clause ("现在没事")."""
    after = _ZH_CLAUSE.split(s[m.end() :])[0]
    before = _ZH_CLAUSE.split(s[: m.start()])[-1]
    return bool(QUIET_ZH.search(after)) or before.endswith(("不", "没", "停"))


def _parse_zh(answer: Answer, s: str, screening: date) -> Parsed | None:
    """A Chinese answer about when, read whole; None when it holds nothing Chinese
    about time (the English rules then read it).

    The same decisions as the English rules: "一直在吃", "现在还在吃" -> ongoing;
    "三年前得过，后来一直好好的" -> three years ago (the "一直" is quiet); "2022年停的",
    "上个月停了" -> then; "从来没有" -> never; "好像没有" -> unknown leaning never;
    "以前得过" -> when? (``parse_time_ago_when``); dateparser (Chinese) last.
    """
    intermittent = bool(INTERMITTENT_ZH.search(s))
    marked = INTERMITTENT_ZH.sub(" ", s)
    markers = [_zh_quiet(marked, m) for m in ONGOING_ZH.finditer(marked)]
    ongoing_now = any(not quiet for quiet in markers)
    quiet_now = any(markers)
    since = bool(SINCE_ZH.search(s))
    stop = bool(STOP_ZH.search(s))
    ongoing = TimeAgo(earliest=screening, latest=screening)
    if ongoing_now and not stop and not intermittent:
        return answer.ok(ongoing)
    scan = scan_zh(s, screening)
    distinct = list(dict.fromkeys(scan.found))
    if distinct:
        for interval in distinct:
            if interval.earliest is not None and interval.earliest > screening:
                return answer.fail("future_date")
        started = (since or ongoing_now) and not quiet_now
        if started and (len(distinct) == 1 or intermittent) and (stop or intermittent):
            # "2019年开始吃，后来停了" / "从2015年起断断续续": a span, never a guess.
            start = min(
                (i.earliest for i in distinct if i.earliest is not None), default=None
            )
            return _time_result(
                answer, Interval(start, screening), screening, since=True
            )
        if started and not stop:
            return answer.ok(ongoing, since=True)  # "从2019年开始一直吃"
        if len(distinct) == 1:
            return _time_result(answer, distinct[0], screening)
        if stop:
            return _time_result(answer, _most_recent(distinct, screening), screening)
        if not RANGE_ZH.search(s):
            return answer.fail(
                "multiple_values",
                "parse_time_ago_which",
                intervals=[[iso(i.earliest), iso(i.latest)] for i in distinct],
            )
        return _time_result(answer, _union(distinct), screening, range=True)
    if scan.bad_date:
        return answer.fail("not_understood", reason="invalid_date")
    if scan.future or FUTURE_ZH.search(s):
        return answer.fail("future_date")
    if _ZH_HEDGE_NO.search(s):
        return answer.unknown(hedged=True, leaning="never")
    if has_unknown_phrase(s):
        rest = UNKNOWN_RE.sub(" ", s)
        if NEVER_ZH.search(rest.strip(" ,.;!。")):
            return answer.unknown(hedged=True, leaning="never")
        if _ZH_HAPPENED.search(rest.strip(" ,.;!。")):
            return answer.unknown(happened=True)
        return answer.unknown()
    if LIFE_STAGE_ZH.search(s):
        return answer.unknown(happened=True, life_stage=True)
    if NEVER_ZH.search(s) and not quiet_now:
        return answer.ok(TimeAgo(never=True))
    if NEVER_ZH.search(s):  # "一直没有": never, said all along
        return answer.ok(TimeAgo(never=True))
    if since and ongoing_now:
        return answer.ok(ongoing, since=True)
    if VAGUE_ZH.search(s) or _ZH_HAPPENED.search(s) or stop or quiet_now:
        return answer.fail("not_understood", "parse_time_ago_when", happened=True)
    fallback = zh_dateparser_interval(s, screening)
    if fallback is not None:
        return _time_result(answer, fallback, screening, fallback=True)
    return None


def window_status(
    t: TimeAgo, screening_date: date, *, days: int = 0, months: int = 0, years: int = 0
) -> bool | None:
    """Whether an event falls in the window that ends on the screening date.

    The window starts at ``screening_date - (years, months, days)`` (calendar
    arithmetic with dateutil's relativedelta) and includes that first day.

    Args:
        t: When the event happened.
        screening_date: The end of the window.
        days: Window length, days part.
        months: Window length, months part.
        years: Window length, years part.

    Returns:
        True when it certainly happened inside the window (``earliest`` on or after
        the cut-off), False when certainly not (never, or ``latest`` before the
        cut-off), None when the interval straddles the cut-off or is unbounded.
    """
    try:
        if t is None:  # a caller's bug: no answer to judge
            return None  # type: ignore[unreachable]
        if t.never:
            return False
        if isinstance(screening_date, datetime):
            screening_date = screening_date.date()
        cutoff = screening_date - relativedelta(days=days, months=months, years=years)
        if t.earliest is not None and t.earliest >= cutoff:
            return True
        if t.latest is not None and t.latest < cutoff:
            return False
        return None
    except Exception:  # noqa: BLE001
        logger.exception("window_status failed")
        return None
