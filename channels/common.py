"""What the messaging connectors share.

* Configuration: values in ``credentials.yml`` may name environment variables as
  ``"${NAME}"`` or ``"${NAME:-default}"``. Quoted like that, Rasa's YAML reader leaves
  them alone (its ``${...}`` expansion applies to unquoted values only, and stops
  the whole server when a variable is unset), and :func:`load_config` expands them
  here instead: a channel whose secrets are unset is then simply not started, with
  one log line naming the missing variables, and ``make run`` works with no secrets.
* Privacy: a platform's sender id (a phone number, a Telegram or Messenger user id)
  never reaches Rasa. The conversation key is a keyed hash of it
  (:func:`conversation_id`, HMAC-SHA256 with ``bot.settings.sender_secret``); the
  real id is kept only in memory (:class:`Routes`) so that replies can go out.
* Output: :class:`MessagingOutput` turns Rasa's messages (text and buttons) into one
  platform's calls; :func:`split_text` cuts long texts at a platform's limit on
  paragraph, line or sentence boundaries; :func:`numbered` renders quick replies as
  a numbered list where a platform has no buttons, and :func:`pick_numbered` maps a
  typed "2" back to the option it named.
* Webhook hygiene: :func:`refuse` answers a forged request with 403 and logs it
  without its content; :func:`post` calls a platform API with a timeout and retries
  and logs failures without the URL (which may hold a token) or the message.
* Limits (:mod:`channels.limits`): a per-sender rate limit (the caller's address is
  the platform's, shared by all its users, so no per-address limit here; an exempt
  address, such as this machine, is not limited), messages cut to
  ``MAX_MESSAGE_CHARS``. A message over the limit is not passed to Rasa; the
  webhook still answers 200 (platforms retry otherwise) and the person gets the
  catalogue's ``too_fast`` message at most once per window. A turn with no reply
  at all (say the action server is down) gets the ``no_reply`` message.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Dict, Generic, List, TypeVar

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from redis.exceptions import RedisError
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.screening.erasure import ERASED_MARK
from channels.limits import LimitedChannel, client_address, cut

logger = logging.getLogger(__name__)

#: The address of the caller of the webhook request being handled (set by
#: :meth:`MessagingInput.note_caller`), for the exemption of this machine.
_CALLER: ContextVar[str | None] = ContextVar("caller", default=None)

#: Sent when a person sends a photo, a voice note or a sticker: the assistant reads
#: text only. (Channel-level, so it is not in the dialogue's message catalogue.)
TEXT_ONLY_REPLY = (
    "Sorry, I can only read typed messages. Please type your answer, or tap one of "
    "the options."
)

#: Below a numbered list of options, on platforms without buttons.
NUMBERED_HINT = "Reply with a number, or in your own words."

#: How many people's routes (real id, last numbered options) are kept in memory.
MAX_ROUTES = 10_000

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_BARE_NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")

K = TypeVar("K")
V = TypeVar("V")


# --------------------------------------------------------------------------- #
# Configuration
# --------------------------------------------------------------------------- #


def expand(value: Any, env: Mapping[str, str]) -> tuple[Any, list[str]]:
    """Expand ``${NAME}`` and ``${NAME:-default}`` in a credentials value.

    Args:
        value: A value from ``credentials.yml``; only strings are expanded.
        env: The environment to read.

    Returns:
        The expanded value and the names of variables that were unset or empty and
        had no default (the value is then ``None``).
    """
    if not isinstance(value, str):
        return value, []
    missing: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        found = env.get(name, "")
        if found:
            return found
        if default is not None:
            return default
        missing.append(name)
        return ""

    expanded = _ENV_REF.sub(substitute, value)
    return (None if missing else expanded), missing


def load_config(
    channel: str,
    credentials: Mapping[str, Any] | None,
    required: tuple[str, ...],
    defaults: Mapping[str, Any],
    env: Mapping[str, str] | None = None,
) -> Dict[str, Any] | None:
    """A channel's settings from its ``credentials.yml`` block, or ``None``.

    ``None`` (and one log line) when a required value is missing or names an unset
    environment variable: the channel is then not started.

    Args:
        channel: The channel's name, for the log line.
        credentials: The channel's block in ``credentials.yml``.
        required: Keys that must have a non-empty value.
        defaults: Optional keys and their values when absent or empty.
        env: Environment variables (the process environment by default).
    """
    env = os.environ if env is None else env
    credentials = credentials or {}
    config: Dict[str, Any] = {}
    missing: list[str] = []
    for key in (*required, *defaults):
        value, unset = expand(credentials.get(key), env)
        if key in required:
            if unset:
                missing.extend(unset)
            elif value in (None, ""):
                missing.append(f"'{key}' in credentials.yml")
        if value in (None, ""):
            value = defaults.get(key)
        config[key] = value
    if missing:
        logger.info(
            "channel %s not started: %s not set", channel, ", ".join(sorted(missing))
        )
        return None
    return config


class DisabledChannel(InputChannel):
    """Stands in for a channel whose secrets are not set: serves no route."""

    def __init__(self, channel: str) -> None:
        """Remember which channel this replaces."""
        self.channel = channel

    def url_prefix(self) -> str:
        """A prefix of its own, so it clashes with nothing."""
        return f"disabled_{self.channel}"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """An empty blueprint: the channel's webhook answers 404."""
        return Blueprint(f"disabled_{self.channel}")


