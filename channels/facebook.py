"""Facebook Messenger, through the Messenger Platform's webhook and Send API.

Extends Rasa's connector (:class:`rasa.core.channels.facebook.FacebookInput`), which
checks only the old SHA-1 ``X-Hub-Signature`` and answers a forged request with
200, handles only the first event of a batch, puts the page-scoped id in clear into
Rasa, drops options beyond three buttons, and sends with a blocking client. Here:

* ``GET /webhook``: the subscription handshake (``hub.mode=subscribe`` with our
  verify token is answered with ``hub.challenge``; anything else with 403);
* ``POST /webhook`` must carry ``X-Hub-Signature-256: sha256=<HMAC-SHA256 of the
  raw body with the app secret>``; otherwise 403. Every messaging event of the
  batch is handled; echoes, deliveries and reads are ignored;
* the page-scoped id becomes a keyed hash before Rasa sees it;
* options are quick replies (at most 13, titles of at most 20 characters); beyond
  that they are a numbered list, and a reply "2" is read as the second option;
* texts longer than 2000 characters are split on paragraph, line or sentence
  boundaries; calls carry ``appsecret_proof`` and go to ``FACEBOOK_GRAPH_URL``
  (tests use a stub).
* Messenger sends no language with a message (the person's locale needs a profile
  lookup and a further permission): Rasa gets an empty metadata dict, and the
  language comes from what the person writes (:mod:`bot.screening.language`); the
  channel's own words ("Please choose:", the numbered hint) follow the reply's.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any, Awaitable, Callable, Dict, List

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.facebook import FacebookInput as RasaFacebookInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.base import MessagingInput, MessagingOutput
from channels.http import post, refuse
from channels.state import Routes
from channels.text import channel_text, numbered, reply_language, split_text, text_limit

logger = logging.getLogger(__name__)

#: Messenger's limits: text length, quick replies, quick-reply title length.
MAX_TEXT = 2000
MAX_QUICK_REPLIES = 13
MAX_QUICK_REPLY_TITLE = 20
SIGNATURE_HEADER = "X-Hub-Signature-256"
REQUIRED = ("page_access_token", "app_secret", "verify_token")
DEFAULTS = {"graph_url": "https://graph.facebook.com/v18.0", "max_chars": MAX_TEXT}


def signature(app_secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends for ``body``."""
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class MessengerOutput(MessagingOutput):
    """Replies through the Send API (``POST /me/messages``)."""

    channel = "messenger"

    def __init__(self, routes: Routes, config: Dict[str, Any]) -> None:
        """Bind the output to the page's token and the Graph API address."""
        super().__init__(routes)
        self.url = f"{str(config['graph_url']).rstrip('/')}/me/messages"
        token = str(config["page_access_token"])
        proof = hmac.new(
            str(config["app_secret"]).encode(), token.encode(), hashlib.sha256
        ).hexdigest()
        self.params = {"access_token": token, "appsecret_proof": proof}
        self.limit = text_limit(config, MAX_TEXT)

    async def deliver(
        self, key: str, recipient: str, text: str, options: List[Dict[str, str]]
    ) -> None:
        """The text (split beyond 2000), options as quick replies on the last part."""
        quick = bool(options) and (
            len(options) <= MAX_QUICK_REPLIES
            and all(len(o["title"]) <= MAX_QUICK_REPLY_TITLE for o in options)
        )
        if options and not quick:
            text = numbered(text, [o["title"] for o in options])
            await self.remember_numbered(key, options)
        choose = channel_text(
            "choose", reply_language(text, [o["title"] for o in options])
        )
        parts = split_text(text, self.limit) or ([choose] if quick else [])
        for index, part in enumerate(parts):
            message: Dict[str, Any] = {"text": part}
            if quick and index == len(parts) - 1:
                message["quick_replies"] = [
                    {
                        "content_type": "text",
                        "title": o["title"],
                        "payload": o["payload"],
                    }
                    for o in options
                ]
            await self.call(
                "send message",
                {
                    "recipient": {"id": recipient},
                    "messaging_type": "RESPONSE",
                    "message": message,
                },
            )

    async def typing(self, recipient: str) -> None:
        """Show the typing bubble while the assistant thinks."""
        await self.call(
            "typing_on", {"recipient": {"id": recipient}, "sender_action": "typing_on"}
        )

    async def call(self, what: str, body: Dict[str, Any]) -> None:
        """One Send API call."""
        await post(self.channel, what, self.url, json=body, params=self.params)


class MessengerInput(MessagingInput, RasaFacebookInput):
    """Messenger webhook at ``/webhooks/messenger/webhook``."""

    REQUIRED = REQUIRED
    DEFAULTS = DEFAULTS

    @classmethod
    def name(cls) -> str:
        """The channel's name, recorded on screenings."""
        return "messenger"

    def __init__(self, config: Dict[str, Any]) -> None:  # noqa: D107
        super().__init__(
            config["verify_token"], config["app_secret"], config["page_access_token"]
        )
        self.config = config
        self.routes = Routes(channel=self.name())

    def make_output(self) -> MessengerOutput:
        """An output channel to the Send API."""
        return MessengerOutput(self.routes, self.config)

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """The webhook: the subscription handshake, and signed events."""
        hook = Blueprint("prescreen_messenger", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["GET"])
        async def verification(request: Request) -> HTTPResponse:
            token = request.args.get("hub.verify_token") or ""
            if request.args.get("hub.mode") == "subscribe" and hmac.compare_digest(
                token.encode(), str(self.fb_verify).encode()
            ):
                return response.text(request.args.get("hub.challenge") or "")
            return refuse(self.name(), request, "wrong verify token")

        @hook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            given = request.headers.get(SIGNATURE_HEADER)
            if not given:
                return refuse(self.name(), request, "no X-Hub-Signature-256")
            expected = signature(str(self.fb_secret), request.body or b"")
            if not hmac.compare_digest(given.encode(), expected.encode()):
                return refuse(self.name(), request, "wrong X-Hub-Signature-256")
            self.note_caller(request)
            payload = request.json if isinstance(request.json, dict) else {}
            if payload.get("object") == "page":
                for entry in payload.get("entry") or []:
                    for event in entry.get("messaging") or []:
                        await self.handle_event(event, on_new_message)
            return response.text("EVENT_RECEIVED")

        return hook

    async def handle_event(
        self,
        event: Dict[str, Any],
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        """One messaging event: a message, a quick reply or a postback."""
        sender = str((event.get("sender") or {}).get("id") or "")
        message = event.get("message") or {}
        if not sender or message.get("is_echo"):
            return
        if message:
            if not await self.routes.first_time(message.get("mid")):
                return
            text = (message.get("quick_reply") or {}).get("payload") or message.get(
                "text"
            )
            if not text:
                await self.text_only(sender)
                return
        elif event.get("postback"):
            text = event["postback"].get("payload") or event["postback"].get("title")
        else:
            return  # deliveries, reads, reactions: nothing to answer
        if text:
            await self.make_output().typing(sender)
            await self.receive(on_new_message, sender, str(text))
