"""WeChat Official Account (公众号, a service account), through its message server.

Rasa has no WeChat connector; this one is written on the project's bases
(:class:`channels.base.MessagingInput`), with :mod:`channels.wechat_crypto` for the
signatures and safe-mode (安全模式) encryption and :mod:`channels.wechat_api` for the
access token and customer service messages. ``wechatpy`` is not used: it is not in
the project's locks (production installs from ``requirements.lock`` only), and the
protocol is small enough to write against WeChat's documentation with
``cryptography``, which Rasa already needs.

* ``GET /webhooks/wechat/webhook``: the server check (``signature``, ``timestamp``,
  ``nonce``, ``echostr``), answered with ``echostr`` when the signature is right.
* ``POST /webhooks/wechat/webhook``: every message must carry a valid
  ``signature`` and a timestamp within five minutes (replays are refused); in safe
  mode also ``msg_signature`` over the encrypted text, which must decrypt with the
  EncodingAESKey to this AppID. ``mode: safe`` (the default, and the production
  setting) refuses unencrypted messages; ``compatible`` takes both. Bodies over
  64 KB, DOCTYPE/ENTITY declarations and malformed XML are refused. Refusals are
  logged with the reason and the caller's address, never the content.
* WeChat waits 5 s for an answer and then retries the same message up to three
  times: the webhook answers ``success`` at once, and the assistant's replies go
  out through the customer service API (客服消息, within its 48-hour window).
  Retries are recognised by ``MsgId`` (events: sender and ``CreateTime``) across
  replicas (:class:`channels.state.Routes`, Redis).
* Text; voice with WeChat's recognition text; the subscribe event starts the
  conversation in Chinese (as if the person had said 你好, with the language chosen);
  images and the rest get a kind answer in Chinese. Menu taps (``bizmsgmenuid``)
  read as the option's title.
* Options: a menu message (``msgmenu``) when there are few and short ones, else a
  numbered list (a typed "2" reads as option 2). Texts are split under WeChat's
  2048-byte limit.
* The OpenID is replaced by the keyed hash (:mod:`channels.identity`) before Rasa
  sees it; the channel is recorded as ``wechat``. Every message carries the
  language hint ``zh``: the conversation is in Chinese unless the person asks for
  English.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Awaitable, Callable, Dict, List, Set

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.screening.language import CHINESE, METADATA_CHOICE, METADATA_HINT, has_cjk
from channels.base import MessagingInput, MessagingOutput
from channels.config import DisabledChannel, load_config
from channels.http import refuse
from channels.identity import conversation_id
from channels.limits import cut
from channels.state import Routes, shared_state
from channels.text import (
    numbered,
    pick_numbered,
    split_text,
    text_length,
    text_limit,
)
from channels.wechat_api import AccessTokens, CustomerService
from channels.wechat_crypto import (
    MAX_BODY,
    REPLAY_WINDOW,
    BadMessage,
    WeChatCrypto,
    fresh,
    parse_xml,
    same,
    signature,
)

logger = logging.getLogger(__name__)

#: A customer service text may be 2048 bytes of UTF-8; a UTF-16 unit is at most 3
#: bytes, so parts of 682 units always fit (split_text counts UTF-16 units).
MAX_TEXT = 2048 // 3
#: A menu message: at most this many options, each at most MENU_TITLE characters;
#: more or longer options are numbered instead.
MENU_MAX = 6
MENU_TITLE = 20
REQUIRED = ("app_id", "app_secret", "token", "encoding_aes_key")
DEFAULTS = {
    "mode": "safe",
    "api_url": "https://api.weixin.qq.com",
    "max_chars": MAX_TEXT,
    "max_body": MAX_BODY,
    "replay_window": REPLAY_WINDOW,
    "menu_max": MENU_MAX,
    "menu_title": MENU_TITLE,
}
MODES = ("safe", "compatible", "plain")

#: What a new follower "says": a greeting, with the conversation's language chosen.
SUBSCRIBE_TEXT = "你好"
#: Sent for images, stickers, locations, files and voice without recognition text.
TEXT_ONLY_REPLY_ZH = "抱歉，我现在只能看懂文字。请您直接打字回答，或点选下面的选项。"
NUMBERED_HINT_ZH = "请回复数字，也可以直接用您自己的话回答。"


def numbered_text(text: str, titles: List[str]) -> str:
    """Options as a numbered list, the hint in the message's own language."""
    if not has_cjk(text + "".join(titles)):
        return numbered(text, titles)
    if len(titles) == 1:
        return f"{text}\n\n您也可以回复“{titles[0]}”。"
    lines = "\n".join(f"{number}. {title}" for number, title in enumerate(titles, 1))
    return f"{text}\n\n{lines}\n{NUMBERED_HINT_ZH}"


