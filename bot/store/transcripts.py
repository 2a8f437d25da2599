"""Transcripts: reading (and, for erasure and retention, deleting) Rasa's tracker store.

Rasa's SQL tracker store keeps every event of every conversation in one table,
``events`` (id, sender_id, type_name, timestamp, intent_name, action_name, data),
where ``data`` is the event as JSON. This module reads that table directly with
SQLAlchemy; it does not import Rasa, and it mirrors only the columns it uses.

Contact details a person typed into the chat (their name, phone number, e-mail and
best time to call) are in the transcript too. :func:`build_transcript` hides them
unless the caller asks otherwise (the console does so only on an audited reveal).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    func,
    inspect,
    select,
)
from sqlalchemy.engine import Engine, make_url

from bot.settings import resolve_database_url
from bot.store.models import UTC

logger = logging.getLogger(__name__)

#: The slots of the contact form whose values are contact details.
CONTACT_SLOTS = ("contact_name", "contact_phone", "contact_email", "best_time")
#: What is shown instead of a hidden contact detail.
HIDDEN = "[contact detail hidden]"

_metadata = MetaData()
#: Rasa's ``events`` table (``rasa.core.tracker_store.SQLTrackerStore.SQLEvent``).
EVENTS = Table(
    "events",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


@dataclass(frozen=True)
class Message:
    """One line of a transcript.

    Attributes:
        at: When it was said (UTC).
        speaker: ``"person"``, ``"assistant"`` or ``"system"`` (session starts).
        text: What was said (contact details possibly hidden).
        buttons: The quick replies offered with an assistant message.
        intent: The intent the assistant recognised in a person's message.
        hidden: Whether something was hidden in this line.
    """

    at: datetime | None
    speaker: str
    text: str
    buttons: tuple[str, ...] = ()
    intent: str | None = None
    hidden: bool = False


@dataclass
class ConversationStart:
    """When a conversation began and on which channel (for the funnel)."""

    sender_id: str
    started_at: datetime | None  # None when the event's timestamp is unreadable
    channel: str


@dataclass
class Transcript:
    """A conversation as staff read it.

    Attributes:
        available: False when the tracker store could not be read.
        messages: The lines, oldest first.
        note: Why nothing is shown, when that is the case.
    """

    available: bool
    messages: list[Message] = field(default_factory=list)
    note: str | None = None


class TrackerStore:
    """Access to the ``events`` table of Rasa's SQL tracker store.

    Engines are created on first use. A SQLite file that does not exist yet (Rasa
    has not run) is treated as an empty store and is never created by reading.

    Args:
        url: SQLAlchemy URL of the tracker store (``TRACKER_DB_URL``).
    """

    def __init__(self, url: str) -> None:
        self.url = resolve_database_url(url)
        parsed = make_url(self.url)
        self._sqlite_file: Path | None = None
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (
            None,
            "",
            ":memory:",
        ):
            self._sqlite_file = Path(parsed.database)
        self._engine: Engine | None = None

    def _get_engine(self) -> Engine | None:
        if self._sqlite_file is not None and not self._sqlite_file.exists():
            return None
        if self._engine is None:
            self._engine = create_engine(self.url, future=True)
        if not inspect(self._engine).has_table("events"):
            return None
        return self._engine

    def dispose(self) -> None:
        """Close the store's connections."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def events(self, sender_id: str) -> list[dict[str, Any]]:
        """Return the events of one conversation, oldest first, as Rasa wrote them.

        Args:
            sender_id: The conversation's sender id.

        Returns:
            The decoded ``data`` of each event (with ``event`` and ``timestamp``).
        """
        engine = self._get_engine()
        if engine is None:
            return []
        with engine.connect() as connection:
            rows = connection.execute(
                select(EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
                .where(EVENTS.c.sender_id == sender_id)
                .order_by(EVENTS.c.id)
            ).all()
        events = []
        for type_name, timestamp, data in rows:
            try:
                event = json.loads(data) if data else {}
            except ValueError:
                event = {}
            if not isinstance(event, dict):
                event = {}
            event.setdefault("event", type_name)
            event.setdefault("timestamp", timestamp)
            events.append(event)
        return events

    def transcript(
        self,
        sender_id: str | None,
        *,
        reveal: bool = False,
        known_contacts: Iterable[str | None] = (),
    ) -> Transcript:
        """Return a conversation's transcript, contact details hidden by default.

        Args:
            sender_id: The conversation's sender id (``Screening.conversation_id``).
            reveal: Show contact details (the caller audits this).
            known_contacts: Contact details known from elsewhere (the referral),
                hidden wherever they appear.

        Returns:
            The transcript; ``available`` is False when the store cannot be read.
        """
        if not sender_id:
            return Transcript(
                available=False,
                note="This screening has no linked conversation (it was recorded "
                "before transcripts were linked, or its transcript was purged).",
            )
        try:
            events = self.events(sender_id)
        except Exception:  # noqa: BLE001 - the rest of the page must still work
            logger.exception("could not read the tracker store")
            return Transcript(
                available=False, note="The transcript store could not be read."
            )
        if not events:
            return Transcript(
                available=True, note="No transcript is stored for this conversation."
            )
        return Transcript(
            available=True,
            messages=build_transcript(
                events, reveal=reveal, known_contacts=known_contacts
            ),
        )

    def conversation_starts(self) -> list[ConversationStart]:
        """Return, per conversation, its first message's time and channel.

        Conversations in which the person never wrote are left out.
        """
        engine = self._get_engine()
        if engine is None:
            return []
        first = (
            select(func.min(EVENTS.c.id).label("id"))
            .where(EVENTS.c.type_name == "user")
            .group_by(EVENTS.c.sender_id)
            .subquery()
        )
        with engine.connect() as connection:
            rows = connection.execute(
                select(EVENTS.c.sender_id, EVENTS.c.timestamp, EVENTS.c.data).join(
                    first, first.c.id == EVENTS.c.id
                )
            ).all()
        starts = []
        for sender_id, timestamp, data in rows:
            try:
                channel = (json.loads(data) or {}).get("input_channel") or "unknown"
            except (ValueError, AttributeError):
                channel = "unknown"
            starts.append(
                ConversationStart(sender_id, _from_epoch(timestamp), str(channel))
            )
        return starts

    def last_activity(self) -> dict[str, datetime | None]:
        """Return the time of the latest event of every conversation."""
        engine = self._get_engine()
        if engine is None:
            return {}
        with engine.connect() as connection:
            rows = connection.execute(
                select(EVENTS.c.sender_id, func.max(EVENTS.c.timestamp)).group_by(
                    EVENTS.c.sender_id
                )
            ).all()
        return {sender: _from_epoch(ts) for sender, ts in rows}

    def delete_conversations(self, sender_ids: Sequence[str]) -> int:
        """Delete every event of these conversations; return how many were deleted.

        Args:
            sender_ids: The conversations' sender ids.
        """
        engine = self._get_engine()
        if engine is None or not sender_ids:
            return 0
        deleted = 0
        with engine.begin() as connection:
            for start in range(0, len(sender_ids), 500):
                chunk = list(sender_ids[start : start + 500])
                result = connection.execute(
                    delete(EVENTS).where(EVENTS.c.sender_id.in_(chunk))
                )
                deleted += result.rowcount or 0
        return deleted


def build_transcript(
    events: Iterable[dict[str, Any]],
    *,
    reveal: bool = False,
    known_contacts: Iterable[str | None] = (),
) -> list[Message]:
    """Turn tracker events into transcript lines.

    Contact details are hidden unless ``reveal``: a person's message that answers a
    contact question is replaced as a whole, and every contact value (from the
    contact slots, or ``known_contacts``) is masked wherever it appears, such as in
    the assistant's "please check these details" message.

    Args:
        events: Tracker events, oldest first (``TrackerStore.events``).
        reveal: Show everything.
        known_contacts: Further values to hide.

    Returns:
        The lines, oldest first.
    """
    events = list(events)
    secrets = {v.strip() for v in known_contacts if v and v.strip()}
    for event in events:
        if event.get("event") == "slot" and event.get("name") in CONTACT_SLOTS:
            value = event.get("value")
            if isinstance(value, str) and value.strip():
                secrets.add(value.strip())
    pattern = _secret_pattern(secrets) if not reveal else None

    messages: list[Message] = []
    requested: str | None = None
    for event in events:
        kind = event.get("event")
        at = _from_epoch(event.get("timestamp"))
        if kind == "slot" and event.get("name") == "requested_slot":
            requested = event.get("value")
        elif kind == "active_loop" and not event.get("name"):
            requested = None
        elif kind == "session_started":
            messages.append(Message(at, "system", "New session started"))
        elif kind == "user":
            text = str(event.get("text") or "")
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if not reveal and requested in CONTACT_SLOTS:
                messages.append(Message(at, "person", HIDDEN, (), intent, True))
                continue
            shown, hidden = _mask(text, pattern)
            messages.append(Message(at, "person", shown, (), intent, hidden))
        elif kind == "bot":
            text = str(event.get("text") or "")
            data = event.get("data") or {}
            buttons = tuple(
                str(b.get("title", "")) for b in (data.get("buttons") or []) if b
            )
            shown, hidden = _mask(text, pattern)
            messages.append(Message(at, "assistant", shown, buttons, None, hidden))
    return messages


def _secret_pattern(secrets: set[str]) -> re.Pattern[str] | None:
    if not secrets:
        return None
    # Longest first, so "Li Wei" is hidden whole rather than "Li" alone.
    alternatives = "|".join(
        re.escape(s) for s in sorted(secrets, key=len, reverse=True)
    )
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _mask(text: str, pattern: re.Pattern[str] | None) -> tuple[str, bool]:
    if pattern is None:
        return text, False
    shown, count = pattern.subn(HIDDEN, text)
    return shown, count > 0


def _from_epoch(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (TypeError, ValueError, OverflowError):
        return None
