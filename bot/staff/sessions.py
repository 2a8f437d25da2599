"""Console sessions: a random cookie token, stored only as its hash, with limits.

A session ends after ``settings.session_idle_minutes`` idle, after
``settings.session_max_hours`` in all, on sign-out, and when its account is
deactivated or its password changed.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, joinedload

from bot.settings import Settings
from bot.store.models import StaffSession, StaffUser


def session_key(token: str) -> str:
    """The stored id of a session: SHA-256 of the cookie's random token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(session: Session, user: StaffUser, now: datetime) -> tuple[str, str]:
    """Open a console session for ``user``.

    Returns:
        ``(token, csrf_token)``: the cookie value (only its hash is stored) and the
        session's synchronizer token for forms.
    """
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            id=session_key(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
        )
    )
    session.flush()
    return token, csrf


@dataclass(frozen=True)
class SessionState:
    """What a request learns from its session cookie."""

    staff_session: StaffSession | None
    expired: bool = False


def load_session(
    session: Session, token: str | None, *, settings: Settings, now: datetime
) -> SessionState:
    """Find the live session for a cookie token, and mark it as used now.

    A session idle for longer than ``settings.session_idle_minutes``, older than
    ``settings.session_max_hours``, or whose account was deactivated is deleted.

    Returns:
        The session (with ``.user``), or none; ``expired`` tells a timed-out
        session from a missing one.
    """
    if not token or len(token) > 256:
        return SessionState(None)
    row = session.execute(
        select(StaffSession)
        .options(joinedload(StaffSession.user))
        .where(StaffSession.id == session_key(token))
    ).scalar_one_or_none()
    if row is None:
        return SessionState(None)
    idle = now - row.last_seen_at > timedelta(minutes=settings.session_idle_minutes)
    too_old = now - row.created_at > timedelta(hours=settings.session_max_hours)
    if idle or too_old or not row.user.is_active:
        session.delete(row)
        session.flush()
        return SessionState(None, expired=True)
    row.last_seen_at = now
    session.flush()
    return SessionState(row)


def end_session(session: Session, token: str | None) -> None:
    """Delete the session of a cookie token (sign out)."""
    if token:
        session.execute(
            delete(StaffSession).where(StaffSession.id == session_key(token)),
            execution_options={"synchronize_session": False},
        )


def end_user_sessions(session: Session, user: StaffUser) -> None:
    """Delete every session of ``user`` (deactivation, password change)."""
    session.execute(
        delete(StaffSession).where(StaffSession.user_id == user.id),
        execution_options={"synchronize_session": False},
    )


def purge_expired_sessions(
    session: Session, *, settings: Settings, now: datetime
) -> int:
    """Delete sessions past their idle or absolute limit; return how many."""
    idle_cutoff = now - timedelta(minutes=settings.session_idle_minutes)
    age_cutoff = now - timedelta(hours=settings.session_max_hours)
    result = session.execute(
        delete(StaffSession).where(
            or_(
                StaffSession.last_seen_at < idle_cutoff,
                StaffSession.created_at < age_cutoff,
            )
        ),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount or 0
