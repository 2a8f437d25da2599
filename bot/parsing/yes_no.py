"""Yes / no / unsure answers, hedges ("I think so", "not really") and consent."""

from __future__ import annotations

import re

from bot.parsing.base import Answer, Parsed
from bot.parsing.lexicon import NO_WORDS, UNKNOWN_RE, YES_WORDS
from bot.parsing.nonanswers import (
    DECLINED,
    answer_parser,
    has_unknown_phrase,
    is_unknown_low,
)
from bot.parsing.zh_lexicon import (
    AGREE_ZH,
    CLAUSE_PUNCT,
    DECLINE_ZH,
    FILLER_ZH,
    HEDGE_NEUTRAL_ZH,
    HEDGE_NO_ZH,
    HEDGE_YES_ZH,
    LEAD_END_ZH,
    NEG_CUE_ZH,
    NO_LEAD_ZH,
    PAST_ONLY_ZH,
    POS_CUE_ZH,
    SUBJECT_ZH,
    SURNAMES_ZH,
    WHETHER_ZH,
    YES_LEAD_ZH,
)

_FILLER = re.compile(r"^(?:(?:um+|uh+|er+m?|hm+|well|oh|ah|so|ok|okay|hmm+)[\s,.!]+)+")
#: Hedges, checked before plain yes/no. Leaning "no" first ("I don't think so").
HEDGE_NO = re.compile(
    r"\b(?:i\s+)?(?:do\s*n[o']?t|dont)\s+(?:think|believe)\s+so\b"
    r"|\bi\s+(?:do\s*n[o']?t|dont)\s+think\s+(?:i|he|she|they|we)\b"
    r"|\bprobably\s+not\b|\bmaybe\s+not\b|\bi\s+(?:guess|think)\s+not\b"
    r"|\bnot\s+really\b"
    r"|\bnot\s+that\s+(?:i|we)\s+(?:know|knew|am\s+aware|'m\s+aware|remember|recall)"
    r"|\bnot\s+that\s+i'm\s+aware|\bnot\s+to\s+my\s+knowledge\b"
    r"|\bnot\s+as\s+far\s+as\s+(?:i|we)\s+know\b|\bunlikely\b|\bi\s+hope\s+not\b"
)
#: "Not as far as I know" after a plain no is a no said modestly ("nope, not that I
#: know of", "no, not really"): a careful reader takes it as no. Alone it stays a
#: hedge (unsure, leaning no).
_MODEST_NO = re.compile(
    r"\bnot\s+really\b|\b(?:i\s+)?(?:do\s*n[o']?t|dont)\s+(?:think|believe)\s+so\b"
    r"|\bnot\s+that\s+(?:i|we)\s+(?:know|knew|am\s+aware|'m\s+aware|remember|recall)"
    r"|\bnot\s+that\s+i'm\s+aware|\bnot\s+to\s+my\s+knowledge\b"
    r"|\bnot\s+as\s+far\s+as\s+(?:i|we)\s+know\b"
)
_PLAIN_NO = re.compile(r"^(?:no|nope|nah|naw)\b|[,.;]\s*(?:no|nope|nah)\W*$|\bno$")
_HEDGE_YES = re.compile(
    r"\b(?:i\s+)?(?:think|believe|guess|suppose|assume)\s+so\b"
    r"|\bi\s+think\s+(?:i|he|she|they|we|it)\b|\bprobably\b|\blikely\b"
    r"|\bmaybe\s+yes\b|\b(?:might|may|could)\s+(?:have|be|do|has)\b"
    r"|\bkind\s+of\b|\bsort\s+of\b|\bi\s+think\b|\bi\s+believe\b"
)
_HEDGE_NEUTRAL = re.compile(
    r"\bmaybe\b|\bperhaps\b|\bpossibly\b|\byes\s+and\s+no\b|\byes\s+or\s+no\b"
    r"|\bnot\s+always\b|\bsometimes\b"
)
_PAST_ONLY = re.compile(r"\bnot\s+any\s*more\b|\bno\s+longer\b|\bused\s+to\b")
YES_LEAD = re.compile(rf"^(?:{YES_WORDS})\b")
_NO_LEAD = re.compile(rf"^(?:{NO_WORDS})\b")
_NEG_CUE = re.compile(
    r"\b(?:no|not|never|none|nothing|nope|nah|neither|nor|without|negative)\b"
    r"|n't\b|\bcannot\b"
)
# Copulas ("I'm", "he is") are not cues: "I'm 45" or "he is 60" answer another
# question, and must not read as a "yes".
POS_CUE = re.compile(
    r"\b(?:yes|yeah|yep|yup|i\s+(?:do|did|have|had)|i've"
    r"|(?:he|she|they|we)\s+(?:do|does|did|has|have|had)"
    r"|had|have|has|got|diagnosed|positive|taking|takes|took)\b"
)
_ZH_YES = {"是", "是的", "对", "有", "嗯", "好"}
_ZH_NO = {"不", "不是", "没有", "没", "否", "无"}

