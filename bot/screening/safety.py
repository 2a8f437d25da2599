"""A deterministic backstop for emergencies described in free text.

The NLU model has an `emergency` intent; a missed emergency is the worst mistake this
assistant can make, so answers are also checked against these plain patterns, and a
match gets the emergency advice before anything else. Only signs happening *now* are
matched, and a negation just before the sign ("no vomiting of blood", "never had
black stools") or a past-time marker ("last year", "two years ago") cancels it.

Simplified Chinese has its own patterns (:data:`_SIGNS_ZH`), matched on characters,
and decides "now" the way the English does, fitted to how Chinese marks time:

* a negation just before the sign, in the same clause ("没有吐血", "也没拉过黑便",
  "从来没有昏迷"), or a clause that says no right after it ("吐血倒是没有") cancels it;
  "不停地吐血", "不知道为什么昏迷了" are no negation;
* the nearest time word before the sign in the same sentence decides: a past one
  ("三天前", "以前", "去年") cancels it, a present one ("今天", "现在", "刚才",
  "昨晚", "从三天前开始") keeps it: "三天前吐过一次血，今天还拉黑便" is an
  emergency for the black stools, "三天前吐过一次血" alone is not;
* with no time word before it, a past marker after the sign in its clause ("吐血是
  两年前的事") or the experiential "过" ("以前昏迷过", "吐过血") cancels it.
"""

from __future__ import annotations

import re

from bot.settings import MAX_MESSAGE_CHARS

_STOOL = r"(stool|stools|poo|poos|poop|faeces|feces|motions?|bowel movements?)"
_SIGNS = [
    # Bleeding from the stomach or gut.
    r"(vomit\w*|throw\w* up|puk\w*|cough\w* up|sick)\s+(up\s+)?"
    r"(a lot of\s+|some\s+|any\s+)?blood",
    r"blood\w*\s+(in|from)\s+(his|her|my|the)?\s*(vomit|sick|mouth|bottom|"
    rf"back passage|{_STOOL})",
    rf"(black|tarry|bloody)(\s+\w+)?\s+{_STOOL}",
    # Cannot be woken, not breathing, turning blue.
    r"(can'?t|cannot|can not|won'?t|unable to)\s+(wake|rouse)",
    r"\b(uncon(sc|c|s)ious|unresponsive|passed out|not breathing|collapsed)\b",
    r"\b(isn'?t|is not|not)\s+responding\b",
    r"\b(can'?t|cannot|struggling to|hardly|unable to)\s+breathe\b",
    r"\b(lips|face|skin)\s+(is|are|turning|turned|going|gone)\s+(\w+\s+)?"
    r"(blue|grey|gray)\b",
    r"\bturn(ed|ing)\s+(blue|grey|gray)\b",
    # Confusion that severe: does not know the place or the family (grade 3 or 4).
    r"\bdoes(n'?t| not)\s+know\s+(who\s+(i|we)\s+(am|are)|where\s+(he|she)\s+is)\b",
    r"\b(having|had)\s+a\s+(seizure|fit)\b|\bseizing\b",
    # An overdose; thoughts of ending one's life.
    r"\boverdos\w*",
    r"\b(swallowed|took|taken)\s+(a\s+|the\s+)?(whole\s+)?(bottle|packet|box|"
    r"handful|lot)\s+of\s+(pills|tablets|paracetamol|medicine|his|her|my)",
    r"\b(kill|hurt|harm)\s+(my|him|her)self\b",
    r"\b(end|ending|take|taking)\s+(my|his|her)\s+(own\s+)?life\b",
    r"\bsuicid\w*",
    r"\bwant(s)?\s+to\s+die\b",
    r"\b(better off|rather be)\s+dead\b",
    r"\bno\s+point\s+(in\s+)?(living|going on|being alive)\b",
]
_SIGN = re.compile("|".join(f"(?:{p})" for p in _SIGNS), re.IGNORECASE)
_NEGATION = re.compile(
    r"\b(no|not|never|without|didn'?t|doesn'?t|hasn'?t|haven'?t|isn'?t|wasn'?t|"
    r"nor|none|denies)\b[\w\s,']{0,25}$",
    re.IGNORECASE,
)
_PAST = re.compile(
    r"\b(ago|last (year|month|week)|years? back|in (19|20)\d\d|used to|previously|"
    r"in the past|back in|history of)\b",
    re.IGNORECASE,
)