# --------------------------------------------------------------------------- #
# Sender ids
# --------------------------------------------------------------------------- #


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


class Bounded(Generic[K, V]):
    """A small in-memory map that forgets its oldest entries beyond ``size``."""

    def __init__(self, size: int = MAX_ROUTES) -> None:
        """Create an empty map holding at most ``size`` entries."""
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The value, or ``None``; a hit counts as recent use."""
        if key not in self._items:
            return None
        self._items.move_to_end(key)
        return self._items[key]

    def put(self, key: K, value: V) -> None:
        """Store a value, forgetting the oldest entry when full."""
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    def pop(self, key: K) -> V | None:
        """Remove and return a value (``None`` when absent)."""
        return self._items.pop(key, None)

    def __contains__(self, key: object) -> bool:
        return key in self._items


class SharedState:
    """Channel state in Redis, so that every Rasa replica sees it.

    With several replicas, a person's next message may reach another replica than
    the one that showed the numbered options ("reply 2 for No"), and a platform's
    retry of a webhook may too. ``CHANNEL_STATE_REDIS_URL`` (else
    ``RATE_LIMIT_REDIS_URL``) puts both in Redis, with a day's expiry. Keys are the
    conversation's keyed hash and the platform's message id; no text, no phone
    number. When Redis cannot be reached, the process's own memory is used (one
    log line; retried every 30 s), as the rate limits do.
    """

    def __init__(self, url: str, prefix: str = "prescreen:channel") -> None:
        """Connect lazily to ``url``; keys start with ``prefix``."""
        from redis.asyncio import Redis

        self.prefix = prefix
        self.client = Redis.from_url(
            url, socket_connect_timeout=1.0, socket_timeout=1.0,
            retry_on_timeout=False,
        )
        self._down_until = 0.0

    @property
    def usable(self) -> bool:
        """False for a while after Redis failed."""
        return time.monotonic() >= self._down_until

    def failed(self, error: BaseException) -> None:
        """Note that Redis failed: memory is used for the next 30 s."""
        if self._down_until == 0.0:
            logger.warning(
                "channel state: Redis unreachable (%s); using this process's "
                "memory, retrying every 30s",
                type(error).__name__,
            )
        self._down_until = time.monotonic() + 30.0

    def back(self) -> None:
        """Note that Redis answered."""
        if self._down_until:
            logger.info("channel state: Redis reachable again")
            self._down_until = 0.0

    async def first_time(self, channel: str, message_id: str) -> bool:
        """Atomically mark a platform message as handled; False if it was."""
        digest = hashlib.sha256(message_id.encode()).hexdigest()[:32]
        key = f"{self.prefix}:{channel}:seen:{digest}"
        return bool(await self.client.set(key, b"1", nx=True, ex=DAY))

    async def put_options(self, channel: str, key: str, payloads: List[str]) -> None:
        """Store the numbered options last shown in conversation ``key``."""
        await self.client.set(
            f"{self.prefix}:{channel}:options:{key}", json.dumps(payloads), ex=DAY
        )

    async def take_options(self, channel: str, key: str) -> List[str] | None:
        """The numbered options last shown (removed: a number is read once)."""
        raw = await self.client.getdel(f"{self.prefix}:{channel}:options:{key}")
        if raw is None:
            return None
        value = json.loads(raw)
        return [str(v) for v in value] if isinstance(value, list) else None


DAY = 24 * 3600


@lru_cache(maxsize=1)
def shared_state() -> SharedState | None:
    """The process's Redis channel state, or None when no Redis is configured."""
    url = os.environ.get("CHANNEL_STATE_REDIS_URL") or os.environ.get(
        "RATE_LIMIT_REDIS_URL"
    )
    return SharedState(url) if url else None


