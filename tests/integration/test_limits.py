"""Rate limits and the longest message (channels/limits.py), and the REST channel's
use of them (channels/rest.py) on a real Sanic server.

* The token buckets, the notices and the settings, with the clock injected.
* The Redis-backed limiter against the real Redis (127.0.0.1:6379, a key prefix
  of its own, deleted afterwards): two limiters, as two Rasa replicas, share one
  count; an unreachable Redis fails open with one log line.
* The REST channel's blueprint mounted on a bare Sanic app, served on loopback,
  with a stand-in for Rasa's message handler that records what Rasa would get
  (the real Rasa server is in tests/e2e/test_hardening.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from support.net import free_port
from support.services import need_redis
from support.stack import SECRETS, StubAPI

from bot.screening.messages import render
from channels.limits import (
    Decision,
    Limiter,
    LimitSettings,
    Notices,
    Rate,
    TokenBuckets,
    client_address,
    cut,
)

REDIS_URL = "redis://127.0.0.1:6379/0"
TOO_FAST_TEXT = render("too_fast")["text"]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


# --------------------------------------------------------------------------- #
# Buckets, notices, settings
# --------------------------------------------------------------------------- #


def test_rate_parses_count_per_seconds_and_off():
    assert Rate.parse("20/60", "1/1") == Rate(20, 60.0)
    assert Rate.parse(None, "30/60") == Rate(30, 60.0)
    assert Rate.parse("", "30/60") == Rate(30, 60.0)
    assert Rate.parse("off", "30/60") is None
    assert Rate.parse("0", "30/60") is None
    for wrong in ("abc", "5/0", "-1/60", "3/x"):
        with pytest.raises(ValueError):
            Rate.parse(wrong, "30/60")


def test_a_bucket_lets_a_burst_through_then_refills_at_its_rate():
    clock = Clock()
    buckets = TokenBuckets(Rate(3, 30), clock)  # a token every 10 s

    assert [bool(buckets.take("a")) for _ in range(3)] == [True, True, True]
    refused = buckets.take("a")
    assert not refused and refused.retry_after == 10
    assert buckets.take("b")  # another key has its own bucket

    clock.now += 4
    assert buckets.take("a").retry_after == 6  # still short; says how long
    clock.now += 6
    assert buckets.take("a")
    assert not buckets.take("a")
    clock.now += 1000  # a long pause refills to the burst, not beyond
    assert [bool(buckets.take("a")) for _ in range(4)] == [True, True, True, False]


def test_buckets_forget_the_least_recently_used_keys_beyond_their_size():
    clock = Clock()
    buckets = TokenBuckets(Rate(1, 60), clock, max_keys=2)
    buckets.take("a")
    buckets.take("b")
    buckets.take("c")  # "a" is forgotten: it starts with a full bucket again
    assert buckets.take("a")
    assert not buckets.take("c")


def test_a_notice_is_given_once_per_window():
    clock = Clock()
    notices = Notices(clock)
    assert notices.first("k", 60)
    assert not notices.first("k", 60)
    assert notices.first("other", 60)
    clock.now += 60
    assert notices.first("k", 60)


def test_settings_from_the_environment_and_their_defaults():
    default = LimitSettings.from_env({})
    assert default.per_sender == Rate(30, 60)
    assert default.per_address == Rate(120, 60)
    assert default.max_chars == 2000 and default.redis_url is None
    assert default.trusted_proxies == 0
    assert default.is_exempt("127.0.0.1") and default.is_exempt("::1")
    assert not default.is_exempt("192.0.2.7") and not default.is_exempt(None)

    custom = LimitSettings.from_env(
        {
            "RATE_LIMIT_PER_SENDER": "5/10",
            "RATE_LIMIT_PER_ADDRESS": "off",
            "MAX_MESSAGE_CHARS": "300",
            "RATE_LIMIT_REDIS_URL": REDIS_URL,
            "TRUSTED_PROXY_COUNT": "1",
            "RATE_LIMIT_EXEMPT": "10.0.0.0/8, 192.0.2.1",
        }
    )
    assert custom.per_sender == Rate(5, 10) and custom.per_address is None
    assert custom.max_chars == 300 and custom.redis_url == REDIS_URL
    assert custom.trusted_proxies == 1
    assert custom.is_exempt("10.1.2.3") and custom.is_exempt("192.0.2.1")
    assert not custom.is_exempt("127.0.0.1")
    assert not LimitSettings.from_env({"RATE_LIMIT_EXEMPT": ""}).is_exempt("127.0.0.1")
    with pytest.raises(ValueError):
        LimitSettings.from_env({"RATE_LIMIT_PER_SENDER": "twenty"})
    with pytest.raises(ValueError):
        LimitSettings.from_env({"MAX_MESSAGE_CHARS": "0"})


def test_the_client_address_trusts_forwarded_for_only_behind_our_proxies():
    header = "203.0.113.9, 198.51.100.2, 10.0.0.5"
    assert client_address("10.0.0.1", header, 0) == "10.0.0.1"  # anyone can send it
    assert client_address("10.0.0.1", header, 1) == "10.0.0.5"
    assert client_address("10.0.0.1", header, 2) == "198.51.100.2"
    assert client_address("10.0.0.1", header, 9) == "203.0.113.9"
    assert client_address("10.0.0.1", None, 1) == "10.0.0.1"


def test_cut_shortens_only_long_texts():
    assert cut("x" * 10_000, 2000) == "x" * 2000
    assert cut("short", 2000) == "short"
    assert cut(None, 5) is None


def settings(**values: Any) -> LimitSettings:
    base = {
        "per_sender": Rate(2, 60),
        "per_address": Rate(3, 60),
        "exempt": (),
    }
    return LimitSettings(**{**base, **values})


def test_the_limiter_checks_the_address_then_the_sender():
    clock = Clock()
    limiter = Limiter(settings(), clock=clock)

    async def scenario() -> list[Decision]:
        return [
            await limiter.check("alice", "192.0.2.1"),
            await limiter.check("alice", "192.0.2.1"),
            await limiter.check("alice", "192.0.2.1"),  # alice: 2 per minute
            await limiter.check("bob", "192.0.2.1"),  # the address: 3 per minute
            await limiter.check("carol", "192.0.2.2"),  # another address
        ]

    decisions = run(scenario())
    assert [d.allowed for d in decisions] == [True, True, False, False, True]
    assert decisions[2].limit == "sender" and decisions[3].limit == "address"
    assert decisions[2].retry_after == 30 and decisions[3].retry_after == 20
    clock.now += 20  # one address token back; bob has his own full bucket
    assert run(limiter.check("bob", "192.0.2.1"))


def test_exempt_addresses_and_switched_off_limits_are_never_limited():
    limiter = Limiter(settings(exempt=(__import__("ipaddress").ip_network("::1"),)))
    open_limiter = Limiter(settings(per_sender=None, per_address=None))

    async def scenario() -> list[bool]:
        return [bool(await limiter.check("a", "::1")) for _ in range(10)] + [
            bool(await open_limiter.check("a", "192.0.2.1")) for _ in range(10)
        ]

    assert all(run(scenario()))


# --------------------------------------------------------------------------- #
# Redis
# --------------------------------------------------------------------------- #


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    need_redis()
    prefix = f"test:ratelimit:{uuid.uuid4().hex}"
    yield prefix
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_two_limiters_on_redis_share_one_count(redis_prefix: str):
    config = settings(redis_url=REDIS_URL, per_sender=Rate(3, 2), per_address=None)
    first = Limiter(config, redis_prefix=redis_prefix)
    second = Limiter(config, redis_prefix=redis_prefix)

    async def scenario() -> tuple[list[Decision], list[bool], bool]:
        decisions = [
            await (first if i % 2 else second).check("alice", "192.0.2.1")
            for i in range(5)
        ]
        notices = [
            await first.first_notice("alice"),
            await second.first_notice("alice"),
        ]
        await asyncio.sleep(2.1)  # the window ends
        after = bool(await first.check("alice", "192.0.2.1"))
        await first.close()
        await second.close()
        return decisions, notices, after

    decisions, notices, after = run(scenario())
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert 1 <= decisions[3].retry_after <= 2
    assert notices == [True, False]  # one notice per window, across replicas
    assert after
    assert first.redis is not None and first._redis_down_until == 0.0


def test_an_unreachable_redis_fails_open_with_one_log_line(caplog):
    clock = Clock()
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    limiter = Limiter(settings(redis_url=dead, per_sender=Rate(2, 60)), clock=clock)

    async def scenario() -> list[bool]:
        return [bool(await limiter.check("alice", None)) for _ in range(3)]

    with caplog.at_level(logging.WARNING, logger="channels.limits"):
        allowed = run(scenario())
    # Open, but not unlimited: this process's own buckets stand in.
    assert allowed == [True, True, False]
    lines = [r.getMessage() for r in caplog.records if r.name == "channels.limits"]
    assert len(lines) == 1 and "Redis unreachable" in lines[0]


# --------------------------------------------------------------------------- #
# The REST channel on a bare Sanic server
# --------------------------------------------------------------------------- #


class FakeRasa:
    """Stands in for Rasa's message handler: records messages, replies or not."""

    def __init__(self) -> None:
        self.received: list[Any] = []
        self.silent = False

    async def __call__(self, message: Any) -> None:
        self.received.append(message)
        if not self.silent:
            await message.output_channel.send_text_message(
                message.sender_id, f"echo {len(message.text)}"
            )