# Chinese: the same decisions as the English ones, in the same order (see
# parse_yes_no), on the words of bot.parsing.zh_lexicon.
_HAN = re.compile(r"[\u3400-\u9fff]")
_ZH_FILLER = re.compile(FILLER_ZH)
_ZH_HEDGE_NO = re.compile(HEDGE_NO_ZH)
_ZH_HEDGE_YES = re.compile(HEDGE_YES_ZH)
_ZH_HEDGE_NEUTRAL = re.compile(HEDGE_NEUTRAL_ZH)
_ZH_PAST_ONLY = re.compile(PAST_ONLY_ZH)
_ZH_WHETHER = re.compile(WHETHER_ZH)
#: "没问题" opens with 没 but is no "no" ("no problem"); "不错", "不客气" neither.
#: ("没错", "that's right", is a yes: see YES_LEAD_ZH.)
_ZH_NOT_NO = re.compile(r"没问题|不错|不客气")
#: Being free or busy ("上午有空", "周末没时间"): a best time to call, no answer.
_ZH_FREE = re.compile(r"[有没]空|[有没]时间|有人接|没人接")
_ZH_RIGHT = re.compile(rf"^(?:没错|确实){LEAD_END_ZH}")
_ZH_YES_LEAD = re.compile(rf"^{SUBJECT_ZH}(?:{YES_LEAD_ZH}){LEAD_END_ZH}")
#: A no word opening the answer: "没有，从来没做过", "没乙肝", "我从来没有过".
_ZH_NO_LEAD = re.compile(
    rf"^(?:{NO_LEAD_ZH})|^{SUBJECT_ZH}(?:{NO_LEAD_ZH}){LEAD_END_ZH}"
)
#: "不" opens many words that are no "no" ("不舒服", "不好"): alone it must stand.
_ZH_BARE_NOT = re.compile(rf"^不(?!是|对|会|用|曾){LEAD_END_ZH}|^不{CLAUSE_PUNCT}|^不$")
_ZH_NEG_CUE = re.compile(NEG_CUE_ZH)
_ZH_POS_CUE = re.compile(POS_CUE_ZH)
_ZH_PLAIN_NO = re.compile(rf"^(?:没有|没|不是|不){CLAUSE_PUNCT}")
_ZH_AGREE = re.compile(
    rf"^(?:(?:{AGREE_ZH})(?:了|吧|啊|呀|哈|嘛|的)*{CLAUSE_PUNCT}*)+$"
)
_ZH_DECLINE = re.compile(
    rf"^(?:(?:{DECLINE_ZH})(?:了|吧|啊|呀|哈|嘛|的)*{CLAUSE_PUNCT}*"
    rf"(?:谢谢您?|谢了|抱歉|不好意思)?{CLAUSE_PUNCT}*)+$"
)
_ZH_CLAUSES = re.compile(rf"{CLAUSE_PUNCT}+")
#: Anything that may turn a yes round: a negation, "but", a question.
_ZH_TURN = re.compile(r"[不没别]|但|可是|不过|吗|？|\?")


def _agrees_first(s: str) -> bool:
    """A yes to an offer followed by more words that do not turn it round:
    "行，您问吧", "可以，麻烦转给研究团队" (not "好的，不过我不想留电话")."""
    clauses = [c for c in _ZH_CLAUSES.split(s) if c]
    if len(clauses) < 2 or not _ZH_AGREE.match(clauses[0]):
        return False
    return not any(_ZH_TURN.search(c) for c in clauses[1:])


#: A name ("李有才", "王是"): a surname and one to three characters, nothing else.
_ZH_NAME = re.compile(rf"^[{SURNAMES_ZH}][\u4e00-\u9fff]{{1,3}}$")


