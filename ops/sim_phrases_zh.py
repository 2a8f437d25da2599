"""The simulated patients' phrase banks in Simplified Chinese.

The same banks as :mod:`ops.sim_phrases` (the simulator picks one by language),
written for the simulator as people in Beijing type on a phone, and never trained on:
``tests/e2e/test_simulator.py`` checks that no phrase here appears verbatim in
``data/nlu/``. Three styles:

* ``terse``: the shortest answer ("45", "没有", "有", "171umol/L"); taps a button
  when one fits.
* ``chatty``: whole sentences with facts volunteered ("有，乙肝二十来年了").
* ``messy``: slang and typos, no punctuation, Chinese numerals, odd units ("木有",
  "四十五", "血小板12万").

Templates use ``str.format`` fields: ``{subj}`` who is spoken of (我, 他, 她, 患者),
``{poss}`` whose (我的, 他的...), ``{n}`` a number, ``{unit}`` a time unit, ``{value}``
a lab value as typed, ``{wan}`` platelets in 万.
"""

from __future__ import annotations

from dataclasses import dataclass

STYLES = ("terse", "chatty", "messy")


@dataclass(frozen=True)
class Voice:
    """How a person refers to the patient: themselves, or a relative."""

    subj: str  # 我 / 他 / 她 / 患者
    poss: str  # 我的 / 他的 / 她的 / 患者的

    @classmethod
    def of(cls, respondent: str, sex: str | None) -> Voice:
        """The voice of a respondent speaking of a patient of this sex."""
        if respondent == "self":
            return cls("我", "我的")
        if sex == "female":
            return cls("她", "她的")
        if sex == "male":
            return cls("他", "他的")
        return cls("患者", "患者的")

    def fields(self) -> dict[str, str]:
        """Format fields (the English banks' capitalised names too, unused here)."""
        return {
            "subj": self.subj,
            "poss": self.poss,
            "Subj": self.subj,
            "Poss": self.poss,
        }


# --------------------------------------------------------------------------- #
# The opening and the closing (contact form)
# --------------------------------------------------------------------------- #

GREETING = {
    "terse": ["你好", "您好"],
    "chatty": [
        "你好，我在医院公众号上看到这个肝病研究",
        "医生您好，护士给了我这个干细胞研究的链接",
    ],
    "messy": ["你好啊", "哈喽", "这是那个肝病干细胞的研究吗"],
}
START = {
    "terse": ["好", "可以"],
    "chatty": ["好的，那就开始吧", "行，您问吧，我都照实说"],
    "messy": ["好滴", "开始吧开始吧"],
}
FOR_SELF = {
    "terse": ["我自己", "本人"],
    "chatty": ["是给我自己问的，我就是病人", "我本人，住院的就是我"],
    "messy": ["我自己啊", "就是我"],
}
#: {relation} is 我爸, 我老婆, ... (:func:`relation_text`).
FOR_OTHER = {
    "terse": ["{relation}", "替{relation}问"],
    "chatty": [
        "我是替{relation}问的，{relation}现在在住院",
        "帮{relation}问问，手续都是我在跑",
    ],
    "messy": ["帮{relation}问", "{relation}的事"],
}
_RELATIONS = {
    "my father": "我爸",
    "my mother": "我妈",
    "my wife": "我老婆",
    "my husband": "我老公",
    "my son": "我儿子",
    "my daughter": "我女儿",
    "my brother": "我哥",
    "my sister": "我姐",
    "a relative": "家里人",
}


def relation_text(relation: str) -> str:
    """The relation as a Chinese speaker types it (我爸 for "my father")."""
    return _RELATIONS.get(relation, "家里人")


SHARE_YES = {
    "terse": ["好", "可以"],
    "chatty": ["可以，麻烦把我们的联系方式转给研究团队"],
    "messy": ["行啊", "好的好的"],
}
NAMES = ["李伟", "王芳", "张敏", "陈杰", "刘洋", "赵磊"]
NAME = {
    "terse": ["{name}"],
    "chatty": ["我叫{name}，打电话找我就行"],
    "messy": ["{name_lower}", "我是{name}"],
}
PHONE = {
    "terse": ["138 0013 8000", "13800138000"],
    "chatty": ["我手机号是13800138000，打手机最方便"],
    "messy": ["138-0013-8000", "1380013 8000"],
}
EMAIL = {
    "terse": ["没有邮箱", "跳过"],
    "chatty": ["我们平时不用邮箱，打电话就行", "没有邮箱，不好意思啊"],
    "messy": ["没邮箱", "木有邮箱"],
}
BEST_TIME = {
    "terse": ["上午", "晚上"],
    "chatty": ["工作日上午九点以后都方便"],
    "messy": ["下午吧", "啥时候都行"],
}
CONFIRM = {
    "terse": ["对", "是的，没错"],
    "chatty": ["对，这些都没问题，谢谢您"],
    "messy": ["对的对的", "没毛病"],
}
NOTHING_ELSE = {
    "terse": ["没有了"],
    "chatty": ["暂时没别的了，非常感谢"],
    "messy": ["没了 谢谢啊"],
}
#: A returning person is asked whether to carry on.
CARRY_ON = {
    "terse": ["继续"],
    "chatty": ["接着上次的地方继续吧"],
    "messy": ["接着来"],
}
#: What a person says when the assistant has not started asking anything yet.
WANT_TO_START = {
    "terse": ["我想看看能不能参加"],
    "chatty": ["我想了解一下，我这种情况能不能参加这个研究"],
    "messy": ["能参加吗？？", "我想报名"],
}
#: What a confused person says when they cannot tell what was asked.
CONFUSED = ["啊？", "没看懂，你要我回答什么？", "你问的是啥"]
#: The plainest greeting, when nothing else has worked.
HELLO = "你好"
#: Which answer to change? The age ({n}).
WHICH_AGE = "年龄，是{n}岁"

