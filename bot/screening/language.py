"""The language of a conversation: English or Simplified Chinese.

One conversation speaks one language. It is chosen, strongest first, by
- an explicit request in the message ("中文", "说中文", "English please");
- an explicit choice on the channel (the widget's 中文 / English switch or ``?lang=zh``,
  ``metadata.language`` on the REST channel);
- the script of the message: a message written in Chinese characters chooses Chinese;
- a hint from the platform (Telegram's ``language_code``), used only while nothing
  else has chosen.
Then it is kept: a Chinese speaker who types "ok" or "INR 1.8" stays in Chinese, and
only an explicit request (or a choice on the channel) goes back to English.

Pure functions, no Rasa: the NLU component (``nlu_ext.command_keywords``) and the
actions both use them.
"""

from __future__ import annotations

import re

ENGLISH = "en"
CHINESE = "zh"
LANGUAGES = (ENGLISH, CHINESE)
DEFAULT = ENGLISH

#: Channel metadata keys: an explicit choice, and a platform's weaker hint.
METADATA_CHOICE = "language"
METADATA_HINT = "language_hint"

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
#: Latin words that Chinese writers use too (lab names, units): they choose nothing.
_NEUTRAL = frozenset(
    "inr pta tbil dbil ibil plt pt alt ast meld ct mri hbv hcv hbsag dna rna ok "
    "umol mol mmol mg dl ml l mcmol sec secs child pugh cm kg iu covid icu am pm "
    "b c".split()
)


def normalize(value: object) -> str | None:
    """``"zh"`` or ``"en"`` for a language code or name, else None.

    >>> normalize("zh-CN"), normalize("zh_Hans"), normalize("EN-us"), normalize("fr")
    ('zh', 'zh', 'en', None)
    """
    if not isinstance(value, str):
        return None
    text = value.strip().lower().replace("_", "-")
    if not text:
        return None
    if text in {"中文", "汉语", "漢語", "普通话", "简体中文", "chinese", "cn"}:
        return CHINESE
    if text in {"english", "英文", "英语", "英語"}:
        return ENGLISH
    primary = text.split("-", 1)[0]
    if primary == "zh":
        return CHINESE
    if primary == "en":
        return ENGLISH
    return None


def has_cjk(text: str) -> bool:
    """True when ``text`` holds a Chinese character."""
    return bool(_CJK.search(text or ""))


def script_language(text: str) -> str | None:
    """The language a message's script shows: ``"zh"`` when Chinese characters
    outnumber the (non-neutral) Latin words, ``"en"`` for two or more English words
    and no Chinese, else None ("ok", "1.8", "INR 1.8" choose nothing)."""
    text = text or ""
    cjk = len(_CJK.findall(text))
    words = [w for w in _LATIN_WORD.findall(text) if w.lower() not in _NEUTRAL]
    if cjk >= 1 and cjk >= len(words):
        return CHINESE
    if cjk == 0 and len(words) >= 2:
        return ENGLISH
    return None


#: What may follow a request: particles, thanks, punctuation.
_TAIL = r"吧|好吗|可以吗|行吗|好不好|吗|呢|啊|谢谢|please|pls|[\s,，。.!！?？~～]"
_ZH_NAMES = r"(?:中文|汉语|漢語|普通话|简体中文|中国话|chinese)"
_EN_NAMES = r"(?:英文|英语|英語|english)"
_ASK_ZH = re.compile(
    rf"^\s*(?:请|麻烦|能不能|可以|可不可以|我想|我要)?\s*(?:用|说|讲|换成|换|切换到|切换成|改成|改用|转)?\s*"
    rf"{_ZH_NAMES}(?:{_TAIL})*$"
    rf"|^\s*(?:(?:can|could)\s+(?:we|you)\s+)?(?:please\s+)?(?:speak|use|switch\s+to|change\s+to|in|write\s+in|talk\s+in)\s+chinese(?:\s+please)?\s*[.!?]*\s*$"
    rf"|^\s*chinese\s+please\s*[.!?]*\s*$",
    re.IGNORECASE,
)
_ASK_EN = re.compile(
    rf"^\s*(?:请|麻烦|能不能|可以|可不可以|我想|我要)?\s*(?:用|说|讲|换成|换|切换到|切换成|改成|改用|转)?\s*"
    rf"{_EN_NAMES}(?:{_TAIL})*$"
    rf"|^\s*(?:(?:can|could)\s+(?:we|you)\s+)?(?:please\s+)?(?:speak|use|switch\s+to|change\s+to|in|write\s+in|talk\s+in)\s+english(?:\s+please)?\s*[.!?]*\s*$"
    rf"|^\s*english\s+please\s*[.!?]*\s*$"
    rf"|^\s*(?:do\s+you\s+)?speak\s+english\s*\??\s*$",
    re.IGNORECASE,
)


def requested_language(text: str) -> str | None:
    """The language a message asks for outright ("中文", "请说中文", "English
    please", "switch to Chinese"), else None. Only a message that is the request
    and nothing else counts: "my English is poor" asks for nothing."""
    if not text or len(text) > 60:
        return None
    if _ASK_ZH.match(text):
        return CHINESE
    if _ASK_EN.match(text):
        return ENGLISH
    return None


def message_language(
    text: str, metadata: dict[str, object] | None = None
) -> str | None:
    """The language one message chooses, or None when it chooses nothing.

    An explicit request in the words first, then the channel's explicit choice, then
    Chinese script. English script alone never switches a conversation back (a
    Chinese speaker may well type "ok"); the platform's hint is for
    :func:`conversation_language`, when nothing else has chosen.
    """
    asked = requested_language(text)
    if asked:
        return asked
    chosen = normalize((metadata or {}).get(METADATA_CHOICE))
    if chosen:
        return chosen
    if script_language(text) == CHINESE:
        return CHINESE
    return None


def conversation_language(
    current: object,
    text: str = "",
    metadata: dict[str, object] | None = None,
) -> str:
    """The language to answer in: the message's choice, else the conversation's,
    else the platform's hint, else the first message's script, else English."""
    chosen = message_language(text, metadata)
    if chosen:
        return chosen
    kept = normalize(current)
    if kept:
        return kept
    hinted = normalize((metadata or {}).get(METADATA_HINT))
    if hinted:
        return hinted
    return script_language(text) or DEFAULT