@dataclass
class Routes:
    """One channel's state, keyed by conversation id.

    Attributes:
        channel: The channel's name (part of the shared keys).
        recipients: conversation id -> the platform's real id, to reply to. Kept
            in this process only: a reply goes out in the request that brought
            the message, on the same replica.
        options: conversation id -> the payloads of the numbered options last
            shown, so that a typed "2" can be read as the second option.
        seen: platform message ids already handled (platforms retry webhooks).
        shared: Redis, for ``options`` and ``seen`` across replicas (see
            :class:`SharedState`); None: this process's memory only.
    """

    channel: str = ""
    recipients: Bounded[str, str] = field(default_factory=Bounded)
    options: Bounded[str, List[str]] = field(default_factory=Bounded)
    seen: Bounded[str, bool] = field(default_factory=lambda: Bounded(4096))
    shared: SharedState | None = field(default_factory=shared_state)

    async def first_time(self, message_id: str | None) -> bool:
        """False when this platform message was handled before (a retry)."""
        if not message_id:
            return True
        if self.shared is not None and self.shared.usable:
            try:
                fresh = await self.shared.first_time(self.channel, message_id)
                self.shared.back()
                return fresh
            except (RedisError, OSError) as error:
                self.shared.failed(error)
        if message_id in self.seen:
            return False
        self.seen.put(message_id, True)
        return True

    async def remember_options(self, key: str, payloads: List[str]) -> None:
        """Remember the numbered options shown in conversation ``key``."""
        self.options.put(key, payloads)
        if self.shared is not None and self.shared.usable:
            try:
                await self.shared.put_options(self.channel, key, payloads)
                self.shared.back()
            except (RedisError, OSError) as error:
                self.shared.failed(error)

    async def take_options(self, key: str) -> List[str] | None:
        """The numbered options last shown in ``key``, once."""
        local = self.options.pop(key)
        if self.shared is not None and self.shared.usable:
            try:
                shared = await self.shared.take_options(self.channel, key)
                self.shared.back()
                return shared
            except (RedisError, OSError) as error:
                self.shared.failed(error)
        return local


# --------------------------------------------------------------------------- #
# Text: splitting and numbered options
# --------------------------------------------------------------------------- #


def text_length(text: str) -> int:
    """Length in UTF-16 code units, as Telegram and Twilio count characters."""
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, limit: int) -> int:
    """The longest prefix of ``text`` (in characters) within ``limit`` units."""
    total = 0
    for index, char in enumerate(text):
        total += 2 if ord(char) > 0xFFFF else 1
        if total > limit:
            return index
    return len(text)


_BREAKS = (
    re.compile(r"\n\s*\n"),  # paragraphs
    re.compile(r"\n"),  # lines
    re.compile(r"(?<=[.!?。！？])[\"')\]]?\s+"),  # sentences
    re.compile(r"[;,:]\s+"),  # clauses
    re.compile(r"\s+"),  # words
)


