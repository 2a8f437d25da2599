"""A deterministic backstop for emergencies described in free text.

The NLU model has an `emergency` intent; a missed emergency is the worst mistake this
assistant can make, so answers are also checked against these plain patterns, and a
match gets the emergency advice before anything else. Only signs happening *now* are
matched, and a negation just before the sign ("no vomiting of blood", "never had
black stools") or a past-time marker ("last year", "two years ago") cancels it.
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


def is_emergency(text: str) -> bool:
    """True when ``text`` describes an emergency sign happening now."""
    if not isinstance(text, str) or not text.strip():
        return False
    text = text[:MAX_MESSAGE_CHARS]
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
