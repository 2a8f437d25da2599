"""Referral notifications: the outbox delivered to a real SMTP server on loopback."""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot import vocab
from bot.jobs.notify import DeliveryReport, backoff, deliver_outbox, run_outbox_worker
from bot.settings import Settings
from bot.store import repository
from bot.store.db import session_scope
from bot.store.models import UTC, OutboxMessage

if TYPE_CHECKING:
    from tests.conftest import SMTPServer

T0 = datetime(2025, 6, 6, 9, 30, tzinfo=UTC)
PHONE = "+86 138 0013 8000"
NAME = "Li Wei"
EMAIL = "li.wei@example.cn"
ANSWER_WORDS = "my bilirubin was 342 umol/L and INR 1.9"


def refer_someone(session_factory: sessionmaker, settings: Settings) -> str:
    """Run a short screening to a referral; return its reference."""
    with session_scope(session_factory) as session:
        screening = repository.get_or_start_screening(
            session,
            sender_key=repository.sender_key(b"k" * 32, "rest", "user-1"),
            channel="rest",
            criteria_version="2025-06-06",
            trial_id="NCT05985863",
            now=T0,
        )
        repository.record_answer(
            session,
            screening,
            fact_id="labs",
            as_given=ANSWER_WORDS,
            normalized={"bilirubin_umol_l": 342, "inr": 1.9},
            unknown=False,
            error=None,
            now=T0,
        )
        repository.finish_screening(session, screening, vocab.NEEDS_REVIEW, T0)
        repository.create_referral(
            session,
            screening,
            name=NAME,
            phone=PHONE,
            email=EMAIL,
            best_time="after 6 pm",
            consent_at=T0,
            settings=settings,
            now=T0,
        )
        return screening.reference


def outbox(session_factory: sessionmaker) -> list[OutboxMessage]:
    """Every outbox row, oldest first."""
    with session_scope(session_factory) as session:
        return list(
            session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()
        )


def using(settings: Settings, server: SMTPServer) -> Settings:
    """``settings`` pointed at ``server``."""
    return dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=server.port)


def test_backoff_doubles_from_30_seconds_up_to_an_hour() -> None:
    waits = [backoff(n).total_seconds() for n in range(9)]

    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert backoff(100) == timedelta(hours=1)


def test_referral_mail_reaches_a_real_smtp_server_without_private_details(
    session_factory: sessionmaker, settings: Settings, smtp_server: SMTPServer
) -> None:
    settings = using(settings, smtp_server)
    reference = refer_someone(session_factory, settings)

    report = deliver_outbox(session_factory, settings, now=T0)

    assert report == DeliveryReport(attempted=1, sent=1)
    assert len(smtp_server.messages) == 1
    envelope = smtp_server.messages[0]
    assert envelope.mail_from == "prescreening@bot.test"
    assert envelope.rcpt_tos == ["study-team@site.test"]
    mail = message_from_bytes(envelope.original_content, policy=policy.default)
    body = mail.get_content()
    assert reference in mail["Subject"]
    assert reference in body
    assert vocab.NEEDS_REVIEW in body
    assert f"http://console.test:8080/referrals/{reference}" in body
    raw = envelope.original_content.decode("utf-8", "replace")
    for private in (PHONE, "138 0013", NAME, EMAIL, ANSWER_WORDS, "342", "INR"):
        assert private not in raw

    [message] = outbox(session_factory)
    assert message.sent_at == T0 and message.attempts == 0
    assert (
        deliver_outbox(session_factory, settings, now=T0 + timedelta(hours=2))
        == DeliveryReport()
    )
    assert len(smtp_server.messages) == 1


def test_server_down_retries_with_backoff_and_delivers_exactly_once_later(
    session_factory: sessionmaker,
    settings: Settings,
    stopped_smtp_server: SMTPServer,
) -> None:
    server = stopped_smtp_server
    settings = using(settings, server)
    reference = refer_someone(session_factory, settings)

    first = deliver_outbox(session_factory, settings, now=T0)
    [message] = outbox(session_factory)
    assert first == DeliveryReport(attempted=1, failed=1)
    assert message.attempts == 1
    assert message.sent_at is None
    assert message.next_attempt_at == T0 + timedelta(seconds=30)
    assert "ConnectionRefusedError" in (message.last_error or "")

    # Not due yet: nothing is tried.
    early = deliver_outbox(session_factory, settings, now=T0 + timedelta(seconds=29))
    assert early == DeliveryReport()

    t1 = T0 + timedelta(seconds=30)
    assert deliver_outbox(session_factory, settings, now=t1).failed == 1
    [message] = outbox(session_factory)
    assert message.attempts == 2
    assert message.next_attempt_at == t1 + timedelta(seconds=60)
    assert message.reference == reference  # still there, nothing lost

    server.start()
    t2 = t1 + timedelta(seconds=60)
    assert deliver_outbox(session_factory, settings, now=t2) == DeliveryReport(
        attempted=1, sent=1
    )
    for later in (t2, t2 + timedelta(hours=1), t2 + timedelta(days=1)):
        assert deliver_outbox(session_factory, settings, now=later) == DeliveryReport()

    assert len(server.messages) == 1
    assert reference in server.messages[0].original_content.decode()
    [message] = outbox(session_factory)
    assert (message.sent_at, message.attempts, message.last_error) == (t2, 2, None)


def test_after_the_last_attempt_the_message_is_kept_for_review(
    session_factory: sessionmaker,
    settings: Settings,
    stopped_smtp_server: SMTPServer,
) -> None:
    settings = dataclasses.replace(
        using(settings, stopped_smtp_server), outbox_max_attempts=2
    )
    refer_someone(session_factory, settings)

    assert deliver_outbox(session_factory, settings, now=T0).failed == 1
    later = T0 + timedelta(minutes=1)
    assert deliver_outbox(session_factory, settings, now=later).gave_up == 1
    stopped_smtp_server.start()
    assert (
        deliver_outbox(session_factory, settings, now=T0 + timedelta(days=1))
        == DeliveryReport()
    )

    [message] = outbox(session_factory)
    assert message.attempts == 2 and message.sent_at is None
    assert stopped_smtp_server.messages == []


def test_background_worker_delivers_and_stops_on_request(
    session_factory: sessionmaker, settings: Settings, smtp_server: SMTPServer
) -> None:
    settings = using(settings, smtp_server)
    refer_someone(session_factory, settings)
    stop = threading.Event()
    worker = threading.Thread(
        target=run_outbox_worker,
        args=(stop, 0.05),
        kwargs={"settings": settings, "session_factory": session_factory},
        daemon=True,
    )

    worker.start()
    deadline = time.monotonic() + 10
    while not smtp_server.messages and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    worker.join(timeout=5)

    assert not worker.is_alive()
    assert len(smtp_server.messages) == 1
    [message] = outbox(session_factory)
    assert message.sent_at is not None
