"""Telegram, through the Bot API's webhook.

Extends Rasa's connector (:class:`rasa.core.channels.telegram.TelegramInput`), which
checks nothing about who calls its webhook (it compares the bot's own user name,
fetched from Telegram on every message), puts the chat id in clear into Rasa,
splits texts on blank lines, sends options as inline buttons whose tap never shows
in the chat, and has no configurable API address. Here:

* every update must carry ``X-Telegram-Bot-Api-Secret-Token`` equal to the secret
  given to ``setWebhook`` (done at start-up when ``TELEGRAM_WEBHOOK_URL`` is set);
  otherwise 403;
* only private chats are served (a screening does not belong in a group);
* the chat id becomes a keyed hash before Rasa sees it;
* options are a one-time reply keyboard: a tap sends the option's text as the
  person's message, exactly like typing it, and it stays visible in the chat;
* texts longer than 4096 characters are split on paragraph, line or sentence
  boundaries; the API address is ``TELEGRAM_API_URL`` (tests use a stub);
* the person's app language (``from.language_code``: ``zh-hans``, ``en``...)
  reaches Rasa as the metadata ``language_hint``, which starts a conversation in
  Chinese until the person writes or asks otherwise
  (:mod:`bot.screening.language`); what the channel writes itself (the keyboard's
  placeholder, "Please choose:") is in the language of the reply it goes with.

Credentials (``credentials.yml``)::

    channels.telegram.TelegramInput:
      access_token: "${TELEGRAM_BOT_TOKEN}"
      secret_token: "${TELEGRAM_SECRET_TOKEN}"
      webhook_url: "${TELEGRAM_WEBHOOK_URL:-}"
      api_url: "${TELEGRAM_API_URL:-https://api.telegram.org}"
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, List

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.telegram import TelegramInput as RasaTelegramInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.screening.language import METADATA_HINT
from channels.base import MessagingInput, MessagingOutput
from channels.http import header_equals, post, refuse
from channels.state import Routes
from channels.text import channel_text, reply_language, split_text, text_limit

logger = logging.getLogger(__name__)

#: Telegram's limit for one message's text.
MAX_TEXT = 4096
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
REQUIRED = ("access_token", "secret_token")
DEFAULTS = {
    "webhook_url": "",
    "api_url": "https://api.telegram.org",
    "max_chars": MAX_TEXT,
}
#: What the person types when opening the bot ("/start", maybe with a deep-link
#: parameter) is read as a greeting.
START_TEXT = "Hello"


class TelegramOutput(MessagingOutput):
    """Replies through ``sendMessage``, options as a one-time reply keyboard."""

    channel = "telegram"

    def __init__(self, routes: Routes, api: str, limit: int = MAX_TEXT) -> None:
        """``api``: the bot's API base, ``{api_url}/bot{token}``."""
        super().__init__(routes)
        self.api = api
        self.limit = limit
        self._keyboard_shown = False

    async def deliver(
        self, key: str, recipient: str, text: str, options: List[Dict[str, str]]
    ) -> None:
        """One message (split if longer than 4096), the options on its last part.

        A message without options removes a keyboard left from an earlier turn,
        unless this turn already showed one.
        """
        language = reply_language(text, [o["title"] for o in options])
        parts = split_text(text, self.limit) or (
            [channel_text("choose", language)] if options else []
        )
        for index, part in enumerate(parts):
            body: Dict[str, Any] = {"chat_id": recipient, "text": part}
            if options and index == len(parts) - 1:
                body["reply_markup"] = keyboard(options, language)
                self._keyboard_shown = True
            elif not options and not self._keyboard_shown:
                body["reply_markup"] = {"remove_keyboard": True}
            await post(
                self.channel, "sendMessage", f"{self.api}/sendMessage", json=body
            )

    async def typing(self, recipient: str) -> None:
        """Show "typing..." while the assistant thinks."""
        await post(
            self.channel,
            "sendChatAction",
            f"{self.api}/sendChatAction",
            json={"chat_id": recipient, "action": "typing"},
        )


