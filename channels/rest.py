"""The REST channel (``POST /webhooks/rest/webhook``), with limits and a kind answer
when something breaks.

Extends Rasa's :class:`rasa.core.channels.rest.RestInput` (same name ``rest``, same
URL, same request and answer shapes). Rasa's own class takes any body (a body that
is not a JSON object is a 500), lets the caller pick the recorded channel
(``input_channel``), has no limits, and answers a turn that failed (say the action
server is down: Rasa logs the error and sends nothing) with an empty list. Here:

* per-sender and per-address rate limits (:mod:`channels.limits`): a request over
  a limit is not passed to Rasa; it gets HTTP 429, a ``Retry-After`` header and the
  usual list of messages holding one kind message (``too_fast`` in the catalogue);
* a message longer than ``MAX_MESSAGE_CHARS`` is cut to that length before Rasa
  sees it (the person is not punished; the tracker stores the shortened text);
* a turn with no reply at all gets one kind message (``no_reply``) instead of an
  empty list, so the person knows to send it again;
* a body that is not a JSON object with a ``sender`` gets 400; the channel recorded
  is always ``rest``; errors are logged without the person's text;
* an optional ``message_id`` (8-64 of ``A-Z a-z 0-9 _ -``) makes a resend safe: the
  same message sent again after its reply was lost gets the same replies back and
  is not taken as the answer to the next question (:func:`replay`).

The client's ``metadata`` object goes to Rasa as it is: ``{"language": "zh"}`` is
the client's explicit choice of language, ``{"language_hint": "zh-CN"}`` a weaker
hint (:mod:`bot.screening.language`). The kind messages above are in the language
the message chooses (the choice, the hint, Chinese script; else English).

With ``?stream=true`` Rasa's streaming answer is kept (limits and the cut apply;
the ``no_reply`` message does not).

Credentials (``credentials.yml``)::

    channels.rest.RestInput:
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Awaitable, Callable, Dict, List

import rasa.utils.endpoints
from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    UserMessage,
)
from rasa.core.channels.rest import RestInput as RasaRestInput
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.screening.language import DEFAULT, conversation_language
from channels.base import kind_text
from channels.limits import (
    Limiter,
    LimitSettings,
    client_address,
    cut,
    shared_limiter,
)

logger = logging.getLogger(__name__)


_MESSAGE_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


async def replay(
    request: Request, sender: str, message_id: str
) -> List[Dict[str, Any]] | None:
    """The replies already given to message ``message_id``, if it was answered.

    A client that sends a ``message_id`` and sends the same message again (its
    request failed: a replica died, the network dropped the answer) must not have
    it taken as the answer to the *next* question, which is what happens when the
    first attempt was processed and only the reply was lost: the fault tests saw
    "yes, hepatitis B for years" recorded as the answer about jaundice. So when
    the tracker already holds that message followed by replies, those replies are
    sent again and nothing is processed. A message that is not there, or that got
    no reply (its turn failed), is processed as new.
    """
    agent = getattr(request.app.ctx, "agent", None)
    store = getattr(agent, "tracker_store", None)
    if store is None:
        return None
    try:
        tracker = await store.retrieve(sender)
    except Exception as error:  # noqa: BLE001 - then process it as new
        logger.warning("rest: could not look for a resent message (%s)", error)
        return None
    if tracker is None:
        return None
    replies: List[Dict[str, Any]] | None = None
    for event in tracker.events:
        if isinstance(event, UserUttered):
            if replies is not None:
                break  # the next message: the replies end here
            if event.message_id == message_id:
                replies = []
        elif isinstance(event, BotUttered) and replies is not None:
            replies.append(bot_message(sender, event))
    return replies or None


def bot_message(recipient_id: str, event: BotUttered) -> Dict[str, Any]:
    """A bot event as the REST channel sends it (CollectingOutputChannel's shape)."""
    message: Dict[str, Any] = {"recipient_id": recipient_id}
    if event.text:
        message["text"] = event.text
    for key in ("buttons", "image", "custom", "attachment", "elements"):
        if event.data.get(key):
            message[key] = event.data[key]
    return message


def address_of(request: Request, settings: LimitSettings) -> str | None:
    """The client's address (``X-Forwarded-For`` only behind trusted proxies)."""
    return client_address(
        request.ip, request.headers.get("X-Forwarded-For"), settings.trusted_proxies
    )


def too_fast_response(
    recipient_id: str, retry_after: int, language: str = DEFAULT
) -> HTTPResponse:
    """429 with ``Retry-After`` and the REST channel's usual body."""
    return response.json(
        [{"recipient_id": recipient_id, "text": kind_text("too_fast", language)}],
        status=429,
        headers={"Retry-After": str(retry_after)},
    )


class RestInput(RasaRestInput):
    """REST channel at ``/webhooks/rest/webhook`` (name ``rest``)."""

    @classmethod
    def name(cls) -> str:
        """The channel's name, as Rasa's."""
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        """The channel; its limits come from the environment."""
        return cls()

    def __init__(self, limiter: Limiter | None = None) -> None:
        """A channel with ``limiter`` (the process's, from the environment, by
        default)."""
        self.limiter = limiter or shared_limiter()

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """``GET /`` (health) and ``POST /webhook``."""
        hook = Blueprint("prescreen_rest", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Any:
            body = request.json
            sender = body.get("sender") if isinstance(body, dict) else None
            if isinstance(sender, int) and not isinstance(sender, bool):
                sender = str(sender)
            text = body.get("message") if isinstance(body, dict) else None
            if (
                not isinstance(sender, str)
                or not sender
                or not isinstance(text, (str, type(None)))
            ):
                return response.json(
                    {"error": 'expected {"sender": "...", "message": "..."}'},
                    status=400,
                )
            metadata = body.get("metadata")
            metadata = metadata if isinstance(metadata, dict) else None
            language = conversation_language(None, text or "", metadata)
            decision = await self.limiter.check(
                sender, address_of(request, self.limiter.settings)
            )
            if not decision:
                logger.info("rest: a message over the %s limit", decision.limit)
                return too_fast_response(sender, decision.retry_after, language)
            text = cut(text or "", self.limiter.max_chars)
            if rasa.utils.endpoints.bool_arg(request, "stream", default=False):
                return response.stream(
                    self.stream_response(
                        on_new_message, text, sender, self.name(), metadata
                    ),
                    content_type="text/event-stream",
                )
            message_id = body.get("message_id")
            if not (isinstance(message_id, str) and _MESSAGE_ID.match(message_id)):
                message_id = None
            elif (replayed := await replay(request, sender, message_id)) is not None:
                logger.info("rest: a message sent again; its replies replayed")
                return response.json(replayed)
            messages = await self.run_turn(
                on_new_message, sender, text, metadata, message_id, language
            )
            return response.json(messages)

        return hook

    async def run_turn(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        sender: str,
        text: str,
        metadata: Dict[str, Any] | None,
        message_id: str | None = None,
        language: str = DEFAULT,
    ) -> List[Dict[str, Any]]:
        """Hand one message to Rasa; its replies, or the ``no_reply`` message (in
        ``language``)."""
        collector = CollectingOutputChannel()
        try:
            await on_new_message(
                UserMessage(
                    text,
                    collector,
                    sender,
                    input_channel=self.name(),
                    message_id=message_id,
                    metadata=metadata,
                )
            )
        except asyncio.CancelledError:
            logger.error("rest: a message timed out")
        except Exception as error:  # noqa: BLE001 - answer the person anyway
            logger.error("rest: could not handle a message (%s)", type(error).__name__)
            logger.debug("details", exc_info=True)
        replies: List[Dict[str, Any]] = collector.messages
        if replies:
            return replies
        logger.warning("rest: a turn produced no reply; sent the no_reply message")
        return [{"recipient_id": sender, "text": kind_text("no_reply", language)}]
