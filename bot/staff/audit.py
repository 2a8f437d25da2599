"""The audit trail: who did what to which record, and when.

Every action on patient data, every sign-in and every refused request writes an
:class:`AuditEvent`. Details hold references, usernames and vocabulary words, never
contact details or note text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.store.models import AuditEvent


def audit(
    session: Session,
    actor: str,
    action: str,
    target: str | None,
    now: datetime,
    **detail: Any,
) -> AuditEvent:
    """Record an audit event.

    Args:
        session: The session.
        actor: A staff username, ``"system"`` or ``"cli:<os user>"``.
        action: What happened, e.g. ``"export.created"``.
        target: The record concerned (a reference, a username), if any.
        now: When.
        **detail: Extra JSON detail; never contact details or free text.

    Returns:
        The event (added, not flushed).
    """
    event = AuditEvent(
        actor=actor[:64],
        action=action,
        target=target[:128] if target else None,
        at=now,
        detail=detail or None,
    )
    session.add(event)
    return event
