"""The chat's "delete my answers": what counts as a clear yes, and the tracker mark.

A person who asks to delete their answers is asked to confirm, with the quick
replies "Yes, delete" and "No, keep them". Only a clear yes deletes: a deletion
cannot be undone, so anything else (a no, a question, an answer to the screening,
silence that comes back as something else) keeps everything.

The erasure itself is :func:`bot.jobs.retention.erase_conversation`. The transcript is
deleted by the tracker store when it saves the turn (``stores.tracker_store``):
the action ends the conversation with a ``session_started`` event carrying
:data:`ERASED_MARK` in its metadata, and every stored event of that conversation
before it is deleted in the same transaction as the save.
"""

from __future__ import annotations

import re
import unicodedata

#: Who is named in the audit trail when a person erases their own data in the chat.
CHAT_ACTOR = "patient (chat)"

#: Metadata key of the ``session_started`` event that ends an erased conversation.
ERASED_MARK = "erased"

#: Whole messages that confirm the deletion (compared after :func:`_normalise`).
#: The first is the quick reply's title.
YES_PHRASES = frozenset(
    {
        "yes delete",
        "yes",
        "y",
        "yes please",
        "yes please delete",
        "yes delete them",
        "yes delete it",
        "yes delete everything",
        "yes delete my answers",
        "yes delete my data",
        "delete",
        "delete them",
        "delete it",
        "delete everything",
        "delete my answers",
        "delete my data",
        "yes i am sure",
        "yes im sure",
        "i am sure",
        "im sure",
        "confirm",
        "confirmed",
        "yes confirm",
        "ok delete",
        "okay delete",
        "go ahead",
        "yes go ahead",
        "do it",
        # Simplified Chinese, compared without spaces or punctuation between the
        # characters ("是，删除" is "是删除"). Like the English "ok", a bare "好的"
        # or "嗯" is no clear yes.
        "是",
        "是的",
        "对",
        "对的",
        "确认",
        "确定",
        "我确定",
        "确定要删除",
        "删除",
        "删",
        "删掉",
        "删吧",
        "删除吧",
        "删掉吧",
        "删了吧",
        "请删除",
        "全部删除",
        "全部删掉",
        "都删了吧",
        "都删掉吧",
        "确认删除",
        "确定删除",
        "是删除",
        "是的删除",
        "是的请删除",
        "对删除",
        "好删除",
        "好的删除",
        "好的删吧",
        "删除我的回答",
        "删除我的数据",
        "删除我的信息",
        "删掉我的回答",
        "把我的回答删掉",
        "把我的信息删掉",
    }
)

_PUNCTUATION = re.compile(r"[\s,.!?;:'\"。！？，；：、…]+")
#: A space left between two Chinese characters (from punctuation or typed).
_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])")


def _normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    folded = folded.replace("i'm", "im")
    return _CJK_SPACE.sub("", _PUNCTUATION.sub(" ", folded).strip())


def confirms_erasure(text: object) -> bool:
    """Whether a reply to "Delete your answers?" is a clear yes.

    >>> confirms_erasure("Yes, delete")
    True
    >>> confirms_erasure("yes but keep my phone number")
    False
    >>> confirms_erasure("No, keep them")
    False
    >>> confirms_erasure("是，删除"), confirms_erasure("不，保留")
    (True, False)
    """
    if not isinstance(text, str) or len(text) > 60:
        return False
    return _normalise(text) in YES_PHRASES