# Simplified Chinese. "血" words: vomiting blood, coffee-ground vomit, black or bloody
# stools.
_ZH_AMOUNT = (
    r"(?:很多|好多|不少|大量|一大口|一些|一点|点|一滩|一盆|一碗|满口"
    r"|[一两二三四五几好多]+[口次回])?"
)
_ZH_STOOL = r"(?:大便|粪便|屎|拉的|拉出来的|便出来的|解的大便)"
_SIGNS_ZH = [
    # Bleeding from the stomach or gut.
    rf"[吐呕咳咯](?:了|出|过|出了)?{_ZH_AMOUNT}的?(?:鲜)?血",
    r"吐出来的?(?:东西)?(?:都|全)?是血|[吐呕](?:出来)?的(?:都|全)?是[\u4e00-\u9fff]{0,4}血",
    r"出了?(?:好多|很多|大量|不少)(?:的)?血|(?:流血|出血|血)止不住|嘴里[\u4e00-\u9fff]{0,4}[冒流涌]血",
    r"(?:呕吐物|吐的东西|吐出来的东西?)(?:里|中)?(?:有|带|是|全是|都是)血",
    r"[吐呕](?:出|了)?(?:的|出来的)?(?:东西)?[\u4e00-\u9fff]{0,5}?咖啡",
    r"黑便|便血|血便|拉血|柏油(?:样|色)?(?:便|大便)",
    r"(?:胃|[上下]?消化道|食管|食道|静脉曲张|胃底)(?:大)?出血|大出血",
    r"(?:拉|解)(?:了|出)?(?:黑色?的?|黑乎乎的?)稀?(?:大便|便|屎)",
    rf"{_ZH_STOOL}(?:是|都是|全是|发|很|有点|有些|呈|颜色|变|变得|跟|像){{0,3}}(?:黑|柏油)",
    r"(?:马桶|便盆)里(?:全是|都是|好多|很多|有)血|肛门[\u4e00-\u9fff]{0,2}出血",
    rf"{_ZH_STOOL}(?:里|中|上|里面)?(?:有|带|带着|全是|都是|是)(?:点|些)?血",
    # Cannot be woken, unconscious, not breathing, turning blue.
    r"[叫喊推摇弄](?:也|都)?[叫喊推摇弄]?不醒",
    r"叫不应|喊不应|醒不过来|醒不来|无法[叫唤]醒|叫醒不了",
    r"[叫喊](?:他|她)?(?:也|都)?不答应",
    r"昏迷|昏过去|晕过去|昏倒|晕倒|不省人事|人事不省",
    r"神志不清|意识不清|意识模糊|失去意识|没有?意识了|无意识",
    r"[叫喊](?:他|她)?(?:也|都)?没有?反应|(?:他|她|人)没有?反应了",
    r"(?:他|她|人)(?:已经)?没有?知觉|失去知觉",
    r"喘不[上过动了](?:气|来)?|上不来气|透不过气|呼吸(?:很)?困难|呼吸不正常",
    r"没有?呼吸了|不喘气了|没气了",
    r"(?:嘴唇|嘴巴|脸|脸色)(?:都)?(?:发|变)(?:紫|青|乌|灰)",
    r"救命|叫救护车|打120|叫120|快不行了|救救(?:他|她|我)",
    # Confusion that severe: does not know the family or the place (grade 3 or 4).
    r"不认人|认不出(?:人|我|我们|家人|家里人)|不知道自己在哪",
    r"(?:连)?(?:我|我们|家人|家里人)(?:都|也)不认识了",
    r"抽搐|抽风|抽起来了|癫痫发作|羊癫疯|羊角风|口吐白沫",
    # An overdose; thoughts of ending one's life.
    r"[吃吞服](?:了|下)(?:一整|整|一|半)(?:瓶|盒|板)(?:的)?[\u4e00-\u9fff]{0,4}?[药片]",
    r"[吃吞服](?:了|下)(?:一大把|很多|好多|大量)的?安眠药",
    r"服药过量|吃药过量|过量服|喝(?:了)?(?:农药|百草枯|敌敌畏)",
    r"把(?:一整?|整)(?:瓶|盒)[\u4e00-\u9fff]{0,4}?药(?:都|全)?(?:吃|吞)",
    r"把药全(?:部|都)?(?:吃|吞)",
    r"(?:想|要)?自杀|不想活|活不下去|活着没(?:有)?(?:意思|意义)|想死|寻死|轻生",
    r"一死了之|一了百了|了结自己|结束(?:自己的)?生命|结束自己|结束这一切",
    r"伤害自己|自残|割腕|跳楼|上吊",
]
_SIGN_ZH = re.compile("|".join(f"(?:{p})" for p in _SIGNS_ZH))
#: A clause ends at any punctuation (Chinese writers rarely put a space after it).
_CLAUSE_END_ZH = r"[,，;；:：.。!！?？、\n]"
#: A negation before the sign in its clause: "没有吐血", "没再拉过黑便", "不抽搐".
#: "没几天", "没多久", "无缘无故", "无法" and "不停", "不知道" are no negation; "不"
#: counts only right before the sign ("不吃不喝昏迷了" is an emergency).
_NEGATION_ZH = re.compile(
    r"(?:(?:没有|没(?!几|多久|多长|过多久|一会|办法|想到|料到|事|人)|无(?!缘无故|法)|未|"
    r"否认|从未|从没|并未|不曾|不再|不会)[^,，;；:：.。!！?？、\n]{0,4}"
    r"|(?<!是)不)$"
)
#: No, right after the sign: "吐血倒是没有", "黑便也没有过", "吐血？没有。"
_AFTER_NEGATION_ZH = re.compile(
    rf"^(?:倒是|倒|也|都|呢|的话|嘛|{_CLAUSE_END_ZH})?\s*"
    r"(?:从来没有?|从没有?|没有|没|无|未)(?:过|发生过|出现过)?[呢啊哦吧了]?"
    rf"\s*(?:{_CLAUSE_END_ZH}|$)"
)
_NUMBER_ZH = r"(?:\d+|[一二两三四五六七八九十几半多]+)"
_UNIT_ZH = r"(?:个)?多?(?:天|日|周|星期|礼拜|月|年)多?"
#: Time words that put a sign in the past. A span of time before "开始", "起", "以来"
#: is no past: it began then and goes on.
_PAST_ZH = (
    rf"{_NUMBER_ZH}{_UNIT_ZH}(?:以前|之前|前)(?!开始|起|以来)"
    r"|以前|之前|从前|(?<![昏晕死])过去|曾经|曾|去年|前年|前些年|早年|那年|那时|当时|"
    r"上次|上回|那次|上个月|上月|上周|上星期|上礼拜|前天|小时候|年轻时|"
    r"(?:19|20)\d\d年|病史|史(?![\u4e00-\u9fff])"
)
_NOW_ZH = (
    rf"从?{_NUMBER_ZH}{_UNIT_ZH}(?:以前|之前|前)(?:开始|起|以来)"
    rf"|从{_NUMBER_ZH}{_UNIT_ZH}(?:以前|之前|前)"
    r"|现在|正在|刚才|刚刚|今天|今早|今晚|今日|今儿|昨天|昨晚|昨日|这会|此刻|目前|眼下|"
    r"这次|这回|这两天|这几天|最近|近来|一直|还在|又开始|马上"
)
#: A question about the word, not a sign: "消化道出血是什么", "什么叫肝昏迷",
#: "黑便和消化道出血有关系吗", or the word alone with a question mark.
_TERM_BEFORE_ZH = re.compile(
    r"(?:什么叫|什么是|啥叫|啥是|何为|解释一下|解释)[\u4e00-\u9fff]{0,2}$"
)
_TERM_AFTER_ZH = re.compile(
    r"^(?:是|就是)?(?:什么|啥|怎么回事|指什么|指的是|是指|的意思)"
    r"|^[^,，;；:：.。!！?？、\n]*(?:有关系吗|有什么关系|什么区别|有区别吗)"
)
_TIME_ZH = re.compile(rf"(?P<now>{_NOW_ZH})|(?P<past>{_PAST_ZH})")
_PAST_AFTER_ZH = re.compile(_PAST_ZH)
#: The experiential "过" in or right after the sign: "吐过血", "昏迷过" (not the
#: "过" of "昏过去", "喘不过气"), or "有过" before it: "有过黑便".
_ASPECT_ZH = re.compile(r"(?<!不)过(?![去来])")
_HAD_ZH = re.compile(r"(?:有过|出现过|发生过)[^,，;；:：.。!！?？、\n]{0,2}$")


