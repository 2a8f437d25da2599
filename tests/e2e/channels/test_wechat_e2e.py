"""WeChat against two running Rasa replicas that share one database and one Redis.

Each replica is the project's stack (action server + Rasa server) with the WeChat
channel of ``credentials.yml`` enabled (test secrets in the environment, mode
``compatible`` so that plain and safe-mode messages are both taken, texts split
at 100 characters and menu titles of at most 12 so that splitting and numbering
show). Requests are the message server's documented payloads (XML), signed as
WeChat signs them (and encrypted, in safe mode); a stub of WeChat's API on
loopback serves the access token and receives the customer service messages.

Checked: the server check; texts, menu messages and numbered options; splitting;
one token fetch shared by both replicas (and a new one when the API refuses it);
retries answered exactly once across replicas; forged, wrongly encrypted, stale,
entity-expanding and 10 MB requests refused without touching a conversation; and
complete Chinese screenings, one ending in a referral and one ineligible.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from support.services import need_model, need_redis
from support.stack import ROOT, Stack, free_port, running_stack, screening_of

from bot.screening.language import has_cjk
from bot.screening.messages import catalogue
from bot.settings import load_settings, sender_secret
from channels.identity import conversation_id
from channels.text import text_length
from channels.wechat import NUMBERED_HINT_ZH, TEXT_ONLY_REPLY_ZH
from channels.wechat_crypto import WeChatCrypto
from ops.answers import LIKELY_ZH
from ops.screening import asked_fact, opening, run_screening, texts

pytestmark = pytest.mark.e2e

RUN = int(time.time()) % 1_000_000
#: A new AppID each run: the shared token in Redis is keyed by it.
APP_ID = f"wx{RUN:06d}e2e0c0de"
TOKEN = "wechat-e2e-token-31"
AES_KEY = base64.b64encode(hashlib.sha256(b"e2e").digest()).decode().rstrip("=")
TEXT_LIMIT = 100
MENU_TITLE = 12
MARKER = "FORGED-CONTENT-wx-e2e"
ZH = catalogue("zh")
CONSENT = ZH["ask_screening_consent"]["buttons"]
_msg_ids = itertools.count(int(time.time() * 1000) * 1000)
_openids = itertools.count(1)


def new_openid() -> str:
    """A WeChat OpenID (28 characters) for a new person."""
    return f"oE2E{RUN:06d}{next(_openids):04d}x" + "q" * 13


# --------------------------------------------------------------------------- #
# The stub WeChat API
# --------------------------------------------------------------------------- #


@dataclass
class WeChatStub:
    """``GET /cgi-bin/token`` and ``POST /cgi-bin/message/custom/send``."""

    port: int = field(default_factory=free_port)
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)
    sends: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    #: The one valid token (a new one invalidates the old one, as on WeChat).
    valid: str = ""

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def reply(self, answer: dict[str, Any]) -> None:
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                parts = urllib.parse.urlsplit(self.path)
                if parts.path != "/cgi-bin/token":
                    return self.reply({"errcode": 404})
                time.sleep(0.3)  # slow, so that replicas would overlap
                with stub.lock:
                    stub.token_requests.append(urllib.parse.parse_qs(parts.query))
                    stub.valid = f"TOKEN_{RUN}_{len(stub.token_requests)}"
                    token = stub.valid
                self.reply({"access_token": token, "expires_in": 7200})

            def do_POST(self) -> None:  # noqa: N802
                parts = urllib.parse.urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                token = urllib.parse.parse_qs(parts.query).get("access_token", [""])[0]
                if parts.path != "/cgi-bin/message/custom/send":
                    return self.reply({"errcode": 404})
                with stub.lock:
                    if token != stub.valid:
                        return self.reply({"errcode": 40001, "errmsg": "invalid"})
                    stub.sends.append((token, json.loads(body)))
                self.reply({"errcode": 0, "errmsg": "ok"})

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def to(self, openid: str) -> list[dict[str, Any]]:
        """The messages sent to one person, oldest first."""
        with self.lock:
            return [m for _, m in self.sends if m.get("touser") == openid]


@pytest.fixture(scope="module")
def wechat_api() -> Iterator[WeChatStub]:
    stub = WeChatStub()
    thread = threading.Thread(target=stub.server.serve_forever, daemon=True)
    thread.start()
    yield stub
    stub.server.shutdown()
    stub.server.server_close()


@pytest.fixture(scope="module")
def replicas(
    tmp_path_factory: pytest.TempPathFactory, wechat_api: WeChatStub
) -> Iterator[tuple[Stack, Stack]]:
    """Two Rasa replicas (each with its action server): one database, one Redis."""
    need_model()
    redis_url = need_redis()
    work = tmp_path_factory.mktemp("wechat")
    block = "channels.wechat.WeChatInput:\n"
    text = (ROOT / "credentials.yml").read_text()
    assert block in text
    credentials = work / "credentials.yml"
    credentials.write_text(
        text.replace(
            block, f"{block}  max_chars: {TEXT_LIMIT}\n  menu_title: {MENU_TITLE}\n"
        )
    )
    env = {
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": "e2e-app-secret-0123456789",
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_ENCODING_AES_KEY": AES_KEY,
        "WECHAT_MODE": "compatible",
        "WECHAT_API_URL": wechat_api.url,
        "CHANNEL_STATE_REDIS_URL": redis_url,
    }
    first = tmp_path_factory.mktemp("replica1")
    with running_stack(first, env, credentials) as one:
        shared = {k: one.env[k] for k in ("DATABASE_URL", "TRACKER_DB", "CONTACT_KEY")}
        second = tmp_path_factory.mktemp("replica2")
        with running_stack(second, {**env, **shared}, credentials) as two:
            yield one, two


# --------------------------------------------------------------------------- #
# WeChat's side
# --------------------------------------------------------------------------- #


def sha1_signature(*parts: str) -> str:
    """WeChat's signature, written out: SHA-1 of the sorted parts, joined."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def xml(**fields: str) -> str:
    """A message as the message server documents it."""
    inner = "".join(
        f"<{k}>{v}</{k}>" if v.isdigit() else f"<{k}><![CDATA[{v}]]></{k}>"
        for k, v in fields.items()
    )
    return f"<xml>{inner}</xml>"