class Served:
    """A Sanic app with the REST channel, served on loopback in a thread.

    One per module: Sanic 21.12 cannot prepare a second app in one process. Each
    test gives the channel a limiter of its own (:meth:`reset`).
    """

    def __init__(self) -> None:
        from sanic import Sanic

        from channels.rest import RestInput
        from channels.telegram import TelegramInput

        self.rasa = FakeRasa()
        self.channel = RestInput(Limiter(settings()))
        self.api = StubAPI()
        self.telegram = TelegramInput.from_credentials(
            {
                "access_token": SECRETS["TELEGRAM_BOT_TOKEN"],
                "secret_token": SECRETS["TELEGRAM_SECRET_TOKEN"],
                "api_url": self.api.url,
            }
        )
        self.app = Sanic(f"rest_test_{uuid.uuid4().hex[:8]}")
        self.app.blueprint(
            self.channel.blueprint(self.rasa), url_prefix="/webhooks/rest"
        )
        self.app.blueprint(
            self.telegram.blueprint(self.rasa), url_prefix="/webhooks/telegram"
        )
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def reset(self, limiter: Limiter) -> Served:
        self.channel.limiter = limiter
        self.telegram.limiter = limiter
        self.rasa.received.clear()
        self.rasa.silent = False
        self.api.take()
        return self

    def start(self) -> Served:
        async def serve() -> Any:
            server = await self.app.create_server(
                host="127.0.0.1", port=self.port, return_asyncio_server=True
            )
            await server.startup()
            return server

        self.api.start()
        self.server = self.loop.run_until_complete(serve())
        self.thread.start()
        return self

    def stop(self) -> None:
        self.api.stop()
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)

    def post(
        self,
        body: Any,
        headers: dict[str, str] | None = None,
        channel: str = "rest",
    ) -> tuple[int, dict[str, str], Any]:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/webhooks/{channel}/webhook",
            data=data,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, dict(answer.headers), json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), json.loads(error.read() or b"null")