def _zh_yes_no(answer: Answer, low: str, consent: bool) -> Parsed | None:
    """A Chinese yes / no / unsure, or None when the answer holds none."""
    s = _ZH_FILLER.sub("", low).strip() or low
    s = _ZH_WHETHER.sub(" ", s) if not s.startswith(("有没有", "是不是")) else s
    if consent and _ZH_DECLINE.match(s):
        return answer.ok("no")
    if consent and _ZH_AGREE.match(s):
        return answer.ok("yes")
    if consent and _agrees_first(s):
        return answer.ok("yes")  # "行，您问吧，我都照实说": yes, then more words
    if is_unknown_low(low):
        return answer.unsure()
    if _ZH_HEDGE_NO.search(s):
        if _ZH_PLAIN_NO.search(s) and not _ZH_HEDGE_NO.search(s.split(",", 1)[0]):
            return answer.ok("no", modest=True)  # "没有，应该没有": a no said modestly
        return answer.ok("unsure", hedged=True, leaning="no")
    if _ZH_PAST_ONLY.search(s):
        return answer.ok("unsure", past_only=True)
    if _ZH_HEDGE_YES.search(s):
        return answer.ok("unsure", hedged=True, leaning="yes")
    if _ZH_HEDGE_NEUTRAL.search(s):
        return answer.ok("unsure", hedged=True, leaning=None)
    if _ZH_RIGHT.match(s):
        return answer.ok("yes")
    if _ZH_NOT_NO.match(s):
        return None  # "没问题": "no problem", a yes to an offer, nothing to a question
    willing = _ZH_WILLING.match(s)
    if willing:  # "愿意签", "不同意": willing or not, whatever follows
        return answer.ok("no" if willing.group(1) else "yes")
    if _ZH_NO_LEAD.search(s) and not _ZH_BARE_NOT_WORD.match(s):
        return answer.ok("no")
    if _ZH_BARE_NOT.search(s):
        return answer.ok("no")
    if _ZH_YES_LEAD.search(s):
        return answer.ok("yes")
    if _ZH_NAME.match(s):
        return None  # a name, not a sentence
    # "有乙肝，不记得哪年": the "don't know" is about when, the verb still answers.
    rest = _ZH_FREE.sub(" ", _ZH_NOT_NO.sub(" ", UNKNOWN_RE.sub(" ", s)))
    if _ZH_NEG_CUE.search(rest):
        return answer.ok("no", cue=True)
    if _ZH_POS_CUE.search(rest):
        return answer.ok("yes", cue=True)
    if has_unknown_phrase(low):
        return answer.unsure()
    return None


#: Willing or not ("我愿意签", "不太愿意", "同意"), not a question ("愿意吗").
_ZH_WILLING = re.compile(
    r"^(?:我|他|她|我们|病人|患者)?(?:也|还是|当然)?(不太?|不是很)?(?:愿意|同意)(?!吗|不)"
)

#: "不舒服", "不好": "不" opening a word that is no answer.
_ZH_BARE_NOT_WORD = re.compile(r"^不(?!是|对|会|用|曾|$)")

# Agreeing to go ahead ("Shall we start?", "May we pass your details on?", "Is this
# right?"): phrasings that are a clear yes or no to an offer, but no answer to a
# question about health ("ok" or "fine" to "Any kidney problems?" may well mean
# "no problem"). Used only with ``parse_yes_no(text, consent=True)``; the whole
# message must be made of these phrases ("ok, let's do it", "alright then").
_AGREE_PHRASE = (
    r"ok(?:ay|ey)?|k|kk|alright|all\s+right|fine|good|great|cool|perfect|sounds\s+"
    r"(?:good|great|fine|ok(?:ay)?|like\s+a\s+plan)|go\s+ahead|go\s+for\s+it"
    r"|let'?s\s+(?:do\s+(?:it|this|that)|go|start|begin|get\s+started|get\s+going)"
    r"|let'?s|i'?m\s+ready|ready(?:\s+when\s+you\s+are)?|i'?m\s+in|count\s+me\s+in"
    r"|(?:that'?s|that\s+is|it'?s)\s+(?:fine|ok(?:ay)?|good|alright|all\s+right)"
    r"|fine\s+(?:by|with)\s+me|works\s+for\s+me|please\s+do|do\s+it|why\s+not"
    r"|(?:you\s+)?can\s+go\s+ahead|i\s+agree|agreed|happy\s+to"
    r"|(?:i'?m\s+)?ok(?:ay)?\s+with\s+(?:it|that)"
    r"|go\s+on|carry\s+on|continue|proceed|keep\s+going"
)
_AGREE_YES = re.compile(
    r"^(?:(?:um+|uh+|er+m?|hm+|well|oh|ah|so)[\s,.!]+)*"
    rf"(?:{_AGREE_PHRASE})\b[\s,.!]*"
    rf"(?:(?:{_AGREE_PHRASE}|then|please|thanks|thank\s+you)\b[\s,.!]*)*$"
)
#: Declining an offer: "I'd rather not" (but "I'd rather not say" stays a decline to
#: answer: see DECLINED), "not interested", "maybe later".
_AGREE_NO = re.compile(
    r"^(?:(?:no\s*,?\s*)?(?:(?:i'?d|i\s+would)\s+)?(?:rather|prefer)\s+not(?:\s+to)?"
    r"|(?:i'?m\s+|i\s+am\s+)?not\s+interested|maybe\s+(?:later|another\s+time)"
    r"|not\s+(?:right\s+)?now|not\s+today|no\s+thank\s+you|no\s+thanks|no\s+ta"
    r"|not\s+for\s+me|(?:i'?ll|i\s+will)\s+pass|pass)"
    r"(?:[\s,.!]+(?:thanks|thank\s+you|really|sorry|for\s+now))*[\s,.!]*$"
)


