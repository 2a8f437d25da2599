"""The language of a conversation as the channels see it, and what the channels
say themselves in English and Chinese.

Every channel hands Rasa a metadata dict (Telegram's ``language_code`` as
``language_hint``, the widget's choice or hint, the REST client's own); the
channels' own sentences (a photo was sent, too fast, no reply, the hint under a
numbered list, Telegram's placeholder) follow the message's language; the widget is
told when a message chooses another language than the one it sent; the widget's
page is served in Chinese with ``?lang=zh``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import urllib.request
from pathlib import Path
from typing import Any

import pytest

import bot.screening.messages as messages
from bot.screening.language import METADATA_CHOICE, METADATA_HINT, has_cjk
from channels.base import TEXT_ONLY_REPLY, kind_text
from channels.limits import Limiter, LimitSettings, Rate
from channels.state import Routes
from channels.text import (
    CHANNEL_TEXTS,
    NUMBERED_HINT,
    channel_text,
    numbered,
    reply_language,
    split_text,
)

#: Stand-ins for the Chinese catalogue's kind messages, so that these tests check
#: the channels' choice of language whatever the catalogue's wording is.
FAKE_ZH = {
    "too_fast": {"text": "（太快了）"},
    "no_reply": {"text": "（出了点问题）"},
}


@pytest.fixture
def zh_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    """The catalogue with :data:`FAKE_ZH` as Chinese."""
    real = messages.catalogue

    def catalogue(language: str = "en") -> dict[str, dict[str, Any]]:
        return FAKE_ZH if language == "zh" else real(language)

    monkeypatch.setattr(messages, "catalogue", catalogue)


def english(key: str) -> str:
    return str(messages.render(key, "en")["text"])


# --------------------------------------------------------------------------- #
# The channels' own sentences
# --------------------------------------------------------------------------- #


def test_every_channel_sentence_exists_in_both_languages_with_its_placeholders():
    english_keys = CHANNEL_TEXTS["en"]
    assert set(CHANNEL_TEXTS["zh"]) == set(english_keys)
    for key, text in english_keys.items():
        chinese = CHANNEL_TEXTS["zh"][key]
        assert has_cjk(chinese) and not has_cjk(text), key
        assert re.findall(r"\{\w+\}", chinese) == re.findall(r"\{\w+\}", text), key
    assert TEXT_ONLY_REPLY == CHANNEL_TEXTS["en"]["text_only"]
    assert NUMBERED_HINT == channel_text("numbered_hint")
    assert channel_text("choose", "zh-Hans") == CHANNEL_TEXTS["zh"]["choose"]
    assert channel_text("choose", "fr") == "Please choose:"


def test_the_kind_messages_exist_in_every_catalogue():
    found = sorted(Path(messages.MESSAGES_DIR).glob("*.yml"))
    assert found
    for file in found:
        for key in ("too_fast", "no_reply"):
            assert messages.catalogue(file.stem)[key]["text"].strip(), (file, key)


def test_the_hint_under_numbered_options_is_in_the_language_of_the_question():
    chinese = numbered("您得过肝癌吗？", ["有", "没有", "不确定"])
    assert chinese == (
        "您得过肝癌吗？\n\n1. 有\n2. 没有\n3. 不确定\n"
        + CHANNEL_TEXTS["zh"]["numbered_hint"]
    )
    assert numbered("您的INR是多少？", ["不知道"]) == (
        "您的INR是多少？\n\n您也可以回复“不知道”。"
    )
    # English questions keep the English hint; a language can also be forced.
    assert numbered("Any liver cancer?", ["Yes", "No"]).endswith(NUMBERED_HINT)
    assert numbered("INR?", ["1", "2"], "zh").endswith(
        CHANNEL_TEXTS["zh"]["numbered_hint"]
    )


def test_the_language_of_a_reply_is_its_script_then_its_options():
    assert reply_language("您多大年纪了？") == "zh"
    assert reply_language("How old are you?") == "en"
    assert reply_language("", ["是", "不是"]) == "zh"
    assert reply_language("INR 1.8?", ["1.8"]) == "en"  # nothing tells: English


def test_chinese_texts_split_after_a_sentence_without_spaces():
    sentence = "您之前的回答都已经保存好了。"
    text = sentence * 20
    parts = split_text(text, 50)
    assert "".join(parts) == text
    assert all(part.endswith("。") for part in parts), parts
    assert all(len(part) <= 50 for part in parts)


def test_kind_messages_are_rendered_in_the_language_asked(zh_catalogue):
    assert kind_text("too_fast", "zh") == "（太快了）"
    assert kind_text("no_reply", "zh-CN") == "（出了点问题）"
    assert kind_text("no_reply") == english("no_reply")
    assert kind_text("no_reply", "fr") == english("no_reply")


def test_a_kind_message_missing_in_chinese_is_sent_in_english_and_logged(
    monkeypatch, caplog
):
    real = messages.catalogue

    def catalogue(language: str = "en") -> dict[str, dict[str, Any]]:
        if language == "zh":
            raise FileNotFoundError("zh.yml")
        return real(language)

    monkeypatch.setattr(messages, "catalogue", catalogue)
    with caplog.at_level(logging.ERROR, logger="channels.base"):
        assert kind_text("too_fast", "zh") == english("too_fast")
    assert "too_fast missing in the zh catalogue" in caplog.text
    with pytest.raises(KeyError):
        kind_text("no_such_message", "en")


# --------------------------------------------------------------------------- #
# Messaging apps
# --------------------------------------------------------------------------- #


class Recorded:
    """Platform API calls and the messages handed to Rasa."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.to_rasa: list[Any] = []

    async def post(self, channel: str, what: str, url: str, **kwargs: Any) -> dict:
        self.calls.append((what, kwargs))
        return {}

    def texts(self) -> list[str]:
        found = []
        for _, kwargs in self.calls:
            body = kwargs.get("json") or kwargs.get("data") or {}
            text = body.get("text") or body.get("Body")
            if text is None:
                text = (body.get("message") or {}).get("text")
            if text is not None:
                found.append(text)
        return found