@pytest.fixture(scope="module")
def server() -> Iterator[Served]:
    running = Served().start()
    yield running
    running.stop()


@pytest.fixture
def served(server: Served) -> Served:
    return server.reset(
        Limiter(settings(per_sender=Rate(2, 60), per_address=Rate(4, 60), max_chars=50))
    )


def test_rest_over_the_sender_limit_gets_429_and_is_not_passed_on(served: Served):
    statuses = [served.post({"sender": "s1", "message": "hi"})[0] for _ in range(2)]
    status, headers, body = served.post({"sender": "s1", "message": "hi"})

    assert statuses == [200, 200]
    assert status == 429 and headers["Retry-After"] == "30"
    assert body == [{"recipient_id": "s1", "text": render("too_fast")["text"]}]
    assert len(served.rasa.received) == 2


def test_rest_over_the_address_limit_gets_429(served: Served):
    # Loopback is not exempt here; every sender shares the address's 4 per minute.
    results = [served.post({"sender": f"s{i}", "message": "hi"}) for i in range(5)]
    assert [r[0] for r in results] == [200, 200, 200, 200, 429]
    assert results[4][1]["Retry-After"] == "15"
    assert results[4][2][0]["recipient_id"] == "s4"


def test_rest_cuts_long_messages_before_rasa(served: Served):
    status, _, body = served.post({"sender": "s1", "message": "x" * 10_000})
    assert status == 200 and body == [{"recipient_id": "s1", "text": "echo 50"}]
    assert served.rasa.received[0].text == "x" * 50
    assert served.rasa.received[0].input_channel == "rest"


