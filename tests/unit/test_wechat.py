"""The WeChat connector without a Rasa server: crypto, refusals, dedupe, replies.

The safe-mode vectors are the ones WeChat's WXBizMsgCrypt sample data gives (as
published with wechatpy's tests): a fixed 16-byte random prefix makes encryption
deterministic, so the ciphertext and ``msg_signature`` must match exactly.
Requests are fake objects with what the connector reads (query arguments, body,
headers, caller); the customer service API is recorded, and the access token is
served by a stub on loopback (shared by two connectors through one Redis).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from support.services import need_redis

from channels.common import Routes, SharedState, conversation_id
from channels.wechat import (
    MAX_TEXT,
    NUMBERED_HINT_ZH,
    TEXT_ONLY_REPLY_ZH,
    WeChatInput,
    WeChatOutput,
    message_key,
)
from channels.wechat_api import AccessTokens, CustomerService
from channels.wechat_crypto import (
    BadMessage,
    WeChatCrypto,
    fresh,
    parse_xml,
    signature,
)

# WXBizMsgCrypt sample data.
V_TOKEN = "123456"
V_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
V_APP = "wx49f0ab532d5d035a"
V_REPLY = """<xml>
<MsgType><![CDATA[text]]></MsgType>
<Content><![CDATA[test]]></Content>
<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>
<ToUserName><![CDATA[messense]]></ToUserName>
<AgentID>1</AgentID>
<CreateTime>1411525903</CreateTime>
</xml>"""
V_ENCRYPTED = (
    "9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHr"
    "luLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstt"
    "tyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9"
    "FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIk"
    "dQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3"
)

TOKEN = "wechat-test-token"
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")
APP_ID = "wx0123456789abcdef"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
MARKER = "FORGED-CONTENT-wx-5b2"


def test_encryption_matches_the_published_vector():
    crypto = WeChatCrypto(V_TOKEN, V_KEY, V_APP)

    encrypted = crypto.encrypt(V_REPLY, random=b"1234567890123456")

    assert encrypted == V_ENCRYPTED
    assert (
        signature(V_TOKEN, "1411525903", "461056294", encrypted)
        == "407518b7649e86ef23978113f92d27afa9296533"
    )
    assert crypto.decrypt(encrypted) == V_REPLY


def test_a_round_trip_in_chinese_and_a_wrong_key_or_app_refused():
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    text = "<xml><Content><![CDATA[我有乙肝，肝硬化十年了]]></Content></xml>"

    encrypted = crypto.encrypt(text)
    assert crypto.decrypt(encrypted) == text
    assert crypto.encrypt(text) != encrypted  # a fresh random prefix each time

    other_key = base64.b64encode(bytes(range(1, 33))).decode().rstrip("=")
    with pytest.raises(BadMessage):
        WeChatCrypto(TOKEN, other_key, APP_ID).decrypt(encrypted)
    with pytest.raises(BadMessage, match="AppID"):
        WeChatCrypto(TOKEN, AES_KEY, "wx-someone-else").decrypt(encrypted)
    with pytest.raises(BadMessage):
        crypto.decrypt("not base64 at all!")
    with pytest.raises(ValueError):
        WeChatCrypto(TOKEN, "too-short", APP_ID)


def test_signature_is_sha1_of_the_sorted_parts():
    parts = ["1700000000", "nonce-1", TOKEN]
    expected = hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()

    assert signature(TOKEN, "1700000000", "nonce-1") == expected
    assert signature(TOKEN, "1700000000", "nonce-2") != expected


def test_timestamps_outside_the_replay_window_are_stale():
    now = 1_700_000_000.0
    assert fresh("1700000000", now)
    assert fresh(str(int(now) - 299), now)
    assert not fresh(str(int(now) - 301), now)
    assert not fresh(str(int(now) + 301), now)
    assert not fresh("", now) and not fresh("-5", now) and not fresh("12abc", now)


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>
<xml><Content>&lol2;</Content></xml>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><C>&xxe;</C></xml>"""


@pytest.mark.parametrize(
    "body, reason",
    [
        (BOMB, "DOCTYPE"),
        (EXTERNAL, "DOCTYPE"),
        (b"<xml><Content>unclosed</xml>", "malformed"),
        (b"<html><body/></html>", "not a WeChat"),
        (b"<xml>" + b"<A>x</A>" * 20_000 + b"</xml>", "too large"),
    ],
)
def test_unsafe_or_malformed_xml_is_refused(body, reason):
    with pytest.raises(BadMessage, match=reason):
        parse_xml(body)


