"""Telegram, SMS, WhatsApp and Messenger against the running Rasa server.

The servers run once (``conftest.py`` here), with the project's channel connectors
configured from ``credentials.yml`` (secrets in the environment, SMS parts capped at
320 characters so that the opening message must be split). Each
test replays webhook payloads as the platforms document them
(``tests/fixtures/channels/``), signed as the platforms sign them, and checks the
API calls the connectors make, captured by a stub API server on loopback: texts,
keyboards, quick replies or numbered options, splitting, recipients. Forged and
unsigned requests must be refused with 403 and logged without their content. The
screening recorded in the database carries the channel's name, and no platform id
reaches the tracker store or the application database in clear.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from support import FIXTURES as SUPPORT_FIXTURES
from support.stack import (
    SECRETS,
    SMS_LIMIT,
    Call,
    Stack,
    StubAPI,
    last_line,
    message,
    screening_of,
    sender_secret_of,
    shown_outcome,
)

from bot.screening.criteria import load_trial
from bot.settings import load_settings
from channels.common import TEXT_ONLY_REPLY, conversation_id, text_length
from ops.answers import LIKELY_REPLIES

pytestmark = pytest.mark.e2e

FIXTURES = SUPPORT_FIXTURES / "channels"

#: Put into forged requests; must never appear in a log.
MARKER = "FORGED-CONTENT-7d1e"

START, DECLINE = message("ask_screening_consent")["buttons"]
SELF, OTHER = message("ask_respondent")["buttons"]
SHALL_WE = last_line("ask_screening_consent")  # "Shall we start?"
WHO = last_line("ask_respondent")  # "Are you answering for yourself, or ...?"
NUMBERED_START = f"1. {START}\n2. {DECLINE}\nReply with a number, or in your own words."
TRIAL = load_trial()
QUESTIONS = {q.id: q.ask_self for q in TRIAL.questions}


def fixture(name: str) -> Any:
    """A payload from tests/fixtures/channels (a fresh copy)."""
    return copy.deepcopy(json.loads((FIXTURES / name).read_text()))


# --------------------------------------------------------------------------- #
# Servers
# --------------------------------------------------------------------------- #


@pytest.fixture(autouse=True)
def _fresh_calls(api: StubAPI) -> None:
    api.take()


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """POST and return the status and body (HTTP errors included)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=90) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def get(url: str) -> tuple[int, bytes]:
    """GET and return the status and body."""
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


# --------------------------------------------------------------------------- #
# What was recorded
# --------------------------------------------------------------------------- #


def recorded(stack: Stack, channel: str, platform_id: str) -> Any:
    """The latest screening of a platform user."""
    key = conversation_id(channel, platform_id, sender_secret_of(stack))
    return screening_of(stack, channel, key)


def assert_not_stored_in_clear(stack: Stack, *platform_ids: str) -> None:
    """No platform id in the tracker store or the application database files."""
    files = [Path(stack.env["TRACKER_DB"])]
    files.append(Path(load_settings(stack.env).database_url.split("///", 1)[1]))
    for file in files:
        data = file.read_bytes()
        for platform_id in platform_ids:
            assert platform_id.encode() not in data, f"{platform_id} in {file.name}"


def asked(text: str) -> str | None:
    """The screening question a text asks, if any."""
    for fact, wording in QUESTIONS.items():
        if wording in text:
            return fact
    return None


# --------------------------------------------------------------------------- #
# Telegram
# --------------------------------------------------------------------------- #

#: Each run talks as new people (the fixtures' ids, made unique), so that a server
#: kept between runs starts fresh conversations too.
RUN = int(time.time()) % 1_000_000
TG_USER = f"73{RUN:06d}67"


def telegram(
    stack: Stack,
    api: StubAPI,
    update: dict,
    secret: str | None = SECRETS["TELEGRAM_SECRET_TOKEN"],
) -> tuple[int, list[Call]]:
    """Deliver an update as Telegram does; return the status and the API calls."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    status, _ = post(
        f"{stack.rasa_url}/webhooks/telegram/webhook",
        json.dumps(update).encode(),
        headers,
    )
    return status, api.take()


#: Platforms number their updates and messages; a repeated id is a retry, which the
#: connectors skip, so every update of a run gets a new one.
_update_ids = itertools.count(int(time.time() * 1000) % 10**12)


def tg_update(name: str) -> dict:
    """A fixture update with a fresh update_id."""
    update = fixture(name)
    update["update_id"] = next(_update_ids)
    message = update["message"]
    message["from"]["id"] = int(TG_USER)
    if message["chat"]["type"] == "private":
        message["chat"]["id"] = int(TG_USER)
    return update


def tg_text(text: str) -> dict:
    """A text message update from the test user."""
    update = tg_update("telegram_message.json")
    update["message"]["text"] = text
    update["message"].pop("entities")
    return update


def sent_messages(calls: list[Call], method: str = "sendMessage") -> list[dict]:
    """The JSON bodies of one Bot API method's calls."""
    token = SECRETS["TELEGRAM_BOT_TOKEN"]
    return [c.json for c in calls if c.path == f"/bot{token}/{method}"]


