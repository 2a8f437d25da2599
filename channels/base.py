"""The shared bases of the messaging connectors: receive path and output.

:class:`MessagingInput` hashes the sender, reads typed numbers, applies the limits
and hands the text to Rasa; :meth:`MessagingInput.from_credentials` builds a
connector from its ``credentials.yml`` block (or a disabled stand-in).
:class:`MessagingOutput` turns Rasa's messages (text and buttons) into one
platform's calls.

Limits (:mod:`channels.limits`): a per-sender rate limit (the caller's address is
the platform's, shared by all its users, so no per-address limit here; an exempt
address, such as this machine, is not limited), messages cut to
``MAX_MESSAGE_CHARS``. A message over the limit is not passed to Rasa; the webhook
still answers 200 (platforms retry otherwise) and the person gets the catalogue's
``too_fast`` message at most once per window. A turn with no reply at all (say the
action server is down) gets the ``no_reply`` message.

Language: what a channel says itself is in the conversation's language as the
channel sees it (:func:`bot.screening.language.conversation_language` over the
message, the platform's hint in its metadata, and the language last seen in the
conversation, kept in :attr:`channels.state.Routes.languages`). Every message
reaches Rasa with a metadata dict; Telegram's carries ``language_hint``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from typing import Any, Dict, List

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic.request import Request

from bot.screening.erasure import ERASED_MARK
from bot.screening.language import DEFAULT, conversation_language, normalize
from channels.config import DisabledChannel, load_config
from channels.identity import conversation_id
from channels.limits import LimitedChannel, client_address, cut
from channels.state import Routes
from channels.text import CHANNEL_TEXTS, button_options, channel_text, pick_numbered

logger = logging.getLogger(__name__)

#: The address of the caller of the webhook request being handled (set by
#: :meth:`MessagingInput.note_caller`), for the exemption of this machine.
_CALLER: ContextVar[str | None] = ContextVar("caller", default=None)

#: Sent when a person sends a photo, a voice note or a sticker: the assistant reads
#: text only. English; the Chinese is ``channel_text("text_only", "zh")``.
TEXT_ONLY_REPLY = CHANNEL_TEXTS["en"]["text_only"]


class MessagingOutput(OutputChannel):
    """Rasa's replies as one platform's API calls, for one conversation turn.

    Subclasses implement :meth:`deliver`. Replies go to the real id that
    :class:`Routes` holds for the conversation key Rasa uses.
    """

    channel = "messaging"

    def __init__(self, routes: Routes) -> None:
        """Bind the output to its channel's in-memory routes."""
        self.routes = routes
        #: Rasa messages handed to this output (for the ``no_reply`` message).
        self.sent = 0

    @classmethod
    def name(cls) -> str:
        """The channel's name."""
        return cls.channel

    async def send_text_message(
        self, recipient_id: str, text: str, **kwargs: Any
    ) -> None:
        """A text without options."""
        await self._send(recipient_id, text, [])

    async def send_text_with_buttons(
        self,
        recipient_id: str,
        text: str,
        buttons: List[Dict[str, Any]],
        **kwargs: Any,
    ) -> None:
        """A text with quick replies (our buttons' payload is their title)."""
        await self._send(recipient_id, text, button_options(buttons))

    async def send_quick_replies(
        self,
        recipient_id: str,
        text: str,
        quick_replies: List[Dict[str, Any]],
        **kwargs: Any,
    ) -> None:
        """Quick replies are buttons."""
        await self._send(recipient_id, text, button_options(quick_replies))

    async def send_image_url(
        self, recipient_id: str, image: str, **kwargs: Any
    ) -> None:
        """Images are sent as their link (the assistant sends none)."""
        await self._send(recipient_id, image, [])

    async def send_custom_json(
        self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any
    ) -> None:
        """Custom payloads are for the web widget; never sent to a messaging app.

        The erasure's mark (``{"erased": true}`` on the confirmation, which is sent
        as its text) is dropped quietly: there is nothing stored on the person's
        device for us to clear. Any other payload is dropped with a warning.
        """
        if isinstance(json_message, dict) and json_message.get(ERASED_MARK) is True:
            logger.debug("%s: the erasure mark (for the widget) dropped", self.channel)
            return
        logger.warning("%s: custom payloads are not supported", self.channel)

    async def send_elements(
        self, recipient_id: str, elements: Any, **kwargs: Any
    ) -> None:
        """Not used by the assistant; dropped with a warning."""
        logger.warning("%s: carousel elements are not supported", self.channel)

    async def send_attachment(
        self, recipient_id: str, attachment: Any, **kwargs: Any
    ) -> None:
        """Not used by the assistant; dropped with a warning."""
        logger.warning("%s: attachments are not supported", self.channel)

    async def _send(
        self, recipient_id: str, text: str | None, options: List[Dict[str, str]]
    ) -> None:
        self.sent += 1
        real = self.routes.recipients.get(recipient_id)
        if real is None:
            logger.warning(
                "%s: no route to a conversation (not seen since this process "
                "started); reply dropped",
                self.channel,
            )
            return
        await self.deliver(recipient_id, real, (text or "").strip(), options)

    async def deliver(
        self, key: str, recipient: str, text: str, options: List[Dict[str, str]]
    ) -> None:
        """Send one Rasa message to ``recipient`` (the platform's real id)."""
        raise NotImplementedError

    async def remember_numbered(self, key: str, options: List[Dict[str, str]]) -> None:
        """Remember the options shown as a numbered list, for a typed number."""
        if len(options) >= 2:
            await self.routes.remember_options(key, [o["payload"] for o in options])


