"""Who is answering (the patient or someone for them), and skipping an optional
field."""

from __future__ import annotations

import re

from bot.parsing.base import Answer, Parsed
from bot.parsing.lexicon import NO_WORDS
from bot.parsing.nonanswers import DECLINED, DIGIT, answer_parser, is_unknown_low

#: The relations a caregiver can name -> the words for them. Longer phrases are
#: matched first, so "mother-in-law" is a relative, not a mother.
RELATIONS: dict[str, tuple[str, ...]] = {
    "relative": (
        "mother-in-law",
        "mother in law",
        "father-in-law",
        "father in law",
        "son-in-law",
        "son in law",
        "daughter-in-law",
        "daughter in law",
        "brother-in-law",
        "brother in law",
        "sister-in-law",
        "sister in law",
        "in-laws",
        "in laws",
        "parent",
        "relative",
        "relation",
        "family member",
        "family",
        "grandmother",
        "grandma",
        "granny",
        "nan",
        "nana",
        "grandfather",
        "grandpa",
        "grandad",
        "granddad",
        "aunt",
        "auntie",
        "aunty",
        "uncle",
        "cousin",
        "niece",
        "nephew",
        "grandson",
        "granddaughter",
        "grandchild",
        "亲戚",
        "家人",
        "家属",
        "家里人",
        "亲属",
        "公公",
        "婆婆",
        "岳父",
        "岳母",
        "丈人",
        "丈母娘",
        "爷爷",
        "奶奶",
        "姥姥",
        "姥爷",
        "外公",
        "外婆",
        "叔叔",
        "阿姨",
        "舅舅",
        "舅妈",
        "姑姑",
        "姨妈",
        "伯伯",
        "大伯",
        "侄子",
        "侄女",
        "外甥",
        "外甥女",
        "孙子",
        "孙女",
        "表哥",
        "表姐",
        "堂哥",
        "堂姐",
        "长辈",
    ),
    "father": (
        "father",
        "dad",
        "daddy",
        "papa",
        "stepfather",
        "step-father",
        "stepdad",
        "step-dad",
        "父亲",
        "爸爸",
        "老爸",
        "老父亲",
        "爸",
        "爹",
    ),
    "mother": (
        "mother",
        "mom",
        "mum",
        "mam",
        "mommy",
        "mummy",
        "mama",
        "stepmother",
        "step-mother",
        "stepmom",
        "stepmum",
        "step-mum",
        "母亲",
        "妈妈",
        "老妈",
        "老母亲",
        "妈",
        "娘",
    ),
    "husband": ("husband", "hubby", "丈夫", "老公", "先生"),
    "wife": ("wife", "missus", "missis", "妻子", "老婆", "媳妇", "太太"),
    "son": ("son", "stepson", "儿子", "大儿子", "小儿子"),
    "daughter": ("daughter", "stepdaughter", "女儿", "闺女"),
    "brother": ("brother", "bro", "哥哥", "弟弟", "哥", "弟"),
    "sister": ("sister", "sis", "姐姐", "妹妹", "姐", "妹"),
    "partner": (
        "partner",
        "other half",
        "spouse",
        "boyfriend",
        "girlfriend",
        "fiance",
        "fiancee",
        "fiancé",
        "fiancée",
        "爱人",
        "老伴",
        "对象",
        "男朋友",
        "女朋友",
    ),
    "friend": (
        "friend",
        "neighbour",
        "neighbor",
        "colleague",
        "朋友",
        "同事",
        "邻居",
        "同学",
        "战友",
    ),
    "other": ("patient of mine", "my patient", "client", "employer", "boss"),
}
_RELATION_WORDS = sorted(
    ((word, relation) for relation, words in RELATIONS.items() for word in words),
    key=lambda item: -len(item[0]),
)
_RELATION_RE = re.compile(
    "|".join(
        re.escape(word) if not word.isascii() else rf"\b{re.escape(word)}s?\b"
        for word, _ in _RELATION_WORDS
    )
)
_RELATION_OF = {word: relation for word, relation in _RELATION_WORDS}


