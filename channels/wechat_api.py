"""WeChat's server API: the access token, and customer service messages (客服消息).

The access token is valid 7,200 s and fetching a new one invalidates the old one,
so every Rasa replica must share one: it is kept in Redis (the channel state's
Redis, :func:`channels.state.shared_state`) with an expiry five minutes before
WeChat's, and fetched by one replica at a time under a Redis lock (``SET NX``);
the others wait for it to appear. Without Redis, one process keeps it in memory.
It is fetched again before expiry and when the API answers 40001, 40014 or 42001
(invalid or expired token). The token, the AppSecret and the URLs holding them
are never logged.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
import uuid
from typing import Any, Dict

import aiohttp
from redis.exceptions import RedisError

from channels.state import SharedState

logger = logging.getLogger(__name__)

#: The API's answers that mean "the access token is not (or no longer) valid".
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
#: Seconds before WeChat's expiry that a token is fetched again.
EARLY = 300
#: Seconds a replica holds the lock while fetching a token.
LOCK_SECONDS = 15
HTTP_TIMEOUT = 15


class TokenError(RuntimeError):
    """No access token could be had (the reason, never the secret)."""


class AccessTokens:
    """One Official Account's access token, shared by every replica."""

    def __init__(
        self,
        api_url: str,
        app_id: str,
        app_secret: str,
        shared: SharedState | None,
        clock: Any = time.time,
    ) -> None:
        """``shared``: Redis (None: this process's memory only)."""
        self.api_url = api_url.rstrip("/")
        self.app_id = app_id
        self._secret = app_secret
        self.shared = shared
        self.clock = clock
        digest = hashlib.sha256(app_id.encode()).hexdigest()[:16]
        prefix = shared.prefix if shared is not None else "prescreen:channel"
        self.key = f"{prefix}:wechat:token:{digest}"
        self.lock_key = f"{self.key}:lock"
        self._token: str | None = None
        self._expires = 0.0
        self._local = asyncio.Lock()
        #: How many tokens this process fetched from WeChat (for tests and logs).
        self.fetched = 0

    def __repr__(self) -> str:  # never show the secret or the token
        return f"AccessTokens(app_id={self.app_id!r})"

    async def get(self) -> str:
        """A valid token: this process's, else Redis's, else a new one."""
        if self._token and self.clock() < self._expires:
            return self._token
        async with self._local:
            if self._token and self.clock() < self._expires:
                return self._token
            token, ttl = await self._shared_or_fetch()
            self._token, self._expires = token, self.clock() + ttl
            return token

    async def invalid(self, token: str) -> None:
        """The API refused ``token``: forget it (here and in Redis, if still it)."""
        if self._token == token:
            self._token, self._expires = None, 0.0
        if self.shared is not None and self.shared.usable:
            try:
                current = await self.shared.client.get(self.key)
                if current is not None and current.decode() == token:
                    await self.shared.client.delete(self.key)
            except (RedisError, OSError) as error:
                self.shared.failed(error)

    async def _shared_or_fetch(self) -> tuple[str, float]:
        shared = self.shared
        if shared is None or not shared.usable:
            return await self._fetch()
        try:
            found = await self._from_redis()
            if found:
                return found
            owner = uuid.uuid4().hex
            deadline = self.clock() + LOCK_SECONDS + 5
            while True:
                if await shared.client.set(
                    self.lock_key, owner, nx=True, ex=LOCK_SECONDS
                ):
                    try:
                        found = await self._from_redis()  # fetched meanwhile?
                        if found:
                            return found
                        token, ttl = await self._fetch()
                        await shared.client.set(self.key, token, ex=max(1, int(ttl)))
                        return token, ttl
                    finally:
                        if await shared.client.get(self.lock_key) == owner.encode():
                            await shared.client.delete(self.lock_key)
                await asyncio.sleep(0.1)  # another replica is fetching
                found = await self._from_redis()
                if found:
                    return found
                if self.clock() > deadline:
                    raise TokenError("another replica held the token lock too long")
        except (RedisError, OSError) as error:
            shared.failed(error)
            return await self._fetch()
        finally:
            if shared.usable:
                shared.back()

    async def _from_redis(self) -> tuple[str, float] | None:
        assert self.shared is not None
        client = self.shared.client
        token = await client.get(self.key)
        if token is None:
            return None
        ttl = await client.ttl(self.key)
        if ttl is None or ttl <= 0:
            return None
        return token.decode(), float(ttl)

    async def _fetch(self) -> tuple[str, float]:
        """A new token from ``GET /cgi-bin/token`` (and its lifetime, less EARLY)."""
        params = {
            "grant_type": "client_credential",
            "appid": self.app_id,
            "secret": self._secret,
        }
        timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.get(
                    f"{self.api_url}/cgi-bin/token", params=params
                ) as answer:
                    status = answer.status
                    body = await answer.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise TokenError(f"token request failed ({type(error).__name__})") from None
        if status >= 300 or not isinstance(body, dict) or not body.get("access_token"):
            errcode = body.get("errcode") if isinstance(body, dict) else None
            raise TokenError(
                f"token request refused (HTTP {status}, errcode {errcode})"
            )
        self.fetched += 1
        logger.info("wechat: fetched a new access token")
        lifetime = float(body.get("expires_in") or 7200)
        return str(body["access_token"]), max(60.0, lifetime - EARLY)


class CustomerService:
    """``POST /cgi-bin/message/custom/send``: messages within the 48-hour window."""

    def __init__(self, tokens: AccessTokens) -> None:
        """Send with ``tokens``' account."""
        self.tokens = tokens

    async def send(self, message: Dict[str, Any]) -> bool:
        """Send one message; True when WeChat accepted it.

        A refused token is fetched again and the message sent once more; other
        errors are logged with the error code only.
        """
        body = json.dumps(message, ensure_ascii=False).encode()
        for attempt in range(2):
            try:
                token = await self.tokens.get()
            except TokenError as error:
                logger.error("wechat: no access token: %s", error)
                return False
            errcode = await self._post(token, body)
            if errcode == 0:
                return True
            if errcode in TOKEN_ERRORS and attempt == 0:
                logger.warning("wechat: access token refused (%s); renewing", errcode)
                await self.tokens.invalid(token)
                continue
            logger.error(
                "wechat: customer service message (%s) failed: errcode %s",
                message.get("msgtype"),
                errcode,
            )
            return False
        return False

    async def _post(self, token: str, body: bytes) -> int | None:
        url = f"{self.tokens.api_url}/cgi-bin/message/custom/send"
        timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT)
        for attempt in range(3):
            try:
                async with aiohttp.ClientSession(timeout=timeout) as session:
                    async with session.post(
                        url,
                        params={"access_token": token},
                        data=body,
                        headers={"Content-Type": "application/json; charset=utf-8"},
                    ) as answer:
                        if answer.status >= 500 or answer.status == 429:
                            raise aiohttp.ClientResponseError(
                                answer.request_info, (), status=answer.status
                            )
                        if answer.status >= 300:
                            return -answer.status
                        result = await answer.json(content_type=None)
                        if not isinstance(result, dict):
                            return None
                        return int(result.get("errcode") or 0)
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
                problem = type(error).__name__
                if attempt < 2:
                    await asyncio.sleep(0.5 * 2**attempt)
        logger.error("wechat: customer service API unreachable (%s)", problem)
        return None
