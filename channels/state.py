"""Channel state: who to reply to, the numbered options shown, messages handled.

Kept in this process's memory (:class:`Bounded` maps), and for the options and
handled messages also in Redis when configured (:class:`SharedState`), so every
Rasa replica sees them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Generic, List, TypeVar

from redis.exceptions import RedisError

from bot.settings import load_settings

logger = logging.getLogger(__name__)

#: How many people's routes (real id, last numbered options) are kept in memory.
MAX_ROUTES = 10_000

K = TypeVar("K")
V = TypeVar("V")


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
            url,
            socket_connect_timeout=1.0,
            socket_timeout=1.0,
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
    settings = load_settings()
    url = settings.channel_state_redis_url or settings.rate_limit_redis_url
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
        languages: conversation id -> the language last seen in it (``"en"`` or
            ``"zh"``), for what the channel says itself (a photo, too fast, no
            reply). This process only: on another replica the message's own
            script or the platform's hint decides, as on a first message.
        shared: Redis, for ``options`` and ``seen`` across replicas (see
            :class:`SharedState`); None: this process's memory only.
    """

    channel: str = ""
    recipients: Bounded[str, str] = field(default_factory=Bounded)
    options: Bounded[str, List[str]] = field(default_factory=Bounded)
    seen: Bounded[str, bool] = field(default_factory=lambda: Bounded(4096))
    languages: Bounded[str, str] = field(default_factory=Bounded)
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