# --------------------------------------------------------------------------- #
# Answers
# --------------------------------------------------------------------------- #

YES = {
    "terse": ["有", "是", "对"],
    "chatty": ["有，确实有这个情况", "有的，医生上周刚跟我们说过"],
    "messy": ["有啊", "嗯有", "有有有"],
}
NO = {
    "terse": ["没有", "没", "不是"],
    "chatty": [
        "没有，从来没有过这种情况",
        "没有，除了肝不好，{subj}身体一直挺好的",
    ],
    "messy": ["木有", "没有啊", "没得"],
}
UNSURE = {
    "terse": ["不确定", "不知道"],
    "chatty": ["说实话我也不太清楚，没人跟我们提过", "这个我真说不上来，得问问医生"],
    "messy": ["不晓得", "不清楚诶"],
}
#: Yes / no sentences that volunteer something about one question (chatty only).
CHATTY_YES_NO = {
    ("chronic_liver_disease", "yes"): [
        "有，乙肝小三阳二十来年了",
        "有，早就查出来肝硬化了",
    ],
    ("chronic_liver_disease", "no"): ["没有，这个月之前肝一直好好的"],
    ("jaundice", "yes"): ["有，这一个星期眼睛黄得厉害"],
    ("jaundice", "no"): ["没有，皮肤和眼睛颜色都正常"],
    ("ascites", "yes"): ["有，肚子里有水，胀了两个礼拜了"],
    ("ascites", "no"): ["没有，肚子不胀"],
    ("has_lab_results", "yes"): ["有，最新的化验单就在我手上"],
    ("has_lab_results", "no"): ["没有，化验单现在都不在我们手里"],
    ("consent", "yes"): ["愿意，我可以仔细看了再签"],
    ("consent", "no"): ["不愿意，这种东西我们不想签"],
    ("pregnancy", "no"): ["没有，没怀孕也没在喂奶，也不打算要孩子"],
    ("pregnancy", "yes"): ["有，其实正怀着孩子"],
    ("planning_baby", "no"): ["没有，不打算要孩子"],
    ("planning_baby", "yes"): ["有，今年本来打算要个孩子"],
    ("thrombosis", "yes"): ["有，前几年腿上长过血栓"],
    ("gi_bleeding", "no"): ["没有，没吐血，大便颜色也正常"],
    ("liver_transplant", "yes"): ["有，下个月就安排肝移植了"],
}
#: Age: {n} as digits, {words} in Chinese numerals.
AGE = {
    "terse": ["{n}"],
    "chatty": ["{subj}今年{n}岁了", "{n}周岁"],
    "messy": ["{words}", "{words}岁", "{n}岁啦"],
}
SEX = {
    "terse": {"male": ["男"], "female": ["女"], "other": ["其他或不想说"]},
    "chatty": {
        "male": ["{subj}是男的"],
        "female": ["{subj}是女的"],
        "other": ["这个我不太想说，可以吗"],
    },
    "messy": {
        "male": ["男的", "男性"],
        "female": ["女的", "女性"],
        "other": ["不想说"],
    },
}
#: Encephalopathy, grade 0..4 (terse taps the matching button instead).
CONFUSION = {
    "chatty": {
        0: ["没有，{subj}脑子一直很清楚"],
        1: ["有点糊涂，白天老犯困，晚上又睡不着"],
        2: ["特别嗜睡，早上晚上都分不清了"],
        3: ["整天昏昏沉沉的，叫得醒，可是不知道自己在哪儿"],
        4: ["怎么叫都叫不醒"],
    },
    "messy": {
        0: ["没糊涂", "清醒着呢"],
        1: ["有一点点糊涂", "肝性脑病1期"],
        2: ["2级", "肝性脑病II期"],
        3: ["三级", "肝性脑病3期"],
        4: ["4级 昏迷了", "肝性脑病IV期"],
    },
}
NEVER = {
    "terse": ["从来没有", "没有过"],
    "chatty": ["从来没有过，一次都没有", "没有，{subj}这辈子都没碰过"],
    "messy": ["从没有过", "木有过"],
}
#: Something that happened {n} {unit} ago (unit: 周, 个月, 年).
AGO = {
    "terse": ["{n}{unit}前"],
    "chatty": ["大概是{n}{unit}以前吧", "那是{n}{unit}前的事了"],
    "messy": ["{n}{unit_short}之前", "差不多{n}{unit}前"],
}
UNIT_SHORT = {"weeks": "个星期", "months": "个月", "years": "年"}
UNIT_ONE = {"weeks": "周", "months": "个月", "years": "年"}