def keyboard(
    options: List[Dict[str, str]], language: str | None = None
) -> Dict[str, Any]:
    """A one-time reply keyboard: short options side by side, long ones stacked;
    its placeholder in ``language`` (by default the options' own)."""
    titles = [o["title"] for o in options]
    language = language or reply_language("", titles)
    if len(titles) <= 3 and all(len(t) <= 12 for t in titles):
        rows = [[{"text": t} for t in titles]]
    else:
        rows = [[{"text": t}] for t in titles]
    return {
        "keyboard": rows,
        "one_time_keyboard": True,
        "resize_keyboard": True,
        "input_field_placeholder": channel_text("keyboard_placeholder", language),
    }


class TelegramInput(MessagingInput, RasaTelegramInput):
    """Telegram webhook at ``/webhooks/telegram/webhook``."""

    REQUIRED = REQUIRED
    DEFAULTS = DEFAULTS

    @classmethod
    def name(cls) -> str:
        """The channel's name, recorded on screenings."""
        return "telegram"

    def __init__(self, config: Dict[str, Any]) -> None:  # noqa: D107
        super().__init__(
            config["access_token"], None, config["webhook_url"], debug_mode=False
        )
        self.secret_token = str(config["secret_token"])
        self.api = f"{str(config['api_url']).rstrip('/')}/bot{config['access_token']}"
        self.limit = text_limit(config, MAX_TEXT)
        self.routes = Routes(channel=self.name())

    def make_output(self) -> TelegramOutput:
        """An output channel to the Bot API."""
        return TelegramOutput(self.routes, self.api, self.limit)

    async def register_webhook(self) -> None:
        """Tell Telegram where to send updates, and the secret to send with them."""
        if not self.webhook_url:
            return
        result = await post(
            self.name(),
            "setWebhook",
            f"{self.api}/setWebhook",
            json={
                "url": self.webhook_url,
                "secret_token": self.secret_token,
                "allowed_updates": ["message", "callback_query"],
            },
        )
        if result is not None:
            logger.info("telegram: webhook registered")

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """The webhook: verify the secret, then one update at a time."""
        hook = Blueprint("prescreen_telegram", __name__)

        @hook.listener("after_server_start")
        async def start(*_: Any) -> None:
            await self.register_webhook()

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not request.headers.get(SECRET_HEADER):
                return refuse(self.name(), request, "no secret token header")
            if not header_equals(request, SECRET_HEADER, self.secret_token):
                return refuse(self.name(), request, "wrong secret token")
            self.note_caller(request)
            update = request.json if isinstance(request.json, dict) else {}
            if await self.routes.first_time(str(update.get("update_id") or "")):
                await self.handle_update(update, on_new_message)
            return response.json({"ok": True})

        return hook

    async def handle_update(
        self,
        update: Dict[str, Any],
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        """A new message or a tapped inline button; edits and the rest are ignored."""
        text: str | None
        callback = update.get("callback_query")
        if callback:
            message = callback.get("message") or {}
            text = callback.get("data")
            await post(
                self.name(),
                "answerCallbackQuery",
                f"{self.api}/answerCallbackQuery",
                json={"callback_query_id": callback.get("id")},
            )
        elif update.get("message"):
            message = update["message"]
            text = message.get("text")
        else:
            return  # edited messages, channel posts, ...: not part of a screening
        chat = message.get("chat") or {}
        if chat.get("type") != "private" or chat.get("id") is None:
            logger.info("telegram: ignored an update from a %s chat", chat.get("type"))
            return
        sender = str(chat["id"])
        metadata = language_metadata((callback or message).get("from"))
        if not text:
            await self.text_only(sender, metadata)
            return
        if text.split(maxsplit=1)[0].split("@")[0] == "/start":
            text = START_TEXT
        await self.make_output().typing(sender)
        await self.receive(on_new_message, sender, text, metadata)


def language_metadata(user: Any) -> Dict[str, Any]:
    """Rasa's metadata for a message from Telegram user ``user``: the app's
    language (``language_code``, an IETF tag such as ``zh-hans``) as a hint."""
    code = user.get("language_code") if isinstance(user, dict) else None
    if isinstance(code, str) and code.strip():
        return {METADATA_HINT: code.strip()[:35]}
    return {}
