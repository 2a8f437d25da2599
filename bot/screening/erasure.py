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
        "是",
        "是的",
        "对",
        "确认",
        "确定",
        "删除",
        "确认删除",
        "确定删除",
        "是的删除",
        "好的删除",
    }
)

_PUNCTUATION = re.compile(r"[\s,.!?;:'\"。！？，；：、…]+")


def _normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    folded = folded.replace("i'm", "im")
    return _PUNCTUATION.sub(" ", folded).strip()


def confirms_erasure(text: object) -> bool:
    """Whether a reply to "Delete your answers?" is a clear yes.

    >>> confirms_erasure("Yes, delete")
    True
    >>> confirms_erasure("yes but keep my phone number")
    False
    >>> confirms_erasure("No, keep them")
    False
    """
    if not isinstance(text, str) or len(text) > 60:
        return False
    return _normalise(text) in YES_PHRASES
