"""Time expressions as intervals of dates: "two weeks ago", "last March", "in 2019",
"2024-03-10", "winter 2022", "within the last month".

:class:`TimeScan` finds every time expression of an answer, relative to the screening
date; :mod:`bot.parsing.time_ago` decides what the whole answer means. dateparser is
imported on first use.
"""

from __future__ import annotations

import functools
import logging
import re
from datetime import date, datetime, timedelta
from typing import Any, Callable, NamedTuple

from dateutil.relativedelta import relativedelta

from bot.parsing.base import SPACES
from bot.parsing.lexicon import MONTHS, TIME_UNIT_OF, TIME_UNITS, WEEKDAYS, alternation

logger = logging.getLogger(__name__)

# "Not", "fine" or "clean" before a "since", a "now" or a "for 3 years": the thing
# has stopped ("3 years ago, fine since", "clean for 6 years").
QUIET_CUE = re.compile(
    r"\b(?:not|no|never|none|nothing|n't|no\s+longer|no\s+more|stopped|quit|finished"
    r"|ended|until|till|fine|well|ok|okay|good|better|normal|healthy|clean|sober|clear"
    r"|stable|recovered|free|off\s+(?:it|them|that|those)|under\s+control"
    r"|(?:no|any)\s+(?:problems?|issues?|episodes?|trouble|relapses?|symptoms?))\b|n't"
)
#: The clause around a marker ends at punctuation or a "but".
CLAUSE_END = re.compile(r"[,;.!?]|\b(?:but|though|although|however)\b")
QUIET_WINDOW_WORDS = 4

_MONTH = rf"(?P<month>{'|'.join(MONTHS)})\.?"
_QTY = (
    r"(?P<q>\d+(?:\.\d+)?(?:\s+and\s+a\s+half)?|an?\s+couple\s+of|couple\s+of"
    r"|an?\s+couple|an?\s+few|few|several|some|half\s+an?|an?)"
)
_UNIT = (
    rf"(?P<u>{alternation([w for words in TIME_UNITS.values() for w in words])})"
    r"(?P<half>\s+and\s+a\s+half)?"
)
_HALF_WIDTH = {
    "days": relativedelta(),
    "weeks": relativedelta(days=3),
    "months": relativedelta(days=15),
    "years": relativedelta(months=6),
}
#: "1.5 years ago" is precise to the month, "1.5 months ago" to the week.
_FINER = {"years": "months", "months": "weeks", "weeks": "days"}
#: (low, high) counts for the vague quantities.
_VAGUE = {"few": (2.0, 4.0), "several": (3.0, 7.0), "some": (2.0, 7.0)}


def _quantity(q: str, half: str | None) -> tuple[float, float]:
    q = SPACES.sub(" ", q.strip())
    extra = 0.5 if half else 0.0
    if q.endswith("and a half"):
        q, extra = q[: -len("and a half")].strip(), extra + 0.5
    if "couple" in q:
        return 2.0 + extra, 2.0 + extra
    for word, (low, high) in _VAGUE.items():
        if q.endswith(word):
            return low + extra, high + extra
    if q.startswith("half"):
        return 0.5, 0.5
    if q in ("a", "an"):
        return 1.0 + extra, 1.0 + extra
    value = float(q) + extra
    return value, value


def _unit_name(u: str) -> str:
    return TIME_UNIT_OF[u]


def _offset(unit: str, amount: float) -> relativedelta:
    """``amount`` ``unit``s as a relativedelta (fractions to whole days or months)."""
    if unit == "decades":
        unit, amount = "years", amount * 10
    if unit == "years":
        months = round(amount * 12)
        return relativedelta(months=months)
    if unit == "months":
        whole = int(amount)
        return relativedelta(months=whole, days=round((amount - whole) * 30.4375))
    if unit == "weeks":
        return relativedelta(days=round(amount * 7))
    return relativedelta(days=round(amount))


