"""Staff accounts and sign-in: creating and changing accounts, passwords, lockout."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import vocab
from bot.screening.language import LANGUAGES as CONSOLE_LANGUAGES
from bot.settings import Settings
from bot.staff.audit import audit
from bot.staff.sessions import end_user_sessions
from bot.staff.text import StaffError, clean_text
from bot.store.models import StaffUser

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")

PASSWORD_MIN_CHARS = 12
PASSWORD_MAX_CHARS = 1024


def make_hasher() -> PasswordHasher:
    """The password hasher (argon2id with argon2-cffi's recommended parameters)."""
    return PasswordHasher()


def check_new_password(username: str, password: str) -> None:
    """Refuse passwords that are too short, too long, or the username.

    Raises:
        StaffError: Saying what is wrong.
    """
    if len(password) < PASSWORD_MIN_CHARS:
        raise StaffError(
            f"The password must have at least {PASSWORD_MIN_CHARS} characters."
        )
    if len(password) > PASSWORD_MAX_CHARS:
        raise StaffError("The password is too long.")
    if password.strip().lower() == username.lower():
        raise StaffError("The password must not be the username.")


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    actor: str,
    hasher: PasswordHasher,
    now: datetime,
) -> StaffUser:
    """Create a staff account; audited.

    Raises:
        StaffError: Bad username, role or password, or the username is taken.
    """
    username = (username or "").strip().lower()
    if not USERNAME_RE.match(username):
        raise StaffError(
            "Usernames are 2 to 64 characters: lower-case letters, digits, "
            "dot, dash or underscore."
        )
    if role not in vocab.STAFF_ROLES:
        raise StaffError("Unknown role.")
    check_new_password(username, password)
    taken = session.execute(
        select(StaffUser.id).where(StaffUser.username == username)
    ).first()
    if taken:
        raise StaffError("That username is taken.")
    user = StaffUser(
        username=username,
        password_hash=hasher.hash(password),
        role=role,
        failed_logins=0,
        is_active=True,
        created_at=now,
    )
    session.add(user)
    audit(session, actor, "user.created", username, now, role=role)
    session.flush()
    return user


def update_user(
    session: Session,
    user: StaffUser,
    *,
    actor: StaffUser,
    now: datetime,
    role: str | None = None,
    active: bool | None = None,
    unlock: bool = False,
    new_password: str | None = None,
    hasher: PasswordHasher | None = None,
) -> list[str]:
    """Change a staff account; audited. Returns what changed.

    Admins cannot demote or deactivate themselves, so the console always keeps
    someone who can manage accounts.

    Raises:
        StaffError: An invalid change.
    """
    changed: list[str] = []
    if role is not None and role != user.role:
        if role not in vocab.STAFF_ROLES:
            raise StaffError("Unknown role.")
        if user.id == actor.id:
            raise StaffError("You cannot change your own role.")
        user.role = role
        changed.append("role")
    if active is not None and active != user.is_active:
        if user.id == actor.id:
            raise StaffError("You cannot deactivate your own account.")
        user.is_active = active
        changed.append("active" if active else "deactivated")
        if not active:
            end_user_sessions(session, user)
    if unlock and (user.locked_until is not None or user.failed_logins):
        user.locked_until = None
        user.failed_logins = 0
        changed.append("unlocked")
    if new_password:
        if hasher is None:
            raise StaffError("No password hasher.")
        check_new_password(user.username, new_password)
        user.password_hash = hasher.hash(new_password)
        end_user_sessions(session, user)
        changed.append("password")
    if changed:
        audit(
            session,
            actor.username,
            "user.updated",
            user.username,
            now,
            changes=changed,
            role=user.role,
        )
    session.flush()
    return changed


@dataclass(frozen=True)
class LoginResult:
    """The outcome of a sign-in attempt.

    Attributes:
        user: The user, when signed in.
        reason: ``"ok"``, ``"bad_password"``, ``"unknown_user"``, ``"locked"`` or
            ``"inactive"`` (for the audit trail; never shown to the person).
    """

    user: StaffUser | None
    reason: str

    @property
    def ok(self) -> bool:
        """Whether the sign-in succeeded."""
        return self.user is not None


# A valid hash of a random password: unknown usernames are checked against it, so
# they take as long as known ones (no user enumeration by timing).
_DUMMY_HASHES: dict[int, str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    key = id(hasher)
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = hasher.hash(secrets.token_urlsafe(16))
    return _DUMMY_HASHES[key]


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    settings: Settings,
    hasher: PasswordHasher,
    now: datetime,
) -> LoginResult:
    """Check a sign-in; count failures and lock the account after too many.

    After ``settings.login_max_failures`` failures in a row the account is locked
    for ``settings.lockout_minutes``; while locked, even the right password is
    refused. Success resets the count. Every attempt is audited.

    Returns:
        The result; ``result.user`` is set on success.
    """
    username = clean_text(username).strip().lower()[:64]
    password = (password or "")[:PASSWORD_MAX_CHARS]
    user = session.execute(
        select(StaffUser).where(StaffUser.username == username)
    ).scalar_one_or_none()
    if user is None:
        try:
            hasher.verify(_dummy_hash(hasher), password)
        except (VerificationError, InvalidHashError):
            pass
        audit(
            session,
            username or "(empty)",
            "login.failed",
            None,
            now,
            reason="unknown_user",
        )
        session.flush()
        return LoginResult(None, "unknown_user")
    if user.locked_until is not None and user.locked_until > now:
        audit(
            session, user.username, "login.failed", user.username, now, reason="locked"
        )
        session.flush()
        return LoginResult(None, "locked")
    try:
        hasher.verify(user.password_hash, password)
        verified = True
    except (VerificationError, InvalidHashError):
        verified = False
    if not verified:
        user.failed_logins = (user.failed_logins or 0) + 1
        detail: dict[str, Any] = {
            "reason": "bad_password",
            "failures": user.failed_logins,
        }
        if user.failed_logins >= settings.login_max_failures:
            user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
            user.failed_logins = 0
            detail["locked_until"] = user.locked_until.isoformat()
            audit(session, user.username, "login.failed", user.username, now, **detail)
            audit(
                session,
                "system",
                "account.locked",
                user.username,
                now,
                minutes=settings.lockout_minutes,
            )
        else:
            audit(session, user.username, "login.failed", user.username, now, **detail)
        session.flush()
        return LoginResult(None, "bad_password")
    if not user.is_active:
        audit(
            session,
            user.username,
            "login.failed",
            user.username,
            now,
            reason="inactive",
        )
        session.flush()
        return LoginResult(None, "inactive")
    user.failed_logins = 0
    user.locked_until = None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    audit(session, user.username, "login.succeeded", user.username, now)
    session.flush()
    return LoginResult(user, "ok")


def active_users(session: Session) -> list[StaffUser]:
    """Active staff accounts, by username (for the assignee list)."""
    return list(
        session.execute(
            select(StaffUser)
            .where(StaffUser.is_active.is_(True))
            .order_by(StaffUser.username)
        ).scalars()
    )


def set_language(session: Session, user: StaffUser, language: str) -> bool:
    """Remember the console language ``user`` chose (``"zh"`` or ``"en"``).

    A display preference, not a change to the account's rights, so it is not
    audited.

    Returns:
        Whether it changed.

    Raises:
        StaffError: Not a language the console speaks.
    """
    if language not in CONSOLE_LANGUAGES:
        raise StaffError("Unknown language.")
    if user.language == language:
        return False
    user.language = language
    session.flush()
    return True
