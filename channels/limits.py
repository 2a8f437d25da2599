"""Rate limits and the longest message, shared by every channel.

A screening asks one question at a time, so a person sends a message every few
seconds at most. Far more than that is a script, a stuck client or an attack, and
each message costs the servers a model run, custom actions and database writes.

* :class:`Rate` is a limit such as ``30/60`` (30 messages per 60 seconds):
  :class:`TokenBuckets` lets a burst of ``count`` messages through, then one every
  ``seconds / count`` seconds. Buckets are keyed **per sender** (the conversation
  key) and **per client address**; the address limit catches a client that invents
  a new sender id for every message.
* :class:`Limiter` checks both. By default its buckets live in this process's
  memory (one Rasa server). With ``RATE_LIMIT_REDIS_URL`` set they live in Redis
  (a fixed window per key, counted by an atomic Lua script), shared by every Rasa
  replica. **When Redis cannot be reached the limiter fails open**: it logs one
  line, falls back to this process's own buckets, and tries Redis again after
  :data:`REDIS_RETRY_SECONDS`; the assistant keeps answering.
* :func:`cut` shortens an over-long message to ``MAX_MESSAGE_CHARS`` before Rasa
  sees it (the person is not punished; the tracker stores the shortened text).
* :func:`client_address` reads the caller's address, trusting ``X-Forwarded-For``
  only as far as ``TRUSTED_PROXY_COUNT`` proxies in front of Rasa.

Settings (environment variables, read by :func:`bot.settings.load_settings`, once per
:meth:`LimitSettings.from_env`):

``RATE_LIMIT_PER_SENDER`` (``30/60``), ``RATE_LIMIT_PER_ADDRESS`` (``120/60``): a
limit as ``count/seconds``, or ``off``. ``RATE_LIMIT_EXEMPT`` (``127.0.0.1 ::1``):
addresses, or networks such as ``10.0.0.0/8``, that no limit applies to (the
machine itself: tests, the benchmark, a health check). ``MAX_MESSAGE_CHARS``
(``2000``, :data:`bot.settings.MAX_MESSAGE_CHARS`). ``RATE_LIMIT_REDIS_URL`` (unset:
per process). ``TRUSTED_PROXY_COUNT`` (``0``).

Sender ids and addresses are personal data: keys are hashed before they are used,
in memory and in Redis alike.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.settings import MAX_MESSAGE_CHARS, Settings, load_settings

logger = logging.getLogger(__name__)

DEFAULT_PER_SENDER = "30/60"
DEFAULT_PER_ADDRESS = "120/60"
DEFAULT_EXEMPT = Settings.rate_limit_exempt
DEFAULT_MAX_CHARS = MAX_MESSAGE_CHARS
#: Seconds between attempts to reach Redis again after it failed.
REDIS_RETRY_SECONDS = 30.0
#: Seconds a Redis call may take before the limiter gives up on it (fails open).
REDIS_TIMEOUT = 0.5
#: How many keys the in-memory buckets keep (the least recently used go first).
MAX_KEYS = 50_000

#: A fixed window per key: count this hit, start the window on the first one,
#: and return the count and the milliseconds left in the window.
_WINDOW_SCRIPT = """
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {hits, left}
"""


@dataclass(frozen=True)
class Rate:
    """At most ``count`` messages per ``seconds``."""

    count: int
    seconds: float

    @classmethod
    def parse(cls, text: str | None, default: str) -> Rate | None:
        """A rate from ``"count/seconds"``; ``None`` for ``off``, ``0`` or ``none``.

        Raises:
            ValueError: when the text is neither a rate nor ``off``.
        """
        value = (text if text not in (None, "") else default).strip().lower()
        if value in ("off", "0", "none", "no", "false"):
            return None
        count, _, seconds = value.partition("/")
        rate = cls(int(count), float(seconds or 1))
        if rate.count < 1 or rate.seconds <= 0:
            raise ValueError(f"not a rate limit: {text!r} (use count/seconds or off)")
        return rate

    def __str__(self) -> str:
        return f"{self.count}/{self.seconds:g}"


@dataclass(frozen=True)
class Decision:
    """Whether one message may go on; if not, which limit and for how long."""

    allowed: bool
    retry_after: int = 0
    limit: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(True)


def hashed(kind: str, value: str) -> str:
    """A short, non-reversible key for a sender id or an address."""
    digest = hashlib.sha256(f"{kind}\x00{value}".encode()).hexdigest()
    return f"{kind}:{digest[:32]}"


class TokenBuckets:
    """Token buckets in this process's memory, one per key; time is injectable."""

    def __init__(
        self,
        rate: Rate,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_KEYS,
    ) -> None:
        """Buckets holding ``rate.count`` tokens, refilled over ``rate.seconds``."""
        self.rate = rate
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str) -> Decision:
        """Take one token from ``key``'s bucket, or say how long until there is one."""
        now = self.clock()
        capacity = float(self.rate.count)
        per_second = self.rate.count / self.rate.seconds
        tokens, since = self._buckets.get(key, (capacity, now))
        tokens = min(capacity, tokens + (now - since) * per_second)
        if tokens >= 1.0:
            self._store(key, tokens - 1.0, now)
            return ALLOWED
        self._store(key, tokens, now)
        wait = (1.0 - tokens) / per_second
        return Decision(False, max(1, math.ceil(wait - 1e-9)))

    def _store(self, key: str, tokens: float, now: float) -> None:
        self._buckets[key] = (tokens, now)
        self._buckets.move_to_end(key)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)