def quiet_before(s: str, start: int) -> bool:
    """Whether the words just before ``start``, in its clause, say "not" or "fine"."""
    before = CLAUSE_END.split(s[:start])[-1].split()[-QUIET_WINDOW_WORDS:]
    return bool(QUIET_CUE.search(" ".join(before)))


class Interval(NamedTuple):
    earliest: date | None
    latest: date | None


#: Seasons as in the northern hemisphere (the trial's site is in Beijing):
#: first and last month.
_SEASONS = {
    "spring": (3, 5),
    "summer": (6, 8),
    "autumn": (9, 11),
    "fall": (9, 11),
    "winter": (12, 2),
}


def _season_interval(name: str, year: int) -> Interval:
    """The season that begins in ``year`` (winter runs into the next year)."""
    first, last = _SEASONS[name]
    end_year = year + 1 if last < first else year
    return Interval(
        date(year, first, 1),
        date(end_year, last, 1) + relativedelta(months=1, days=-1),
    )


def month_interval(year: int, month: int) -> Interval:
    first = date(year, month, 1)
    return Interval(first, first + relativedelta(months=1, days=-1))


def year_interval(year: int) -> Interval:
    return Interval(date(year, 1, 1), date(year, 12, 31))


def _two_digit_year(yy: int, today: date) -> int:
    return 2000 + yy if 2000 + yy <= today.year else 1900 + yy


@functools.lru_cache(maxsize=64)
def _date_parser(screening: date, language: str = "en") -> Any:
    """dateparser's DateDataParser, relative to the screening date (built on use)."""
    from dateparser.date import DateDataParser

    return DateDataParser(
        languages=[language],
        settings={
            "RELATIVE_BASE": datetime(screening.year, screening.month, screening.day),
            "PREFER_DATES_FROM": "past",
            "RETURN_TIME_AS_PERIOD": True,
        },
    )


def _period_interval(day: date, period: str, screening: date) -> Interval:
    """The dates a dateparser result can mean, from its period."""
    if period == "week":
        return Interval(day - timedelta(days=3), day + timedelta(days=3))
    if period == "month":
        return month_interval(day.year, day.month)
    if period == "year":
        return year_interval(day.year)
    return Interval(day, day)


def _dateparser_interval(fragment: str, screening: date) -> Interval | None:
    try:
        data = _date_parser(screening).get_date_data(fragment)
    except Exception:  # noqa: BLE001 - dateparser may fail on odd input
        logger.debug("dateparser failed", exc_info=True)
        return None
    if data is None or data.date_obj is None:
        return None
    return _period_interval(data.date_obj.date(), data.period or "day", screening)


#: Chinese words of time that dateparser may know when our rules did not.
_ZH_TIME_CHARS = re.compile(r"[前年月日号周天]")


def zh_dateparser_interval(s: str, screening: date) -> Interval | None:
    """The fallback for Chinese: dateparser with ``languages=["zh"]`` on the run of
    characters around a time word, after our own rules (bot.parsing.zh_time) found
    nothing. Never a date after the screening date."""
    for fragment in re.findall(r"[\w.]+", s):
        if not _ZH_TIME_CHARS.search(fragment):
            continue
        try:
            data = _date_parser(screening, "zh").get_date_data(fragment)
        except Exception:  # noqa: BLE001 - dateparser may fail on odd input
            logger.debug("dateparser failed", exc_info=True)
            continue
        if data is None or data.date_obj is None:
            continue
        interval = _period_interval(
            data.date_obj.date(), data.period or "day", screening
        )
        if interval.earliest is not None and interval.earliest <= screening:
            return interval
    return None


#: Stands for a time too long ago for a date (it is out of range, see time_ago).
_BEFORE_ANY_DATE = date(1, 12, 31)