def test_telegram_registers_its_webhook_with_the_secret_at_start(
    stack: Stack, api: StubAPI
):
    token = SECRETS["TELEGRAM_BOT_TOKEN"]
    deadline = time.monotonic() + 30  # registered just after the server starts
    while True:
        registered = [
            c.json for c in api.history if c.path == f"/bot{token}/setWebhook"
        ]
        if registered or time.monotonic() > deadline:
            break
        time.sleep(0.2)

    assert registered == [
        {
            "url": "https://bot.example.org/webhooks/telegram/webhook",
            "secret_token": SECRETS["TELEGRAM_SECRET_TOKEN"],
            "allowed_updates": ["message", "callback_query"],
        }
    ]


def test_telegram_conversation_with_reply_keyboards(stack: Stack, api: StubAPI):
    status, calls = telegram(stack, api, tg_update("telegram_message.json"))  # /start

    assert status == 200
    assert sent_messages(calls, "sendChatAction") == [
        {"chat_id": TG_USER, "action": "typing"}
    ]
    opening = sent_messages(calls)
    assert SHALL_WE in opening[-1]["text"]
    assert all(m["chat_id"] == TG_USER for m in opening)
    markup = opening[-1]["reply_markup"]
    assert markup["one_time_keyboard"] is True
    assert [b["text"] for row in markup["keyboard"] for b in row] == [START, DECLINE]

    _, calls = telegram(stack, api, tg_text(START))  # a keyboard tap
    assert WHO in sent_messages(calls)[-1]["text"]

    _, calls = telegram(stack, api, tg_text(SELF))
    last = sent_messages(calls)[-1]
    assert asked(last["text"]) == "age"
    assert last["reply_markup"]["keyboard"] == [[{"text": "I don't know"}]]

    _, calls = telegram(stack, api, tg_text("45"))
    last = sent_messages(calls)[-1]
    assert asked(last["text"]) == "liver_transplant"
    # short options side by side, in one row
    assert last["reply_markup"]["keyboard"] == [
        [{"text": "Yes"}, {"text": "No"}, {"text": "Not sure"}]
    ]

    screening = recorded(stack, "telegram", TG_USER)
    assert screening.channel == "telegram"
    assert screening.conversation_id != TG_USER
    assert_not_stored_in_clear(stack, TG_USER)


def test_telegram_photo_gets_a_text_only_answer_and_groups_are_ignored(
    stack: Stack, api: StubAPI
):
    status, calls = telegram(stack, api, tg_update("telegram_photo.json"))
    assert status == 200
    assert [m["text"] for m in sent_messages(calls)] == [TEXT_ONLY_REPLY]

    status, calls = telegram(stack, api, tg_update("telegram_group.json"))
    assert status == 200
    assert calls == []


def test_telegram_refuses_forged_and_unsigned_updates(stack: Stack, api: StubAPI):
    forged = tg_text(MARKER)

    assert telegram(stack, api, forged, secret="guessed-secret") == (403, [])
    assert telegram(stack, api, forged, secret=None) == (403, [])

    log = stack.log("rasa")
    assert "telegram: refused a webhook request" in log
    assert "wrong secret token" in log and "no secret token header" in log
    assert MARKER not in log


# --------------------------------------------------------------------------- #
# Twilio: SMS and WhatsApp
# --------------------------------------------------------------------------- #

SMS_USER = f"+1415{RUN:06d}3"
WA_USER = f"whatsapp:+86138{RUN:06d}0"
_sids = itertools.count(int(time.time() * 1000))


