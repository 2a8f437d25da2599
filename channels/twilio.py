"""SMS and WhatsApp through Twilio's Messaging API.

Extends Rasa's connector (:class:`rasa.core.channels.twilio.TwilioInput`), which
accepts any POST to its webhook (no ``X-Twilio-Signature`` check), puts the phone
number in clear into Rasa, sends each blank-line paragraph as a separate SMS, drops
buttons, and calls Twilio with a blocking client inside Rasa's event loop. Here:

* every request must carry a valid ``X-Twilio-Signature`` (HMAC-SHA1 with the
  account's auth token over the webhook URL and the sorted POST parameters, checked
  with Twilio's own :class:`twilio.request_validator.RequestValidator`); otherwise
  403. Behind a proxy, set the public webhook URL (``TWILIO_SMS_WEBHOOK_URL``,
  ``TWILIO_WHATSAPP_WEBHOOK_URL``) so the URL checked is the one Twilio signed;
* the phone number becomes a keyed hash before Rasa sees it;
* neither SMS nor WhatsApp (outside approved templates) has buttons: options are a
  numbered list, and a reply "2" is read as the second option;
* one Rasa message is one Twilio message, split only beyond Twilio's 1600
  characters, on paragraph, line or sentence boundaries;
* replies go out with aiohttp to ``TWILIO_API_URL`` (tests use a stub).
* Twilio sends no language: Rasa gets an empty metadata dict, and the language
  comes from what the person writes (:mod:`bot.screening.language`); the hint
  under a numbered list is in the reply's language.

Two channels, so that each can be enabled alone: ``sms`` at
``/webhooks/sms/webhook`` and ``whatsapp`` at ``/webhooks/whatsapp/webhook``.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, List
from urllib.parse import parse_qs

import aiohttp
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.twilio import TwilioInput as RasaTwilioInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from channels.base import MessagingInput, MessagingOutput
from channels.http import post, refuse
from channels.state import Routes
from channels.text import numbered, split_text, text_limit

logger = logging.getLogger(__name__)

#: Twilio's limit for one message body.
MAX_TEXT = 1600
SIGNATURE_HEADER = "X-Twilio-Signature"
REQUIRED = ("account_sid", "auth_token", "number")
DEFAULTS = {
    "webhook_url": "",
    "api_url": "https://api.twilio.com",
    "max_chars": MAX_TEXT,
}
#: Twilio's "nothing to say" answer: replies go through the REST API instead, so
#: that they can be split and numbered like every other message.
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


class TwilioOutput(MessagingOutput):
    """Replies through ``POST /2010-04-01/Accounts/{sid}/Messages.json``."""

    channel = "sms"

    def __init__(
        self, routes: Routes, *, channel: str, config: Dict[str, Any], sender: str
    ) -> None:
        """``sender``: our number as Twilio expects it in ``From``."""
        super().__init__(routes)
        self.channel = channel
        self.url = (
            f"{str(config['api_url']).rstrip('/')}/2010-04-01/Accounts/"
            f"{config['account_sid']}/Messages.json"
        )
        self.auth = aiohttp.BasicAuth(config["account_sid"], config["auth_token"])
        self.sender = sender
        self.limit = text_limit(config, MAX_TEXT)

    async def deliver(
        self, key: str, recipient: str, text: str, options: List[Dict[str, str]]
    ) -> None:
        """The text with its options numbered, split beyond 1600 characters."""
        body = numbered(text, [o["title"] for o in options])
        await self.remember_numbered(key, options)
        for part in split_text(body, self.limit):
            await post(
                self.channel,
                "send message",
                self.url,
                data={"To": recipient, "From": self.sender, "Body": part},
                auth=self.auth,
            )


class FormFields(Dict[str, List[str]]):
    """POST fields with every value, as Twilio's RequestValidator reads them."""

    def getlist(self, name: str) -> List[str]:
        """All values of a field."""
        return self[name]


def form_fields(request: Request) -> FormFields:
    """The request's form fields, blank ones included: Twilio signs those too
    (Sanic's ``request.form`` drops them)."""
    try:
        body = (request.body or b"").decode("utf-8")
    except UnicodeDecodeError:
        return FormFields()
    return FormFields(parse_qs(body, keep_blank_values=True))


class SmsInput(MessagingInput, RasaTwilioInput):
    """SMS through Twilio, at ``/webhooks/sms/webhook``."""

    REQUIRED = REQUIRED
    DEFAULTS = DEFAULTS

    #: How Twilio writes addresses of this kind ("" for plain phone numbers).
    address_prefix = ""

    @classmethod
    def name(cls) -> str:
        """The channel's name, recorded on screenings."""
        return "sms"

    def __init__(self, config: Dict[str, Any]) -> None:  # noqa: D107
        super().__init__(
            config["account_sid"],
            config["auth_token"],
            config["number"],
            debug_mode=False,
        )
        self.config = config
        self.validator = RequestValidator(str(config["auth_token"]))
        self.routes = Routes(channel=self.name())

    def address(self, number: str) -> str:
        """Our number as Twilio writes it in ``From``/``To``."""
        number = str(number).strip()
        if self.address_prefix and not number.startswith(self.address_prefix):
            return self.address_prefix + number
        return number

    def make_output(self) -> TwilioOutput:
        """An output channel to Twilio's Messaging API."""
        return TwilioOutput(
            self.routes,
            channel=self.name(),
            config=self.config,
            sender=self.address(self.config["number"]),
        )

    def signed_url(self, request: Request) -> str:
        """The URL Twilio signed: the configured public URL, else the request's."""
        return str(self.config.get("webhook_url") or request.url)

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """The webhook: verify the signature, then the message."""
        hook = Blueprint(f"prescreen_{self.name()}", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            signature = request.headers.get(SIGNATURE_HEADER)
            if not signature:
                return refuse(self.name(), request, "no X-Twilio-Signature")
            fields = form_fields(request)
            if not self.validator.validate(self.signed_url(request), fields, signature):
                return refuse(self.name(), request, "wrong X-Twilio-Signature")
            form = {name: values[0] for name, values in fields.items()}
            if form.get("AccountSid") != self.config["account_sid"]:
                return refuse(self.name(), request, "another Twilio account")
            self.note_caller(request)
            await self.handle_form(form, on_new_message)
            return response.text(EMPTY_TWIML, content_type="text/xml")

        return hook

    async def handle_form(
        self, form: Any, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        """One incoming message (Twilio's form parameters)."""
        sender = form.get("From") or ""
        kind_ok = sender.startswith("whatsapp:") == (self.address_prefix == "whatsapp:")
        if not sender or not kind_ok:
            logger.info("%s: ignored a message of another kind", self.name())
            return
        if not await self.routes.first_time(form.get("MessageSid")):
            return
        text = (form.get("ButtonPayload") or form.get("Body") or "").strip()
        if not text:
            await self.text_only(sender)
            return
        await self.receive(on_new_message, sender, text)


class WhatsAppInput(SmsInput):
    """WhatsApp through Twilio, at ``/webhooks/whatsapp/webhook``."""

    address_prefix = "whatsapp:"

    @classmethod
    def name(cls) -> str:
        """The channel's name, recorded on screenings."""
        return "whatsapp"
