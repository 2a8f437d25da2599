"""Hardening, against the real servers (issue 6): rate limits and the longest
message on the real Rasa server, the kind message when the action server is down,
the action server's token and address, and Rasa's HTTP API off or behind a token.

Two Rasa servers start once for the module (ops.stack; the trained model, SQLite
tracker stores in a temporary folder), side by side to save time:

* ``guarded``: deploy-style endpoints (the action endpoint with ``token:``), the
  action server (``python -m actions.server``) with ``ACTION_SERVER_TOKEN``, the
  HTTP API on with ``--auth-token``, low limits (3 messages per 30 s per sender, 8
  per minute per address, loopback not exempt, one trusted proxy: each test sends
  ``X-Forwarded-For`` with an address of its own, so tests do not share a bucket);
* ``plain``: started as ``scripts/run.sh`` starts Rasa without ``RASA_API_TOKEN``
  (no ``--enable-api``).

The test that stops the action server runs last.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support.services import need_model

from bot.screening.messages import render
from ops.stack import Server, action_server, base_env, rasa_server, rasa_url

pytestmark = pytest.mark.e2e

TOO_FAST = render("too_fast")["text"]
NO_REPLY = render("no_reply")["text"]
ENDPOINTS = """\
action_endpoint:
  url: http://127.0.0.1:${ACTION_PORT}/webhook
  token: ${ACTION_SERVER_TOKEN}
tracker_store:
  type: SQL
  dialect: "sqlite"
  db: ${TRACKER_DB}
"""
#: Settings a developer's shell might hold, which would change what is tested.
CLEARED = (
    "RATE_LIMIT_PER_SENDER",
    "RATE_LIMIT_PER_ADDRESS",
    "RATE_LIMIT_EXEMPT",
    "RATE_LIMIT_REDIS_URL",
    "MAX_MESSAGE_CHARS",
    "TRUSTED_PROXY_COUNT",
    "ACTION_SERVER_TOKEN",
    "ACTION_HOST",
)


@dataclass
class Stack:
    """The running servers."""

    actions: Server
    guarded: Server
    plain: Server
    action_token: str
    api_token: str

    @property
    def url(self) -> str:
        return rasa_url(self.guarded)

    @property
    def action_url(self) -> str:
        return self.actions.health_url.rsplit("/", 1)[0]


def clean_env(work: Path, **extra: str) -> dict[str, str]:
    env = base_env(work)
    for name in CLEARED:
        env.pop(name, None)
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    need_model()
    work = tmp_path_factory.mktemp("hardening")
    plain_work = work / "plain"
    plain_work.mkdir()
    action_token, api_token = uuid.uuid4().hex, uuid.uuid4().hex
    env = clean_env(
        work,
        ACTION_SERVER_TOKEN=action_token,
        RATE_LIMIT_PER_SENDER="3/30",
        RATE_LIMIT_PER_ADDRESS="8/60",
        RATE_LIMIT_EXEMPT="",
        TRUSTED_PROXY_COUNT="1",
    )
    endpoints = work / "endpoints.yml"
    endpoints.write_text(ENDPOINTS)
    actions = action_server(work, env)
    action_port = int(actions.env["ACTION_PORT"])
    guarded = rasa_server(
        work,
        env,
        action_port=action_port,
        endpoints=endpoints,
        extra_args=["--enable-api", "--auth-token", api_token],
        name="guarded",
    )
    plain = rasa_server(
        plain_work, clean_env(plain_work), action_port=action_port, name="plain"
    )
    servers = [actions, guarded, plain]
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready(600)
        yield Stack(actions, guarded, plain, action_token, api_token)
    finally:
        for server in servers:
            server.close()


# --------------------------------------------------------------------------- #
# Helpers
# --------------------------------------------------------------------------- #


def new_address() -> str:
    """A client address of one test's own (sent as X-Forwarded-For)."""
    raw = uuid.uuid4().bytes
    return f"10.{raw[0]}.{raw[1]}.{raw[2]}"


