"""Delivery of queued notifications (the transactional outbox) over SMTP.

``bot.store.repository.create_referral`` writes an
:class:`~bot.store.models.OutboxMessage` in the same transaction as the referral;
:func:`deliver_outbox` sends what is due. A failed message stays in the table with
its attempt count, last error and the time of its next attempt (exponential backoff,
30 s doubling up to 1 h); after ``OUTBOX_MAX_ATTEMPTS`` it is left for a human to look
at. Nothing is deleted.

Delivery is at least once: if the process dies between the SMTP server accepting a
message and the commit that marks it sent, it is sent again. Each message carries a
stable ``Message-ID`` so a mail client can recognise the duplicate.

A referral e-mail is written in the site's language (``SITE_LANGUAGE``, Chinese for
the Beijing site) from the console's catalogues (``email.subject``, ``email.body``)
when it is sent, and the row is updated to the text sent. It carries the reference,
the outcome code (with its label) and the console link: no health or contact
detail, in any language.

Logs name messages by id and screening reference only, never an address or a body.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from bot import vocab
from bot.console.i18n import Translator
from bot.settings import Settings, load_settings
from bot.store.db import make_engine, make_session_factory, session_scope
from bot.store.models import OutboxMessage, Screening, utcnow
from bot.store.repository import referral_link

logger = logging.getLogger(__name__)

#: Seconds allowed for connecting to the SMTP server and for each reply.
SMTP_TIMEOUT = 10.0
#: The first retry waits this long; each further failure doubles it ...
BACKOFF_BASE = timedelta(seconds=30)
#: ... up to this.
BACKOFF_CAP = timedelta(hours=1)

# Failures that concern one message only; any other failure is taken to concern the
# server or the connection, and ends the run (the rest wait for the next one).
_MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError)


@dataclass(frozen=True)
class DeliveryReport:
    """What one :func:`deliver_outbox` run did.

    Attributes:
        attempted: Messages a send was tried for.
        sent: Messages the server accepted.
        failed: Messages that failed and will be retried.
        gave_up: Messages that failed for the last allowed time.
    """

    attempted: int = 0
    sent: int = 0
    failed: int = 0
    gave_up: int = 0


def backoff(attempts: int) -> timedelta:
    """Return the wait before the next attempt, after ``attempts`` failed ones.

    Args:
        attempts: Attempts made before the one that just failed (0 for the first).

    Returns:
        ``30 s * 2**attempts``, at most one hour.
    """
    if attempts >= 8:  # 30 s * 2**7 already exceeds the cap
        return BACKOFF_CAP
    return min(BACKOFF_BASE * 2.0**attempts, BACKOFF_CAP)


def referral_email(
    settings: Settings, reference: str, outcome: str | None
) -> tuple[str, str]:
    """The subject and body of a referral notification in the site's language.

    Args:
        settings: ``SITE_LANGUAGE`` and the console's address.
        reference: The screening reference.
        outcome: The screening's outcome code (shown as it is, with its label).

    Returns:
        ``(subject, body)``.
    """
    t = Translator(settings.site_language)
    code = outcome or ""
    label = t(f"outcome.{code}") if t.has(f"outcome.{code}") else code
    subject = t("email.subject", reference=reference)
    body = t(
        "email.body",
        reference=reference,
        outcome=code,
        outcome_label=label,
        link=referral_link(settings, reference),
    )
    return subject, body


def _write_in_site_language(
    session: Session, message: OutboxMessage, settings: Settings
) -> None:
    """Reword a referral e-mail in the site's language (the row keeps what is sent)."""
    if message.kind != vocab.OUTBOX_REFERRAL_EMAIL or not message.reference:
        return
    found = session.execute(
        select(Screening.outcome).where(Screening.reference == message.reference)
    ).first()
    if found is None:  # erased meanwhile: send what was queued
        return
    message.subject, message.body = referral_email(
        settings, message.reference, found[0]
    )


