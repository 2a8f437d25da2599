"""Rasa's SQL tracker store, made to wait out a short database outage.

Rasa 3.6 wraps every tracker store in ``FailSafeTrackerStore``, which on any error
*reading* a conversation returns "no conversation" (so the turn runs on a fresh,
empty tracker: the person is greeted as a stranger) and on any error *saving* one
writes it to process memory instead (so the turn's answers are dropped while the
person has already been shown the next question, and their next answer is taken
for the previous one). A PostgreSQL restart does both, and the first query on
each pooled connection after a restart fails as well, because Rasa's engine does
not check connections before use.

This store (``type: stores.tracker_store.ResilientSQLTrackerStore`` in the endpoints
file, with the same keys as ``type: SQL``) checks connections before use and
retries a read or a write that failed for want of a connection, for up to
``retry_seconds`` (default 20, below Rasa's 60-second conversation lock), so a
turn during a restart is answered late but right. Beyond that the error goes to
Rasa's fail-safe wrapper as before.

A retried save is idempotent: like Rasa's, it counts the events already stored
and adds only the rest, in one transaction. Events are published to the event
broker once per save, before the write, as Rasa does.

It also completes the chat's "delete my answers" (``bot.screening.erasure``). The action
cannot delete the transcript itself: Rasa saves the turn after the action, adding
the events "not yet stored", which it counts as the stored events of the latest
session; with the rows gone that count is 0 and the whole conversation held in
memory would be written back. So the action ends the conversation with a
``session_started`` event marked ``{"erased": true}``, and the save that stores
it deletes, in the same transaction, every earlier event of the conversation (of
every session, the request to delete and the confirmation included). What stays
is the new session: the marked event and what follows it, which is also all that
Rasa reads back and counts from then on.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import sessionmaker

from bot.screening.erasure import ERASED_MARK

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Default seconds to keep retrying a read or write of a conversation.
DEFAULT_RETRY_SECONDS = 20.0


def _connection_lost(error: BaseException) -> bool:
    """Whether a database error means "no connection" (worth retrying)."""
    if isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        return True
    return isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated


class ResilientSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` with pre-ping and retries while the database is away."""

    #: Created by ``SQLTrackerStore.__init__``, replaced by one with pre-ping.
    engine: sa.engine.Engine

    def __init__(
        self, *args: Any, retry_seconds: float | str | None = None, **kwargs: Any
    ) -> None:
        """Create the store as Rasa's ``SQL`` type does (same arguments).

        Args:
            retry_seconds: How long to keep retrying a read or write that failed
                for want of a connection (default 20).
        """
        super().__init__(*args, **kwargs)
        self.retry_seconds = float(
            DEFAULT_RETRY_SECONDS if retry_seconds in (None, "") else retry_seconds
        )
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url, pool_pre_ping=True, **create_engine_kwargs(url)
        )
        self.sessionmaker = sessionmaker(bind=self.engine)

    async def _retrying(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        deadline = time.monotonic() + self.retry_seconds
        delay = 0.25
        while True:
            try:
                return await call()
            except sa_exc.DBAPIError as error:
                if not _connection_lost(error) or time.monotonic() + delay > deadline:
                    raise
                logger.warning(
                    "tracker store unavailable while trying to %s (%s); "
                    "retrying in %.2f s",
                    what,
                    type(error.orig).__name__ if error.orig else type(error).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The latest session of a conversation, waiting for the database."""
        parent = super().retrieve
        return await self._retrying("read a conversation", lambda: parent(sender_id))

    async def retrieve_full_tracker(
        self, conversation_id: str
    ) -> DialogueStateTracker | None:
        """Every session of a conversation, waiting for the database."""
        parent = super().retrieve_full_tracker
        return await self._retrying(
            "read a conversation", lambda: parent(conversation_id)
        )

    async def keys(self) -> Iterable[str]:
        """Every conversation id, waiting for the database."""
        parent = super().keys
        return await self._retrying("list conversations", parent)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Publish the new events, then store them (retried until stored)."""
        await self.stream_events(tracker)

        async def write() -> None:
            self._write_new_events(tracker)

        await self._retrying("save a conversation", write)

    def _write_new_events(self, tracker: DialogueStateTracker) -> None:
        """Rasa's ``SQLTrackerStore.save`` without the publishing: one transaction
        adding the events not yet stored (so a retry never stores one twice)."""
        with self.session_scope() as session:
            erased_from = None
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                intent = data.get("parse_data", {}).get("intent", {}).get("name")
                row = self.SQLEvent(
                    sender_id=tracker.sender_id,
                    type_name=event.type_name,
                    timestamp=data.get("timestamp"),
                    intent_name=intent,
                    action_name=data.get("name"),
                    data=json.dumps(data),
                )
                session.add(row)
                if isinstance(event, SessionStarted) and (event.metadata or {}).get(
                    ERASED_MARK
                ):
                    erased_from = row
            if erased_from is not None:
                session.flush()
                self._delete_before(session, tracker.sender_id, erased_from.id)
            session.commit()

    def _delete_before(self, session: Any, sender_id: str, row_id: int) -> None:
        """Delete a conversation's events stored before the row ``row_id``."""
        deleted = (
            session.query(self.SQLEvent)
            .filter(self.SQLEvent.sender_id == sender_id, self.SQLEvent.id < row_id)
            .delete(synchronize_session=False)
        )
        logger.info("erased a conversation at the person's request: %d events", deleted)