class MessagingInput(LimitedChannel, InputChannel):
    """Shared receive path: hash the sender, read numbers, call Rasa, never leak.

    Subclasses set ``REQUIRED`` and ``DEFAULTS``, take their configuration in
    ``__init__(config)``, set ``routes`` and implement :meth:`make_output`.
    """

    #: Keys of the channel's ``credentials.yml`` block that must be set.
    REQUIRED: tuple[str, ...] = ()
    #: Optional keys, and their values when absent or empty.
    DEFAULTS: Mapping[str, Any] = {}

    routes: Routes

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        """The channel, or a :class:`DisabledChannel` when secrets are not set."""
        config = load_config(cls.name(), credentials, cls.REQUIRED, cls.DEFAULTS)
        if config is None:
            return DisabledChannel(cls.name())
        return cls(config)

    def note_caller(self, request: Request) -> None:
        """Remember who called the webhook being handled (for exemptions)."""
        _CALLER.set(
            client_address(
                request.ip,
                request.headers.get("X-Forwarded-For"),
                self.limiter.settings.trusted_proxies,
            )
        )

    def language_of(
        self, key: str, text: str = "", metadata: Dict[str, Any] | None = None
    ) -> str:
        """The language to speak in conversation ``key`` after this message (an
        explicit request or Chinese script in ``text``, the platform's hint in
        ``metadata``, the language last seen here, else English); remembered."""
        language = conversation_language(self.routes.languages.get(key), text, metadata)
        self.routes.languages.put(key, language)
        return language

    async def allowed(self, key: str, language: str = DEFAULT) -> bool:
        """Whether a message of conversation ``key`` is within the limits.

        When it is not, the person is told so (in ``language``) at most once per
        window.
        """
        caller = _CALLER.get()
        if self.limiter.settings.is_exempt(caller):
            return True
        decision = await self.limiter.check(key, None)
        if decision:
            return True
        logger.info("%s: a message over the %s limit", self.name(), decision.limit)
        if await self.limiter.first_notice(key):
            await self.make_output().send_text_message(
                key, kind_text("too_fast", language)
            )
        return False

    def make_output(self) -> MessagingOutput:
        """An output channel for this channel (one per conversation turn)."""
        raise NotImplementedError

    def get_output_channel(self) -> OutputChannel | None:
        """For messages Rasa sends outside a webhook request (while routes last)."""
        return self.make_output()

    async def receive(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        sender: str,
        text: str,
        metadata: Dict[str, Any] | None = None,
    ) -> None:
        """Hand one person's text to Rasa under the hashed conversation key.

        ``metadata`` (the platform's ``language_hint``, ...) goes to Rasa with it,
        always as a dict.
        """
        key = conversation_id(self.name(), sender)
        self.routes.recipients.put(key, sender)
        metadata = dict(metadata or {})
        if not await self.allowed(key, self.language_of(key, text, metadata)):
            return
        offered = await self.routes.take_options(key)
        text = cut(pick_numbered(text, offered), self.max_chars)
        language = self.language_of(key, text, metadata)  # "2" may have become 没有
        output = self.make_output()
        try:
            await on_new_message(
                UserMessage(
                    text, output, key, input_channel=self.name(), metadata=metadata
                )
            )
        except Exception as error:  # noqa: BLE001 - answer the platform anyway
            logger.error(
                "%s: could not handle a message (%s)", self.name(), type(error).__name__
            )
            logger.debug("details", exc_info=True)
        if output.sent == 0:
            logger.warning("%s: a turn produced no reply; sent no_reply", self.name())
            await output.send_text_message(key, kind_text("no_reply", language))

    @property
    def max_chars(self) -> int:
        """The longest message Rasa is given."""
        return self.limiter.max_chars

    async def text_only(
        self, sender: str, metadata: Dict[str, Any] | None = None
    ) -> None:
        """Tell a person who sent a photo or voice note that only text is read
        (in the conversation's language, else the platform's hint, else English)."""
        key = conversation_id(self.name(), sender)
        self.routes.recipients.put(key, sender)
        language = self.language_of(key, "", metadata)
        if not await self.allowed(key, language):
            return
        await self.make_output().send_text_message(
            key, channel_text("text_only", language)
        )


def kind_text(key: str, language: str | None = None) -> str:
    """A kind message of the dialogue's catalogue (``too_fast``, ``no_reply``) in
    ``language`` (English by default).

    These are sent when something is already wrong, so they must not fail: a
    catalogue or key missing for the language is logged and the English sent.
    """
    from bot.screening.messages import render

    wanted = normalize(language) or DEFAULT
    try:
        return str(render(key, wanted)["text"])
    except (OSError, KeyError) as error:
        if wanted == DEFAULT:
            raise
        logger.error(
            "channel message %s missing in the %s catalogue (%s); sent in English",
            key,
            wanted,
            type(error).__name__,
        )
        return str(render(key, DEFAULT)["text"])
