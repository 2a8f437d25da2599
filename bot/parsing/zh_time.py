"""Chinese time expressions as intervals of dates: "两周前", "去年三月", "半年前",
"3个月以前", "2022年停的", "前年", "很多年前"; and the words around them that say the
thing goes on ("一直在吃", "现在还在吃"), has stopped ("停了", "后来一直好好的") or
never happened ("从来没有").

Our own rules, relative to the screening date; dateparser (``languages=["zh"]``) is
only the fallback of :mod:`bot.parsing.time_ago`. Numbers are read only inside a time
expression (a numeral right before a unit of time, a year or a month): "一直" ("all
along"), "一次" ("once"), "小三阳" and "这两天" ("these days") hold no number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable

from dateutil.relativedelta import relativedelta

from bot.parsing.dates import Interval, month_interval, year_interval

_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5,
    "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_CN = "零〇一二两俩三四五六七八九十百"
#: A numeral: digits, or Chinese numerals up to the hundreds.
NUM = rf"(?:\d+(?:\.\d+)?|[{_CN}]+)"


def zh_number(text: str) -> float | None:
    """A numeral as a number: "12", "十二", "二十", "两", "一百零五"; else None."""
    if not text:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    if not re.fullmatch(f"[{_CN}]+", text):
        return None
    if "十" not in text and "百" not in text:
        if len(text) == 1:
            return float(_DIGITS[text])
        return None  # "两三" is a range, "二〇二二" a year: not one number
    total = 0
    for unit, size in (("百", 100), ("十", 10)):
        if unit in text:
            head, _, text = text.partition(unit)
            head = head.lstrip("零〇")
            if head and head not in _DIGITS:
                return None
            total += (_DIGITS[head] if head else 1) * size
    text = text.lstrip("零〇")
    if text:
        if text not in _DIGITS:
            return None
        total += _DIGITS[text]
    return float(total)


def zh_year(text: str, today: date) -> int | None:
    """A year: "2022", "二〇二二", "二零二二", "22" (two digits: this century, not
    after the screening year)."""
    if re.fullmatch(r"\d{4}", text):
        return int(text)
    if re.fullmatch(r"\d{2}", text):
        year = 2000 + int(text)
        return year if year <= today.year else 1900 + int(text)
    if len(text) == 4 and all(ch in _DIGITS and ch not in "两俩" for ch in text):
        return int("".join(str(_DIGITS[ch]) for ch in text))
    return None


#: How many: a numeral; a range "两三", "三到五", "2-3"; "几", "十几", "二十多".
_QTY = (
    rf"(?P<q>(?:{NUM})\s*(?:到|至|-|~|或)\s*(?:{NUM})|[一两二三四五六七八九]{{2}}"
    rf"|好几|几十|十几|几|半|(?:{NUM})(?:多|来)?)"
)
_UNITS = {
    "天": "days", "日": "days", "周": "weeks", "星期": "weeks", "礼拜": "weeks",
    "个月": "months", "月": "months", "年": "years",
}  # fmt: skip
_UNIT = r"(?P<u>个多月|个半月|个月|星期|礼拜|天|日|周|月|年)(?P<more>多|半)?"
_HALF_WIDTH = {
    "days": relativedelta(),
    "weeks": relativedelta(days=3),
    "months": relativedelta(days=15),
    "years": relativedelta(months=6),
}


def _quantity(q: str, unit_word: str, more: str | None) -> tuple[float, float] | None:
    """(low, high) of a quantity, with "多" ("and more") and "半" ("and a half")."""
    extra_low = extra_high = 0.0
    if "半" in unit_word or more == "半":
        extra_low = extra_high = 0.5
    if "多" in unit_word or more == "多":
        extra_high = 1.0  # "一年多": one to two years
    if q == "半":
        return 0.5, 0.5
    vague = {"几": (2.0, 7.0), "好几": (3.0, 9.0), "十几": (11.0, 19.0)}
    if q in vague:
        low, high = vague[q]
        return low + extra_low, high + extra_high
    if q == "几十":
        return 20.0, 90.0
    m = re.fullmatch(rf"({NUM})\s*(?:到|至|-|~|或)\s*({NUM})", q)
    if m:
        a, b = zh_number(m.group(1)), zh_number(m.group(2))
        if a is None or b is None:
            return None
        return min(a, b) + extra_low, max(a, b) + extra_high
    if len(q) == 2 and all(ch in _DIGITS for ch in q) and "十" not in q:
        a, b = float(_DIGITS[q[0]]), float(_DIGITS[q[1]])
        if b - a not in (1.0, 2.0):  # "两三", "三五": neighbours only
            return None
        return a + extra_low, b + extra_high
    tail = q[-1]
    value = zh_number(q.rstrip("多来"))
    if value is None:
        return None
    if tail == "多":  # "二十多年": twenty-odd
        step = 10.0 if value >= 10 and value % 10 == 0 else 1.0
        return value + extra_low, value + step - 1.0 + max(extra_high, 1.0)
    return value + extra_low, value + extra_high


def _unit(u: str) -> str:
    return _UNITS.get(u.replace("多", "").replace("半", ""), "days")


def _offset(unit: str, amount: float) -> relativedelta:
    if unit == "years":
        return relativedelta(months=round(amount * 12))
    if unit == "months":
        whole = int(amount)
        return relativedelta(months=whole, days=round((amount - whole) * 30.4375))
    if unit == "weeks":
        return relativedelta(days=round(amount * 7))
    return relativedelta(days=round(amount))


# --------------------------------------------------------------------------- #
# The words around the times
# --------------------------------------------------------------------------- #

#: Going on now ("一直在吃", "现在还在吃", "每天都喝", "至今").
ONGOING_ZH = re.compile(
    r"一直|现在|目前|还在|正在|仍在|仍然|依然|至今|到现在|到今天|每天|天天|长期|在吃|在用"
    r"|还吃|还用|还喝|没停|没断|一天不落"
)
#: The words after a marker that say it is not going on: "后来一直好好的",
#: "现在好了", "一直没再犯", "现在不吃了".
QUIET_ZH = re.compile(
    r"好好|好了|挺好|很好|还好|没事|正常|稳定|控制住|控制得|没再|没有再|没犯|没发|没复发"
    r"|不吃|不用|不喝|(?<![没不])停|没有了|没了|康复|痊愈|恢复|没有?(?:什么)?问题|没有?(?!停|断)"
)
#: Began then and goes on: "从2019年开始", "2019年以来", "自从去年".
SINCE_ZH = re.compile(r"从|自从|以来|开始|起")
#: Ended: the latest time named is the last one ("2022年停的", "上个月停了").
STOP_ZH = re.compile(
    r"(?<![没不])停|不吃了|不用了|不喝了|戒了|戒掉|断了|结束|最后一次|上一次|末次|没再吃|没再用"
)
#: It never happened.
NEVER_ZH = re.compile(
    r"从来都?没|从没|从未|没有过|木有过?|莫得|没得|没得过|没做过|没吃过|没用过|没打过|没参加过|没住过|没喝过"
    r"|不曾|未曾|一次都?没|一直都?没(?!停|断|再|事)|^(?:没有?|无|否|不是|都没有)(?:$|[,，.。!！\s]|啊|呀|的|哦)"
)
#: On and off: the last time lies anywhere from the start to now.
INTERMITTENT_ZH = re.compile(
    r"时不时|断断续续|有时候|偶尔|时有时无|反反复复|反复|三天两头"
)
#: A time of life, not a date.
LIFE_STAGE_ZH = re.compile(
    r"小时候|小的时候|年轻的?时候|年轻时|上学的?时候|读书的?时候|当兵的?时候|上大学"
    r"|十几岁|二十几岁|(?:\d+|[一二三四五六七八九十]+)岁(?:的)?(?:时候|那年)"
)
#: After the screening date.
FUTURE_ZH = re.compile(
    r"明天|后天|下周|下个?星期|下个?礼拜|下个?月|明年|打算|准备|计划|将来|过几天|过两天|下次"
)
#: It happened, but no time is given: we ask when.
VAGUE_ZH = re.compile(
    r"最近|近期|前段时间|前阵子|前些日子|前一段|很久|好久|早些年|早年|很早|以前|之前|过去"
    r"|得过|有过|吃过|用过|做过"
)
#: Two times joined as a range: "2019年或者2020年", "前年到去年".
RANGE_ZH = re.compile(r"到|或者?|还是|至|-|~")


@dataclass
class ZhTimes:
    """What a Chinese answer says about when."""

    found: list[Interval] = field(default_factory=list)
    bad_date: bool = False
    future: bool = False


class ZhTimeScan:
    """Finds the Chinese time expressions of an answer, each as an interval."""

    def __init__(self, s: str, screening: date) -> None:
        self.s = s
        self.today = screening
        self.out = ZhTimes()

    def take(
        self, pattern: str, handler: Callable[[re.Match[str]], Interval | bool | None]
    ) -> None:
        def replace(m: re.Match[str]) -> str:
            interval = handler(m)
            if interval is None:
                return m.group()
            if isinstance(interval, Interval):
                self.out.found.append(interval)
            return " ; "  # False: a time, but no usable one (bad or future)

        self.s = re.sub(pattern, replace, self.s)

    def ago(self, unit: str, amount: float) -> date:
        try:
            return self.today - _offset(unit, amount)
        except (ValueError, OverflowError):
            return date(1, 12, 31)

    def _future(self) -> bool:
        self.out.future = True
        return False

    # ---- handlers ------------------------------------------------------------- #

    def ymd(self, m: re.Match[str]) -> Interval | bool | None:
        year = zh_year(m.group("y"), self.today)
        if year is None:
            return None
        month = zh_number(m.group("mo")) if m.group("mo") else None
        day = zh_number(m.group("d")) if m.group("d") else None
        part = m.group("part")
        try:
            if day is not None and month is not None:
                d = date(year, int(month), int(day))
                return Interval(d, d)
            if month is not None:
                return month_interval(year, int(month))
        except ValueError:
            self.out.bad_date = True
            return False
        if part:
            return self._part(year, part)
        return year_interval(year)

    def _part(self, year: int, part: str) -> Interval:
        if part in ("初", "年初", "上半年", "开春"):
            end = date(year, 6, 30) if part == "上半年" else date(year, 4, 30)
            return Interval(date(year, 1, 1), end)
        if part in ("年中", "中"):
            return Interval(date(year, 5, 1), date(year, 8, 31))
        if part == "下半年":
            return Interval(date(year, 7, 1), date(year, 12, 31))
        return Interval(date(year, 9, 1), date(year, 12, 31))  # 年底, 年末, 底

    def named_year(self, m: re.Match[str]) -> Interval | bool:
        back = {"今年": 0, "去年": 1, "前年": 2, "大前年": 3}[m.group("yw")]
        year = self.today.year - back
        month = zh_number(m.group("mo")) if m.group("mo") else None
        day = zh_number(m.group("d")) if m.group("d") else None
        try:
            if month is not None and day is not None:
                d = date(year, int(month), int(day))
                return Interval(d, d) if d <= self.today else self._future()
            if month is not None:
                interval = month_interval(year, int(month))
                if interval.earliest and interval.earliest > self.today:
                    return self._future()
                return interval
        except ValueError:
            self.out.bad_date = True
            return False
        if m.group("part"):
            return self._part(year, m.group("part"))
        return year_interval(year)

    def month_day(self, m: re.Match[str]) -> Interval | bool | None:
        month = zh_number(m.group("mo"))
        day = zh_number(m.group("d")) if m.group("d") else None
        if month is None or not 1 <= month <= 12:
            return None
        year = self.today.year
        try:
            if day is not None:
                d = date(year, int(month), int(day))
                if d > self.today:
                    d = date(year - 1, int(month), int(day))
                return Interval(d, d)
        except ValueError:
            self.out.bad_date = True
            return False
        if month > self.today.month or (m.group("pre") and month == self.today.month):
            year -= 1
        return month_interval(year, int(month))

    def relative(self, m: re.Match[str]) -> Interval | None:
        """ "三天前", "两周前", "半年前", "3个月以前", "一年多前": ± half a unit."""
        unit = _unit(m.group("u"))
        q = _quantity(m.group("q"), m.group("u"), m.group("more"))
        if q is None:
            return None
        low, high = q
        precision = unit
        if not (low.is_integer() and high.is_integer()):
            precision = {"years": "months", "months": "weeks"}.get(unit, "days")
        half = _HALF_WIDTH[precision]
        if "多" in m.group("q") + m.group("u") + (m.group("more") or ""):
            half = relativedelta()  # "一年多前": between one and two years, no more
        return Interval(self.ago(unit, high) - half, self.ago(unit, low) + half)

    def more_than(self, m: re.Match[str]) -> Interval | None:
        q = _quantity(m.group("q"), m.group("u"), None)
        if q is None:
            return None
        end = self.ago(_unit(m.group("u")), q[0])
        return Interval(None, end - timedelta(days=1))

    def within(self, m: re.Match[str]) -> Interval | None:
        q = _quantity(m.group("q"), m.group("u"), None)
        if q is None:
            return None
        return Interval(self.ago(_unit(m.group("u")), q[1]), self.today)

    def many_ago(self, m: re.Match[str]) -> Interval:
        """ "很多年前", "好多年前": more than one unit ago."""
        return Interval(None, self.ago(_unit(m.group("u")), 1))

    def named(self, m: re.Match[str]) -> Interval:
        word, t = m.group(), self.today
        days = {"今天": 0, "今儿": 0, "今早": 0, "今晚": 0, "昨天": 1, "昨儿": 1,
                "昨晚": 1, "前天": 2, "大前天": 3}  # fmt: skip
        if word in days:
            d = t - timedelta(days=days[word])
            return Interval(d, d)
        if word in ("这两天", "这几天", "最近几天", "这些天"):
            return Interval(t - timedelta(days=7), t)
        monday = t - timedelta(days=t.weekday())
        if word in ("这周", "本周", "这个星期", "这星期", "这礼拜", "这个礼拜"):
            return Interval(monday, t)
        if word.startswith("上上"):
            start = monday - timedelta(days=14)
            if "月" in word:
                first = t.replace(day=1) - relativedelta(months=2)
                return month_interval(first.year, first.month)
            return Interval(start, start + timedelta(days=6))
        if "月" in word:
            if word in ("这个月", "本月", "这月"):
                return Interval(t.replace(day=1), t)
            first = t.replace(day=1) - relativedelta(months=1)
            return month_interval(first.year, first.month)
        start = monday - timedelta(days=7)  # 上周, 上个星期, 上礼拜
        return Interval(start, start + timedelta(days=6))

    def weekday(self, m: re.Match[str]) -> Interval | bool:
        """ "上周三", "这周一", "星期五": that day (the most recent one when no week
        is named)."""
        wanted = "一二三四五六日".find(m.group("wd").replace("天", "日"))
        t = self.today
        monday = t - timedelta(days=t.weekday())
        pre = m.group("pre")
        if pre in ("上", "上上"):
            day = monday - timedelta(days=7 * len(pre)) + timedelta(days=wanted)
        elif pre in ("这", "本"):
            day = monday + timedelta(days=wanted)
            if day > t:
                return self._future()
        else:
            day = t - timedelta(days=(t.weekday() - wanted) % 7)
        return Interval(day, day)

    def this_year(self, m: re.Match[str]) -> Interval:
        return Interval(date(self.today.year, 1, 1), self.today)

    def scan(self) -> ZhTimes:
        year = r"(?P<y>\d{4}|\d{2}|[零〇一二三四五六七八九]{4})"
        month = rf"(?P<mo>\d{{1,2}}|[{_CN}]{{1,3}})\s*月份?"
        day = rf"(?:(?P<d>\d{{1,2}}|[{_CN}]{{1,3}})\s*[日号])?"
        part = r"(?P<part>年初|年中|年底|年末|上半年|下半年|初|底)?"
        self.take(
            rf"{year}\s*年(?!前|以前|之前|了|多|左右|以上|以内|内|来|间)\s*"
            rf"(?:{month}{day}|{part})",
            self.ymd,
        )
        self.take(
            rf"(?P<yw>大前年|前年|去年|今年)(?:的)?\s*(?:{month}{day}|{part})",
            self.named_year,
        )
        self.take(
            rf"(?P<pre>上个?)?(?<!个)(?<![{_CN}\d])(?P<mo>\d{{1,2}}|十[一二]|[一二三四五六七八九十])"
            rf"\s*月份?(?!前|以前|之前|内|以内|之内|了)"
            rf"(?:(?P<d>\d{{1,2}}|[{_CN}]{{1,3}})\s*[日号])?",
            self.month_day,
        )
        self.take(
            r"(?P<pre>上上|上|这|本)?个?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天])",
            self.weekday,
        )
        self.take(
            r"大前天|前天|昨天|昨儿|昨晚|今天|今儿|今早|今晚|这两天|这几天|最近几天|这些天"
            r"|上上个?(?:月|星期|礼拜|周)|上个?月|上个?星期|上个?礼拜|上周"
            r"|这个?月|本月|这个?星期|这个?礼拜|这周|本周",
            self.named,
        )
        self.take(
            rf"(?:很多|好多|许多|(?<![{_CN}\d])多)(?P<u>年|个月)(?:以前|之前|前)",
            self.many_ago,
        )
        unit = r"(?P<u>个月|星期|礼拜|天|周|年)"
        self.take(
            rf"(?:超过|多于|至少|起码|不止)\s*{_QTY}\s*{unit}(?:了|以前|之前|前)?",
            self.more_than,
        )
        self.take(rf"{_QTY}\s*{unit}(?:以上|开外)(?:了|以前|之前|前)?", self.more_than)
        self.take(
            rf"(?:最近|近|过去|这)\s*{_QTY}\s*{unit}(?:以内|之内|内|里|当中|中)?",
            self.within,
        )
        self.take(rf"{_QTY}\s*{unit}(?:以内|之内|内)", self.within)
        self.take(rf"{_QTY}\s*{_UNIT}\s*(?:左右)?\s*(?:以前|之前|前)", self.relative)
        # "停了三个月了", "两年没吃了": how long since it stopped is when it last was.
        self.take(
            rf"(?<=停|戒|断)了?\s*(?:有|快|大概)?\s*{_QTY}\s*{_UNIT}", self.relative
        )
        self.take(
            rf"{_QTY}\s*{_UNIT}\s*(?=没(?:再|有再)?(?:吃|用|喝|犯|发|打|复发))",
            self.relative,
        )
        self.take(r"今年", self.this_year)
        self.take(r"去年|前年|大前年", self._year_word)
        return self.out

    def _year_word(self, m: re.Match[str]) -> Interval:
        back = {"去年": 1, "前年": 2, "大前年": 3}[m.group()]
        return year_interval(self.today.year - back)


def scan_zh(s: str, screening: date) -> ZhTimes:
    """Every Chinese time expression in ``s`` (normalized), as intervals."""
    return ZhTimeScan(s, screening).scan()
