"""The grade of hepatic encephalopathy (West Haven, 0..4), from a number or from a
caregiver's description ("mixes up the days", "can't be woken")."""

from __future__ import annotations

import re

from bot.parsing.base import Answer, Parsed
from bot.parsing.lexicon import NO_WORDS, ROMAN_GRADES
from bot.parsing.nonanswers import answer_parser, is_unknown_low
from bot.parsing.numbers import to_digits

HE_GRADE_MAX = 4

_HE_TOKEN = r"(iv|iii|ii|i|\d+(?:\.\d+)?)"
_HE_SECOND = rf"(?:\s*(?:or|to|-|/|and)\s*{_HE_TOKEN})?"
_HE_KEYWORD_GRADE = re.compile(
    r"\b(?:grade|stage|gr|level|west\s+haven|whc)\s*[-:.]?\s*"
    rf"{_HE_TOKEN}{_HE_SECOND}(?![\w.])"
)
_HE_BARE_GRADE = re.compile(rf"[^\w-]*(-?(?:{_HE_TOKEN[1:-1]})){_HE_SECOND}\W*")
_NOT = r"(?:can\s*not|can'?t|cannot|could\s*n[o']?t|won'?t|will\s+not|does\s*n[o']?t"
_NOT += r"|doesn't|did\s*n[o']?t|didn't|don'?t|do\s+not|is\s+not|isn't|unable\s+to)"
_HE_PHRASES: list[tuple[int, re.Pattern[str]]] = [
    (
        4,
        re.compile(
            r"\bcoma\b|\bcomatose\b|\bunrousable\b|\bunarousable\b|\bunresponsive\b"
            r"|\bunconscious\b|\bnot\s+responding\b|\bno\s+response\b"
            r"|\bimpossible\s+to\s+(?:wake|rouse)\b|\bpassed\s+out\b"
            rf"|{_NOT}\s+(?:be\s+)?(?:wake|woken|waken|awaken(?:ed)?|rouse|roused|respond)"
        ),
    ),
    (
        3,
        re.compile(
            r"\bsomnolen\w*|\bstupor\w*|\b(?:very|really|extremely|so)\s+sleepy\b"
            r"|\b(?:can|could)\s+(?:be\s+)?(?:woken|wake|waken|awakened|roused)"
            r"|\brousable\b|\barousable\b|\bhard\s+to\s+(?:wake|rouse)\b"
            rf"|{_NOT}\s+know\s+where\b|\b(?:confused|muddled|mixed\s+up)\s+(?:about\s+)?"
            r"where\s+(?:she|he|they|i|we)\s+(?:is|are|am)\b"
            r"|\b(?:disoriented|confused|mixed\s+up|lost)\s+"
            r"(?:to|in|about|as\s+to)\s+(?:the\s+)?(?:place|where)"
            rf"|{_NOT}\s+recogni[sz]e\b|\bbizarre\b|\bincoherent\b"
            # "thinks he's at home" (in hospital): disoriented to place.
            r"|\bthinks?\s+(?:he|she|they|i|we)(?:'s|'re|'m|\s+is|\s+are|\s+am|\s+was"
            r"|\s+were)\s+(?:still\s+)?(?:at|in)\s+(?:home|work|school|the\s+office)\b"
            r"|\b(?:talk|talks|talking|speaks|speaking)\s+(?:\w+\s+)?(?:nonsense|gibberish)"
            r"|\bgibberish\b"
        ),
    ),
    (
        2,
        re.compile(
            r"\b(?:very\s+)?drowsy\b|\blethargic\b|\blethargy\b|\bapath\w+"
            rf"|{_NOT}\s+know\s+(?:what|which)\s+(?:day|date|time|month|year)"
            r"|\b(?:disoriented|confused|mixed\s+up)\s+(?:to|in|about|as\s+to)\s+"
            r"(?:the\s+)?(?:time|day|date|month|year)"
            r"|\bpersonality\s+(?:has\s+)?chang\w*|\bchang\w*\s+(?:in\s+)?(?:his\s+|her\s+"
            r"|their\s+)?(?:personality|behaviou?r)|\binappropriate\s+behaviou?r\b"
            r"|\bstrange\s+behaviou?r\b|\bbehaving\s+(?:strangely|oddly|weird\w*)"
            r"|\bflapping\b|\basterixis\b"
            r"|\b(?:mix\w*|muddl\w*)\s+up\s+(?:the\s+)?(?:days?|dates?|months?|years?)\b"
            r"|\b(?:days?|dates?)\s+(?:all\s+)?(?:mixed|muddled)\s+up\b"
            r"|\b(?:muddled|mixed\s+up|confused|muddles?|mixes)\s+(?:up\s+)?(?:about|over|on)?\s*"
            r"(?:the\s+|what\s+|which\s+)?(?:time|days?|dates?|months?|year)\b"
            r"|\blos\w*\s+track\s+of\s+(?:time|the\s+(?:days?|date)|what\s+day)"
            r"|\b(?:keeps?|kept)\s+(?:falling\s+asleep|nodding\s+off|dozing\s+off)"
            r"|\bfalls?\s+asleep\s+(?:mid[-\s]?sentence|while\s+talking|in\s+the\s+middle)"
        ),
    ),
    (
        1,
        re.compile(
            r"\bmild(?:ly)?\s+confus\w*|\b(?:a\s+(?:little|bit)|slightly|somewhat|bit)\s+"
            r"(?:confus\w*|forgetful|mixed\s+up)|\bshort(?:ened)?\s+attention\b"
            r"|\battention\s+span\b|\b(?:can'?t|cannot|can\s+not|hard\s+to|trouble|difficulty"
            r"|problems?)\s+(?:\w+\s+)?(?:concentrat\w*|focus\w*|pay(?:ing)?\s+attention)"
            r"|\bsleep\w*\s+(?:is\s+|are\s+|has\s+been\s+)?(?:reversed|upside\s+down|mixed)"
            r"|\bsleep\s+reversal\b|\b(?:awake|up)\s+(?:all\s+)?(?:at\s+)?night\b"
            r"|\bsleep\w*\s+(?:in|during)\s+the\s+day\b|\bday[-\s]night\s+reversal\b"
            r"|\bforgetful\b|\beuphori\w*|\banxious\b|\birritab\w+|\bslow\w*\s+thinking\b"
            r"|\b(?:a\s+(?:little|bit)|slightly|somewhat)\s+(?:slow|foggy|muddled|vague)\b"
            r"|\bslower\s+than\s+(?:usual|before|normal)\b|\bbrain\s+fog\b|\bfoggy\b"
            r"|\bnot\s+(?:as|so)\s+sharp\b"
        ),
    ),
]
_HE_AMBIGUOUS = re.compile(
    r"\bconfus\w*|\bdisoriented\b|\bsleepy\b|\bmixed\s+up\b|\bnot\s+(?:himself|herself"
    r"|themselves|myself)\b|\bmuddled\b|\bout\s+of\s+it\b"
)
_HE_NONE = re.compile(
    rf"^(?:{NO_WORDS}|normal|fine|ok|okay|clear|alert|grade\s+0)\b"
    r"|\bno\s+(?:confusion|problems?|symptoms?|changes?|issues?)\b|\bnot\s+confused\b"
    r"|\bclear[-\s]headed\b|\bnothing\s+like\s+that\b|\bfully\s+alert\b"
    r"|\balert\s+and\s+oriented\b|\bthinking\s+(?:is\s+)?(?:fine|normal|clear)\b"
)
#: "he's fine", "totally clear", "sharp as ever": no confusion, unless negated
#: ("she's not fine" is no answer of grade 0).
_HE_FINE = re.compile(
    r"\b(?:(?:is|'s|are|'re|am|'m|seems?|been|totally|completely|perfectly|absolutely"
    r"|quite|all)\s+)+(?:fine|ok|okay|well|normal|clear|lucid|alert|sharp|good"
    r"|himself|herself|themselves|myself|with\s+it)\b"
    r"|\bnormal\b|\blucid\b|\bsharp\s+as\s+(?:ever|a\s+tack)\b"
    r"|\b(?:his|her|their|my)\s+usual\s+self\b|\bsame\s+as\s+(?:always|ever|usual)\b"
)
NEGATION_BEFORE = re.compile(
    r"(?:\bnot|\bno|\bnever|n't|\bwithout|\bnor)(?:\s+\w+){0,3}\s*$"
)


