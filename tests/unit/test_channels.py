"""The channel connectors' building blocks, without servers.

Configuration from ``credentials.yml`` (a channel without secrets is not started,
with one log line), the keyed hash of sender ids, splitting at platform limits,
numbered options and typed numbers, and the widget server's page and headers.
"""

from __future__ import annotations

import logging
import re
import threading
import urllib.request

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.services import need_redis

from channels.common import (
    DisabledChannel,
    Routes,
    conversation_id,
    expand,
    load_config,
    numbered,
    pick_numbered,
    split_text,
    text_length,
    text_limit,
)
from channels.socketio import SocketIOInput, session_id_of
from channels.telegram import keyboard

CHANNEL_VARIABLES = [
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_SECRET_TOKEN",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_SMS_NUMBER",
    "TWILIO_WHATSAPP_NUMBER",
    "FACEBOOK_PAGE_ACCESS_TOKEN",
    "FACEBOOK_APP_SECRET",
    "FACEBOOK_VERIFY_TOKEN",
    "WECHAT_APP_ID",
    "WECHAT_APP_SECRET",
    "WECHAT_TOKEN",
    "WECHAT_ENCODING_AES_KEY",
]
#: A well-formed EncodingAESKey (43 characters of base64): "x" is refused.
AES_KEY = "A" * 43


# --------------------------------------------------------------------------- #
# Configuration
# --------------------------------------------------------------------------- #


def test_expand_reads_variables_and_defaults():
    env = {"TOKEN": "abc", "EMPTY": ""}

    assert expand("${TOKEN}", env) == ("abc", [])
    assert expand("https://${TOKEN}.example/x", env) == ("https://abc.example/x", [])
    assert expand("${NOPE:-https://api.example}", env) == ("https://api.example", [])
    assert expand("${EMPTY:-fallback}", env) == ("fallback", [])
    assert expand("${NOPE:-}", env) == ("", [])
    assert expand("${NOPE}", env) == (None, ["NOPE"])
    assert expand("${EMPTY}", env) == (None, ["EMPTY"])  # an empty secret is none
    assert expand(320, env) == (320, [])


def test_a_channel_without_its_secrets_is_not_started_with_one_log_line(caplog):
    credentials = {"token": "${TG_TOKEN}", "secret": "${TG_SECRET}", "url": "${U:-x}"}
    with caplog.at_level(logging.INFO, logger="channels.config"):
        config = load_config(
            "telegram", credentials, ("token", "secret"), {"url": ""}, env={}
        )

    assert config is None
    assert [r.getMessage() for r in caplog.records] == [
        "channel telegram not started: TG_SECRET, TG_TOKEN not set"
    ]


def test_a_configured_channel_gets_its_values_and_defaults():
    config = load_config(
        "sms",
        {"sid": "${SID}", "api_url": "${API:-https://api.twilio.com}"},
        ("sid",),
        {"api_url": "https://default", "max_chars": 1600},
        env={"SID": "AC1"},
    )

    assert config == {
        "sid": "AC1",
        "api_url": "https://api.twilio.com",
        "max_chars": 1600,
    }


def test_the_project_credentials_start_no_messaging_channel_without_secrets(
    monkeypatch, caplog
):
    """`make run` with no secrets: Rasa reads credentials.yml (the quoted "${...}"
    values are left to our connectors) and the four channels stay off."""
    from rasa.core.run import create_http_input_channels

    for name in CHANNEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with caplog.at_level(logging.INFO, logger="channels.config"):
        channels = create_http_input_channels(None, "credentials.yml")

    names = [c.name() for c in channels]
    assert names[:2] == ["rest", "socketio"]
    assert isinstance(channels[1], SocketIOInput) and channels[1].session_persistence
    disabled = [c.channel for c in channels if isinstance(c, DisabledChannel)]
    assert disabled == ["telegram", "sms", "whatsapp", "messenger", "wechat"]
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 5 and all(" not started: " in line for line in lines)


def test_the_project_credentials_start_every_channel_with_secrets(monkeypatch):
    from rasa.core.run import create_http_input_channels

    for name in CHANNEL_VARIABLES:
        monkeypatch.setenv(name, "123:x" if name == "TELEGRAM_BOT_TOKEN" else "x")
    monkeypatch.setenv("WECHAT_ENCODING_AES_KEY", AES_KEY)
    channels = create_http_input_channels(None, "credentials.yml")

    assert [c.name() for c in channels] == [
        "rest",
        "socketio",
        "telegram",
        "sms",
        "whatsapp",
        "messenger",
        "wechat",
    ]


# --------------------------------------------------------------------------- #
# Sender ids
# --------------------------------------------------------------------------- #