def _limiter(per_sender: Rate | None = None) -> Limiter:
    return Limiter(LimitSettings(per_sender=per_sender, per_address=None, exempt=()))


@pytest.fixture
def telegram(monkeypatch) -> tuple[Any, Recorded]:
    import channels.telegram

    recorded = Recorded()
    monkeypatch.setattr(channels.telegram, "post", recorded.post)
    channel = channels.telegram.TelegramInput(
        {
            "access_token": "123:token",
            "secret_token": "secret",
            "webhook_url": "",
            "api_url": "https://api.example",
            "max_chars": 4096,
        }
    )
    channel.routes = Routes(channel="telegram", shared=None)
    channel.limiter = _limiter()
    return channel, recorded


def _update(
    text: str | None, language_code: str | None, chat: int = 42
) -> dict[str, Any]:
    user: dict[str, Any] = {"id": chat, "is_bot": False, "first_name": "Wei"}
    if language_code is not None:
        user["language_code"] = language_code
    message: dict[str, Any] = {
        "message_id": 1,
        "from": user,
        "chat": {"id": chat, "type": "private"},
    }
    if text is not None:
        message["text"] = text
    else:
        message["photo"] = [{"file_id": "x"}]
    return {"update_id": 1, "message": message}


def test_telegram_passes_the_app_language_as_a_hint(telegram):
    channel, recorded = telegram

    async def on_new_message(message: Any) -> None:
        recorded.to_rasa.append(message)
        await message.output_channel.send_text_message(message.sender_id, "好的")

    asyncio.run(channel.handle_update(_update("/start", "zh-hans"), on_new_message))
    [message] = recorded.to_rasa
    assert message.text == "Hello"
    assert message.metadata == {METADATA_HINT: "zh-hans"}

    # No language_code: still a metadata dict, with nothing in it.
    asyncio.run(channel.handle_update(_update("hi", None), on_new_message))
    assert recorded.to_rasa[-1].metadata == {}