def _relation(word: str) -> str:
    """The relation of a matched word, plural or not ("sons", "parents")."""
    return _RELATION_OF.get(word) or _RELATION_OF.get(word[:-1], "other")


#: The person answers about themself.
_SELF_STRONG = re.compile(
    r"\b(?:i\s+am|i'm|im)\s+(?:the\s+)?(?:patient|one\s+(?:who\s+is\s+)?(?:sick|ill))\b"
    r"|\bthe\s+patient\s+is\s+me\b|(?<![他她])自己|本人"
    r"|我(?:就)?是(?:患者|病人|病人本人|患者本人)|(?:患者|病人)(?:就)?是我"
    r"|^(?:我|是我|我的)(?:的)?(?:$|[,，.。!！\s]|啊|呀)|给我(?:自己)?(?:问|查|看)"
    r"|^(?:就是|就|正是|就是给|只有)我(?:自己|本人)?(?:$|[,，.。!！\s]|啊|呀|哦|的)"
)
# "I" alone is no cue: whoever types says "I" ("I'm asking for my father").
_SELF_RE = re.compile(
    r"\b(?:me|myself|self|my\s+own)\b|^(?:i\s+am|i'm|im|i\s+do)\W*$|(?<![他她])自己|本人"
)
#: Someone else, relation not named.
_OTHER_RE = re.compile(
    r"\b(?:some(?:one|body)\s+else|another\s+person|other\s+person|(?:a|the)\s+other"
    r"|others?|(?:a|my)\s+loved\s+one|on\s+(?:his|her|their)\s+behalf|on\s+behalf"
    r"|for\s+(?:him|her|them)|care\s*giver|carer|caretaker|(?:he|she)\s+is\s+(?:sick|ill)"
    r")\b|别人|他人|他|她|帮人|替人|代(?:人|问|填)|患者不是我|病人不是我"
)

# "我是他女儿" names the person typing: the patient is her father. The relation of
# the patient to the one typing, from the typist's role and the pronoun (他 he,
# 她 she).
_ZH_TYPIST = re.compile(r"我是(?P<who>他|她)(?:的)?(?P<role>[\u4e00-\u9fff]{1,3})")
_ZH_ROLES: dict[str, tuple[str, str]] = {
    **dict.fromkeys(
        ("女儿", "儿子", "闺女", "孩子", "儿媳", "女婿"), ("father", "mother")
    ),
    **dict.fromkeys(("老婆", "妻子", "媳妇", "太太"), ("husband", "husband")),
    **dict.fromkeys(("老公", "丈夫", "先生"), ("wife", "wife")),
    **dict.fromkeys(("爱人", "老伴", "对象"), ("partner", "partner")),
    **dict.fromkeys(
        ("哥哥", "弟弟", "姐姐", "妹妹", "哥", "弟", "姐", "妹"), ("brother", "sister")
    ),
    **dict.fromkeys(("爸爸", "父亲", "妈妈", "母亲", "爸", "妈"), ("son", "daughter")),
    **dict.fromkeys(("朋友", "同事", "邻居", "同学"), ("friend", "friend")),
    **dict.fromkeys(
        ("孙子", "孙女", "侄子", "侄女", "外甥", "外甥女", "亲戚", "家属", "家人"),
        ("relative", "relative"),
    ),
}


def _zh_typist_relation(low: str) -> str | None:
    """The patient's relation to the one typing, from "我是他女儿" ("my father")."""
    m = _ZH_TYPIST.search(low)
    if not m:
        return None
    role = m.group("role")
    for size in range(len(role), 0, -1):  # "女儿啊" -> "女儿"
        pair = _ZH_ROLES.get(role[:size])
        if pair:
            return pair[0] if m.group("who") == "他" else pair[1]
    return "other"


