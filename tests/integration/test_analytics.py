"""The screening analytics (``bot.jobs.analytics``): Rasa-shaped events through a real
RabbitMQ queue into the application database, on SQLite and PostgreSQL.

Events are built with Rasa's own event classes (``Event.as_dict()`` plus
``sender_id``, exactly what ``rasa.core.tracker_store`` hands to the Pika broker) and
published, persistent, to a queue of the test's own. RabbitMQ is expected at
127.0.0.1:5672 (guest/guest); the tests skip without it, except under ``CI=true``.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from support import ROOT
from support.services import need_listening

from bot.jobs import analytics
from bot.store.db import (
    make_engine,
    make_session_factory,
    session_scope,
    upgrade_to_head,
)
from bot.store.models import AnalyticsEvent

RABBITMQ = ("127.0.0.1", 5672)
SECRET = b"s" * 32


def _rabbitmq_or_skip() -> None:
    need_listening("RabbitMQ", *RABBITMQ)


@pytest.fixture
def broker() -> Iterator[analytics.BrokerConfig]:
    """A queue of the test's own on the local RabbitMQ, deleted afterwards."""
    _rabbitmq_or_skip()
    config = analytics.BrokerConfig(
        host=RABBITMQ[0], port=RABBITMQ[1], queue=f"test_analytics_{uuid.uuid4().hex}"
    )
    yield config
    asyncio.run(_delete_queue(config))


@pytest.fixture
def migrated(db_url: str, contact_key: bytes) -> Iterator[Engine]:
    """The application database at the latest migration (0003 included)."""
    upgrade_to_head(db_url)
    engine = make_engine(db_url, contact_key=contact_key)
    try:
        yield engine
    finally:
        engine.dispose()


async def _delete_queue(config: analytics.BrokerConfig) -> None:
    import aio_pika

    connection = await aio_pika.connect_robust(config.url)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(config.queue)


async def _publish(config: analytics.BrokerConfig, bodies: list[bytes]) -> None:
    """Publish as Rasa's Pika broker does: persistent JSON, queue declared durable."""
    import aio_pika

    connection = await aio_pika.connect_robust(config.url)
    async with connection:
        channel = await connection.channel()
        await channel.declare_queue(config.queue, durable=True)
        for body in bodies:
            await channel.default_exchange.publish(
                aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                routing_key=config.queue,
            )