def twilio_signature(url: str, params: dict[str, str], token: str) -> str:
    """X-Twilio-Signature as Twilio's docs define it, written out independently:
    base64(HMAC-SHA1(auth token, URL + each POST parameter's name and value,
    sorted by name))."""
    data = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def twilio(
    stack: Stack,
    api: StubAPI,
    channel: str,
    params: dict[str, str],
    *,
    signature: str | None = "sign",
    signed_params: dict[str, str] | None = None,
    signed_url: str | None = None,
) -> tuple[int, list[Call]]:
    """Deliver an incoming message as Twilio does (form-encoded, signed)."""
    url = f"{stack.rasa_url}/webhooks/{channel}/webhook"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature == "sign":
        signature = twilio_signature(
            signed_url or url, signed_params or params, SECRETS["TWILIO_AUTH_TOKEN"]
        )
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    status, body = post(url, urllib.parse.urlencode(params).encode(), headers)
    if status == 200:
        assert b"<Response></Response>" in body
    return status, api.take()


def sms(text: str, fixture_name: str = "twilio_sms.json") -> dict[str, str]:
    """An incoming message with a fresh MessageSid."""
    params = fixture(fixture_name)
    sid = f"SM{next(_sids):032d}"
    params.update(Body=text, MessageSid=sid, SmsMessageSid=sid, SmsSid=sid)
    if params["From"].startswith("whatsapp:"):
        params.update(From=WA_USER, WaId=WA_USER.removeprefix("whatsapp:+"))
    else:
        params["From"] = SMS_USER
    return params


def bodies(calls: list[Call]) -> list[dict[str, str]]:
    """The form bodies of the Messages API calls."""
    path = f"/2010-04-01/Accounts/{SECRETS['TWILIO_ACCOUNT_SID']}/Messages.json"
    assert all(c.path == path for c in calls), [c.path for c in calls]
    return [c.form for c in calls]


def test_sms_numbered_options_split_messages_and_number_replies(
    stack: Stack, api: StubAPI
):
    status, calls = twilio(stack, api, "sms", sms("Hi"))

    assert status == 200
    basic = base64.b64encode(
        f"{SECRETS['TWILIO_ACCOUNT_SID']}:{SECRETS['TWILIO_AUTH_TOKEN']}".encode()
    ).decode()
    assert all(c.headers["authorization"] == f"Basic {basic}" for c in calls)
    sent = bodies(calls)
    assert all(b["To"] == SMS_USER and b["From"] == "+15005550006" for b in sent)
    parts = [b["Body"] for b in sent]
    # The opening message is longer than the 320-character cap: split, at sentence
    # or paragraph ends, with the numbered options at the very end.
    assert len(parts) >= 2
    assert all(text_length(p) <= SMS_LIMIT for p in parts)
    assert all(p.rstrip().endswith((".", "?", "!", "words.")) for p in parts)
    assert parts[-1].endswith(NUMBERED_START)

    _, calls = twilio(stack, api, "sms", sms("1"))  # = START
    last = bodies(calls)[-1]["Body"]
    assert WHO in last
    assert f"1. {SELF}\n2. {OTHER}" in last

    _, calls = twilio(stack, api, "sms", sms("1"))  # = SELF
    last = bodies(calls)[-1]["Body"]
    assert asked(last) == "age"
    assert last.endswith('You can also reply "I don\'t know".')  # one option: no number

    _, calls = twilio(stack, api, "sms", sms("45"))
    last = bodies(calls)[-1]["Body"]
    assert asked(last) == "liver_transplant"
    assert "1. Yes\n2. No\n3. Not sure" in last

    _, calls = twilio(stack, api, "sms", sms("2"))  # = "No"
    assert asked(bodies(calls)[-1]["Body"]) not in (None, "liver_transplant")

    screening = recorded(stack, "sms", SMS_USER)
    assert screening.channel == "sms"
    assert_not_stored_in_clear(stack, SMS_USER, SMS_USER.lstrip("+"))


def test_sms_refuses_forged_unsigned_and_tampered_requests(stack: Stack, api: StubAPI):
    params = sms(MARKER)
    wrong_token = twilio_signature(
        f"{stack.rasa_url}/webhooks/sms/webhook", params, "not-the-auth-token"
    )

    assert twilio(stack, api, "sms", params, signature=None) == (403, [])
    assert twilio(stack, api, "sms", params, signature=wrong_token) == (403, [])
    assert twilio(
        stack, api, "sms", params, signed_params={**params, "Body": "hello"}
    ) == (403, [])
    assert twilio(
        stack, api, "sms", params, signed_url="https://elsewhere.example/webhook"
    ) == (403, [])
    log = stack.log("rasa")
    assert "sms: refused a webhook request" in log
    assert MARKER not in log