def test_conversation_ids_are_keyed_hashes_per_channel():
    secret, other = b"k" * 32, b"j" * 32

    key = conversation_id("sms", "+8613800138000", secret)

    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert "8613800138000" not in key
    assert key == conversation_id("sms", "+8613800138000", secret)  # stable
    assert key != conversation_id("whatsapp", "+8613800138000", secret)
    assert key != conversation_id("sms", "+8613800138000", other)


def test_the_widget_keeps_its_session_id_when_it_is_well_formed():
    kept = "3f2a9c1e5b7d4e8fa0b1c2d3e4f5a6b7"

    assert session_id_of({"session_id": kept}) == kept
    for bad in (
        None,
        {},
        {"session_id": ""},
        {"session_id": "x" * 500},
        {"session_id": "../../etc"},
        {"session_id": 42},
        "text",
    ):
        new = session_id_of(bad)
        assert re.fullmatch(r"[0-9a-f]{32}", new) and new != kept


def test_routes_forget_the_oldest_and_see_retries():
    import asyncio

    routes = Routes(channel="telegram", shared=None)

    async def scenario() -> list[bool]:
        return [
            await routes.first_time("update-1"),
            await routes.first_time("update-1"),  # a platform's retry
            await routes.first_time(None),
        ]

    assert asyncio.run(scenario()) == [True, False, True]


def test_two_replicas_share_numbered_options_and_retries_through_redis():
    import asyncio
    import uuid

    from channels.common import SharedState

    url = need_redis()
    prefix = f"test:channel:{uuid.uuid4().hex[:8]}"

    async def scenario() -> tuple:
        # Two processes' worth of state: the same Redis, separate memories.
        one = Routes(channel="sms", shared=SharedState(url, prefix))
        two = Routes(channel="sms", shared=SharedState(url, prefix))
        try:
            await one.remember_options("conv-1", ["Yes", "No", "Not sure"])
            seen_by_two = await two.take_options("conv-1")
            again = await one.take_options("conv-1")  # a number is read once
            retry = [
                await one.first_time("SM123"),
                await two.first_time("SM123"),  # the retry reached the other
            ]
            keys = await one.shared.client.keys(f"{prefix}:*")
            stored = [await one.shared.client.get(k) for k in keys]
            return seen_by_two, again, retry, stored
        finally:
            for routes in (one, two):
                for key in await routes.shared.client.keys(f"{prefix}:*"):
                    await routes.shared.client.delete(key)
                await routes.shared.client.close()

    seen_by_two, again, retry, stored = asyncio.run(scenario())
    assert seen_by_two == ["Yes", "No", "Not sure"]
    assert again is None
    assert retry == [True, False]
    assert all(b"SM123" not in (value or b"") for value in stored)


def test_unreachable_redis_falls_back_to_memory(caplog):
    import asyncio
    import logging

    from support.net import free_port

    from channels.common import SharedState

    dead = SharedState(f"redis://127.0.0.1:{free_port()}/0")
    routes = Routes(channel="sms", shared=dead)

    async def scenario() -> tuple:
        await routes.remember_options("conv-1", ["Yes", "No"])
        return (
            await routes.take_options("conv-1"),
            await routes.first_time("m1"),
            await routes.first_time("m1"),
        )

    with caplog.at_level(logging.WARNING, logger="channels.state"):
        options, first, second = asyncio.run(scenario())
    assert options == ["Yes", "No"] and (first, second) == (True, False)
    assert sum("Redis unreachable" in r.message for r in caplog.records) == 1


# --------------------------------------------------------------------------- #
# Splitting and numbering
# --------------------------------------------------------------------------- #

SENTENCES = (
    "Thank you for your answers. From what you told me, the study may be a good "
    "fit! This is not a final decision? The study team will check your records. "
)


@pytest.mark.parametrize("limit", [4096, 2000, 1600])
def test_long_texts_split_at_each_platform_limit_on_sentence_ends(limit):
    text = SENTENCES * 60  # about 9,000 characters

    parts = split_text(text, limit)

    assert len(parts) >= -(-text_length(text.strip()) // limit)
    assert all(text_length(p) <= limit for p in parts)
    assert all(p.endswith((".", "!", "?")) for p in parts)
    assert " ".join(parts) == text.strip()


def test_splitting_prefers_paragraphs_then_lines():
    text = "A" * 50 + ".\n\n" + "B" * 30 + "\n" + "C" * 30

    assert split_text(text, 70) == ["A" * 50 + ".", "B" * 30 + "\n" + "C" * 30]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]  # no break
    assert split_text("  ", 10) == []


def test_length_counts_utf16_units_as_the_platforms_do():
    assert text_length("肝") == 1
    assert text_length("😀") == 2
    assert all(text_length(p) <= 5 for p in split_text("😀" * 6, 5))