async def _queue_depth(config: analytics.BrokerConfig) -> int:
    import aio_pika

    connection = await aio_pika.connect_robust(config.url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(config.queue, durable=True)
        return queue.declaration_result.message_count


def _drain(config: analytics.BrokerConfig, engine: Engine) -> analytics.ConsumerStats:
    return asyncio.run(
        analytics.consume(
            config, make_session_factory(engine), SECRET, idle_exit=2.0, retry_delay=0
        )
    )


def _conversation(sender: str, channel: str, start: float) -> list[bytes]:
    """One short conversation as Rasa publishes it (its own event classes)."""
    from rasa.shared.core.events import (
        ActionExecuted,
        BotUttered,
        SessionStarted,
        SlotSet,
        UserUttered,
    )

    events = [
        ActionExecuted("action_session_start", timestamp=start),
        SessionStarted(timestamp=start + 0.001),
        ActionExecuted("action_listen", timestamp=start + 0.002),
        UserUttered(
            "my name is Wang Wei and my bilirubin is 120",
            intent={"name": "inform", "confidence": 0.93},
            entities=[{"entity": "lab_value", "value": "120"}],
            input_channel=channel,
            timestamp=start + 1,
        ),
        SlotSet("bilirubin", "120 umol/L", timestamp=start + 1.1),
        ActionExecuted("screening_form", timestamp=start + 1.2),
        BotUttered("Thanks. Any swelling of the belly?", timestamp=start + 1.3),
        UserUttered(
            "purple elephant",
            intent={"name": analytics.NLU_FALLBACK, "confidence": 0.3},
            input_channel=channel,
            timestamp=start + 2,
        ),
        ActionExecuted(analytics.DEFAULT_FALLBACK_ACTION, timestamp=start + 2.1),
    ]
    return [
        json.dumps({"sender_id": sender, **event.as_dict()}).encode()
        for event in events
    ]


def test_events_are_consumed_into_rows_and_summarised(
    broker: analytics.BrokerConfig, migrated: Engine
) -> None:
    a, b = f"person-a-{uuid.uuid4().hex}", f"+8613800{uuid.uuid4().int % 10**6:06d}"
    bodies = _conversation(a, "rest", 1_764_000_000.0) + _conversation(
        b, "socketio", 1_764_000_100.0
    )
    asyncio.run(_publish(broker, bodies))

    stats = _drain(broker, migrated)

    # Per conversation: 2 session actions + listen + 2 user + form + bot + fallback
    # action + session_started = 8 kept; SlotSet dropped.
    assert (stats.stored, stats.skipped, stats.duplicates, stats.rejected) == (
        16,
        2,
        0,
        0,
    )
    assert asyncio.run(_queue_depth(broker)) == 0  # every message acknowledged
    with session_scope(migrated) as session:
        rows = session.execute(select(AnalyticsEvent)).scalars().all()
        users = [row for row in rows if row.event_type == "user"]
        assert sorted((r.intent, r.channel) for r in users) == [
            ("inform", "rest"),
            ("inform", "socketio"),
            ("nlu_fallback", "rest"),
            ("nlu_fallback", "socketio"),
        ]
        assert {round(r.confidence, 2) for r in users} == {0.93, 0.3}
        actions = {r.action for r in rows if r.event_type == "action"}
        assert actions == {
            "action_session_start",
            "action_listen",
            "screening_form",
            "action_default_fallback",
        }
        assert {r.sender_key for r in rows} == {
            analytics.conversation_key(SECRET, a),
            analytics.conversation_key(SECRET, b),
        }
        first = min(rows, key=lambda r: r.occurred_at)
        assert first.occurred_at.timestamp() == pytest.approx(1_764_000_000.0)

        summary = analytics.summarise(session)
    assert summary.conversations == 2
    assert summary.user_messages == 4
    assert summary.messages_per_channel == {"rest": 2, "socketio": 2}
    assert summary.intent_counts == {"inform": 2, "nlu_fallback": 2}
    assert summary.fallback_rate == pytest.approx(0.5)
    assert summary.default_fallback_actions == 2


def test_no_text_and_no_sender_id_is_stored(
    broker: analytics.BrokerConfig, migrated: Engine
) -> None:
    sender = f"+86138{uuid.uuid4().int % 10**8:08d}"
    asyncio.run(_publish(broker, _conversation(sender, "sms", 1_764_000_500.0)))
    assert _drain(broker, migrated).stored == 8

    # Every value of every column of the table, as the database holds it.
    with migrated.connect() as connection:
        raw = connection.exec_driver_sql("SELECT * FROM analytics_events").all()
    dump = " ".join(str(value) for row in raw for value in row)
    assert len(raw) == 8
    for secret_text in (sender, "Wang Wei", "bilirubin", "swelling", "elephant"):
        assert secret_text not in dump


def test_a_redelivered_event_is_not_counted_twice(
    broker: analytics.BrokerConfig, migrated: Engine
) -> None:
    bodies = _conversation(f"p-{uuid.uuid4().hex}", "rest", 1_764_001_000.0)
    asyncio.run(_publish(broker, bodies))
    first = _drain(broker, migrated)
    # Rasa republishes the whole batch after a reconnect, and one event twice more.
    asyncio.run(_publish(broker, bodies + bodies[3:4]))
    second = _drain(broker, migrated)

    assert first.stored == 8
    assert (second.stored, second.duplicates, second.skipped) == (0, 9, 1)
    with session_scope(migrated) as session:
        summary = analytics.summarise(session)
        count = len(session.execute(select(AnalyticsEvent.id)).all())
    assert count == 8
    assert summary.user_messages == 2
    assert summary.intent_counts == {"inform": 1, "nlu_fallback": 1}


def test_malformed_messages_are_rejected_and_the_rest_go_on(
    broker: analytics.BrokerConfig, migrated: Engine
) -> None:
    good = _conversation(f"p-{uuid.uuid4().hex}", "rest", 1_764_002_000.0)
    bad = [
        b"\xff\xfe not json",
        b"[1, 2, 3]",
        json.dumps({"event": "user", "timestamp": 1.0}).encode(),  # no sender
        json.dumps({"event": "user", "sender_id": "x"}).encode(),  # no timestamp
    ]
    asyncio.run(_publish(broker, bad[:2] + good + bad[2:]))

    stats = _drain(broker, migrated)

    assert (stats.stored, stats.rejected) == (8, 4)
    assert asyncio.run(_queue_depth(broker)) == 0


def test_an_unacknowledged_message_stays_in_the_queue(
    broker: analytics.BrokerConfig, tmp_path: Path
) -> None:
    """Ack only after commit: with the database unusable, nothing is acknowledged."""
    # A database without the analytics table: every insert fails.
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    bodies = _conversation(f"p-{uuid.uuid4().hex}", "rest", 1_764_003_000.0)
    asyncio.run(_publish(broker, bodies[3:4]))

    async def run_briefly() -> analytics.ConsumerStats:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(1.5, stop.set)
        return await analytics.consume(
            broker, make_session_factory(engine), SECRET, stop=stop, retry_delay=0.2
        )

    stats = asyncio.run(run_briefly())
    engine.dispose()

    assert stats.stored == 0 and stats.requeued >= 1
    assert asyncio.run(_queue_depth(broker)) == 1


def test_the_command_line_consumes_and_summarises(
    broker: analytics.BrokerConfig, tmp_path: Path, contact_key: bytes
) -> None:
    """``python -m bot analytics`` with the production variable names."""
    bodies = _conversation(f"p-{uuid.uuid4().hex}", "telegram", 1_764_004_000.0)
    asyncio.run(_publish(broker, bodies))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "CONTACT_KEY": contact_key.decode(),
        "RABBITMQ_HOST": broker.host,
        "RABBITMQ_PORT": str(broker.port),
        "RABBITMQ_USER": broker.username,
        "RABBITMQ_PASSWORD": broker.password,
        "RASA_EVENT_QUEUE": broker.queue,
    }
    consumed = subprocess.run(
        [sys.executable, "-m", "bot", "analytics", "--idle-exit", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert consumed.returncode == 0, consumed.stderr
    assert "stored 8" in consumed.stdout
    summary = subprocess.run(
        [sys.executable, "-m", "bot", "analytics", "--summary"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert summary.returncode == 0, summary.stderr
    assert json.loads(summary.stdout) == {
        "conversations": 1,
        "user_messages": 2,
        "messages_per_channel": {"telegram": 2},
        "intent_counts": {"inform": 1, "nlu_fallback": 1},
        "fallback_rate": 0.5,
        "default_fallback_actions": 1,
    }


def test_broker_config_reads_the_production_variables() -> None:
    config = analytics.load_broker_config(
        {
            "RABBITMQ_HOST": "rabbitmq",
            "RABBITMQ_PORT": "5673",
            "RABBITMQ_USER": "rasa",
            "RABBITMQ_PASSWORD": "p@ss/word",
            "RASA_EVENT_QUEUE": "rasa_events",
        }
    )
    assert (config.host, config.port, config.queue) == ("rabbitmq", 5673, "rasa_events")
    assert config.url == "amqp://rasa:p%40ss%2Fword@rabbitmq:5673/"
    assert "p@ss" not in repr(config)
    with pytest.raises(ValueError, match="RABBITMQ_PORT"):
        analytics.load_broker_config({"RABBITMQ_PORT": "amqp"})