class TimeScan:
    """Finds the time expressions of an answer, each as an interval of dates."""

    def __init__(self, s: str, screening: date) -> None:
        self.s = s
        self.today = screening
        self.found: list[Interval] = []
        self.bad_date = False
        self.future = False

    def take(self, pattern: str, handler: Callable[[re.Match[str]], Any]) -> None:
        def replace(m: re.Match[str]) -> str:
            interval = handler(m)
            if interval is None:
                return m.group()
            if interval is not False:
                self.found.append(interval)
            return " ; "

        self.s = re.sub(pattern, replace, self.s)

    def ago(self, unit: str, amount: float) -> date:
        try:
            return self.today - _offset(unit, amount)
        except (ValueError, OverflowError):  # "777777 months ago": before year 1
            return _BEFORE_ANY_DATE

    # ---- handlers ------------------------------------------------------------- #

    def ymd(self, m: re.Match[str]) -> Interval | bool:
        try:
            day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            self.bad_date = True
            return False
        return Interval(day, day)

    def dmy(self, m: re.Match[str]) -> Interval | bool:
        a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if y < 100:
            y = _two_digit_year(y, self.today)
        options = []
        for month, day in ((a, b), (b, a)):  # month/day first (US), then day/month
            try:
                options.append(date(y, month, day))
            except ValueError:
                pass
        if not options:
            self.bad_date = True
            return False
        return Interval(min(options), max(options))

    def ym(self, m: re.Match[str]) -> Interval | bool:
        year, month = int(m.group("y")), int(m.group("mo"))
        if not 1 <= month <= 12:
            self.bad_date = True
            return False
        return month_interval(year, month)

    def month_day(self, m: re.Match[str]) -> Interval | None:
        return _dateparser_interval(m.group(), self.today)

    def month_year(self, m: re.Match[str]) -> Interval:
        return month_interval(int(m.group("y")), MONTHS[m.group("month")])

    def month_only(self, m: re.Match[str]) -> Interval:
        month = MONTHS[m.group("month")]
        strict = (m.group("pre") or "").strip().startswith("last")
        year = self.today.year
        if month > self.today.month or (strict and month == self.today.month):
            year -= 1
        return month_interval(year, month)

    def part_of_year(self, m: re.Match[str]) -> Interval:
        year = int(m.group("y")) if m.group("y") else self.today.year
        part = m.group("part")
        if part.startswith(("early", "beginning", "start")):
            return Interval(date(year, 1, 1), date(year, 4, 30))
        if part.startswith(("mid", "middle")):
            return Interval(date(year, 5, 1), date(year, 8, 31))
        return Interval(date(year, 9, 1), date(year, 12, 31))

    def year(self, m: re.Match[str]) -> Interval:
        return year_interval(int(m.group("y")))

    def season(self, m: re.Match[str]) -> Interval | bool | None:
        name = m.group("season")
        pre = (m.group("pre") or "").split()
        if name == "fall" and not (pre or m.group("y")):
            return None  # "had a fall" is not a season
        if m.group("y"):
            year = int(m.group("y"))
            if name == "winter":  # "winter 2022": the one ending or the one starting
                return Interval(
                    _season_interval(name, year - 1).earliest,
                    _season_interval(name, year).latest,
                )
            return _season_interval(name, year)
        year = self.today.year
        if name == "winter" and self.today.month <= 2:
            year -= 1
        current = _season_interval(name, year)
        if pre and pre[0] == "this":
            if current.earliest is not None and current.earliest > self.today:
                self.future = True
                return False
            return current
        # "last spring": the most recent one that is over; "in the spring": begun.
        over = bool(pre) and pre[0] in ("last", "past")
        while (current.earliest is not None and current.earliest > self.today) or (
            over and current.latest is not None and current.latest >= self.today
        ):
            year -= 1
            current = _season_interval(name, year)
        return current

    def not_within(self, m: re.Match[str]) -> Interval:
        _, high = _quantity(m.group("q") or "1", m.group("half"))
        cutoff = self.ago(_unit_name(m.group("u")), high)
        return Interval(None, cutoff - timedelta(days=1))

    def within(self, m: re.Match[str]) -> Interval:
        _, high = _quantity(m.group("q") or "1", m.group("half"))
        start = self.ago(_unit_name(m.group("u")), high)
        if (m.group("how") or "").startswith(("less", "under", "fewer")):
            start += timedelta(days=1)
        return Interval(start, self.today)

    def more_than(self, m: re.Match[str]) -> Interval:
        low, _ = _quantity(m.group("q"), m.group("half"))
        end = self.ago(_unit_name(m.group("u")), low)
        if not m.group("how").startswith("at"):
            end -= timedelta(days=1)
        return Interval(None, end)

    def units_ago(self, m: re.Match[str]) -> Interval:
        return Interval(None, self.ago(_unit_name(m.group("u")), 1))

    def range_ago(self, m: re.Match[str]) -> Interval:
        unit = _unit_name(m.group("u"))
        a, b = sorted((float(m.group("q1")), float(m.group("q2"))))
        half = _HALF_WIDTH[unit if unit != "decades" else "years"]
        return Interval(self.ago(unit, b) - half, self.ago(unit, a) + half)

    def relative(self, m: re.Match[str]) -> Interval | bool | None:
        """ "3 months ago": the date ± half a unit (a fraction: a finer unit)."""
        if re.search(r"(?:once|twice|times|per|every|each)\s*$", m.string[: m.start()]):
            return None  # "once a month" is how often, not when
        if (m.group("pre") or "").strip() == "in" and not m.group("ago"):
            self.future = True
            return False
        if (m.group("pre") or "").strip() == "for" and not m.group("ago"):
            if not quiet_before(m.string, m.start()):
                return False  # a duration ("for 3 months"), not a time
            # "clean for 6 years", "not for 10 years": it last happened then.
        unit = _unit_name(m.group("u"))
        low, high = _quantity(m.group("q"), m.group("half"))
        precision = "years" if unit == "decades" else unit
        if not (low.is_integer() and high.is_integer()):
            precision = _FINER.get(precision, precision)
        half = _HALF_WIDTH[precision]
        return Interval(self.ago(unit, high) - half, self.ago(unit, low) + half)

    def named(self, m: re.Match[str]) -> Interval | None:
        phrase = m.group()
        phrase = re.sub(r"this\s+morning|tonight|earlier\s+today", "today", phrase)
        phrase = re.sub(r"last\s+night", "yesterday", phrase)
        phrase = re.sub(r"earlier\s+this", "this", phrase)
        return _dateparser_interval(phrase, self.today)

    def weekday(self, m: re.Match[str]) -> Interval:
        wanted = WEEKDAYS.index(m.group("wd"))
        back = (self.today.weekday() - wanted) % 7
        if back == 0 and (m.group("pre") or "").strip().startswith(("last", "past")):
            back = 7
        day = self.today - timedelta(days=back)
        return Interval(day, day)

    def zh(self, m: re.Match[str]) -> Interval | bool:
        year = int(m.group(1))
        try:
            if m.group(3):
                day = date(year, int(m.group(2)), int(m.group(3)))
                return Interval(day, day)
            if m.group(2):
                return month_interval(year, int(m.group(2)))
        except ValueError:
            self.bad_date = True
            return False
        return year_interval(year)

    def scan(self) -> list[Interval]:
        self.future = False
        qty_unit = rf"{_QTY}\s*{_UNIT}"
        opt_qty_unit = rf"(?:{_QTY}\s+)?{_UNIT}"
        self.take(
            r"\b(\d{4})\s*年\s*(?:(\d{1,2})\s*月\s*(?:(\d{1,2})\s*日)?)?", self.zh
        )
        self.take(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b", self.ymd)
        self.take(r"\b(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})\b", self.dmy)
        self.take(r"\b(?P<y>\d{4})[-/.](?P<mo>\d{1,2})\b(?![-/.]\d)", self.ym)
        self.take(r"\b(?P<mo>\d{1,2})[-/](?P<y>\d{4})\b", self.ym)
        self.take(
            rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{4}})?"
            rf"|{_MONTH.replace('month', 'month2')}\s+\d{{1,2}}(?:st|nd|rd|th)?\b"
            r"(?:,?\s+\d{4})?)(?!\d)",
            self.month_day,
        )
        self.take(rf"\b{_MONTH}(?:\s+of|,)?\s+(?P<y>\d{{4}})\b", self.month_year)
        self.take(
            r"\b(?P<part>early|beginning\s+of|start\s+of|mid|middle\s+of|late|end\s+of)"
            r"[-\s]+(?:(?P<y>\d{4})\b|this\s+year\b)",
            self.part_of_year,
        )
        self.take(
            r"(?P<pre>\b(?:last|past|this\s+past|this|in|during|since|until|till|by|over)"
            r"\s+(?:the\s+)?)?\b(?P<season>spring|summer|autumn|fall|winter)"
            r"(?:\s+(?:of\s+)?(?P<y>\d{4}))?\b",
            self.season,
        )
        self.take(
            rf"(?P<pre>\b(?:last|this\s+past|in|during|since|this)\s+)?\b{_MONTH}"
            r"(?![a-z])",
            self._month_only_guarded,
        )
        self.take(r"\b(?P<y>(?:19|20)\d{2})(?:'?s)?\b", self._year_guarded)
        self.take(
            r"\bnot\s+(?:in|within|during|for|over)\s+(?:the\s+)?(?:last|past)\s+"
            + opt_qty_unit
            + r"\b",
            self.not_within,
        )
        self.take(
            r"\b(?P<how>(?:(?:in|within|during|over|for)\s+)?the\s+(?:last|past)"
            r"|(?:in|within|during|over)\s+(?:the\s+)?(?:last|past)|within|past"
            r"|less\s+than|fewer\s+than|under|(?:last|past)(?=\s+\d))\s+"
            + opt_qty_unit
            + r"(?:\s+ago)?\b",
            self.within,
        )
        self.take(
            r"\b(?P<how>more\s+than|longer\s+than|greater\s+than|over|at\s+least"
            r"|upwards\s+of)\s+" + qty_unit + r"(?:\s+(?:ago|back|before))?\b",
            self.more_than,
        )
        self.take(
            r"\b(?:between\s+)?(?P<q1>\d+(?:\.\d+)?)\s*(?:-|to|or|and)\s*"
            r"(?P<q2>\d+(?:\.\d+)?)\s*" + _UNIT + r"(?:\s+(?:ago|back|before))?\b",
            self.range_ago,
        )
        self.take(
            r"(?P<pre>\b(?:in|for)\s+)?\b"
            + qty_unit
            + r"(?:\s+(?P<ago>ago|back|before|earlier|previously))?\b",
            self.relative,
        )
        self.take(
            r"\b(?:many\s+|some\s+)?(?P<u>days|weeks|months|years|decades)\s+ago\b",
            self.units_ago,
        )
        self.take(
            r"\b(?:the\s+)?day\s+before\s+yesterday\b|\byesterday\b|\btoday\b"
            r"|\btonight\b|\bthis\s+morning\b|\blast\s+night\b|\bearlier\s+today\b"
            r"|\b(?:earlier\s+)?this\s+(?:week|month|year)\b|\blast\s+(?:week|month|year)\b",
            self.named,
        )
        self.take(
            r"(?P<pre>\b(?:last|on|this\s+past|past)\s+)?\b(?P<wd>"
            + "|".join(WEEKDAYS)
            + r")\b",
            self.weekday,
        )
        return self.found

    def _month_only_guarded(self, m: re.Match[str]) -> Interval | None:
        # "may" is also a verb: only a month after "in", "last", "since"...
        if m.group("month") == "may" and not m.group("pre"):
            return None
        if m.group("month") in ("mar", "jun", "jan") and not m.group("pre"):
            return None
        return self.month_only(m)

    def _year_guarded(self, m: re.Match[str]) -> Interval | None:
        year = int(m.group("y"))
        if m.group().endswith("s"):  # "the 2010s"
            return Interval(date(year, 1, 1), date(min(year + 9, 9999), 12, 31))
        return self.year(m)


def iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()