@given(st.text(min_size=0, max_size=600), st.integers(min_value=10, max_value=200))
def test_splitting_never_exceeds_the_limit_nor_loses_words(text, limit):
    parts = split_text(text, limit)

    assert all(0 < text_length(p) <= limit for p in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())


def test_a_channel_may_lower_but_not_raise_its_limit():
    assert text_limit({"max_chars": 320}, 1600) == 320
    assert text_limit({"max_chars": 5000}, 1600) == 1600
    assert text_limit({}, 4096) == 4096
    assert text_limit({"max_chars": "nonsense"}, 2000) == 2000


def test_options_are_numbered_where_there_are_no_buttons():
    assert numbered("Any liver cancer?", ["Yes", "No", "Not sure"]) == (
        "Any liver cancer?\n\n1. Yes\n2. No\n3. Not sure\n"
        "Reply with a number, or in your own words."
    )
    # a single option is not numbered: "1" must stay a number (an INR of 1)
    assert numbered("Your INR?", ["I don't know"]) == (
        'Your INR?\n\nYou can also reply "I don\'t know".'
    )
    assert numbered("Hello", []) == "Hello"


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("2", "No"),
        (" 3. ", "Not sure"),
        ("1)", "Yes"),
        ("4", "4"),  # not an option
        ("0", "0"),
        ("2 weeks", "2 weeks"),
        ("no", "no"),
    ],
)
def test_a_typed_number_picks_the_numbered_option(typed, read):
    assert pick_numbered(typed, ["Yes", "No", "Not sure"]) == read


def test_without_numbered_options_a_number_stays_a_number():
    assert pick_numbered("1", None) == "1"
    assert pick_numbered("1", ["I don't know"]) == "1"


def test_telegram_keyboards_put_short_options_in_one_row():
    short = keyboard([{"title": t, "payload": t} for t in ("Yes", "No", "Not sure")])
    long = keyboard(
        [{"title": t, "payload": t} for t in ("Yes, let's start", "No, thanks")]
    )

    assert short["keyboard"] == [
        [{"text": "Yes"}, {"text": "No"}, {"text": "Not sure"}]
    ]
    assert long["keyboard"] == [
        [{"text": "Yes, let's start"}],
        [{"text": "No, thanks"}],
    ]
    assert short["one_time_keyboard"] and short["resize_keyboard"]


# --------------------------------------------------------------------------- #
# The widget server
# --------------------------------------------------------------------------- #


@pytest.fixture
def widget_server():
    from support.net import free_port

    from channels.widget import WidgetConfig, make_server

    config = WidgetConfig(port=free_port(), rasa_url="https://chat.example.org")
    server = make_server(config)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{config.port}"
    server.shutdown()
    server.server_close()


def fetch(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), ""


def test_the_widget_page_names_the_rasa_server_under_a_strict_policy(widget_server):
    status, headers, page = fetch(f"{widget_server}/")

    assert status == 200
    assert 'data-server="https://chat.example.org"' in page
    assert "{{" not in page
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert (
        "connect-src 'self' https://chat.example.org wss://chat.example.org" in policy
    )
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_the_widget_server_serves_its_files_and_nothing_else(widget_server):
    for path in ("/widget.js", "/widget.css", "/privacy.html"):
        assert fetch(f"{widget_server}{path}")[0] == 200, path
    for path in ("/../credentials.yml", "/web/package.json", "/channels/widget.py"):
        assert fetch(f"{widget_server}{path}")[0] == 404, path
    status, headers, script = fetch(f"{widget_server}/vendor/socket.io.min.js")
    if status == 503:
        pytest.skip("web/node_modules not installed: run `npm ci` in web/")
    assert status == 200 and "io" in script


# --------------------------------------------------------------------------- #
# The erasure's mark: for the widget, never text in a messaging app
# --------------------------------------------------------------------------- #

#: The erasure's confirmation as Rasa hands it to an output channel: its text and
#: the custom payload of actions/erase_data.py.
CONFIRMATION = "Your answers and this conversation have been deleted."


def _confirmation() -> dict:
    from actions.erase_data import ERASED_PAYLOAD

    assert ERASED_PAYLOAD == {"erased": True}
    return {"text": CONFIRMATION, "custom": dict(ERASED_PAYLOAD)}


class _RecordingServer:
    """A python-socketio server's ``emit``, recorded (the signature is the real
    AsyncServer's)."""

    def __init__(self, fail: bool = False) -> None:
        self.emitted: list[tuple] = []
        self.fail = fail

    async def emit(
        self,
        event,
        data=None,
        to=None,
        room=None,
        skip_sid=None,
        namespace=None,
        callback=None,
        ignore_queue=False,
    ):
        if self.fail and isinstance(data, dict) and "text" not in data:
            raise ConnectionError("gone")
        self.emitted.append((event, data, room))