def text_xml(openid: str, content: str, msg_id: int | None = None, **more: str) -> str:
    return xml(
        ToUserName="gh_e2e0a1b2c3d4",
        FromUserName=openid,
        CreateTime=str(int(time.time())),
        MsgType="text",
        Content=content,
        MsgId=str(msg_id or next(_msg_ids)),
        **more,
    )


def deliver(
    replica: Stack,
    body: str | bytes,
    *,
    safe: bool = True,
    token: str = TOKEN,
    key: str = AES_KEY,
    age: int = 0,
    nonce: str = "1320562132",
) -> tuple[int, bytes]:
    """POST a message to a replica's webhook as WeChat does."""
    timestamp = str(int(time.time()) - age)
    query = {
        "signature": sha1_signature(token, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "openid": "unused-by-the-connector",
    }
    data = body if isinstance(body, bytes) else body.encode()
    if safe:
        encrypted = WeChatCrypto(token, key, APP_ID).encrypt(data.decode())
        query["encrypt_type"] = "aes"
        query["msg_signature"] = sha1_signature(token, timestamp, nonce, encrypted)
        data = xml(ToUserName="gh_e2e0a1b2c3d4", Encrypt=encrypted).encode()
    url = f"{replica.rasa_url}/webhooks/wechat/webhook?" + urllib.parse.urlencode(query)
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "text/xml"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def replies(stub: WeChatStub, openid: str, before: int, quiet: float = 2.5) -> list:
    """The messages a turn sent (after ``before`` earlier ones): waits for the first,
    then until none came for ``quiet`` seconds."""
    deadline = time.monotonic() + 120
    count, changed = before, time.monotonic()
    while time.monotonic() < deadline:
        now = len(stub.to(openid))
        if now != count:
            count, changed = now, time.monotonic()
        elif count > before and time.monotonic() - changed >= quiet:
            break
        time.sleep(0.1)
    return stub.to(openid)[before:]


def as_replies(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Customer service messages as Rasa-style replies (text and buttons)."""
    out = []
    for message in messages:
        if message["msgtype"] == "msgmenu":
            menu = message["msgmenu"]
            buttons = [{"title": item["content"]} for item in menu["list"]]
            out.append({"text": menu["head_content"], "buttons": buttons})
        else:
            out.append({"text": message["text"]["content"]})
    return out


class Person:
    """Someone chatting with the Official Account, alternating replicas."""

    def __init__(self, stub: WeChatStub, stacks: tuple[Stack, Stack]) -> None:
        self.stub, self.stacks = stub, stacks
        self.openid = new_openid()
        self.turn = 0
        self.menu: dict[str, str] = {}
        self.seen: list[dict[str, Any]] = []
        self.turns: list[list[dict[str, Any]]] = []

    def send(self, body: str, *, safe: bool = True) -> list[dict[str, Any]]:
        before = len(self.stub.to(self.openid))
        replica = self.stacks[self.turn % 2]
        self.turn += 1
        status, answer = deliver(replica, body, safe=safe)
        assert (status, answer) == (200, b"success")
        sent = replies(self.stub, self.openid, before)
        self.seen += sent
        self.turns.append(sent)
        menus = [m for m in sent if m["msgtype"] == "msgmenu"]
        self.menu = (
            {i["content"]: i["id"] for i in menus[-1]["msgmenu"]["list"]}
            if menus
            else {}
        )
        return sent

    def say(self, _: str, text: str) -> list[dict[str, Any]]:
        """For :func:`ops.screening.run_screening`: a menu item is tapped."""
        extra = {"bizmsgmenuid": self.menu[text]} if text in self.menu else {}
        return as_replies(self.send(text_xml(self.openid, text, **extra)))

    def subscribe(self) -> list[dict[str, Any]]:
        event = xml(
            ToUserName="gh_e2e0a1b2c3d4",
            FromUserName=self.openid,
            CreateTime=str(int(time.time())),
            MsgType="event",
            Event="subscribe",
        )
        return self.send(event)


def recorded(stack: Stack, openid: str) -> Any:
    key = conversation_id("wechat", openid, sender_secret(load_settings(stack.env)))
    return screening_of(stack, "wechat", key)


# --------------------------------------------------------------------------- #
# Tests
# --------------------------------------------------------------------------- #


def test_the_server_check_answers_only_a_signed_challenge(replicas):
    one, _ = replicas
    timestamp, nonce = str(int(time.time())), "2094611426"
    query = {
        "signature": sha1_signature(TOKEN, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "echostr": "5837397520665436492",
    }
    url = f"{one.rasa_url}/webhooks/wechat/webhook?"
    with urllib.request.urlopen(url + urllib.parse.urlencode(query)) as answer:
        assert (answer.status, answer.read()) == (200, b"5837397520665436492")
    query["signature"] = sha1_signature("guessed", timestamp, nonce)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url + urllib.parse.urlencode(query))
    assert refused.value.code == 403


def test_a_new_follower_is_greeted_in_chinese_split_with_a_menu_and_one_token(
    replicas, wechat_api
):
    person = Person(wechat_api, replicas)
    sent = person.subscribe()  # safe mode, replica one

    assert len(sent) >= 3  # the opening is longer than 100 characters
    *parts, menu = sent
    assert all(m["msgtype"] == "text" for m in parts)
    assert menu["msgtype"] == "msgmenu"
    assert [i["content"] for i in menu["msgmenu"]["list"]] == CONSENT
    shown = [m["text"]["content"] for m in parts] + [menu["msgmenu"]["head_content"]]
    assert all(text_length(p) <= TEXT_LIMIT for p in shown)
    assert all(p.endswith(("。", "？", "！", "）")) for p in shown), shown
    assert "现在开始吗？" in shown[-1]

    # Plain mode, on the other replica, from someone else: the same token.
    other = Person(wechat_api, (replicas[1], replicas[0]))
    sent = other.send(text_xml(other.openid, "您好，我想问问这个研究"), safe=False)
    assert sent[-1]["msgtype"] == "msgmenu"
    assert len(wechat_api.token_requests) == 1
    assert wechat_api.token_requests[0]["appid"] == [APP_ID]
    assert len({token for token, _ in wechat_api.sends}) == 1

    # A picture gets a kind answer in Chinese; nothing reaches Rasa.
    picture = xml(
        ToUserName="gh_e2e0a1b2c3d4",
        FromUserName=other.openid,
        CreateTime=str(int(time.time())),
        MsgType="image",
        PicUrl="http://mmbiz.qpic.cn/x.jpg",
        MediaId="media_id_1",
        MsgId=str(next(_msg_ids)),
    )
    assert [m["text"]["content"] for m in other.send(picture)] == [TEXT_ONLY_REPLY_ZH]


def test_retries_are_answered_exactly_once_across_replicas(replicas, wechat_api):
    openid = new_openid()
    body = text_xml(openid, "你好", msg_id=next(_msg_ids))

    for attempt in range(4):  # the message, then WeChat's three retries
        assert deliver(replicas[attempt % 2], body) == (200, b"success")
    sent = replies(wechat_api, openid, 0, quiet=4.0)

    menus = [m for m in sent if m["msgtype"] == "msgmenu"]
    assert len(menus) == 1, sent
    assert len(sent) == len({json.dumps(m, ensure_ascii=False) for m in sent})


def test_refused_requests_touch_no_conversation(replicas, wechat_api):
    openid = new_openid()
    body = text_xml(openid, MARKER)
    wrong_key = base64.b64encode(hashlib.sha256(b"other").digest()).decode()[:43]
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        + text_xml(openid, f"&lol3;{MARKER}")
    )
    huge = text_xml(openid, MARKER + "肝" * (10 * 1024 * 1024 // 3))

    for replica in replicas:
        assert deliver(replica, body, token="guessed-token")[0] == 403
        assert deliver(replica, body, key=wrong_key)[0] == 403
        assert deliver(replica, body, age=3600)[0] == 403
        assert deliver(replica, bomb, safe=False)[0] == 403
        assert deliver(replica, huge, safe=False)[0] == 403

    time.sleep(3)
    assert wechat_api.to(openid) == []
    with pytest.raises(AssertionError, match="no screening"):
        recorded(replicas[0], openid)
    for replica in replicas:
        log = replica.log("rasa")
        assert "wechat: refused a webhook request" in log
        for reason in ("wrong signature", "wrong key", "stale timestamp"):
            assert reason in log
        assert "DOCTYPE or ENTITY" in log and "body too large" in log
        assert MARKER not in log and openid not in log


def screen(person: Person, answers: dict[str, str]) -> Any:
    """A whole screening: the subscribe greeting, then the scripted answers."""
    greeting = as_replies(person.subscribe())
    assert CONSENT[0] in "\n".join(b["title"] for b in greeting[-1]["buttons"])
    steps = opening("zh")[1:]  # the greeting was the subscribe event
    return run_screening(
        person.say, person.openid, answers, respondent="我自己", steps=steps
    )


def all_chinese(person: Person) -> None:
    """Every turn answered in Chinese (a part of a split message may hold only
    the site's English address, so turns are checked, not parts)."""
    for sent in person.turns:
        assert has_cjk(texts(as_replies(sent))), sent


def test_a_complete_chinese_screening_ends_in_a_referral(replicas, wechat_api):
    person = Person(wechat_api, replicas)
    # The encephalopathy options are longer than 12 characters: numbered, and
    # answered with a number.
    transcript = screen(person, {**LIKELY_ZH, "encephalopathy": "1"})

    assert "encephalopathy" in transcript.asked
    numbered = [
        m["text"]["content"]
        for m in person.seen
        if m["msgtype"] == "text" and "1. 没有糊涂\n2. " in m["text"]["content"]
    ]
    assert numbered and numbered[-1].endswith(NUMBERED_HINT_ZH)
    all_chinese(person)
    assert recorded(replicas[0], person.openid).outcome == "likely_eligible"

    for text in ("好的", "王芳", "139 1012 3456", "没有邮箱", "工作日上午"):
        sent = person.say("", text)
        assert sent and all(has_cjk(r["text"]) for r in sent), sent
    assert "+8613910123456" in texts(sent)
    sent = person.say("", "对，没错")
    assert "SCR-" in texts(sent), texts(sent)

    screening = recorded(replicas[1], person.openid)
    assert (screening.channel, screening.outcome) == ("wechat", "likely_eligible")
    assert screening.conversation_id != person.openid
    tracker = open(replicas[0].env["TRACKER_DB"], "rb").read()
    assert person.openid.encode() not in tracker


def test_a_complete_chinese_screening_ending_ineligible(replicas, wechat_api):
    person = Person(wechat_api, replicas)
    answers = {**LIKELY_ZH, "bilirubin": "总胆红素五十二，单位是微摩尔每升"}

    transcript = screen(person, answers)

    all_chinese(person)
    assert asked_fact(transcript.last) is None
    screening = recorded(replicas[0], person.openid)
    assert (screening.channel, screening.outcome) == ("wechat", "ineligible")


def test_a_refused_token_is_renewed_once_for_both_replicas(replicas, wechat_api):
    fetched = len(wechat_api.token_requests)
    wechat_api.valid = "renewed-by-another-tool"  # the replicas' token is refused

    first = Person(wechat_api, replicas)
    assert first.send(text_xml(first.openid, "你好"))  # replica one: renews, resends
    second = Person(wechat_api, (replicas[1], replicas[0]))
    assert second.send(text_xml(second.openid, "你好"))  # replica two: Redis's new one

    # Replica two may still hold the old token in memory, be refused once and take
    # the new one from Redis; either way WeChat was asked for exactly one more.
    assert len(wechat_api.token_requests) == fetched + 1
    tokens = [t for t, m in wechat_api.sends if m["touser"] == second.openid]
    assert set(tokens) == {f"TOKEN_{RUN}_{fetched + 1}"}