#: Where Chinese text may be cut, best first: paragraphs, lines, sentence ends,
#: clauses (Chinese punctuation has no space after it, which
#: :func:`channels.text.split_text` needs to see a sentence end).
_CJK_BREAKS = (
    re.compile(r"\n\s*\n"),
    re.compile(r"\n"),
    re.compile(r"[。！？!?][”’」』）)]?|\.\s"),
    re.compile(r"[，；、,;：:]"),
)


def split_message(text: str, limit: int) -> List[str]:
    """``text`` in parts of at most ``limit`` UTF-16 units, cut where it reads well.

    Chinese sentences end without a space; parts are cut after the last sentence
    end (else clause mark) that fits and is past the first quarter of the part;
    otherwise as :func:`channels.text.split_text` cuts (spaces, then mid-word).
    """
    parts: List[str] = []
    rest = text.strip()
    while rest:
        if text_length(rest) <= limit:
            parts.append(rest)
            break
        window = split_text(rest, limit)[0]
        cut = len(window)
        if not rest[cut:].startswith(("\n", " ")):  # split_text found no break
            for pattern in _CJK_BREAKS:
                ends = [m.end() for m in pattern.finditer(window)]
                ends = [end for end in ends if end >= len(window) // 4]
                if ends:
                    cut = ends[-1]
                    break
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [part for part in parts if part]


def menu_fits(
    options: List[Dict[str, str]], most: int = MENU_MAX, longest: int = MENU_TITLE
) -> bool:
    """Whether the options can be a menu message (few and short enough)."""
    return 2 <= len(options) <= most and all(
        len(o["title"]) <= longest for o in options
    )


class WeChatOutput(MessagingOutput):
    """Replies as customer service messages: text, menus, numbered options."""

    channel = "wechat"

    def __init__(
        self,
        routes: Routes,
        service: CustomerService,
        limit: int = MAX_TEXT,
        menu: tuple[int, int] = (MENU_MAX, MENU_TITLE),
    ) -> None:
        """Send through ``service``, texts split at ``limit`` characters; ``menu``:
        the most options, and the longest title, that a menu message takes."""
        super().__init__(routes)
        self.service = service
        self.limit = limit
        self.menu_limits = menu

    async def deliver(
        self, key: str, recipient: str, text: str, options: List[Dict[str, str]]
    ) -> None:
        """One Rasa message: text parts, the options on (or after) the last one."""
        titles = [o["title"] for o in options]
        if options and menu_fits(options, *self.menu_limits):
            parts = split_message(text, self.limit)
            head = parts.pop() if parts else ""
            for part in parts:
                await self.text(recipient, part)
            await self.menu(recipient, head, titles)
            await self.remember_numbered(key, options)
            return
        if options:
            text = numbered_text(text, titles)
            await self.remember_numbered(key, options)
        for part in split_message(text, self.limit):
            await self.text(recipient, part)

    async def text(self, recipient: str, content: str) -> None:
        """A text message."""
        await self.service.send(
            {"touser": recipient, "msgtype": "text", "text": {"content": content}}
        )

    async def menu(self, recipient: str, head: str, titles: List[str]) -> None:
        """A menu message; a tap comes back as the title with ``bizmsgmenuid``."""
        await self.service.send(
            {
                "touser": recipient,
                "msgtype": "msgmenu",
                "msgmenu": {
                    "head_content": head,
                    "list": [
                        {"id": str(number), "content": title}
                        for number, title in enumerate(titles, 1)
                    ],
                    "tail_content": "",
                },
            }
        )


class WeChatInput(MessagingInput):
    """The WeChat message server at ``/webhooks/wechat/webhook``."""

    REQUIRED = REQUIRED
    DEFAULTS = DEFAULTS

    @classmethod
    def name(cls) -> str:
        """The channel's name, recorded on screenings."""
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        """The channel; not started (one log line) when a secret is unset or wrong."""
        config = load_config(cls.name(), credentials, cls.REQUIRED, cls.DEFAULTS)
        if config is None:
            return DisabledChannel(cls.name())
        try:
            return cls(config)
        except ValueError as error:  # a malformed EncodingAESKey, an unknown mode
            logger.error("channel wechat not started: %s", error)
            return DisabledChannel(cls.name())

    def __init__(self, config: Dict[str, Any]) -> None:
        """Raises ValueError on a malformed EncodingAESKey or an unknown mode."""
        self.app_id = str(config["app_id"])
        self.token = str(config["token"])
        self.crypto = WeChatCrypto(
            self.token, str(config["encoding_aes_key"]), self.app_id
        )
        self.mode = str(config["mode"]).strip().lower()
        if self.mode not in MODES:
            raise ValueError(f"wechat: mode must be one of {', '.join(MODES)}")
        self.max_body = int(config["max_body"])
        self.replay_window = int(config["replay_window"])
        self.limit = text_limit(config, MAX_TEXT)
        self.menu_limits = (int(config["menu_max"]), int(config["menu_title"]))
        self.routes = Routes(channel=self.name())
        self.tokens = AccessTokens(
            str(config["api_url"]),
            self.app_id,
            str(config["app_secret"]),
            shared_state(),
        )
        self.service = CustomerService(self.tokens)
        self._tasks: Set[asyncio.Task[None]] = set()

    def make_output(self) -> WeChatOutput:
        """An output channel to the customer service API."""
        return WeChatOutput(self.routes, self.service, self.limit, self.menu_limits)

    # ------------------------------------------------------------------ #
    # Webhook
    # ------------------------------------------------------------------ #

    def signed(self, request: Request) -> str | None:
        """Why the request's ``signature`` or timestamp is not right, or None."""
        args = request.args
        timestamp, nonce = args.get("timestamp") or "", args.get("nonce") or ""
        given = args.get("signature")
        if not given or not timestamp or not nonce:
            return "unsigned"
        if not same(given, signature(self.token, timestamp, nonce)):
            return "wrong signature"
        if not fresh(timestamp, window=self.replay_window):
            return "stale timestamp (replay?)"
        return None

    def message_of(self, request: Request) -> Dict[str, str]:
        """The message's fields, decrypted in safe mode; BadMessage otherwise."""
        outer = parse_xml(request.body or b"", self.max_body)
        encrypted = request.args.get("encrypt_type") == "aes" or "Encrypt" in outer
        if not encrypted:
            if self.mode == "safe":
                raise BadMessage("unencrypted message in safe mode")
            return outer
        if self.mode == "plain":
            raise BadMessage("encrypted message in plain mode")
        text = outer.get("Encrypt") or ""
        given = request.args.get("msg_signature")
        if not text or not given:
            raise BadMessage("no Encrypt or msg_signature")
        timestamp = request.args.get("timestamp") or ""
        nonce = request.args.get("nonce") or ""
        if not same(given, signature(self.token, timestamp, nonce, text)):
            raise BadMessage("wrong msg_signature")
        return parse_xml(self.crypto.decrypt(text).encode(), self.max_body)

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """GET: the server check; POST: messages, acknowledged at once."""
        hook = Blueprint("prescreen_wechat", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            return self.verify(request)

        @hook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            return await self.incoming(request, on_new_message)

        return hook

    def verify(self, request: Request) -> HTTPResponse:
        """The server check: ``echostr`` back when the signature is right."""
        problem = self.signed(request)
        if problem:
            return refuse(self.name(), request, problem)
        return response.text(request.args.get("echostr") or "")

    async def incoming(
        self,
        request: Request,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> HTTPResponse:
        """A message: checked, answered ``success`` at once, handled after."""
        length = request.headers.get("Content-Length") or ""
        if (length.isdigit() and int(length) > self.max_body) or len(
            request.body or b""
        ) > self.max_body:
            return refuse(self.name(), request, "body too large")
        problem = self.signed(request)
        if problem:
            return refuse(self.name(), request, problem)
        try:
            fields = self.message_of(request)
        except BadMessage as error:
            return refuse(self.name(), request, str(error))
        if not fields.get("FromUserName") or not fields.get("MsgType"):
            return refuse(self.name(), request, "no FromUserName or MsgType")
        self.note_caller(request)
        if await self.routes.first_time(message_key(fields)):
            task = asyncio.create_task(self.handle(fields, on_new_message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            logger.info("wechat: a retried message answered once already")
        return response.text("success")

    # ------------------------------------------------------------------ #
    # Messages
    # ------------------------------------------------------------------ #

    async def handle(
        self,
        fields: Dict[str, str],
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        """One message or event, after the webhook has answered."""
        sender = fields["FromUserName"]
        kind = (fields.get("MsgType") or "").lower()
        try:
            if kind == "text":
                menu = fields.get("bizmsgmenuid") or ""
                await self.say(
                    on_new_message, sender, fields.get("Content") or "", menu
                )
            elif kind == "event":
                if (fields.get("Event") or "").lower() == "subscribe":
                    await self.say(
                        on_new_message,
                        sender,
                        SUBSCRIBE_TEXT,
                        metadata={METADATA_CHOICE: CHINESE},
                    )
                # unsubscribe, menu clicks, location reports: nothing to say
            elif kind == "voice" and (fields.get("Recognition") or "").strip():
                await self.say(on_new_message, sender, fields["Recognition"])
            else:
                await self.cannot_read(sender)
        except Exception as error:  # noqa: BLE001 - a background task: log it
            logger.error(
                "wechat: could not handle a message (%s)", type(error).__name__
            )
            logger.debug("details", exc_info=True)

    async def say(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        sender: str,
        text: str,
        menu_id: str = "",
        metadata: Dict[str, Any] | None = None,
    ) -> None:
        """Hand one person's text to Rasa under the hashed conversation key.

        As :meth:`MessagingInput.receive`, with the language metadata (the hint
        ``zh`` always; the choice for the subscribe greeting) and menu taps read
        by their ``bizmsgmenuid``.
        """
        key = conversation_id(self.name(), sender)
        self.routes.recipients.put(key, sender)
        if not await self.allowed(key):
            return
        offered = await self.routes.take_options(key)
        if menu_id.isdigit() and offered and 1 <= int(menu_id) <= len(offered):
            text = offered[int(menu_id) - 1]
        else:
            text = pick_numbered(text, offered)
        text = cut(text, self.max_chars)
        output = self.make_output()
        meta: Dict[str, Any] = {METADATA_HINT: CHINESE, **(metadata or {})}
        try:
            await on_new_message(
                UserMessage(text, output, key, input_channel=self.name(), metadata=meta)
            )
        except Exception as error:  # noqa: BLE001 - answer the person anyway
            logger.error(
                "wechat: could not handle a message (%s)", type(error).__name__
            )
            logger.debug("details", exc_info=True)
        if output.sent == 0:
            logger.warning("wechat: a turn produced no reply; sent no_reply")
            await output.send_text_message(key, chinese("no_reply"))

    async def cannot_read(self, sender: str) -> None:
        """Tell a person who sent a picture or the like that only text is read."""
        key = conversation_id(self.name(), sender)
        self.routes.recipients.put(key, sender)
        if not await self.allowed(key):
            return
        await self.make_output().send_text_message(key, TEXT_ONLY_REPLY_ZH)

    async def drain(self) -> None:
        """Wait for the messages being handled (for tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def chinese(key: str) -> str:
    """A channel message of the Chinese catalogue (``no_reply``)."""
    from bot.screening.messages import render

    return str(render(key, CHINESE)["text"])


def message_key(fields: Dict[str, str]) -> str:
    """What identifies a message across WeChat's retries.

    ``MsgId`` for messages; for events, which have none, the sender, the creation
    time and the event.
    """
    if fields.get("MsgId"):
        return f"msg:{fields['MsgId']}"
    return (
        f"event:{fields.get('FromUserName', '')}:{fields.get('CreateTime', '')}:"
        f"{fields.get('Event', '')}"
    )