def test_the_widget_gets_the_confirmation_then_the_erasure_mark():
    import asyncio

    from rasa.core.channels.socketio import SocketIOOutput

    from channels.socketio import CountingOutput

    server = _RecordingServer()
    output = CountingOutput(server, "bot_uttered")
    asyncio.run(output.send_response("a" * 32, _confirmation()))

    assert server.emitted == [
        ("bot_uttered", {"text": CONFIRMATION}, "a" * 32),
        ("bot_uttered", {"erased": True}, "a" * 32),
    ]
    assert output.sent == 1  # the mark is not a reply: no_reply logic unchanged

    # Rasa's own output passes the payload's keys to emit() as arguments: the turn
    # would fail after the text, and the erased tracker would not be saved.
    with pytest.raises(TypeError):
        asyncio.run(
            SocketIOOutput(_RecordingServer(), "bot_uttered").send_response(
                "a" * 32, _confirmation()
            )
        )


def test_a_custom_payload_that_cannot_be_sent_does_not_fail_the_turn(caplog):
    import asyncio

    from channels.socketio import CountingOutput

    server = _RecordingServer(fail=True)
    output = CountingOutput(server, "bot_uttered")
    with caplog.at_level(logging.ERROR, logger="channels.socketio"):
        asyncio.run(output.send_response("b" * 32, _confirmation()))
    assert server.emitted == [("bot_uttered", {"text": CONFIRMATION}, "b" * 32)]
    assert "could not send a custom payload (ConnectionError)" in caplog.text


def test_the_widget_channel_sends_messages_outside_a_turn_the_same_way():
    from channels.socketio import CountingOutput

    channel = SocketIOInput.from_credentials(
        {"user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered"}
    )
    channel.sio = _RecordingServer()
    assert isinstance(channel.get_output_channel(), CountingOutput)


def test_the_rest_channel_passes_the_mark_on_after_the_text():
    import asyncio

    from rasa.core.channels.channel import CollectingOutputChannel

    from ops.screening import texts

    output = CollectingOutputChannel()
    asyncio.run(output.send_response("chat-1", _confirmation()))

    assert output.messages == [
        {"recipient_id": "chat-1", "text": CONFIRMATION},
        {"recipient_id": "chat-1", "custom": {"erased": True}},
    ]
    assert texts(output.messages) == CONFIRMATION + "\n"


def _messaging_outputs(monkeypatch) -> list:
    """Each messaging app's output, its API calls recorded instead of made."""
    import channels.facebook
    import channels.telegram
    import channels.twilio

    calls: list = []

    async def post(channel, what, url, **kwargs):
        calls.append((channel, what, kwargs))
        return {}

    for module in (channels.telegram, channels.twilio, channels.facebook):
        monkeypatch.setattr(module, "post", post)
    twilio_config = {
        "api_url": "https://api.example",
        "account_sid": "AC" + "0" * 32,
        "auth_token": "token",
    }
    outputs = []
    for make in (
        lambda r: channels.telegram.TelegramOutput(r, "https://api.example/botT"),
        lambda r: channels.twilio.TwilioOutput(
            r, channel="sms", config=twilio_config, sender="+15005550006"
        ),
        lambda r: channels.twilio.TwilioOutput(
            r, channel="whatsapp", config=twilio_config, sender="whatsapp:+1415"
        ),
        lambda r: channels.facebook.MessengerOutput(
            r,
            {
                "graph_url": "https://graph.example/v18.0",
                "page_access_token": "page-token",
                "app_secret": "secret",
            },
        ),
    ):
        routes = Routes(channel="test", shared=None)
        routes.recipients.put("key", "real-id")
        outputs.append(make(routes))
    return [(output, calls) for output in outputs]


def test_messaging_apps_send_the_confirmation_and_drop_the_mark_quietly(
    monkeypatch, caplog
):
    import asyncio

    for output, calls in _messaging_outputs(monkeypatch):
        calls.clear()
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="channels"):
            asyncio.run(output.send_response("key", _confirmation()))

        [(_, what, sent)] = calls  # one API call: the confirmation's text
        assert what in ("sendMessage", "send message"), output.channel
        assert CONFIRMATION in repr(sent), output.channel
        assert "erased" not in repr(sent), output.channel
        assert output.sent == 1
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]

        # Another custom payload is not sent either, with a warning.
        calls.clear()
        asyncio.run(output.send_custom_json("key", {"attachment": "x"}))
        assert calls == []
        assert "custom payloads are not supported" in caplog.text
