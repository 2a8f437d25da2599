"""Skip when something a test needs is absent, fail under ``CI=true``.

Locally a missing service (PostgreSQL, Redis, RabbitMQ, Chromium, the trained model)
skips the tests that need it, with the reason; CI must test what production runs on,
so there the same absence fails. Every such check goes through :func:`need_service`.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

from ops.stack import MODEL


def under_ci() -> bool:
    """Whether the tests run under CI (``CI=true``)."""
    return os.environ.get("CI") == "true"


def need_service(reason: str) -> NoReturn:
    """Skip the test with ``reason``, or fail it under ``CI=true``."""
    if under_ci():
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def need_model() -> None:
    """Skip (or fail under CI) when there is no trained model."""
    if not MODEL.exists():
        need_service(f"no trained model at {MODEL}: run `make train` (make test does)")


def need_listening(name: str, host: str, port: int) -> None:
    """Skip (or fail under CI) unless something accepts connections on host:port."""
    import socket

    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as error:
        need_service(f"{name} not reachable at {host}:{port}: {error}")


def need_redis() -> str:
    """The local Redis (127.0.0.1:6379, database 2 for tests); skip or fail without."""
    need_listening("Redis", "127.0.0.1", 6379)
    return "redis://127.0.0.1:6379/2"