def deliver_outbox(
    session_factory: Callable[[], Session],
    settings: Settings,
    *,
    now: datetime | None = None,
    limit: int = 50,
) -> DeliveryReport:
    """Send the outbox messages that are due, each in its own transaction.

    Rows are claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
    several workers can run side by side; SQLite has a single writer anyway.

    Args:
        session_factory: Makes sessions (``bot.store.db.make_session_factory``).
        settings: SMTP server, sender address and attempt limit.
        now: The current time (the clock by default): messages whose
            ``next_attempt_at`` is not later are due.
        limit: At most this many messages in this run.

    Returns:
        What was done.
    """
    now = now or utcnow()
    with session_scope(session_factory) as session:
        due_ids = list(session.execute(_due(settings, now).limit(limit)).scalars())
    if not due_ids:
        return DeliveryReport()

    attempted = sent = failed = gave_up = 0
    smtp: smtplib.SMTP | None = None
    try:
        for message_id in due_ids:
            with session_scope(session_factory) as session:
                message = session.execute(
                    _due(settings, now, entity=True)
                    .where(OutboxMessage.id == message_id)
                    .with_for_update(skip_locked=True)
                ).scalar_one_or_none()
                if message is None:  # sent or claimed by another worker meanwhile
                    continue
                attempted += 1
                _write_in_site_language(session, message, settings)
                try:
                    if smtp is None:
                        smtp = _connect(settings)
                    smtp.send_message(_email(message, settings))
                except (smtplib.SMTPException, OSError) as exc:
                    if _record_failure(message, exc, settings, now):
                        gave_up += 1
                    else:
                        failed += 1
                    if not isinstance(exc, _MESSAGE_ERRORS):
                        _close(smtp)
                        smtp = None
                        break
                else:
                    message.sent_at = now
                    message.last_error = None
                    sent += 1
                    logger.info(
                        "outbox message %s (%s) sent", message.id, message.reference
                    )
    finally:
        _close(smtp)
    return DeliveryReport(
        attempted=attempted, sent=sent, failed=failed, gave_up=gave_up
    )


def run_outbox_worker(
    stop_event: threading.Event,
    interval: float = 30.0,
    *,
    settings: Settings | None = None,
    session_factory: Callable[[], Session] | None = None,
) -> None:
    """Deliver the outbox every ``interval`` seconds until ``stop_event`` is set.

    Meant as the target of a background thread::

        stop = threading.Event()
        threading.Thread(target=run_outbox_worker, args=(stop, 30), daemon=True).start()

    A failing run is logged (by exception type only) and the loop goes on.

    Args:
        stop_event: Set it to stop the loop; the wait between runs ends at once.
        interval: Seconds between runs.
        settings: The settings; read from the environment by default.
        session_factory: Makes sessions; by default one on ``DATABASE_URL``.
    """
    settings = settings or load_settings()
    engine = None
    if session_factory is None:
        engine = make_engine(settings.database_url)
        session_factory = make_session_factory(engine)
    try:
        while not stop_event.is_set():
            try:
                report = deliver_outbox(session_factory, settings)
            except Exception as exc:  # noqa: BLE001 - the loop must survive
                # Only the type: database errors can quote statement parameters.
                logger.error("outbox delivery run failed: %s", type(exc).__name__)
            else:
                if report.attempted:
                    logger.info("outbox delivery: %s", report)
            stop_event.wait(interval)
    finally:
        if engine is not None:
            engine.dispose()


def _due(settings: Settings, now: datetime, *, entity: bool = False) -> Select:
    target = OutboxMessage if entity else OutboxMessage.id
    return (
        select(target)
        .where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.attempts < settings.outbox_max_attempts,
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    )


def _connect(settings: Settings) -> smtplib.SMTP:
    smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT)
    try:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
    except BaseException:
        _close(smtp)
        raise
    return smtp


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is None:
        return
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _email(message: OutboxMessage, settings: Settings) -> EmailMessage:
    domain = settings.mail_from.rpartition("@")[2] or "localhost"
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    # Stable across retries, so a duplicate delivery can be recognised.
    email["Message-ID"] = f"<outbox-{message.id}.{message.reference}@{domain}>"
    email.set_content(message.body)
    return email


def _record_failure(
    message: OutboxMessage, exc: BaseException, settings: Settings, now: datetime
) -> bool:
    """Count a failed attempt and schedule the next; return True when giving up."""
    delay = backoff(message.attempts)
    message.attempts += 1
    message.next_attempt_at = now + delay
    message.last_error = f"{type(exc).__name__}: {exc}"[:1000]
    if message.attempts >= settings.outbox_max_attempts:
        logger.warning(
            "outbox message %s (%s) not sent after %d attempts; left for review",
            message.id,
            message.reference,
            message.attempts,
        )
        return True
    logger.warning(
        "outbox message %s (%s) not sent (%s); attempt %d, next in %ds",
        message.id,
        message.reference,
        type(exc).__name__,
        message.attempts,
        delay.total_seconds(),
    )
    return False