def test_a_photo_is_answered_in_the_language_of_the_app_or_the_conversation(
    telegram,
):
    channel, recorded = telegram

    asyncio.run(channel.handle_update(_update(None, "zh-CN"), _never))
    assert recorded.texts() == [CHANNEL_TEXTS["zh"]["text_only"]]

    recorded.calls.clear()
    asyncio.run(channel.handle_update(_update(None, "en", chat=43), _never))
    assert recorded.texts() == [TEXT_ONLY_REPLY]

    # The app's language is a hint only: what the conversation showed is kept.
    recorded.calls.clear()
    asyncio.run(channel.handle_update(_update(None, "en"), _never))
    assert recorded.texts() == [CHANNEL_TEXTS["zh"]["text_only"]]


async def _never(message: Any) -> None:
    raise AssertionError("a photo must not reach Rasa")


def test_telegram_keyboards_and_empty_texts_speak_the_reply_language(telegram):
    from channels.telegram import TelegramOutput, keyboard

    channel, recorded = telegram
    options = [{"title": t, "payload": t} for t in ("有", "没有", "不确定")]
    assert (
        keyboard(options)["input_field_placeholder"]
        == (CHANNEL_TEXTS["zh"]["keyboard_placeholder"])
    )
    english = [{"title": t, "payload": t} for t in ("Yes", "No")]
    assert keyboard(english)["input_field_placeholder"] == (
        "Tap an option or type your answer"
    )

    routes = Routes(channel="telegram", shared=None)
    routes.recipients.put("key", "42")
    output = TelegramOutput(routes, "https://api.example/botT")
    asyncio.run(output.send_text_with_buttons("key", "", options))
    assert recorded.texts() == [CHANNEL_TEXTS["zh"]["choose"]]


def test_a_conversation_seen_in_chinese_gets_the_channel_messages_in_chinese(
    monkeypatch, zh_catalogue
):
    """SMS: no hint from the platform; the Chinese the person wrote is kept for the
    channel's own messages (no reply, too fast, a photo), even after "2" or "ok"."""
    import channels.twilio

    recorded = Recorded()
    monkeypatch.setattr(channels.twilio, "post", recorded.post)
    channel = channels.twilio.SmsInput(
        {
            "account_sid": "AC" + "0" * 32,
            "auth_token": "token",
            "number": "+15005550006",
            "webhook_url": "",
            "api_url": "https://api.example",
            "max_chars": 1600,
        }
    )
    channel.routes = Routes(channel="sms", shared=None)
    channel.limiter = _limiter()

    async def asks(message: Any) -> None:
        recorded.to_rasa.append(message)
        await message.output_channel.send_text_with_buttons(
            message.sender_id,
            "您得过肝癌吗？",
            [{"title": t, "payload": t} for t in ("有", "没有")],
        )

    async def fails(message: Any) -> None:
        recorded.to_rasa.append(message)
        raise RuntimeError("the action server is down")

    asyncio.run(channel.receive(asks, "+8613800138000", "我爸爸肝不好"))
    assert recorded.to_rasa[-1].metadata == {}
    assert recorded.texts()[-1].endswith(CHANNEL_TEXTS["zh"]["numbered_hint"])

    # "2" is read as 没有; the turn fails: the kind message is in Chinese.
    asyncio.run(channel.receive(fails, "+8613800138000", "2"))
    assert recorded.to_rasa[-1].text == "没有"
    assert recorded.texts()[-1] == "（出了点问题）"
    asyncio.run(channel.receive(fails, "+8613800138000", "ok"))
    assert recorded.texts()[-1] == "（出了点问题）"

    # A photo: the conversation's language.
    asyncio.run(channel.text_only("+8613800138000"))
    assert recorded.texts()[-1] == CHANNEL_TEXTS["zh"]["text_only"]

    # Another person writing English gets English; an explicit request switches.
    asyncio.run(channel.receive(fails, "+447700900123", "my father is unwell"))
    assert recorded.texts()[-1] == english("no_reply")
    asyncio.run(channel.receive(fails, "+447700900123", "请说中文"))
    assert recorded.texts()[-1] == "（出了点问题）"
    asyncio.run(channel.receive(fails, "+447700900123", "English please"))
    assert recorded.texts()[-1] == english("no_reply")

    # Too fast: told once, in the conversation's language.
    channel.limiter = _limiter(Rate(1, 60))
    asyncio.run(channel.receive(asks, "+8613800138000", "有"))
    before = len(recorded.to_rasa)
    asyncio.run(channel.receive(asks, "+8613800138000", "ok"))
    assert len(recorded.to_rasa) == before
    assert recorded.texts()[-1] == "（太快了）"