# Chinese: a stage or a grade ("肝性脑病II期", "3级", "一度"), and the words a
# relative uses. A feature is negated by 没/不/无/未 just before it ("没有糊涂").
_ZH_NUMERALS = {"零": 0, "〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
_ZH_GRADE = re.compile(
    r"(?:肝性脑病|肝昏迷|脑病|west\s*haven)?\s*(?:第)?"
    r"(iv|iii|ii|i|\d+(?:\.\d+)?|[零〇一二三四五])"
    r"(?:\s*(?:到|至|-|~|或)\s*(iv|iii|ii|i|\d+|[一二三四五]))?\s*(?:期|级|度)"
)
_ZH_PHRASES: list[tuple[int, re.Pattern[str]]] = [
    (
        4,
        re.compile(
            r"叫不醒|喊不醒|叫也不醒|叫都不醒|怎么叫都不醒|弄不醒|昏迷|不省人事|人事不省"
            r"|没有?反应|没意识|意识丧失|失去意识|对疼痛都?没反应"
        ),
    ),
    (
        3,
        re.compile(
            r"不知道(?:自己)?(?:在|是在)?(?:哪|什么地方)|分不清(?:自己)?(?:在)?(?:哪|什么地方)"
            r"|不认识(?:人|家人|家里人|亲人|我|我们)|认不出(?:人|家人|我|我们)?|谁都不认识"
            r"|(?:人|家人|家里人|亲人|我|我们|孩子)(?:也|都)?不认识"
            r"|胡言乱语|说胡话|胡说八道|答非所问|说话颠三倒四|昏睡"
            r"|(?:很|特别|非常|老是|总是|一直)(?:想睡|困|嗜睡|犯困)[^,.。;]*?(?:叫得醒|能叫醒|叫醒)"
        ),
    ),
    (
        2,
        re.compile(
            r"嗜睡|分不清(?:白天|黑夜|早上|晚上|日子|日期|时间|几点|今天)"
            r"|不知道(?:今天)?(?:几号|几点|星期几|哪天|是哪天|哪一年|哪年|什么时候)"
            r"|搞不清(?:时间|日期|几号)|性格(?:都)?变了|脾气(?:都)?变了|行为(?:反常|异常|怪异)"
            r"|举止(?:反常|怪异)|扑翼样?震颤|说着话就睡着|说着说着就睡着|老是打瞌睡|总打瞌睡"
            r"|(?:特别|非常|很|总是|老是)(?:困|犯困|想睡|没精神)"
        ),
    ),
    (
        1,
        re.compile(
            r"(?:有点|有些|有一点|稍微|轻微|轻度|偶尔)(?:糊涂|迷糊|犯糊涂|健忘|反应慢|迟钝)"
            r"|白天(?:睡|睡觉|犯困|嗜睡)[^。;]{0,4}晚上(?:不睡|睡不着|不困|精神)"
            r"|晚上(?:不睡|睡不着)[^。;]{0,4}白天(?:睡|犯困)|黑白颠倒|昼夜颠倒|睡眠颠倒"
            r"|反应(?:比以前|比原来|比平时|变得?)?(?:有点|有些)?(?:慢|迟钝)|注意力不集中|注意力差|爱忘事|记性(?:变)?差"
            r"|健忘|烦躁|易怒|脾气(?:变)?大|情绪(?:低落|不稳)"
        ),
    ),
]
_ZH_AMBIGUOUS = re.compile(r"糊涂|迷糊|犯困|想睡|神志不清|意识不清|不太清醒|不清醒")
_ZH_NONE = re.compile(
    r"^(?:没有?|无|都没有|没有这些|没有这种情况|没这情况)(?:$|[,，.。!！\s]|的|啊|呀)"
    r"|很清醒|挺清醒|清醒|清楚|脑子(?:很|挺)?(?:清楚|好使|清醒)|正常|跟平常一样|和平时一样"
    r"|跟以前一样|好好的|挺好的"
)
_ZH_NEGATION = re.compile(
    r"(?:没有?|不|无|未|并没有?|从来没有?|从没|也没有?)(?:那么|太|怎么|很)?$"
)
_HAN = re.compile(r"[\u3400-\u9fff]")


def _zh_grade_token(token: str) -> float:
    if token in _ZH_NUMERALS:
        return float(_ZH_NUMERALS[token])
    return _he_value(token)


def _parse_zh(answer: Answer, s: str) -> Parsed | None:
    """A Chinese answer: a stage or grade, or a relative's words; None: nothing."""
    tokens = [t for m in _ZH_GRADE.finditer(s) for t in m.groups() if t]
    if tokens:
        values = list(dict.fromkeys(_zh_grade_token(t) for t in tokens))
        if len(values) > 1:
            return answer.fail("multiple_values", values=values)
        if not values[0].is_integer() or values[0] > HE_GRADE_MAX:
            return answer.fail("out_of_range", given_value=values[0])
        return answer.ok(int(values[0]), source="grade")
    matched: list[tuple[int, str]] = []
    for grade, pattern in _ZH_PHRASES:
        for m in pattern.finditer(s):
            if not _ZH_NEGATION.search(s[: m.start()]):
                matched.append((grade, m.group()))
    if matched:
        grade = max(g for g, _ in matched)
        return answer.ok(grade, source="description", matched=[p for _, p in matched])
    if any(not _ZH_NEGATION.search(s[: m.start()]) for m in _ZH_AMBIGUOUS.finditer(s)):
        return answer.fail(
            "not_understood", "parse_he_grade_which", possible_grades=[1, 2, 3]
        )
    if is_unknown_low(s):
        return answer.unknown()
    fine = any(not _ZH_NEGATION.search(s[: m.start()]) for m in _ZH_NONE.finditer(s))
    if fine or _ZH_AMBIGUOUS.search(s):  # only negated: "没有糊涂"; not "不正常"
        return answer.ok(0, source="description")
    return None


def _he_value(token: str) -> float:
    return float(ROMAN_GRADES[token]) if token in ROMAN_GRADES else float(token)


@answer_parser("he_grade")
def parse_he_grade(answer: Answer) -> Parsed:
    """A hepatic encephalopathy grade (West Haven), 0..4.

    A grade is read from "2", "grade II", "stage 3", "III" (numbers only when they are
    the whole answer or follow grade/stage/level, so "2 days ago he got confused" is
    not grade 2), or from plain descriptions: 0 none / no confusion; 1 mild confusion,
    short attention, sleep reversed (awake at night); 2 very drowsy / lethargic,
    disoriented to time, obvious personality change; 3 very sleepy but can be woken,
    does not know where they are; 4 coma / cannot be woken. A caregiver's words count:
    "thinks he's at home" (in hospital) or "talks nonsense" is 3, "mixes up the days"
    or "keeps nodding off" 2, "a bit slow" or "foggy" 1, "he's fine" or "sharp as
    ever" 0 (not when negated). A question back -> ``not_understood`` with
    ``detail["reason"]``. The most severe feature
    described decides (West Haven grades by the worst sign). A negated feature ("not
    in a coma") does not count. A bare "confused" or "sleepy" fits several grades:
    ``not_understood`` with ``detail["possible_grades"]`` and a question back.

    Args:
        text: The answer as given.

    Returns:
        ``value`` as int, or an error.
    """
    if _HAN.search(answer.low):
        zh = _parse_zh(answer, answer.low)
        if zh is not None:
            return zh
    s = to_digits(answer.low)
    tokens = [t for m in _HE_KEYWORD_GRADE.finditer(s) for t in m.groups() if t]
    bare = _HE_BARE_GRADE.fullmatch(s)
    if bare:
        tokens += [t for t in bare.groups() if t]
    if tokens:
        values = []
        for token in tokens:
            value = _he_value(token)
            if value not in values:
                values.append(value)
        if len(values) > 1:
            return answer.fail("multiple_values", values=values)
        value = values[0]
        if value < 0:
            return answer.fail("negative", given_value=value)
        if not value.is_integer() or value > HE_GRADE_MAX:
            return answer.fail("out_of_range", given_value=value)
        return answer.ok(int(value), source="grade")
    matched: list[tuple[int, str]] = []
    for grade, pattern in _HE_PHRASES:
        for m in pattern.finditer(s):
            if not NEGATION_BEFORE.search(s[: m.start()]):
                matched.append((grade, m.group()))
    if matched:
        grade = max(g for g, _ in matched)
        return answer.ok(grade, source="description", matched=[p for _, p in matched])
    ambiguous = [
        m
        for m in _HE_AMBIGUOUS.finditer(s)
        if not NEGATION_BEFORE.search(s[: m.start()])
    ]
    if ambiguous:
        return answer.fail(
            "not_understood",
            "parse_he_grade_which",
            possible_grades=[1, 2, 3],
        )
    if is_unknown_low(s):
        return answer.unknown()
    if _HE_NONE.search(s) or any(
        not NEGATION_BEFORE.search(s[: m.start()]) for m in _HE_FINE.finditer(s)
    ):
        return answer.ok(0, source="description")
    return answer.fail("not_understood")