def test_flat_fields_are_read():
    fields = parse_xml(
        b"<xml><ToUserName><![CDATA[gh_1]]></ToUserName><MsgId>42</MsgId>"
        b"<Content><![CDATA[ \xe4\xbd\xa0\xe5\xa5\xbd ]]></Content></xml>"
    )
    assert fields == {"ToUserName": "gh_1", "MsgId": "42", "Content": "你好"}


# --------------------------------------------------------------------------- #
# The connector, with fake requests
# --------------------------------------------------------------------------- #


@dataclass
class FakeRequest:
    """What the connector reads of a Sanic request."""

    args: dict[str, str]
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    ip: str = "203.0.113.7"
    remote_addr: str = ""


class Recorder:
    """Stands in for the customer service API."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send(self, message: dict[str, Any]) -> bool:
        self.sent.append(message)
        return True


def connector(mode: str = "safe", **extra: Any) -> tuple[WeChatInput, Recorder]:
    config = {
        "app_id": APP_ID,
        "app_secret": "secret",
        "token": TOKEN,
        "encoding_aes_key": AES_KEY,
        "mode": mode,
        "api_url": "http://127.0.0.1:9",
        "max_chars": MAX_TEXT,
        "max_body": 64 * 1024,
        "replay_window": 300,
        "menu_max": 6,
        "menu_title": 20,
        **extra,
    }
    channel = WeChatInput(config)
    channel.routes = Routes(channel="wechat", shared=None)
    recorder = Recorder()
    channel.service = recorder  # type: ignore[assignment]
    return channel, recorder


def xml_message(**fields: str) -> str:
    inner = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    return f"<xml>{inner}</xml>"


def text_message(content: str, msg_id: str = "1001", **more: str) -> str:
    return xml_message(
        ToUserName="gh_0123456789ab",
        FromUserName=OPENID,
        CreateTime=str(int(time.time())),
        MsgType="text",
        Content=content,
        MsgId=msg_id,
        **more,
    )


def signed_request(
    body: str, *, safe: bool, token: str = TOKEN, age: int = 0, key: str = AES_KEY
) -> FakeRequest:
    timestamp, nonce = str(int(time.time()) - age), "271828"
    args = {
        "timestamp": timestamp,
        "nonce": nonce,
        "signature": signature(token, timestamp, nonce),
        "openid": OPENID,
    }
    if safe:
        envelope = WeChatCrypto(token, key, APP_ID).encrypted_xml(
            body, timestamp, nonce
        )
        fields = parse_xml(envelope.encode())
        args["encrypt_type"] = "aes"
        args["msg_signature"] = fields["MsgSignature"]
        body = xml_message(ToUserName="gh_0123456789ab", Encrypt=fields["Encrypt"])
    return FakeRequest(args, body.encode())


def deliver(
    channel: WeChatInput, request: FakeRequest, received: list | None = None
) -> tuple[int, str]:
    async def on_new_message(message: Any) -> None:
        if received is not None:
            received.append(message)
        await message.output_channel.send_text_message(message.sender_id, "好的")

    async def run() -> Any:
        answer = await channel.incoming(request, on_new_message)  # type: ignore[arg-type]
        await channel.drain()
        return answer

    answer = asyncio.run(run())
    return answer.status, answer.body.decode()


def test_the_server_check_echoes_only_a_signed_challenge():
    channel, _ = connector()
    request = signed_request("", safe=False)
    request.args["echostr"] = "8734592834"

    answer = channel.verify(request)  # type: ignore[arg-type]
    assert (answer.status, answer.body) == (200, b"8734592834")

    request.args["signature"] = "0" * 40
    assert channel.verify(request).status == 403  # type: ignore[arg-type]


@pytest.mark.parametrize("safe", [True, False])
def test_a_text_reaches_rasa_hashed_with_the_chinese_hint(safe):
    channel, recorder = connector("safe" if safe else "compatible")
    received: list = []

    status, body = deliver(
        channel, signed_request(text_message("我想了解试验"), safe=safe), received
    )

    assert (status, body) == (200, "success")
    [message] = received
    assert message.text == "我想了解试验"
    assert message.input_channel == "wechat"
    assert message.sender_id == conversation_id("wechat", OPENID)
    assert OPENID not in message.sender_id
    assert message.metadata == {"language_hint": "zh"}
    assert recorder.sent == [
        {"touser": OPENID, "msgtype": "text", "text": {"content": "好的"}}
    ]


def test_retries_of_a_message_are_handled_once():
    channel, recorder = connector()
    received: list = []
    body = text_message("你好", msg_id="6054768590064713728")

    for _ in range(4):  # the message and WeChat's three retries
        assert deliver(channel, signed_request(body, safe=True), received)[1] == (
            "success"
        )

    assert len(received) == 1 and len(recorder.sent) == 1


def test_events_without_msgid_are_deduplicated_by_sender_and_time():
    one = {"FromUserName": "o1", "CreateTime": "1700000000", "Event": "subscribe"}
    assert message_key(one) == message_key(dict(one))
    assert message_key(one) != message_key({**one, "CreateTime": "1700000001"})
    assert message_key({"MsgId": "5", **one}) == "msg:5"


def refusals() -> list[tuple[str, FakeRequest]]:
    body = text_message(MARKER)
    forged = signed_request(body, safe=True)
    forged.args["signature"] = signature("guessed", "1", "2")
    unsigned = signed_request(body, safe=True)
    del unsigned.args["signature"]
    wrong_msg_signature = signed_request(body, safe=True)
    wrong_msg_signature.args["msg_signature"] = "f" * 40
    wrong_key = base64.b64encode(bytes(range(2, 34))).decode().rstrip("=")
    bomb = signed_request("", safe=False)
    bomb.body = BOMB.replace(b"&lol2;", f"&lol2;{MARKER}".encode())
    huge = signed_request(MARKER + "x" * (10 * 1024 * 1024), safe=False)
    huge.headers["Content-Length"] = str(len(huge.body))
    return [
        ("wrong signature", forged),
        ("unsigned", unsigned),
        ("stale timestamp", signed_request(body, safe=True, age=3600)),
        ("wrong msg_signature", wrong_msg_signature),
        ("wrong key", signed_request(body, safe=True, key=wrong_key)),
        ("unencrypted message in safe mode", signed_request(body, safe=False)),
        ("DOCTYPE or ENTITY", bomb),
        ("body too large", huge),
        ("malformed", signed_request("<xml><a></xml>", safe=True)),
    ]


#: The refusals by name: the requests are signed when the test runs, not when the
#: tests are collected (in the whole suite that is half an hour earlier, and every
#: signed request would be refused as stale).
REFUSALS = (
    "wrong signature",
    "unsigned",
    "stale timestamp",
    "wrong msg_signature",
    "wrong key",
    "unencrypted message in safe mode",
    "DOCTYPE or ENTITY",
    "body too large",
    "malformed",
)


def test_every_refusal_is_tested():
    assert [reason for reason, _ in refusals()] == list(REFUSALS)


@pytest.mark.parametrize("reason", REFUSALS)
def test_bad_requests_are_refused_logged_without_content(reason, caplog):
    request_ = dict(refusals())[reason]
    channel, recorder = connector()
    received: list = []

    with caplog.at_level(logging.INFO):
        status, _ = deliver(channel, request_, received)

    assert status == 403
    assert received == [] and recorder.sent == []
    log = "\n".join(r.getMessage() for r in caplog.records)
    assert "wechat: refused a webhook request" in log
    assert reason in log
    assert MARKER not in log and OPENID not in log


def test_subscribe_greets_in_chinese_with_the_language_chosen():
    channel, _ = connector()
    received: list = []
    event = xml_message(
        ToUserName="gh_0123456789ab",
        FromUserName=OPENID,
        CreateTime=str(int(time.time())),
        MsgType="event",
        Event="subscribe",
    )

    deliver(channel, signed_request(event, safe=True), received)

    [message] = received
    assert message.text == "你好"
    assert message.metadata == {"language_hint": "zh", "language": "zh"}


def test_voice_with_recognition_is_read_and_pictures_get_a_kind_answer():
    channel, recorder = connector()
    received: list = []
    now = str(int(time.time()))
    voice = xml_message(
        ToUserName="gh_1",
        FromUserName=OPENID,
        CreateTime=now,
        MsgType="voice",
        MediaId="m1",
        Format="amr",
        Recognition="我今年五十二岁",
        MsgId="2001",
    )
    deliver(channel, signed_request(voice, safe=True), received)
    assert [m.text for m in received] == ["我今年五十二岁"]

    for msg_id, kind in (("2002", "image"), ("2003", "location"), ("2004", "voice")):
        other = xml_message(
            ToUserName="gh_1",
            FromUserName=OPENID,
            CreateTime=now,
            MsgType=kind,
            MsgId=msg_id,
        )
        deliver(channel, signed_request(other, safe=True), received)
    assert len(received) == 1  # nothing of those reached Rasa
    texts = [m["text"]["content"] for m in recorder.sent[1:]]
    assert texts == [TEXT_ONLY_REPLY_ZH] * 3


def test_a_menu_tap_reads_as_the_option_and_a_number_as_numbered():
    channel, recorder = connector()
    received: list = []

    async def show(options: list[str]) -> None:
        key = conversation_id("wechat", OPENID)
        channel.routes.recipients.put(key, OPENID)
        await channel.make_output().send_text_with_buttons(
            key, "您本人来回答吗？", [{"title": o, "payload": o} for o in options]
        )

    asyncio.run(show(["是我本人", "我替家人问"]))
    menu = recorder.sent[-1]
    assert menu["msgtype"] == "msgmenu"
    assert menu["msgmenu"]["list"] == [
        {"id": "1", "content": "是我本人"},
        {"id": "2", "content": "我替家人问"},
    ]
    tap = text_message("我替家人问", msg_id="3001", bizmsgmenuid="2")
    deliver(channel, signed_request(tap, safe=True), received)
    assert received[-1].text == "我替家人问"

    asyncio.run(show(["是", "否", "不确定"]))
    deliver(channel, signed_request(text_message("3", "3002"), safe=True), received)
    assert received[-1].text == "不确定"


# --------------------------------------------------------------------------- #
# Output: menus, numbering, splitting
# --------------------------------------------------------------------------- #


def send(text: str, options: list[str]) -> list[dict[str, Any]]:
    recorder = Recorder()
    routes = Routes(channel="wechat", shared=None)
    routes.recipients.put("key", OPENID)
    output = WeChatOutput(routes, recorder)  # type: ignore[arg-type]
    buttons = [{"title": o, "payload": o} for o in options]
    asyncio.run(output.send_text_with_buttons("key", text, buttons))
    return recorder.sent


def test_many_or_long_options_are_numbered_with_a_chinese_hint():
    long = ["没有糊涂，头脑清楚", "有点糊涂，反应慢", "经常嗜睡，叫得醒", "昏睡叫不醒"]
    many = ["1", "2", "3", "4", "5", "6", "7"]
    [numbered_long] = send("最近有没有糊涂或嗜睡？", long * 2)
    [numbered_many] = send("请选择：", many)

    assert numbered_long["msgtype"] == "text"
    content = numbered_long["text"]["content"]
    assert content.startswith("最近有没有糊涂或嗜睡？\n\n1. 没有糊涂，头脑清楚\n2. ")
    assert content.endswith(f"8. 昏睡叫不醒\n{NUMBERED_HINT_ZH}")
    assert numbered_many["text"]["content"].count("\n") == 2 + 7

    [english] = send("Did you have a liver transplant?", ["Yes"] * 7)
    assert english["text"]["content"].endswith(
        "Reply with a number, or in your own words."
    )


def test_long_texts_are_split_under_wechats_2048_bytes_the_menu_last():
    text = "。".join(["乙肝肝硬化的病人要按时复查肝功能"] * 200) + "。"
    sent = send(text, ["好的", "以后再说"])

    assert len(sent) >= 4
    assert all(m["msgtype"] == "text" for m in sent[:-1])
    assert sent[-1]["msgtype"] == "msgmenu"
    parts = [m["text"]["content"] for m in sent[:-1]] + [
        sent[-1]["msgmenu"]["head_content"]
    ]
    assert all(len(p.encode()) <= 2048 for p in parts)
    assert "".join(parts) == text.replace("。", "。")  # nothing lost
    assert all(p.endswith("。") for p in parts)


# --------------------------------------------------------------------------- #
# The access token
# --------------------------------------------------------------------------- #


class TokenStub:
    """A loopback WeChat API: /cgi-bin/token and /cgi-bin/message/custom/send."""

    def __init__(self, refuse_first_send: bool = False) -> None:
        self.token_requests: list[dict[str, str]] = []
        self.sends: list[tuple[str, Any]] = []
        self.refuse_first_send = refuse_first_send
        self.url = ""

    async def start(self) -> Any:
        from aiohttp import web

        async def token(request: web.Request) -> web.Response:
            self.token_requests.append(dict(request.query))
            await asyncio.sleep(0.2)  # slow, so that replicas overlap
            number = len(self.token_requests)
            return web.json_response(
                {"access_token": f"ACCESS_TOKEN_{number}", "expires_in": 7200}
            )

        async def custom_send(request: web.Request) -> web.Response:
            given = request.query.get("access_token", "")
            self.sends.append((given, await request.json()))
            if self.refuse_first_send and len(self.sends) == 1:
                return web.json_response(
                    {"errcode": 40001, "errmsg": "invalid credential"}
                )
            return web.json_response({"errcode": 0, "errmsg": "ok"})

        app = web.Application()
        app.router.add_get("/cgi-bin/token", token)
        app.router.add_post("/cgi-bin/message/custom/send", custom_send)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return runner


def test_two_replicas_fetch_one_token_through_redis_and_renew_when_refused():
    url = need_redis()
    prefix = f"test:channel:{uuid.uuid4().hex[:8]}"

    async def scenario() -> tuple:
        stub = TokenStub(refuse_first_send=True)
        runner = await stub.start()
        states = [SharedState(url, prefix), SharedState(url, prefix)]
        one, two = (AccessTokens(stub.url, APP_ID, "s3cret", s) for s in states)
        try:
            tokens = await asyncio.gather(one.get(), two.get(), one.get(), two.get())
            fetched_once = len(stub.token_requests)
            # The API refuses the token (another tool renewed it): renew, resend.
            sent = await CustomerService(two).send(
                {"touser": OPENID, "msgtype": "text", "text": {"content": "您好"}}
            )
            after = await one.get(), await two.get()
            return tokens, fetched_once, sent, stub, after, one.fetched + two.fetched
        finally:
            for state in states:
                for key in await state.client.keys(f"{prefix}:*"):
                    await state.client.delete(key)
                await state.client.close()
            await runner.cleanup()

    tokens, fetched_once, sent, stub, after, fetched = asyncio.run(scenario())
    assert tokens == ["ACCESS_TOKEN_1"] * 4
    assert fetched_once == 1
    assert stub.token_requests[0] == {
        "grant_type": "client_credential",
        "appid": APP_ID,
        "secret": "s3cret",
    }
    assert sent is True
    assert [t for t, _ in stub.sends] == ["ACCESS_TOKEN_1", "ACCESS_TOKEN_2"]
    assert stub.sends[1][1]["text"]["content"] == "您好"  # UTF-8, not \\u escapes
    # "one" still had ACCESS_TOKEN_1 in memory: the API's refusal renews it then;
    # "two" renewed it, and Redis holds the new one for every other replica.
    assert after[1] == "ACCESS_TOKEN_2"
    assert fetched == 2


def test_without_redis_a_process_keeps_its_token_and_never_logs_it(caplog):
    async def scenario() -> tuple:
        stub = TokenStub()
        runner = await stub.start()
        tokens = AccessTokens(stub.url, APP_ID, "s3cret", None)
        try:
            with caplog.at_level(logging.DEBUG):
                got = [await tokens.get(), await tokens.get()]
            return got, len(stub.token_requests), repr(tokens)
        finally:
            await runner.cleanup()

    got, requests, shown = asyncio.run(scenario())
    assert got == ["ACCESS_TOKEN_1"] * 2 and requests == 1
    # (the stub's own access log is not ours: only the connector's records)
    log = "\n".join(
        r.getMessage() for r in caplog.records if r.name.startswith("channels")
    )
    assert "fetched a new access token" in log
    assert "ACCESS_TOKEN_1" not in log and "s3cret" not in log
    assert "s3cret" not in shown


def test_the_credentials_start_wechat_only_with_every_secret(monkeypatch, caplog):
    import yaml

    block = yaml.safe_load(open("credentials.yml"))["channels.wechat.WeChatInput"]
    for name in ("WECHAT_APP_ID", "WECHAT_APP_SECRET", "WECHAT_TOKEN"):
        monkeypatch.setenv(name, "x")
    monkeypatch.delenv("WECHAT_ENCODING_AES_KEY", raising=False)
    with caplog.at_level(logging.INFO, logger="channels.config"):
        off = WeChatInput.from_credentials(block)
    assert off.url_prefix() == "disabled_wechat"
    assert [r.getMessage() for r in caplog.records] == [
        "channel wechat not started: WECHAT_ENCODING_AES_KEY not set"
    ]

    monkeypatch.setenv("WECHAT_ENCODING_AES_KEY", AES_KEY)
    on = WeChatInput.from_credentials(block)
    assert isinstance(on, WeChatInput) and on.mode == "safe"
    assert on.tokens.api_url == "https://api.weixin.qq.com"

    monkeypatch.setenv("WECHAT_ENCODING_AES_KEY", "not-a-key")
    assert WeChatInput.from_credentials(block).url_prefix() == "disabled_wechat"