def split_text(text: str, limit: int) -> List[str]:
    """Cut ``text`` into parts of at most ``limit`` characters (UTF-16 units).

    Each cut is made at the last paragraph break that fits, else the last line
    break, sentence end, clause, or space (a break in the first quarter of the
    part is not used, so no part is tiny); only a word longer than the limit is cut
    mid-word. Parts are stripped; empty text gives no part.
    """
    parts: List[str] = []
    rest = text.strip()
    while rest:
        if text_length(rest) <= limit:
            parts.append(rest)
            break
        end = _cut(rest, limit)
        window = rest[:end]
        cut = end
        for pattern in _BREAKS:
            ends = [m.end() for m in pattern.finditer(window) if m.start() >= end // 4]
            if ends and rest[: ends[-1]].strip():
                cut = ends[-1]
                break
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return parts


def text_limit(config: Mapping[str, Any], platform_limit: int) -> int:
    """A channel's ``max_chars`` setting, never above the platform's own limit.

    Lower values save money on SMS (billed per 153-character segment).
    """
    try:
        wanted = int(config.get("max_chars") or platform_limit)
    except (TypeError, ValueError):
        wanted = platform_limit
    return max(100, min(wanted, platform_limit))


def numbered(text: str, titles: List[str]) -> str:
    """``text`` with quick replies as a numbered list, for platforms without buttons.

    One option is not numbered (a typed "1" must stay a number, say an INR of 1):
    it becomes a hint, e.g. ``You can also reply "I don't know".``
    """
    if not titles:
        return text
    if len(titles) == 1:
        return f'{text}\n\nYou can also reply "{titles[0]}".'
    lines = "\n".join(f"{number}. {title}" for number, title in enumerate(titles, 1))
    return f"{text}\n\n{lines}\n{NUMBERED_HINT}"


def pick_numbered(text: str, payloads: List[str] | None) -> str:
    """A typed "2" (or "2." / "2)") as the payload of numbered option 2.

    Other text, and numbers outside the list, are returned unchanged.
    """
    if not payloads or len(payloads) < 2:
        return text
    match = _BARE_NUMBER.match(text or "")
    if match:
        index = int(match.group(1))
        if 1 <= index <= len(payloads):
            return payloads[index - 1]
    return text


def button_options(buttons: List[Dict[str, Any]] | None) -> List[Dict[str, str]]:
    """Rasa buttons or quick replies as ``{"title", "payload"}`` pairs."""
    options = []
    for button in buttons or []:
        title = str(button.get("title") or button.get("payload") or "").strip()
        payload = str(button.get("payload") or title).strip()
        if title:
            options.append({"title": title, "payload": payload})
    return options


# --------------------------------------------------------------------------- #
# HTTP
# --------------------------------------------------------------------------- #

#: Seconds before an API call is given up (one attempt).
HTTP_TIMEOUT = 15
#: Attempts for an API call that failed with a network error, 429 or 5xx.
HTTP_ATTEMPTS = 3


async def post(
    channel: str,
    what: str,
    url: str,
    *,
    json: Any = None,
    data: Dict[str, str] | None = None,
    params: Dict[str, str] | None = None,
    auth: aiohttp.BasicAuth | None = None,
) -> Any | None:
    """POST to a platform API; return the decoded JSON answer, or ``None``.

    Network errors, 429 and 5xx are retried with a short back-off; other errors
    are logged with the HTTP status only (never the URL, which may hold a token,
    nor the message).
    """
    timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT)
    for attempt in range(HTTP_ATTEMPTS):
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.post(
                    url, json=json, data=data, params=params, auth=auth
                ) as answer:
                    if answer.status < 300:
                        try:
                            return await answer.json(content_type=None)
                        except ValueError:
                            return {}
                    if answer.status != 429 and answer.status < 500:
                        logger.error(
                            "%s: %s failed with HTTP %s", channel, what, answer.status
                        )
                        return None
                    problem = f"HTTP {answer.status}"
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            problem = type(error).__name__
        if attempt + 1 < HTTP_ATTEMPTS:
            await asyncio.sleep(0.5 * 2**attempt)
    logger.error(
        "%s: %s failed after %s attempts (%s)", channel, what, attempt + 1, problem
    )
    return None