@answer_parser("respondent")
def parse_respondent(answer: Answer) -> Parsed:
    """Who is answering: the patient ("self") or someone for them ("caregiver").

    "me", "myself", "for me", "it's for me", "I am the patient" -> "self".
    "someone else", "a relative", "for my dad", "my wife", "my mother is sick" ->
    "caregiver", with ``detail["relation"]`` when a relation is named (one of the keys
    of :data:`RELATIONS`: "for my dad" -> "father", "my hubby" -> "husband").
    "I am the patient" wins over a relation named beside it ("my wife is typing");
    otherwise both a self and another person -> ``not_understood`` with
    ``detail["conflicting"]``. A question back ("who else would it be for?") ->
    ``not_understood``.

    Args:
        text: The answer as given.

    Returns:
        ``value`` in {"self", "caregiver"}, or an error / unknown.
    """
    low = answer.low
    typist = _zh_typist_relation(low)
    if typist is not None:
        return answer.ok("caregiver", relation=typist)
    if _SELF_STRONG.search(low):
        return answer.ok("self")
    relations = list(
        dict.fromkeys(_relation(m.group()) for m in _RELATION_RE.finditer(low))
    )
    # "my" belongs to a relation ("my mum"), so look for "me" outside the relations.
    rest = _RELATION_RE.sub(" ", low)
    is_other = bool(relations) or bool(_OTHER_RE.search(rest))
    is_self = bool(_SELF_RE.search(rest))
    if is_other and is_self:
        return answer.fail("not_understood", conflicting=True)
    if is_other:
        detail = {"relation": relations[0]} if len(relations) == 1 else {}
        return answer.ok("caregiver", **detail)
    if is_self:
        return answer.ok("self")
    if is_unknown_low(low):
        return answer.unknown()
    return answer.fail("not_understood")


#: Declining an optional field: "skip", "no email", "I don't have one".
_SKIP_RE = re.compile(
    rf"^(?:{NO_WORDS})\b"
    r"|\b(?:skip|pass|n/?a|nil|nada|not\s+needed|no\s+need|not\s+necessary"
    r"|no\s+thanks?|no\s+thank\s+you|rather\s+not|prefer\s+not|leave\s+it(?:\s+(?:blank"
    r"|empty|out))?|not\s+now|next)\b"
    r"|\b(?:do\s*n[o']?t|dont|do\s+not|did\s*n[o']?t|never)\s+(?:\w+\s+)?(?:have|has|use|uses"
    r"|got|want|check|need|do)\b"
    r"|\b(?:have\s*n[o']?t|has\s*n[o']?t|haven't|hasn't)\s+(?:got\s+)?(?:one|an?\b|any)"
    r"|\bno\s+(?:e-?mail|mail|address|account|one)\b|\bwithout\s+(?:e-?mail|one)\b"
    r"|不用|没有|跳过|不需要|不想留|不留|不填|不想填|不想给|不给|不方便|算了|免了|略过"
    r"|下一个|下一步|没邮箱|没有邮箱|没电子邮件|不用邮箱|不用电子邮件|不会用邮箱|先不|^无$"
)


@answer_parser("skip")
def parse_skip(answer: Answer) -> Parsed:
    """Whether the person declines an optional field (the contact form's email).

    "skip", "none", "no", "n/a", "no thanks", "rather not", "not needed", "no email",
    "I don't have email", "I don't have one", "don't use email" -> ``value="skip"``.
    "I don't know it" -> skip too, with ``detail["unknown"]``: the field is optional.
    An address ("no@example.com"), a question back ("why do you need it?") and
    anything else -> ``not_understood``.

    Args:
        text: The answer as given.

    Returns:
        ``value == "skip"``, or ``not_understood``.
    """
    low = answer.low
    if "@" in low or DIGIT.search(low):  # an address or a number is a value
        return answer.fail("not_understood", reason="value")
    if is_unknown_low(low):
        return answer.ok("skip", unknown=True)
    if _SKIP_RE.search(low) or DECLINED.search(low):
        return answer.ok("skip")
    return answer.fail("not_understood")
