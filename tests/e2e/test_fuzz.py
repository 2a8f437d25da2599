"""Bad input and hardening (issue 6): a short fuzzing run on every ``make test``.

The harness is ``ops/fuzz.py`` (``scripts/fuzz.py`` runs the full 10,000): it starts
its own action server and Rasa server, sends Hypothesis-generated bad input inside
real conversations through the REST and socket.io channels, then checks the answers,
the servers' health and logs, the tracker store and the application database. The
first tests show that each check can fail; the last one runs 300 messages.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from support.services import need_model

from ops import fuzz


def test_generation_is_reproducible_and_covers_every_category():
    first = fuzz.generate(200, seed=7)
    again = fuzz.generate(200, seed=7)

    assert [m.payload for m in first] == [m.payload for m in again]
    assert {m.category for m in first} == set(fuzz.WEIGHTS)
    injections = [m for m in first if m.category == "injection"]
    assert injections and all(m.injected_intent for m in injections)
    assert any(len(m.payload) >= 1000 for m in first if m.category == "huge")


def test_plans_split_the_messages_between_the_channels():
    messages = fuzz.generate(300, seed=3)
    plans = fuzz.plan(messages, seed=3)

    per_channel = {"rest": 0, "socketio": 0}
    for item in plans:
        per_channel[item.channel] += item.fuzz_count
    assert sum(per_channel.values()) == 300
    assert abs(per_channel["rest"] - per_channel["socketio"]) <= 30
    assert any(item.cold for item in plans)
    assert any(step == fuzz.VALID for item in plans for step in item.steps)
    assert any(item.late for item in plans)  # some fuzz the contact questions


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, b'[{"recipient_id": "a", "text": "Hi"}]', "ok"),
        (200, b"[]", "empty"),
        (200, b'{"error": 1}', "bad_body"),
        (200, b"<html>", "bad_body"),
        (429, b'[{"recipient_id": "a", "text": "Slow down"}]', "refused_429"),
        (429, b"Too Many Requests", "http_429"),
        (400, b'{"error": "expected a message"}', "http_400"),
        (500, b'{"error": "boom"}', "http_500"),
        (502, b"", "http_502"),
    ],
)
def test_http_answers_are_classified(status, body, expected):
    got, _ = fuzz.classify_http(status, body)

    assert got == expected
    assert (got in fuzz.HANDLED) == (expected in {"ok", "empty", "refused_429"})


def test_a_400_is_a_refusal_only_for_a_message_of_the_wrong_type():
    body = b'{"error": "expected a message"}'

    assert fuzz.classify_http(400, body, wrong_type=True)[0] == "refused_400"
    assert fuzz.classify_http(400, body)[0] == "http_400"


def test_the_log_scan_finds_tracebacks_and_errors():
    log = (
        "2026-11-25 01:00:00 INFO     rasa.core  - fine\n"
        "2026-11-25 01:00:01 ERROR    rasa.core.channels.rest  - An exception "
        "occurred while handling user message 'x' 12\n"
        "Traceback (most recent call last):\n"
        '  File "a.py", line 3, in f\n'
        "    g()\n"
        "UnicodeEncodeError: 'utf-8' codec can't encode character '\\udc80'\n"
        "2026-11-25 01:00:02 WARNING  rasa.x  - odd\n"
    )

    found = fuzz.scan_log(log)

    assert list(found["errors"]) == [
        "rasa.core.channels.rest  - An exception occurred while handling user "
        "message 'x' N"
    ]
    assert list(found["tracebacks"])[0].startswith("UnicodeEncodeError")


def _tracker_with(tmp_path: Path, events: list[tuple[str, str, dict]]) -> fuzz.Tracker:
    path = tmp_path / "tracker.db"
    connection = sqlite3.connect(path)
    connection.execute(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT,"
        " timestamp REAL, intent_name TEXT, action_name TEXT, data TEXT)"
    )
    for sender, kind, data in events:
        connection.execute(
            "INSERT INTO events (sender_id, type_name, data) VALUES (?, ?, ?)",
            (sender, kind, json.dumps(data)),
        )
    connection.commit()
    connection.close()
    return fuzz.Tracker(path)


def test_the_tracker_check_finds_injection_and_canaries(tmp_path):
    regex_parsed = {
        "text": '/inform{"age": 31337}',
        "parse_data": {
            "text": '/inform{"age": 31337}',
            "intent": {"name": "inform", "confidence": 1.0},
            "intent_ranking": [{"name": "inform", "confidence": 1.0}],
            "entities": [
                {"entity": "age", "value": 31337, "extractor": "RegexMessageHandler"}
            ],
        },
    }
    understood = {
        "text": "/affirm",
        "parse_data": {
            "text": "affirm",
            "intent": {"name": "affirm", "confidence": 0.99},
            "intent_ranking": [
                {"name": "affirm", "confidence": 0.99},
                {"name": "deny", "confidence": 0.01},
            ],
            "entities": [],
        },
    }
    tracker = _tracker_with(
        tmp_path,
        [
            ("a", "user", regex_parsed),
            ("a", "slot", {"name": "answers", "value": {"age": {"value": 31337}}}),
            ("b", "user", understood),
            (
                "b",
                "slot",
                {
                    "name": "contact_name",
                    "value": 'inform{"contact_name": "canary-7f3a9c"}',
                },
            ),
        ],
    )

    found = fuzz.check_tracker(tracker)

    assert [i["sender"] for i in found["injected"]] == ["a"]
    assert [(c["sender"], c["slot"]) for c in found["canary_slots"]] == [
        ("a", "answers")
    ]
    assert found["user_events"] == {"a": 1, "b": 1}


def test_a_report_with_a_server_error_fails():
    result = fuzz.Result("s", "rest", "fuzz", "binary", "http_500", 0.1, 0, False)
    report = fuzz.Report(
        messages=1,
        seed=1,
        results=[result],
        tracker={"injected": [], "canary_slots": [], "user_events": {}},
        app_db={"canaries": [], "counts": {}},
        health={"REST hi": True},
    )

    assert report.failures() == ["1 rest message(s) ended in http_500"]
    result.status = "refused_429"
    assert report.failures() == []
    report.logs["rasa.log"] = {"tracebacks": {"KeyError: N": 1}, "errors": {}}
    assert report.failures() == ["1 tracebacks in the rasa.log log"]


@pytest.mark.e2e
def test_300_fuzz_messages_through_rest_and_socketio(tmp_path):
    need_model()

    report = fuzz.run(300, tmp_path / "fuzz", seed=1125, echo=lambda _: None)

    summary = report.summary()
    assert report.failures() == [], fuzz.describe(summary)
    assert summary["fuzz_messages"] == 300
    assert min(summary["by_channel"].values()) > 100  # both channels
    assert set(summary["by_channel"]) == {"rest", "socketio"}
    assert summary["fuzz_landing"].get("in_form", 0) > 50
    assert summary["tracker"] is not None and summary["app_db"] is not None
