"""Screening analytics fed by Rasa's event broker: ``python -m bot analytics``.

Rasa (``deploy/endpoints.production.yml``, ``event_broker: type: pika``) publishes
every new tracker event to a durable RabbitMQ queue as JSON: the event's own dict
(``rasa.shared.core.events.Event.as_dict()``) plus ``sender_id``. The consumer here
reads that queue and writes one :class:`bot.store.models.AnalyticsEvent` row per event
it keeps, then acknowledges the message; :func:`summarise` answers the questions the
study team asks of it (conversations, messages per channel, intents, fallback rate).

What is stored, and what is not:

* kept event types: ``user``, ``bot``, ``action``, ``session_started``,
  ``restart``; every other type (slots, loops, featurization, ...) is
  acknowledged and dropped;
* never the message text, entities or slot values, and never the sender id: the
  conversation id is replaced by :func:`conversation_key`, an HMAC under the
  deployment's sender secret (``bot.settings.sender_secret``) with a label of its
  own, so an analytics row cannot be joined to a screening by its hash;
* the idempotency key :func:`event_key` (sender hash, event timestamp, type, name)
  is unique in the table: when Rasa republishes after a reconnect, or RabbitMQ
  redelivers an unacknowledged message, the second copy is acknowledged and not
  counted.

A message is acknowledged only after its row is committed (or found to be a
duplicate, or rejected as malformed), so a crash loses nothing: RabbitMQ hands
unacknowledged messages to the next consumer. A database error leaves the message
unacknowledged and returns it to the queue (``nack`` with requeue) after a pause.

This module imports nothing from Rasa; it talks to RabbitMQ with aio-pika.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from bot.settings import Settings, load_settings
from bot.store.models import UTC, AnalyticsEvent
from bot.store.repository import sender_key

logger = logging.getLogger(__name__)

#: Rasa event types the analytics keeps.
KEPT_EVENTS = frozenset({"user", "bot", "action", "session_started", "restart"})
#: The intent Rasa's FallbackClassifier predicts for low-confidence messages.
NLU_FALLBACK = "nlu_fallback"
#: The action Rasa runs when the dialogue policies cannot decide.
DEFAULT_FALLBACK_ACTION = "action_default_fallback"
#: The queue Rasa's Pika broker uses when none is configured.
DEFAULT_QUEUE = Settings.rasa_event_queue
# The "channel" part of conversation_key(): a label of its own, so an analytics
# hash never equals a screening's sender_key (bot.store.repository.sender_key).
_KEY_LABEL = "analytics"


@dataclass(frozen=True)
class BrokerConfig:
    """Where the event broker is: the same variables ``endpoints.production.yml``
    hands to Rasa's Pika broker.

    Attributes:
        host: RabbitMQ host (``RABBITMQ_HOST``).
        port: Its AMQP port (``RABBITMQ_PORT``).
        username: ``RABBITMQ_USER``.
        password: ``RABBITMQ_PASSWORD``.
        queue: The queue Rasa publishes to (``RASA_EVENT_QUEUE``).
        prefetch: Messages RabbitMQ hands over before the first acknowledgement.
    """

    host: str = Settings.rabbitmq_host
    port: int = 5672
    username: str = Settings.rabbitmq_user
    password: str = field(default=Settings.rabbitmq_password, repr=False)
    queue: str = DEFAULT_QUEUE
    prefetch: int = 100

    @property
    def url(self) -> str:
        """The AMQP URL (contains the password: never log it)."""
        from urllib.parse import quote

        return (
            f"amqp://{quote(self.username, safe='')}:{quote(self.password, safe='')}"
            f"@{self.host}:{self.port}/"
        )


def load_broker_config(env: Mapping[str, str] | None = None) -> BrokerConfig:
    """Read the broker settings from environment variables, with defaults.

    Args:
        env: The variables; the process environment by default.

    Returns:
        The configuration.

    Raises:
        ValueError: ``RABBITMQ_PORT`` is not a port number.
    """
    settings = load_settings(env)
    defaults = BrokerConfig()
    raw_port = (settings.rabbitmq_port or "").strip()
    try:
        port = int(raw_port) if raw_port else defaults.port
    except ValueError:
        raise ValueError("RABBITMQ_PORT must be an integer") from None
    if not 0 < port < 65536:
        raise ValueError("RABBITMQ_PORT must be a port number")
    return BrokerConfig(
        host=settings.rabbitmq_host,
        port=port,
        username=settings.rabbitmq_user,
        password=settings.rabbitmq_password,
        queue=settings.rasa_event_queue,
    )


class MalformedEvent(ValueError):
    """A message that is not a Rasa event (not JSON, no sender, no timestamp)."""


def conversation_key(secret: bytes, sender_id: str) -> str:
    """The keyed hash that stands for a conversation id in the analytics.

    Args:
        secret: The deployment's sender secret (``bot.settings.sender_secret``).
        sender_id: Rasa's conversation id.

    Returns:
        64 hexadecimal characters.
    """
    return sender_key(secret, _KEY_LABEL, sender_id)


def event_key(sender: str, timestamp: float, event_type: str, name: str) -> str:
    """The idempotency key of one event: equal for every copy of the same event.

    Args:
        sender: The conversation's hash (:func:`conversation_key`).
        timestamp: Rasa's event timestamp (seconds since the epoch).
        event_type: Rasa's event type.
        name: The intent (user events), the action (action events), or "".

    Returns:
        64 hexadecimal characters.
    """
    raw = "\x1f".join((sender, repr(float(timestamp)), event_type, name))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def parse_event(body: bytes | str, secret: bytes) -> AnalyticsEvent | None:
    """Turn one broker message into an unsaved row, or ``None`` for a type not kept.

    Args:
        body: The message body, Rasa's JSON.
        secret: The sender secret for :func:`conversation_key`.

    Returns:
        The row (text and sender id left behind), or ``None``.

    Raises:
        MalformedEvent: The body is not a Rasa event.
    """
    try:
        event = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedEvent(f"not JSON: {type(exc).__name__}") from None
    if not isinstance(event, dict):
        raise MalformedEvent("not a JSON object")
    event_type = event.get("event")
    if not isinstance(event_type, str) or not event_type:
        raise MalformedEvent("no event type")
    if event_type not in KEPT_EVENTS:
        return None
    sender_id = event.get("sender_id")
    if not isinstance(sender_id, str) or not sender_id:
        raise MalformedEvent("no sender_id")
    timestamp = event.get("timestamp")
    if isinstance(timestamp, bool) or not isinstance(timestamp, (int, float)):
        raise MalformedEvent("no numeric timestamp")
    try:
        occurred_at = datetime.fromtimestamp(float(timestamp), UTC)
    except (OverflowError, OSError, ValueError):
        raise MalformedEvent("timestamp out of range") from None

    intent = confidence = action = channel = None
    if event_type == "user":
        parse_data = event.get("parse_data")
        found = parse_data.get("intent") if isinstance(parse_data, dict) else None
        if isinstance(found, dict):
            intent = _name(found.get("name"), 128)
            raw_confidence = found.get("confidence")
            if isinstance(raw_confidence, (int, float)) and not isinstance(
                raw_confidence, bool
            ):
                confidence = float(raw_confidence)
        channel = _name(event.get("input_channel"), 64)
    elif event_type == "action":
        action = _name(event.get("name"), 128)

    sender = conversation_key(secret, sender_id)
    return AnalyticsEvent(
        event_key=event_key(sender, timestamp, event_type, intent or action or ""),
        event_type=event_type,
        occurred_at=occurred_at,
        sender_key=sender,
        intent=intent,
        confidence=confidence,
        action=action,
        channel=channel,
    )


def _name(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


@dataclass
class ConsumerStats:
    """What one run of the consumer did."""

    stored: int = 0
    duplicates: int = 0
    skipped: int = 0
    rejected: int = 0
    requeued: int = 0


def store_event(session_factory: Callable[[], Session], row: AnalyticsEvent) -> bool:
    """Commit one row in a transaction of its own.

    Args:
        session_factory: Makes sessions on the application database.
        row: The row (:func:`parse_event`).

    Returns:
        True if stored, False if an event with the same key was already there.

    Raises:
        sqlalchemy.exc.SQLAlchemyError: Any other database failure.
    """
    session = session_factory()
    try:
        exists = session.execute(
            select(AnalyticsEvent.id).where(AnalyticsEvent.event_key == row.event_key)
        ).first()
        if exists is not None:
            return False
        session.add(row)
        try:
            session.commit()
        except IntegrityError:
            # Another consumer stored the same event between our check and insert.
            session.rollback()
            return False
        return True
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


async def consume(
    config: BrokerConfig,
    session_factory: Callable[[], Session],
    secret: bytes,
    *,
    stop: asyncio.Event | None = None,
    idle_exit: float | None = None,
    retry_delay: float = 5.0,
) -> ConsumerStats:
    """Consume the event queue into the analytics table.

    Args:
        config: Where the broker and the queue are.
        session_factory: Makes sessions on the application database.
        secret: The sender secret (``bot.settings.sender_secret``).
        stop: Set it to stop after the message in hand.
        idle_exit: Stop once no message has arrived for this many seconds (a
            one-off drain, and the tests); ``None`` runs until ``stop`` is set.
        retry_delay: Pause after a database error before the next message.

    Returns:
        What was done.
    """
    import aio_pika

    stop = stop or asyncio.Event()
    stats = ConsumerStats()
    inbox: asyncio.Queue[Any] = asyncio.Queue()
    connection = await aio_pika.connect_robust(config.url)
    try:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=config.prefetch)
        # Durable, like Rasa's own declaration, so either side may start first.
        queue = await channel.declare_queue(config.queue, durable=True)
        tag = await queue.consume(inbox.put, no_ack=False)
        logger.info("analytics: consuming queue %s", config.queue)
        waiter = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                getter = asyncio.ensure_future(inbox.get())
                done, _ = await asyncio.wait(
                    {getter, waiter},
                    timeout=idle_exit,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if getter not in done:
                    getter.cancel()
                    if idle_exit is not None and not stop.is_set():
                        break  # idle: the queue is drained
                    continue
                requeued = await _handle(
                    getter.result(), session_factory, secret, stats
                )
                if requeued and retry_delay:
                    await asyncio.sleep(retry_delay)
        finally:
            waiter.cancel()
            await queue.cancel(tag)
            # Messages delivered but not handled go back to the queue.
            while not inbox.empty():
                await inbox.get_nowait().nack(requeue=True)
    finally:
        await connection.close()
    logger.info(
        "analytics: stored %d, duplicates %d, skipped %d, rejected %d",
        stats.stored,
        stats.duplicates,
        stats.skipped,
        stats.rejected,
    )
    return stats


async def _handle(
    message: Any,
    session_factory: Callable[[], Session],
    secret: bytes,
    stats: ConsumerStats,
) -> bool:
    """Handle one message; True when it went back to the queue."""
    try:
        row = parse_event(message.body, secret)
    except MalformedEvent as exc:
        logger.warning("analytics: rejected a message: %s", exc)
        await message.reject(requeue=False)
        stats.rejected += 1
        return False
    if row is None:
        await message.ack()
        stats.skipped += 1
        return False
    try:
        stored = await asyncio.to_thread(store_event, session_factory, row)
    except SQLAlchemyError as exc:
        logger.error(
            "analytics: database error %s; message requeued", type(exc).__name__
        )
        await message.nack(requeue=True)
        stats.requeued += 1
        return True
    await message.ack()
    if stored:
        stats.stored += 1
    else:
        stats.duplicates += 1
    return False


@dataclass(frozen=True)
class AnalyticsSummary:
    """The screening analytics over a period.

    Attributes:
        conversations: Distinct conversations with at least one kept event.
        user_messages: Messages people sent.
        messages_per_channel: User messages by input channel ("unknown" if none).
        intent_counts: User messages by predicted intent, most frequent first.
        fallback_rate: Share of user messages whose intent is ``nlu_fallback``;
            ``None`` when there were none.
        default_fallback_actions: Times ``action_default_fallback`` ran.
    """

    conversations: int
    user_messages: int
    messages_per_channel: dict[str, int]
    intent_counts: dict[str, int]
    fallback_rate: float | None
    default_fallback_actions: int

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "conversations": self.conversations,
            "user_messages": self.user_messages,
            "messages_per_channel": self.messages_per_channel,
            "intent_counts": self.intent_counts,
            "fallback_rate": self.fallback_rate,
            "default_fallback_actions": self.default_fallback_actions,
        }


def summarise(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> AnalyticsSummary:
    """Summarise the analytics events of ``[since, until)``.

    Args:
        session: A session on the application database.
        since: Start (aware UTC), inclusive; the beginning by default.
        until: End (aware UTC), exclusive; no end by default.

    Returns:
        The summary.
    """
    window = []
    if since is not None:
        window.append(AnalyticsEvent.occurred_at >= since)
    if until is not None:
        window.append(AnalyticsEvent.occurred_at < until)
    user = [*window, AnalyticsEvent.event_type == "user"]

    conversations = session.execute(
        select(func.count(distinct(AnalyticsEvent.sender_key))).where(*window)
    ).scalar_one()
    per_channel = {
        channel or "unknown": count
        for channel, count in session.execute(
            select(AnalyticsEvent.channel, func.count())
            .where(*user)
            .group_by(AnalyticsEvent.channel)
        )
    }
    intents = sorted(
        (
            (intent or "unknown", count)
            for intent, count in session.execute(
                select(AnalyticsEvent.intent, func.count())
                .where(*user)
                .group_by(AnalyticsEvent.intent)
            )
        ),
        key=lambda item: (-item[1], item[0]),
    )
    user_messages = sum(per_channel.values())
    fallbacks = dict(intents).get(NLU_FALLBACK, 0)
    default_fallbacks = session.execute(
        select(func.count()).where(
            *window,
            AnalyticsEvent.event_type == "action",
            AnalyticsEvent.action == DEFAULT_FALLBACK_ACTION,
        )
    ).scalar_one()
    return AnalyticsSummary(
        conversations=conversations,
        user_messages=user_messages,
        messages_per_channel=dict(sorted(per_channel.items())),
        intent_counts=dict(intents),
        fallback_rate=(fallbacks / user_messages) if user_messages else None,
        default_fallback_actions=default_fallbacks,
    )
