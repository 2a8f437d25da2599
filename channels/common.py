"""What the messaging connectors share, one module per subject:

* :mod:`channels.config`: a connector's ``credentials.yml`` block, with secrets from
  the environment; a channel whose secrets are unset is not started.
* :mod:`channels.identity`: the hashed conversation key that Rasa sees instead of
  the platform's sender id.
* :mod:`channels.state`: who to reply to, numbered options shown, webhook retries
  (in memory, and in Redis across replicas).
* :mod:`channels.text`: lengths, splitting at a platform's limit, numbered options.
* :mod:`channels.http`: platform API calls with retries; refusing forged webhooks.
* :mod:`channels.base`: :class:`MessagingInput` (receive path, ``from_credentials``)
  and :class:`MessagingOutput`, the bases of every connector.

The names are re-exported here for callers that import them from one place.
"""

from channels.base import (
    TEXT_ONLY_REPLY,
    MessagingInput,
    MessagingOutput,
    kind_text,
)
from channels.config import DisabledChannel, expand, load_config
from channels.http import HTTP_ATTEMPTS, HTTP_TIMEOUT, header_equals, post, refuse
from channels.identity import conversation_id
from channels.state import DAY, MAX_ROUTES, Bounded, Routes, SharedState, shared_state
from channels.text import (
    NUMBERED_HINT,
    button_options,
    numbered,
    pick_numbered,
    split_text,
    text_length,
    text_limit,
)

__all__ = [
    "DAY",
    "HTTP_ATTEMPTS",
    "HTTP_TIMEOUT",
    "MAX_ROUTES",
    "NUMBERED_HINT",
    "TEXT_ONLY_REPLY",
    "Bounded",
    "DisabledChannel",
    "MessagingInput",
    "MessagingOutput",
    "Routes",
    "SharedState",
    "button_options",
    "conversation_id",
    "expand",
    "header_equals",
    "kind_text",
    "load_config",
    "numbered",
    "pick_numbered",
    "post",
    "refuse",
    "shared_state",
    "split_text",
    "text_length",
    "text_limit",
]