def test_whatsapp_replies_from_the_whatsapp_number(stack: Stack, api: StubAPI):
    status, calls = twilio(stack, api, "whatsapp", sms("Hello", "twilio_whatsapp.json"))

    assert status == 200
    sent = bodies(calls)
    assert sent and all(
        b["To"] == WA_USER and b["From"] == "whatsapp:+14155238886" for b in sent
    )
    # WhatsApp keeps Twilio's full 1600 characters: the opening is one message
    assert len(sent) == 1
    assert sent[0]["Body"].endswith(NUMBERED_START)
    for reply in ("1", "1", "45"):  # start, for myself, the age
        twilio(stack, api, "whatsapp", sms(reply, "twilio_whatsapp.json"))
    assert recorded(stack, "whatsapp", WA_USER).channel == "whatsapp"
    assert_not_stored_in_clear(stack, WA_USER.removeprefix("whatsapp:+"))

    # a WhatsApp message posted to the SMS webhook is not answered by SMS
    status, calls = twilio(stack, api, "sms", sms("Hello", "twilio_whatsapp.json"))
    assert (status, calls) == (200, [])


# --------------------------------------------------------------------------- #
# Messenger
# --------------------------------------------------------------------------- #

FB_USER = f"690417{RUN:06d}2345"
_mids = itertools.count(int(time.time() * 1000))


def messenger(
    stack: Stack, api: StubAPI, payload: dict, *, signature: str | None = "sign"
) -> tuple[int, list[Call]]:
    """Deliver a webhook event as Meta does (signed with the app secret)."""
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        digest = hmac.new(
            SECRETS["FACEBOOK_APP_SECRET"].encode(), body, hashlib.sha256
        ).hexdigest()
        signature = f"sha256={digest}"
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    status, _ = post(f"{stack.rasa_url}/webhooks/messenger/webhook", body, headers)
    return status, api.take()


def fb_text(text: str, sender: str = FB_USER, quick_reply: bool = False) -> dict:
    """A message event (typed text, or a tapped quick reply)."""
    payload = fixture(
        "messenger_quick_reply.json" if quick_reply else "messenger_message.json"
    )
    event = payload["entry"][0]["messaging"][0]
    event["sender"]["id"] = sender
    event["message"]["mid"] = f"m_test_{next(_mids)}"
    event["message"]["text"] = text
    if quick_reply:
        event["message"]["quick_reply"]["payload"] = text
    return payload


def fb_messages(calls: list[Call]) -> list[dict]:
    """The Send API message bodies (not sender actions)."""
    token = SECRETS["FACEBOOK_PAGE_ACCESS_TOKEN"]
    proof = hmac.new(
        SECRETS["FACEBOOK_APP_SECRET"].encode(), token.encode(), hashlib.sha256
    ).hexdigest()
    for call in calls:
        assert call.path == "/v18.0/me/messages"
        assert call.query == {"access_token": [token], "appsecret_proof": [proof]}
    return [c.json for c in calls if "message" in c.json]


def test_messenger_subscription_handshake(stack: Stack):
    base = f"{stack.rasa_url}/webhooks/messenger/webhook?hub.mode=subscribe"
    token = SECRETS["FACEBOOK_VERIFY_TOKEN"]

    assert get(f"{base}&hub.verify_token={token}&hub.challenge=1158201444") == (
        200,
        b"1158201444",
    )
    assert get(f"{base}&hub.verify_token=guess&hub.challenge=1")[0] == 403


#: The widget's answers, but the encephalopathy grade by number: its options are too
#: long for quick replies, so they are numbered ("1. No confusion").
ANSWERS = {**LIKELY_REPLIES, "encephalopathy": "1"}


def test_messenger_whole_screening_with_quick_replies(stack: Stack, api: StubAPI):
    status, calls = messenger(stack, api, fb_text("hello"))

    assert status == 200
    assert calls[0].json == {
        "recipient": {"id": FB_USER},
        "sender_action": "typing_on",
    }
    opening = fb_messages(calls)[-1]
    assert opening["recipient"] == {"id": FB_USER}
    assert opening["messaging_type"] == "RESPONSE"
    assert opening["message"]["quick_replies"] == [
        {"content_type": "text", "title": title, "payload": title}
        for title in (START, DECLINE)
    ]

    _, calls = messenger(stack, api, fb_text(START, quick_reply=True))
    _, calls = messenger(stack, api, fb_text(SELF, quick_reply=True))
    seen: list[str] = []
    for _ in range(40):
        last = fb_messages(calls)[-1]["message"]
        fact = asked(last["text"])
        if fact is None:
            break
        seen.append(fact)
        replies = last.get("quick_replies", [])
        assert all(len(q["title"]) <= 20 for q in replies)
        if fact == "encephalopathy":
            # titles longer than 20 characters: a numbered list instead
            assert not replies
            assert "1. No confusion\n2. A little confused" in last["text"]
        answer = ANSWERS[fact]
        is_reply = any(q["title"] == answer for q in last.get("quick_replies", []))
        _, calls = messenger(stack, api, fb_text(answer, quick_reply=is_reply))
    else:
        raise AssertionError(f"no result after 40 turns: {seen}")

    # The result reached Messenger, and the database holds the same outcome (that
    # these answers give likely_eligible is tests/e2e/test_rest.py's concern).
    outcome = shown_outcome("\n".join(m["message"]["text"] for m in fb_messages(calls)))
    assert outcome is not None
    assert "encephalopathy" in seen
    screening = recorded(stack, "messenger", FB_USER)
    assert (screening.channel, screening.outcome) == ("messenger", outcome)
    assert_not_stored_in_clear(stack, FB_USER)