@answer_parser("yes_no")
def parse_yes_no(answer: Answer, *, consent: bool = False) -> Parsed:
    """A yes / no / unsure answer.

    Decisions on ambiguous answers:

    * "not sure", "don't know" -> ``value="unsure", unknown=True``.
    * Hedges ("I think so", "probably", "not that I know of", "I don't think so",
      "not really", "maybe") -> ``value="unsure", unknown=False`` with
      ``detail["hedged"] = True`` and ``detail["leaning"]`` "yes", "no" or None: a
      hedged answer is never taken as a definite yes or no, but the leaning is kept.
    * "I'd rather not say" -> ``"unsure"``, ``unknown=True``, ``detail["declined"]``.
    * Not an answer -> ``not_understood`` with ``detail["reason"]``: "confused" for
      "I don't understand", "what do you mean?", "huh"; "question" for a question back
      (:func:`looks_like_question`: "is that the yellow thing?", "why do you ask?").
    * Typos and drawn-out words count: "yse", "yesss", "noo", "nop".
    * "not anymore", "used to", "no longer" -> ``"unsure"`` with
      ``detail["past_only"] = True``: true in the past, and whether that counts depends
      on the question.
    * Otherwise the first word decides ("yes, hepatitis B for years" -> yes,
      "no never" -> no); failing that any negation means no ("I have never had it"),
      and an affirmative verb means yes ("I had it in 2019").
    * With ``consent=True`` (an offer: "Shall we start?", "May we share your
      details?"), agreeing phrasings are a yes ("ok", "let's do it", "go ahead",
      "sounds good", "fine") and declining ones a no ("I'd rather not", "not now",
      "no thank you"). Without it, "ok" or "fine" alone are not understood: to a
      question about health they may mean "no problem". "I'd rather not say" is a
      decline to answer (unsure) either way.

    Args:
        text: The answer as given.
        consent: The question is an offer to agree to, not a question of fact.

    Returns:
        ``value`` in {"yes", "no", "unsure"}, or ``not_understood``.
    """
    low = _FILLER.sub("", answer.low).strip() or answer.low
    if _HAN.search(low):
        zh = _zh_yes_no(answer, low, consent)
        if zh is not None:
            return zh
    if consent and _AGREE_NO.match(low):
        return answer.ok("no")
    if consent and _AGREE_YES.match(answer.low):
        return answer.ok("yes")
    if DECLINED.search(low) and not YES_LEAD.search(low):
        # Not wanting to say is no "no": the study team asks in private.
        return answer.unsure(declined=True)
    bare = re.sub(r"[\s\W_]+", "", low)
    if bare in _ZH_YES:
        return answer.ok("yes")
    if bare in _ZH_NO:
        return answer.ok("no")
    if is_unknown_low(low):
        return answer.unsure()
    if HEDGE_NO.search(low):
        if _PLAIN_NO.search(low) and not HEDGE_NO.search(_MODEST_NO.sub(" ", low)):
            return answer.ok("no", modest=True)
        return answer.ok("unsure", hedged=True, leaning="no")
    if _PAST_ONLY.search(low):
        return answer.ok("unsure", past_only=True)
    if _HEDGE_YES.search(low):
        return answer.ok("unsure", hedged=True, leaning="yes")
    if _HEDGE_NEUTRAL.search(low):
        return answer.ok("unsure", hedged=True, leaning=None)
    if YES_LEAD.search(low):
        return answer.ok("yes")
    if _NO_LEAD.search(low):
        return answer.ok("no")
    if any(sym in low for sym in ("👍", "✅", "✔")):
        return answer.ok("yes")
    if any(sym in low for sym in ("👎", "❌", "✖")):
        return answer.ok("no")
    if has_unknown_phrase(low):
        return answer.unsure()
    # No yes or no word: a negation or an affirmative verb decides, and says so
    # (``detail["cue"]``): such a sentence may be about something else ("I had a bit
    # of fluid in my belly" to the cancer question), which the caller can check.
    if _NEG_CUE.search(low):
        return answer.ok("no", cue=True)
    if POS_CUE.search(low):
        return answer.ok("yes", cue=True)
    return answer.fail("not_understood")
