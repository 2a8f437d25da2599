"""HTTP hygiene: platform API calls with retries, and refusing forged webhooks.

:func:`refuse` answers a forged request with 403 and logs it without its content;
:func:`post` calls a platform API with a timeout and retries and logs failures
without the URL (which may hold a token) or the message.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any, Dict

import aiohttp
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

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