def refuse(channel: str, request: Request, reason: str) -> HTTPResponse:
    """Answer a request that does not come from the platform: 403, logged.

    The log line names the channel, the reason and the caller's address; never the
    request's content.
    """
    logger.warning(
        "%s: refused a webhook request from %s: %s",
        channel,
        request.remote_addr or request.ip,
        reason,
    )
    return response.text("forbidden", status=403)


def header_equals(request: Request, name: str, expected: str) -> bool:
    """Constant-time comparison of a request header with a secret."""
    given = request.headers.get(name) or ""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


# --------------------------------------------------------------------------- #
# Input and output
# --------------------------------------------------------------------------- #


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

    async def send_elements(self, recipient_id: str, elements: Any, **kwargs: Any):
        """Not used by the assistant; dropped with a warning."""
        logger.warning("%s: carousel elements are not supported", self.channel)

    async def send_attachment(  # type: ignore[override]
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

    async def remember_numbered(
        self, key: str, options: List[Dict[str, str]]
    ) -> None:
        """Remember the options shown as a numbered list, for a typed number."""
        if len(options) >= 2:
            await self.routes.remember_options(key, [o["payload"] for o in options])


class MessagingInput(LimitedChannel, InputChannel):
    """Shared receive path: hash the sender, read numbers, call Rasa, never leak.

    Subclasses set ``routes`` and implement :meth:`make_output`.
    """

    routes: Routes

    def note_caller(self, request: Request) -> None:
        """Remember who called the webhook being handled (for exemptions)."""
        _CALLER.set(
            client_address(
                request.ip,
                request.headers.get("X-Forwarded-For"),
                self.limiter.settings.trusted_proxies,
            )
        )

    async def allowed(self, key: str) -> bool:
        """Whether a message of conversation ``key`` is within the limits.

        When it is not, the person is told so at most once per window.
        """
        caller = _CALLER.get()
        if self.limiter.settings.is_exempt(caller):
            return True
        decision = await self.limiter.check(key, None)
        if decision:
            return True
        logger.info("%s: a message over the %s limit", self.name(), decision.limit)
        if await self.limiter.first_notice(key):
            await self.make_output().send_text_message(key, kind_text("too_fast"))
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
    ) -> None:
        """Hand one person's text to Rasa under the hashed conversation key."""
        key = conversation_id(self.name(), sender)
        self.routes.recipients.put(key, sender)
        if not await self.allowed(key):
            return
        offered = await self.routes.take_options(key)
        text = cut(pick_numbered(text, offered), self.max_chars)
        output = self.make_output()
        try:
            await on_new_message(
                UserMessage(text, output, key, input_channel=self.name())
            )
        except Exception as error:  # noqa: BLE001 - answer the platform anyway
            logger.error(
                "%s: could not handle a message (%s)", self.name(), type(error).__name__
            )
            logger.debug("details", exc_info=True)
        if output.sent == 0:
            logger.warning("%s: a turn produced no reply; sent no_reply", self.name())
            await output.send_text_message(key, kind_text("no_reply"))

    @property
    def max_chars(self) -> int:
        """The longest message Rasa is given."""
        return self.limiter.max_chars

    async def text_only(self, sender: str) -> None:
        """Tell a person who sent a photo or voice note that only text is read."""
        key = conversation_id(self.name(), sender)
        self.routes.recipients.put(key, sender)
        if not await self.allowed(key):
            return
        await self.make_output().send_text_message(key, TEXT_ONLY_REPLY)


def kind_text(key: str) -> str:
    """A channel message of the catalogue (``too_fast``, ``no_reply``)."""
    from bot.screening.messages import render

    return str(render(key)["text"])
