"""Sender ids: a platform's id for a person never reaches Rasa.

The conversation key is a keyed hash of it (:func:`conversation_id`, HMAC-SHA256
with ``bot.settings.sender_secret``); the real id is kept only in memory
(:class:`channels.state.Routes`) so that replies can go out.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache


@lru_cache(maxsize=1)
def _process_secret() -> bytes:
    from bot.settings import load_settings, sender_secret

    return sender_secret(load_settings())


def conversation_id(channel: str, sender: str, secret: bytes | None = None) -> str:
    """The conversation key Rasa sees for a platform's sender id.

    Args:
        channel: The channel's name (the same person on two apps is two keys).
        sender: The platform's id for the person (phone number, user id).
        secret: The key; ``bot.settings.sender_secret`` of this process's settings
            by default.

    Returns:
        64 hexadecimal characters (HMAC-SHA256).
    """
    key = _process_secret() if secret is None else secret
    message = f"conversation\x00{channel}\x00{sender}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