# --------------------------------------------------------------------------- #
# REST
# --------------------------------------------------------------------------- #


def test_the_rest_channel_answers_a_failed_turn_in_the_message_language(
    zh_catalogue,
):
    from channels.rest import RestInput, too_fast_response

    channel = RestInput(_limiter())
    seen: list[Any] = []

    async def fails(message: Any) -> None:
        seen.append(message)
        raise RuntimeError("down")

    metadata = {METADATA_CHOICE: "zh"}
    replies = asyncio.run(channel.run_turn(fails, "s1", "ok", metadata, None, "zh"))
    assert replies == [{"recipient_id": "s1", "text": "（出了点问题）"}]
    assert seen[0].metadata == metadata  # the client's metadata reaches Rasa
    slow_down = too_fast_response("s1", 5, "zh")
    assert slow_down.status == 429
    assert json.loads(slow_down.body) == [{"recipient_id": "s1", "text": "（太快了）"}]
    assert json.loads(too_fast_response("s1", 5).body)[0]["text"] == english("too_fast")


# --------------------------------------------------------------------------- #
# The widget's socket.io channel
# --------------------------------------------------------------------------- #


class FakeServer:
    """A python-socketio server's ``emit`` and ``get_environ``, recorded."""

    def __init__(self) -> None:
        self.emitted: list[tuple[str, Any, str | None]] = []

    async def emit(self, event, data=None, to=None, room=None, **_: Any) -> None:
        self.emitted.append((event, data, room))

    def get_environ(self, sid, namespace=None):
        return {}


def _widget_channel(limiter: Limiter | None = None) -> tuple[Any, FakeServer]:
    from channels.socketio import SocketIOInput

    channel = SocketIOInput.from_credentials(
        {
            "user_message_evt": "user_uttered",
            "bot_message_evt": "bot_uttered",
            "session_persistence": True,
        }
    )
    server = FakeServer()
    channel.sio = server
    channel.limiter = limiter or _limiter()
    return channel, server


SESSION = "a" * 32


def _say(channel: Any, text: str, metadata: Any) -> list[Any]:
    handed: list[Any] = []

    async def on_new_message(message: Any) -> None:
        handed.append(message)
        await message.output_channel.send_text_message(message.sender_id, "…")

    data = {"message": text, "session_id": SESSION, "metadata": metadata}
    asyncio.run(channel.handle_message(on_new_message, "sid-1", data))
    return handed