def test_messenger_handles_every_event_of_a_batch(stack: Stack, api: StubAPI):
    payload = fb_text("hello", sender=f"70{RUN:06d}00001")
    second = fb_text("hello", sender=f"70{RUN:06d}00002")["entry"][0]
    payload["entry"].append(second)

    status, calls = messenger(stack, api, payload)

    assert status == 200
    recipients = {m["recipient"]["id"] for m in fb_messages(calls)}
    assert recipients == {f"70{RUN:06d}00001", f"70{RUN:06d}00002"}


def test_messenger_refuses_forged_and_unsigned_events(stack: Stack, api: StubAPI):
    payload = fb_text(MARKER)
    body = json.dumps(payload).encode()
    sha1 = hmac.new(SECRETS["FACEBOOK_APP_SECRET"].encode(), body, hashlib.sha1)
    wrong = hmac.new(b"not-the-app-secret", body, hashlib.sha256).hexdigest()

    assert messenger(stack, api, payload, signature=None) == (403, [])
    assert messenger(stack, api, payload, signature=f"sha256={wrong}") == (403, [])
    assert messenger(stack, api, payload, signature=f"sha1={sha1.hexdigest()}") == (
        403,
        [],
    )
    log = stack.log("rasa")
    assert "messenger: refused a webhook request" in log
    assert MARKER not in log


# --------------------------------------------------------------------------- #
# "Delete my answers" in a messaging app
# --------------------------------------------------------------------------- #

ERASURE_DONE = message("erasure_done")["text"].strip()


def test_telegram_erasure_confirmation_is_plain_text(stack: Stack, api: StubAPI):
    """The confirmation carries the widget's mark ({"erased": true}); Telegram
    gets the confirmation's text only, and the erasure happens."""
    user = f"74{RUN:06d}68"

    def say(text: str) -> list[dict]:
        update = tg_text(text)
        update["message"]["from"]["id"] = update["message"]["chat"]["id"] = int(user)
        status, calls = telegram(stack, api, update)
        assert status == 200
        return sent_messages(calls)

    for text in ("Hello", START, SELF, "45"):
        say(text)
    assert recorded(stack, "telegram", user).channel == "telegram"
    assert "cannot be undone" in say("delete my answers")[-1]["text"]

    sent = say("Yes, delete")
    assert [m["text"] for m in sent] == [ERASURE_DONE]
    assert "erased" not in json.dumps(sent)
    assert "custom payloads are not supported" not in stack.log("rasa")
    with pytest.raises(AssertionError, match="no screening"):
        recorded(stack, "telegram", user)


def test_sms_erasure_confirmation_is_plain_text(stack: Stack, api: StubAPI):
    """The same by SMS, the confirming "1" picking "Yes, delete"."""
    user = f"+1415{RUN:06d}9"

    def say(text: str) -> list[str]:
        params = sms(text)
        params["From"] = user
        status, calls = twilio(stack, api, "sms", params)
        assert status == 200
        return [b["Body"] for b in bodies(calls)]

    for text in ("Hi", "1", "1", "45"):  # start, for myself, the age
        say(text)
    assert recorded(stack, "sms", user).channel == "sms"
    asked_erasure = say("delete my answers")
    assert "cannot be undone" in "\n".join(asked_erasure)
    assert asked_erasure[-1].endswith(
        "1. Yes, delete\n2. No, keep them\n"
        + ("Reply with a number, or in your own words.")
    )

    assert say("1") == [ERASURE_DONE]
    with pytest.raises(AssertionError, match="no screening"):
        recorded(stack, "sms", user)
