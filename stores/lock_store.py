"""Rasa's Redis lock store, without the wait that never ends after a replica dies.

Rasa 3.6 serialises the turns of one conversation with a ticket lock in Redis:
each message takes a numbered ticket valid for ``TICKET_LOCK_LIFETIME`` seconds
(60 by default) and waits, polling once a second, until its ticket is the first
live one. When a replica dies in the middle of a turn its ticket stays until it
expires. A message that took its ticket less than a poll interval after the dead
one (a client or load balancer retrying at once on the surviving replica) sees
both tickets expire between two polls; Rasa then takes "no ticket" for ticket 0
and that message waits forever (in practice until the HTTP server's 60-second
response timeout cancels it, and the person gets no reply).

This store (``type: stores.lock_store.RedisTicketLockStore`` in the endpoints file,
with the same keys as ``type: redis``) waits the same way, but a message whose
own ticket expired while it waited takes a new one instead of waiting forever,
and a lock deleted meanwhile is not an error. So the surviving replica serves the
conversation as soon as the dead replica's ticket expires.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, RedisLockStore

logger = logging.getLogger(__name__)


class RedisTicketLockStore(RedisLockStore):
    """``RedisLockStore`` whose waiters never outlive their own ticket."""

    def __init__(self, endpoint_config: Any = None, **kwargs: Any) -> None:
        """Create the store from the endpoints file (as Rasa does for custom
        lock stores) or from keyword arguments (as ``RedisLockStore``)."""
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url, **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncIterator[TicketLock]:
        """Hold the conversation's lock: wait until this ticket is the first live
        one, taking a new ticket if this one expired while waiting."""
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        try:
            while True:
                lock = self.get_lock(conversation_id)
                live = (
                    [t.number for t in lock.tickets if not t.has_expired()]
                    if lock
                    else []
                )
                if ticket not in live:
                    logger.warning(
                        "conversation lock ticket expired while waiting; taking "
                        "a new one"
                    )
                    ticket = self.issue_ticket(conversation_id, lock_lifetime)
                    continue
                if live[0] == ticket:
                    break
                await asyncio.sleep(wait_time_in_seconds)
                self.update_lock(conversation_id)
            yield lock
        finally:
            self.cleanup(conversation_id, ticket)