def _is_now_zh(text: str, match: re.Match[str]) -> bool:
    """Whether a Chinese sign found in ``text`` happens now (see the module's
    docstring)."""
    clause_start = max(
        (m.end() for m in re.finditer(_CLAUSE_END_ZH, text[: match.start()])),
        default=0,
    )
    if _NEGATION_ZH.search(text[clause_start : match.start()]):
        return False
    if _AFTER_NEGATION_ZH.match(text[match.end() :]):
        return False
    if (
        _TERM_BEFORE_ZH.search(text[clause_start : match.start()])
        or _TERM_AFTER_ZH.search(text[match.end() :])
        or re.fullmatch(r"\s*[?？]+\s*", text[match.end() :])
        and not text[: match.start()].strip()
    ):
        return False
    sentence = re.split(r"[.。!！?？\n]", text[: match.start()])[-1]
    times = list(_TIME_ZH.finditer(sentence))
    if times:
        return times[-1].group("now") is not None
    clause_end = re.search(_CLAUSE_END_ZH, text[match.end() :])
    rest = text[match.end() : match.end() + (clause_end.start() if clause_end else 40)]
    if _PAST_AFTER_ZH.search(rest):
        return False
    return not (
        _ASPECT_ZH.search(match.group())
        or rest.startswith("过")
        or _HAD_ZH.search(text[clause_start : match.start()])
    )


def is_emergency(text: str) -> bool:
    """True when ``text`` describes an emergency sign happening now."""
    if not isinstance(text, str) or not text.strip():
        return False
    text = text[:MAX_MESSAGE_CHARS]
    for found in _SIGN_ZH.finditer(text):
        if _is_now_zh(text, found):
            return True
    for match in _SIGN.finditer(text):
        before = text[max(0, match.start() - 40) : match.start()]
        if _NEGATION.search(before):
            continue
        sentence_end = re.search(r"[.!?\n]", text[match.end() :])
        rest = text[
            match.end() : match.end() + (sentence_end.start() if sentence_end else 80)
        ]
        if _PAST.search(before) or _PAST.search(rest):
            continue
        return True
    return False