@pytest.mark.parametrize(
    ("text", "metadata", "told"),
    [
        ("你好", {METADATA_CHOICE: "zh"}, None),  # the widget already speaks it
        ("中文", {METADATA_CHOICE: "zh"}, None),  # its switch sent the request
        ("请说中文", {METADATA_CHOICE: "en"}, "zh"),  # typed: the widget follows
        ("English please", {METADATA_CHOICE: "zh"}, "en"),
        ("我爸爸肝不好", {METADATA_HINT: "en"}, "zh"),  # Chinese, nothing chosen
        ("我爸爸肝不好", {METADATA_CHOICE: "en"}, None),  # the choice stands
        ("my father is unwell", {METADATA_HINT: "zh"}, None),  # English never
        ("INR 1.8", {}, None),
    ],
)
def test_the_widget_is_told_when_a_message_chooses_another_language(
    text, metadata, told
):
    channel, server = _widget_channel()
    [message] = _say(channel, text, metadata)

    assert message.metadata == metadata
    marks = [data for _, data, _ in server.emitted if "text" not in data]
    assert marks == ([{"language": told}] if told else [])
    if told:  # before the answer, to the session's room
        assert server.emitted[0] == ("bot_uttered", {"language": told}, SESSION)


def test_the_widget_metadata_may_come_as_json_text():
    channel, _ = _widget_channel()
    [message] = _say(channel, "你好", '{"language": "zh"}')
    assert message.metadata == {"language": "zh"}
    [message] = _say(channel, "hi", None)
    assert message.metadata == {}


def test_the_widget_hears_too_fast_and_no_reply_in_its_language(zh_catalogue):
    channel, server = _widget_channel(_limiter(Rate(1, 60)))

    async def silent(message: Any) -> None:
        return None

    data = {"message": "ok", "session_id": SESSION, "metadata": {"language": "zh"}}
    asyncio.run(channel.handle_message(silent, "sid-1", data))
    assert server.emitted[-1][1] == {"text": "（出了点问题）"}
    asyncio.run(channel.handle_message(silent, "sid-1", data))
    assert server.emitted[-1][1] == {"text": "（太快了）"}


# --------------------------------------------------------------------------- #
# The widget's page
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


def fetch(url: str) -> tuple[dict[str, str], str]:
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.status == 200
        return dict(answer.headers), answer.read().decode()


@pytest.mark.parametrize("page", ["/", "/index.html", "/privacy.html"])
def test_the_pages_are_served_in_chinese_with_lang_zh(widget_server, page):
    en_headers, english_page = fetch(f"{widget_server}{page}")
    zh_headers, chinese = fetch(f"{widget_server}{page}?lang=zh")

    assert '<html lang="en">' in english_page and en_headers["Content-Language"] == "en"
    assert (
        '<html lang="zh-CN">' in chinese and zh_headers["Content-Language"] == "zh-CN"
    )
    assert "{{" not in chinese and has_cjk(chinese)
    # The same policy; a link back to the other language, marked with its lang.
    assert (
        zh_headers["Content-Security-Policy"] == en_headers["Content-Security-Policy"]
    )
    assert 'href="?lang=en" hreflang="en" lang="en"' in chinese
    assert 'href="?lang=zh" hreflang="zh-CN" lang="zh-CN"' in english_page
    # Other values choose English; so does a Chinese-looking but bad value.
    for query in ("?lang=fr", "?lang=", "?lang=zh%00", "?foo=zh"):
        assert fetch(f"{widget_server}{page}{query}")[1] == english_page, query
    assert fetch(f"{widget_server}{page}?lang=zh-CN")[1] == chinese


def test_the_chinese_pages_fill_the_same_placeholders_and_keep_the_language():
    from channels.widget import STATIC

    for name in ("index", "privacy"):
        english_page = (STATIC / f"{name}.html").read_text()
        chinese = (STATIC / f"{name}.zh.html").read_text()
        placeholders = set(re.findall(r"\{\{\w+\}\}", english_page))
        assert set(re.findall(r"\{\{\w+\}\}", chinese)) == placeholders, name
        # Links between the Chinese pages stay Chinese.
        for href in re.findall(r'href="([^"]+\.html[^"]*|\./[^"]*)"', chinese):
            assert href.endswith("lang=zh"), (name, href)
    index = (STATIC / "index.zh.html").read_text()
    assert 'src="widget.js"' in index and 'data-server="{{rasa_url}}"' in index