def unit_text(unit: str, n: int) -> str:
    """The time unit as written after ``n`` (两周, 3个月, 5年)."""
    del n  # Chinese units do not change with the number
    return UNIT_ONE[unit]


#: Lab values: {value} is the number as typed ("171", "4.9"); {wan} platelets in 万.
LAB = {
    "bilirubin": {
        "terse": {"umol/L": ["{value}umol/L"], "mg/dL": ["{value}mg/dL"]},
        "chatty": {
            "umol/L": ["化验单上总胆红素是{value}微摩尔/升"],
            "mg/dL": ["总胆红素{value} mg/dL，是在国外查的"],
        },
        "messy": {
            "umol/L": ["总胆{value}μmol/l", "胆红素 {value} 微摩尔每升"],
            "mg/dL": ["胆红素{value}毫克每分升", "{value}mg/dl"],
        },
    },
    "inr": {
        "terse": ["{value}"],
        "chatty": ["上次查的INR是{value}"],
        "messy": ["inr{value}", "国际标准化比值{value}"],
    },
    "pta": {
        "terse": ["{value}%"],
        "chatty": ["凝血酶原活动度是{value}%"],
        "messy": ["pta{value}", "活动度百分之{value}"],
    },
    "platelets": {
        "terse": ["{value}"],
        "chatty": ["生病之前血小板是{value}"],
        "messy": ["血小板计数{wan}万", "plt {value}"],
    },
    "child_pugh": {
        "terse": {"score": ["{value}"], "class": ["{value}级"]},
        "chatty": {
            "score": ["医生说Child-Pugh评分是{value}分"],
            "class": ["医生说是Child-Pugh {value}级"],
        },
        "messy": {
            "score": ["{value}分", "评分{value}"],
            "class": ["{lower}级", "child {value}级"],
        },
    },
}
LAB_UNKNOWN = {
    "terse": ["不知道"],
    "chatty": ["这个数我们手上没有，单子上没写"],
    "messy": ["不清楚", "记不得了"],
}

# --------------------------------------------------------------------------- #
# Behaviours
# --------------------------------------------------------------------------- #

#: Corrections of the age, said a few questions later; {n} is the true age.
CORRECT_AGE = {
    "terse": ["年龄说错了，是{n}岁"],
    "chatty": ["不好意思，刚才年龄说错了，{subj}其实是{n}岁"],
    "messy": ["哦不对 {subj}是{n}岁", "刚才说错了 {n}岁"],
}
#: An emergency happening now (consistent with a "yes" to the gut bleeding question).
EMERGENCY = {
    "terse": ["现在在吐血"],
    "chatty": ["等一下，{subj}刚刚吐了好多血，怎么办？"],
    "messy": ["{subj}在吐血！！快"],
}
#: Asking what a term means, by question id.
TERM = {
    "ascites": ["腹水是什么？", "腹水指的是啥"],
    "encephalopathy": ["肝性脑病是什么意思？"],
    "inr": ["INR是什么？"],
    "child_pugh": ["Child-Pugh评分是什么？"],
    "other_trial": ["临床研究具体指什么？"],
    "platelets": ["血小板是什么东西？"],
}
WHY = {
    "terse": ["为什么问这个？", "问这个做什么"],
    "chatty": ["冒昧问一下，您为什么需要知道这个？"],
    "messy": ["问这个干啥", "这个也要问啊"],
}
STOP = {
    "terse": ["不做了"],
    "chatty": ["算了，我不想继续了，就到这里吧"],
    "messy": ["别问了 我不想弄了"],
}

_DIGITS = "零一二三四五六七八九"


def number_words(n: int) -> str:
    """0..99 in Chinese numerals (四十五, 十八, 六十)."""
    if n < 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    head = "十" if tens == 1 else _DIGITS[tens] + "十"
    return head + ("" if ones == 0 else _DIGITS[ones])


def all_phrases() -> list[str]:
    """Every fixed phrase and template of the banks (for the not-trained-on check)."""
    import sys

    from ops.sim_phrases import phrases_of

    return phrases_of(sys.modules[__name__])