def http(
    method: str,
    url: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 180,
) -> tuple[int, dict[str, str], Any]:
    """One HTTP call: status, headers and the decoded JSON body (or text)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            status, head, raw = answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        status, head, raw = error.code, dict(error.headers), error.read()
    try:
        return status, head, json.loads(raw or b"null")
    except ValueError:
        return status, head, raw.decode(errors="replace")


def say(
    stack: Stack, sender: str, text: str, address: str
) -> tuple[int, dict[str, str], Any]:
    return http(
        "POST",
        f"{stack.url}/webhooks/rest/webhook",
        {"sender": sender, "message": text},
        {"X-Forwarded-For": address},
    )


def texts(replies: list[dict]) -> list[str]:
    return [r.get("text") or "" for r in replies]


# --------------------------------------------------------------------------- #
# The action server
# --------------------------------------------------------------------------- #


def test_the_action_server_wants_its_token_except_for_health(stack: Stack):
    token = stack.action_token
    assert http("GET", f"{stack.action_url}/health")[0] == 200
    assert http("GET", f"{stack.action_url}/actions")[0] == 403
    assert http("GET", f"{stack.action_url}/actions?token=wrong")[0] == 403
    assert http("POST", f"{stack.action_url}/webhook", {"next_action": "x"})[0] == 403
    status, _, listed = http("GET", f"{stack.action_url}/actions?token={token}")
    assert status == 200
    assert "action_session_start" in {a["name"] for a in listed}


def test_the_action_server_listens_on_loopback_only(stack: Stack):
    port = int(stack.actions.env["ACTION_PORT"])
    other = [
        address
        for address in _own_addresses()
        if not address.startswith("127.") and address != "::1"
    ]
    if not other:
        pytest.skip("this machine has no address but loopback")
    for address in other:
        with pytest.raises(OSError):
            socket.create_connection((address, port), timeout=2).close()
    socket.create_connection(("127.0.0.1", port), timeout=2).close()


def _own_addresses() -> list[str]:
    import psutil

    return [
        a.address
        for addresses in psutil.net_if_addrs().values()
        for a in addresses
        if a.family in (socket.AF_INET,)
    ]


def test_a_turn_completes_through_the_token_protected_action_server(stack: Stack):
    before = stack.actions.tail(10**7).count("refused")
    status, _, replies = say(stack, uuid.uuid4().hex, "Hello", new_address())
    assert status == 200
    assert replies and NO_REPLY not in texts(replies), replies
    assert stack.actions.tail(10**7).count("refused") == before


# --------------------------------------------------------------------------- #
# Rasa's HTTP API
# --------------------------------------------------------------------------- #


def test_without_an_api_token_rasa_serves_no_http_api(stack: Stack):
    base = rasa_url(stack.plain)
    assert http("GET", f"{base}/conversations/x/tracker")[0] in (404, 405)
    assert http("POST", f"{base}/model/parse", {"text": "hello"})[0] in (404, 405)
    assert http("GET", f"{base}/status")[0] in (404, 405)
    assert http("GET", f"{base}/")[0] == 200  # the health check stays


def test_with_an_api_token_the_api_refuses_calls_without_it(stack: Stack):
    tracker = f"{stack.url}/conversations/x/tracker"
    parse = f"{stack.url}/model/parse"
    assert http("GET", tracker)[0] in (401, 403)
    assert http("GET", f"{tracker}?token=wrong")[0] in (401, 403)
    assert http("POST", parse, {"text": "hello"})[0] in (401, 403)
    assert http("GET", f"{tracker}?token={stack.api_token}")[0] == 200
    status, _, parsed = http("POST", f"{parse}?token={stack.api_token}", {"text": "hi"})
    assert status == 200 and parsed["text"] == "hi"


# --------------------------------------------------------------------------- #
# Limits on the real server
# --------------------------------------------------------------------------- #


def test_rest_rate_limit_429_then_a_normal_answer_after_the_wait(stack: Stack):
    sender, address = uuid.uuid4().hex, new_address()
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(
            pool.map(lambda _: say(stack, sender, "Hello", address), range(6))
        )

    statuses = sorted(r[0] for r in results)
    assert statuses == [200, 200, 200, 429, 429, 429]
    refused = [r for r in results if r[0] == 429]
    for _, headers, body in refused:
        assert 1 <= int(headers["Retry-After"]) <= 10
        assert body == [{"recipient_id": sender, "text": TOO_FAST}]
    for _, _, body in (r for r in results if r[0] == 200):
        assert body and TOO_FAST not in texts(body)

    time.sleep(max(int(h["Retry-After"]) for _, h, _ in refused) + 0.5)
    status, _, replies = say(stack, sender, "Hello", address)
    assert status == 200
    assert replies and not {TOO_FAST, NO_REPLY} & set(texts(replies)), replies


def test_a_10000_character_message_is_answered_and_stored_cut(stack: Stack):
    sender = uuid.uuid4().hex
    message = ("I am fifty two years old and " * 400)[:10_000]
    status, _, replies = say(stack, sender, message, new_address())
    assert status == 200 and replies, replies

    _, _, tracker = http(
        "GET", f"{stack.url}/conversations/{sender}/tracker?token={stack.api_token}"
    )
    said = [e["text"] for e in tracker["events"] if e["event"] == "user"]
    assert said == [message[:2000]]


def test_socketio_rate_limit_answers_with_a_bot_uttered_message(stack: Stack):
    import socketio

    received: list[dict] = []
    client = socketio.Client(reconnection=False)
    client.on("bot_uttered", lambda data: received.append(data))
    session_id = uuid.uuid4().hex
    client.connect(
        stack.url,
        headers={"X-Forwarded-For": new_address()},
        transports=["websocket"],
        wait_timeout=30,
    )
    try:
        client.emit("session_request", {"session_id": session_id})
        time.sleep(1)
        for _ in range(4):
            client.emit("user_uttered", {"message": "Hello", "session_id": session_id})
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            normal = [m for m in received if m.get("text") not in (TOO_FAST, None)]
            if any(m.get("text") == TOO_FAST for m in received) and normal:
                break
            time.sleep(0.5)
        time.sleep(2)
    finally:
        client.disconnect()
    said = [m.get("text") for m in received]
    assert said.count(TOO_FAST) == 1, said
    assert any(t not in (TOO_FAST, NO_REPLY, None) for t in said), said


# --------------------------------------------------------------------------- #
# The action server down (last: it stops and restarts it)
# --------------------------------------------------------------------------- #


def test_the_kind_message_while_the_action_server_is_down(stack: Stack):
    sender, address = uuid.uuid4().hex, new_address()
    status, _, first = say(stack, sender, "Hello", address)
    assert status == 200 and NO_REPLY not in texts(first)

    stack.actions.stop()
    try:
        status, _, replies = say(stack, sender, "Yes, let's start", address)
        assert status == 200
        assert replies == [{"recipient_id": sender, "text": NO_REPLY}], replies
    finally:
        stack.actions.start().wait_ready(120)

    time.sleep(10)  # a token for this sender again (3 per 30 s)
    status, _, replies = say(stack, sender, "Yes, let's start", address)
    assert status == 200
    assert replies and NO_REPLY not in texts(replies), replies


# --------------------------------------------------------------------------- #
# A message sent again after its reply was lost
# --------------------------------------------------------------------------- #


def test_a_message_sent_again_with_its_id_is_not_taken_as_the_next_answer(
    stack: Stack,
):
    sender, address = uuid.uuid4().hex, new_address()
    assert say(stack, sender, "hi", address)[0] == 200
    body = {
        "sender": sender,
        "message": "Yes, go ahead",
        "message_id": f"msg-{uuid.uuid4().hex[:16]}",
    }
    url = f"{stack.url}/webhooks/rest/webhook"

    first = http("POST", url, body, {"X-Forwarded-For": address})
    again = http("POST", url, body, {"X-Forwarded-For": address})

    assert first[0] == again[0] == 200
    assert "answering for yourself" in "\n".join(texts(first[2]))
    assert texts(again[2]) == texts(first[2])  # the same replies, replayed
    status, _, tracker = http(
        "GET",
        f"{stack.url}/conversations/{sender}/tracker?token={stack.api_token}",
    )
    assert status == 200
    said = [e.get("text") for e in tracker["events"] if e.get("event") == "user"]
    assert said == ["hi", "Yes, go ahead"]  # processed once