class Notices:
    """Remembers, per key, until when a person was told they are sending too fast,
    so that a messaging app gets at most one such message per window."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        """An empty record; ``clock`` is injectable for tests."""
        self.clock = clock
        self._until: OrderedDict[str, float] = OrderedDict()

    def first(self, key: str, seconds: float) -> bool:
        """True when ``key`` was not told within the last ``seconds``; records it."""
        now = self.clock()
        if self._until.get(key, 0.0) > now:
            return False
        self._until[key] = now + seconds
        self._until.move_to_end(key)
        while len(self._until) > MAX_KEYS:
            self._until.popitem(last=False)
        return True


def _networks(text: str) -> tuple[Any, ...]:
    found = []
    for part in text.replace(",", " ").split():
        if part.lower() in ("off", "none"):  # nothing exempt
            continue
        try:
            found.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            logger.warning("RATE_LIMIT_EXEMPT: %r is not an address; ignored", part)
    return tuple(found)


@dataclass(frozen=True)
class LimitSettings:
    """The limits, from the environment (see the module docstring)."""

    per_sender: Rate | None = Rate(30, 60)
    per_address: Rate | None = Rate(120, 60)
    max_chars: int = DEFAULT_MAX_CHARS
    redis_url: str | None = None
    trusted_proxies: int = 0
    exempt: tuple[Any, ...] = field(default_factory=lambda: _networks(DEFAULT_EXEMPT))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LimitSettings:
        """Read ``RATE_LIMIT_*``, ``MAX_MESSAGE_CHARS`` and ``TRUSTED_PROXY_COUNT``
        (through :func:`bot.settings.load_settings`; ``env``: the variables, the
        process environment by default).

        Raises:
            ValueError: on a malformed value, so that a typo stops the server at
                start-up instead of silently switching a limit off.
        """
        settings = load_settings(env)
        return cls(
            per_sender=Rate.parse(settings.rate_limit_per_sender, DEFAULT_PER_SENDER),
            per_address=Rate.parse(
                settings.rate_limit_per_address, DEFAULT_PER_ADDRESS
            ),
            max_chars=settings.max_message_chars,
            redis_url=settings.rate_limit_redis_url,
            trusted_proxies=settings.trusted_proxy_count,
            exempt=_networks(settings.rate_limit_exempt),
        )

    def is_exempt(self, address: str | None) -> bool:
        """Whether no limit applies to requests from ``address``."""
        if not address or not self.exempt:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.exempt)


def cut(text: Any, max_chars: int) -> Any:
    """``text`` shortened to ``max_chars`` characters (other values unchanged)."""
    if isinstance(text, str) and len(text) > max_chars:
        return text[:max_chars]
    return text


def client_address(
    peer: str | None, forwarded_for: str | None, trusted_proxies: int
) -> str | None:
    """The client's address.

    Args:
        peer: The address of the connection's other end (``request.ip``).
        forwarded_for: The ``X-Forwarded-For`` header, if any.
        trusted_proxies: How many proxies of ours stand in front of the server.
            Each appends the address it received from; so the client is the
            ``trusted_proxies``-th entry from the right. With 0 the header is
            ignored (anybody can send one).
    """
    if trusted_proxies <= 0 or not forwarded_for:
        return peer
    hops = [part.strip() for part in forwarded_for.split(",") if part.strip()]
    if not hops:
        return peer
    return hops[max(0, len(hops) - trusted_proxies)]


class RedisWindows:
    """Fixed-window counters in Redis, shared by every Rasa replica."""

    def __init__(self, url: str, prefix: str = "prescreen:ratelimit") -> None:
        """Connect lazily to ``url``; keys start with ``prefix``."""
        from redis.asyncio import Redis

        self.prefix = prefix
        self.client = Redis.from_url(
            url,
            socket_connect_timeout=REDIS_TIMEOUT,
            socket_timeout=REDIS_TIMEOUT,
            retry_on_timeout=False,
        )
        self._script = self.client.register_script(_WINDOW_SCRIPT)

    async def take(self, name: str, key: str, rate: Rate) -> Decision:
        """Count one message for ``key`` in its current window.

        Raises:
            redis.exceptions.RedisError, OSError: when Redis cannot be used.
        """
        window_ms = max(1, int(rate.seconds * 1000))
        hits, left_ms = await self._script(
            keys=[f"{self.prefix}:{name}:{key}"], args=[window_ms]
        )
        if int(hits) <= rate.count:
            return ALLOWED
        return Decision(False, max(1, math.ceil(int(left_ms) / 1000)))

    async def first_notice(self, key: str, seconds: float) -> bool:
        """True (once per window) when ``key`` has not been told yet."""
        return bool(
            await self.client.set(
                f"{self.prefix}:notice:{key}",
                b"1",
                nx=True,
                px=max(1, int(seconds * 1000)),
            )
        )

    async def close(self) -> None:
        """Close the connection pool."""
        await self.client.close()


class Limiter:
    """The per-sender and per-address limits of one channel process."""

    def __init__(
        self,
        settings: LimitSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        redis_prefix: str = "prescreen:ratelimit",
    ) -> None:
        """Limits from ``settings`` (the environment by default)."""
        self.settings = settings or LimitSettings.from_env()
        self.clock = clock
        self._memory = {
            name: TokenBuckets(rate, clock) for name, rate in self._rates().items()
        }
        self._notices = Notices(clock)
        self.redis: RedisWindows | None = None
        if self.settings.redis_url:
            self.redis = RedisWindows(self.settings.redis_url, redis_prefix)
        self._redis_down_until = 0.0

    def _rates(self) -> dict[str, Rate]:
        rates = {
            "sender": self.settings.per_sender,
            "address": self.settings.per_address,
        }
        return {name: rate for name, rate in rates.items() if rate is not None}

    @property
    def max_chars(self) -> int:
        """The longest message Rasa is given."""
        return self.settings.max_chars

    @property
    def window(self) -> float:
        """The longest window of the limits in force (seconds), for notices."""
        return max((r.seconds for r in self._rates().values()), default=60.0)

    async def check(self, sender: str | None, address: str | None) -> Decision:
        """Count one message from ``sender`` at ``address``; may it go on?

        The address limit is checked first, so a refused address costs its
        senders nothing. Requests from an exempt address are never limited.
        """
        if self.settings.is_exempt(address):
            return ALLOWED
        checks: list[tuple[str, str]] = []
        if address and "address" in self._memory:
            checks.append(("address", hashed("address", address)))
        if sender and "sender" in self._memory:
            checks.append(("sender", hashed("sender", sender)))
        for name, key in checks:
            decision = await self._take(name, key)
            if not decision:
                return Decision(False, decision.retry_after, name)
        return ALLOWED

    async def first_notice(self, sender: str) -> bool:
        """Whether to tell ``sender`` to slow down: true at most once per window."""
        key = hashed("sender", sender)
        if self._redis_usable():
            try:
                assert self.redis is not None
                return await self.redis.first_notice(key, self.window)
            except Exception as error:  # noqa: BLE001 - fail open
                self._redis_failed(error)
        return self._notices.first(key, self.window)

    async def _take(self, name: str, key: str) -> Decision:
        if self._redis_usable():
            try:
                assert self.redis is not None
                decision = await self.redis.take(name, key, self._memory[name].rate)
                self._redis_back()
                return decision
            except Exception as error:  # noqa: BLE001 - fail open, never crash
                self._redis_failed(error)
        return self._memory[name].take(key)

    def _redis_usable(self) -> bool:
        return self.redis is not None and self.clock() >= self._redis_down_until

    def _redis_failed(self, error: BaseException) -> None:
        if self._redis_down_until == 0.0:
            logger.warning(
                "rate limits: Redis unreachable (%s); using this process's own "
                "limits, retrying every %ss",
                type(error).__name__,
                int(REDIS_RETRY_SECONDS),
            )
        self._redis_down_until = self.clock() + REDIS_RETRY_SECONDS

    def _redis_back(self) -> None:
        if self._redis_down_until:
            logger.info("rate limits: Redis reachable again")
            self._redis_down_until = 0.0

    async def close(self) -> None:
        """Close the Redis connection, if any."""
        if self.redis is not None:
            await self.redis.close()


_SHARED: list[Limiter] = []


def shared_limiter() -> Limiter:
    """The process's limiter, shared by all its channels (made on first use, from
    the environment): a client gets one budget, whichever channel it uses."""
    if not _SHARED:
        _SHARED.append(Limiter())
        logger.debug("rate limits: %s", describe(_SHARED[0].settings))
    return _SHARED[0]


def describe(settings: LimitSettings) -> str:
    """One log line's worth of the limits in force."""

    def show(rate: Rate | None) -> str:
        return str(rate) if rate else "off"

    exempt: Iterable[Any] = settings.exempt
    return (
        f"per sender {show(settings.per_sender)}, per address "
        f"{show(settings.per_address)}, messages cut at {settings.max_chars} "
        f"characters, {'Redis' if settings.redis_url else 'in memory'}, "
        f"exempt: {' '.join(map(str, exempt)) or 'none'}"
    )


class LimitedChannel:
    """Mixin: a channel's ``limiter``, the process's unless a test sets another."""

    _limiter: Limiter | None = None

    @property
    def limiter(self) -> Limiter:
        """The channel's rate limits (the process's, unless a test sets others)."""
        if self._limiter is None:
            self._limiter = shared_limiter()
        return self._limiter

    @limiter.setter
    def limiter(self, value: Limiter) -> None:
        self._limiter = value