def test_rest_answers_a_turn_without_reply_with_the_kind_message(served: Served):
    served.rasa.silent = True
    status, _, body = served.post({"sender": "s1", "message": "hi"})
    assert status == 200
    assert body == [{"recipient_id": "s1", "text": render("no_reply")["text"]}]


def test_rest_refuses_bodies_that_are_not_a_message(served: Served):
    for body in ([1, 2], {"message": "no sender"}, {"sender": "s", "message": 5}):
        assert served.post(body)[0] == 400, body
    assert served.post(b"{not json")[0] == 400
    assert served.rasa.received == []


def test_rest_trusts_forwarded_for_only_when_told_to(server: Served):
    def say(sender: str, forwarded: str) -> int:
        body = {"sender": sender, "message": "hi"}
        return server.post(body, {"X-Forwarded-For": forwarded})[0]

    one_proxy = settings(per_sender=None, per_address=Rate(1, 60), trusted_proxies=1)
    server.reset(Limiter(one_proxy))
    assert [say("a", "x, 192.0.2.1"), say("b", "192.0.2.1"), say("c", "192.0.2.2")] == [
        200,
        429,
        200,
    ]
    no_proxy = settings(per_sender=None, per_address=Rate(1, 60))
    server.reset(Limiter(no_proxy))  # the header is ignored: all are 127.0.0.1
    assert [say("a", "192.0.2.1"), say("b", "192.0.2.2")] == [200, 429]


def test_the_channels_share_the_process_limiter_by_default():
    from channels.limits import shared_limiter
    from channels.rest import RestInput
    from channels.socketio import SocketIOInput

    assert RestInput().limiter is shared_limiter()
    assert SocketIOInput().limiter is shared_limiter()


# --------------------------------------------------------------------------- #
# A messaging webhook (Telegram) on the same server, replies to the stub API
# --------------------------------------------------------------------------- #


def telegram_update(served: Served, update_id: int, text: str) -> int:
    update = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "chat": {"id": 4242, "type": "private"},
            "text": text,
        },
    }
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRETS["TELEGRAM_SECRET_TOKEN"]}
    return served.post(update, headers, channel="telegram")[0]


def sent_texts(served: Served) -> list[str]:
    return [
        c.json["text"] for c in served.api.take() if c.path.endswith("/sendMessage")
    ]


def test_messaging_over_the_limit_answers_200_and_tells_the_person_once(
    served: Served,
):
    statuses = [telegram_update(served, 100 + i, "x" * 3000) for i in range(5)]

    assert statuses == [200] * 5  # the platform must not retry
    assert len(served.rasa.received) == 2  # 2 per minute per sender
    assert all(m.text == "x" * 50 for m in served.rasa.received)  # cut
    assert sent_texts(served) == ["echo 50", "echo 50", TOO_FAST_TEXT]


def test_messaging_turn_without_reply_gets_the_kind_message(served: Served):
    served.rasa.silent = True
    assert telegram_update(served, 200, "hello") == 200
    assert sent_texts(served) == [render("no_reply")["text"]]
