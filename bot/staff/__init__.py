"""What study staff do: sign in, work the referral queue, and what each role may do.

Plain functions over an open session, like :mod:`bot.store.repository` (the caller
commits). The web console (:mod:`bot.console`) is a thin HTTP layer over them, so
every rule here is tested without a browser, on SQLite and PostgreSQL.

Every action on patient data and every sign-in writes an :class:`AuditEvent`. Audit
details hold references, usernames and vocabulary words, never contact details or
note text.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session, joinedload

from bot import vocab
from bot.settings import Settings
from bot.store.models import (
    UTC,
    AuditEvent,
    Referral,
    Screening,
    StaffNote,
    StaffSession,
    StaffUser,
    StatusChange,
)

# --------------------------------------------------------------------------- #
# Roles and permissions
# --------------------------------------------------------------------------- #

VIEW = "view"  # queue, referral details, transcripts, funnel
UPDATE = "update"  # status, notes, assignee
REVEAL = "reveal"  # show a referral's contact details
EXPORT = "export"  # download exports without contact details
EXPORT_CONTACTS = "export_contacts"  # ... with contact details (consented only)
ERASE = "erase"  # delete a person's data on request
MANAGE_USERS = "manage_users"
READ_AUDIT = "read_audit"

_ALL = frozenset(vocab.STAFF_ROLES)
#: Who may do what. Investigators review eligibility from the clinical answers and
#: the transcript; calling people is the coordinators' job, so investigators do not
#: see contact details (least privilege). Admins may do everything.
PERMISSIONS: dict[str, frozenset[str]] = {
    VIEW: _ALL,
    UPDATE: _ALL,
    REVEAL: frozenset({vocab.ROLE_COORDINATOR, vocab.ROLE_ADMIN}),
    EXPORT: _ALL,
    EXPORT_CONTACTS: frozenset({vocab.ROLE_COORDINATOR, vocab.ROLE_ADMIN}),
    ERASE: frozenset({vocab.ROLE_ADMIN}),
    MANAGE_USERS: frozenset({vocab.ROLE_ADMIN}),
    READ_AUDIT: frozenset({vocab.ROLE_ADMIN}),
}


def can(role: str | None, permission: str) -> bool:
    """Return whether ``role`` has ``permission`` (unknown permissions: no)."""
    return role in PERMISSIONS.get(permission, frozenset())


class StaffError(ValueError):
    """A request staff made that cannot be carried out; the message says why."""


# --------------------------------------------------------------------------- #
# Referral workflow
# --------------------------------------------------------------------------- #

#: The allowed next statuses of a referral. A referral moves forward one step at a
#: time; "not enrolled" (with a reason) can end it at any step before enrolment.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    vocab.REFERRAL_NEW: (vocab.REFERRAL_CONTACTED, vocab.REFERRAL_NOT_ENROLLED),
    vocab.REFERRAL_CONTACTED: (
        vocab.REFERRAL_RECORDS_CHECKED,
        vocab.REFERRAL_NOT_ENROLLED,
    ),
    vocab.REFERRAL_RECORDS_CHECKED: (
        vocab.REFERRAL_SCHEDULED,
        vocab.REFERRAL_NOT_ENROLLED,
    ),
    vocab.REFERRAL_SCHEDULED: (vocab.REFERRAL_ENROLLED, vocab.REFERRAL_NOT_ENROLLED),
    vocab.REFERRAL_ENROLLED: (),
    vocab.REFERRAL_NOT_ENROLLED: (),
}

#: How statuses and outcomes read on screen.
STATUS_LABELS = {
    vocab.REFERRAL_NEW: "New",
    vocab.REFERRAL_CONTACTED: "Contacted",
    vocab.REFERRAL_RECORDS_CHECKED: "Records checked",
    vocab.REFERRAL_SCHEDULED: "Scheduled",
    vocab.REFERRAL_ENROLLED: "Enrolled",
    vocab.REFERRAL_NOT_ENROLLED: "Not enrolled",
}
OUTCOME_LABELS = {
    vocab.LIKELY_ELIGIBLE: "Likely eligible",
    vocab.NEEDS_REVIEW: "Needs review",
    vocab.INELIGIBLE: "Ineligible",
    vocab.INCOMPLETE: "Incomplete",
}

#: The longest note accepted, in characters.
NOTE_MAX_CHARS = 5000
#: The longest status reason accepted, in characters.
REASON_MAX_CHARS = 2000

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
# C0 control characters other than tab, newline and carriage return, and DEL.
# PostgreSQL refuses NUL in text, and none of them belongs in a note or a search.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str | None) -> str:
    """Drop control characters (NUL and friends) from text typed by staff."""
    return _CONTROL_CHARS.sub("", value or "")


PASSWORD_MIN_CHARS = 12
PASSWORD_MAX_CHARS = 1024


def _audit(
    session: Session,
    actor: str,
    action: str,
    target: str | None,
    now: datetime,
    **detail: Any,
) -> AuditEvent:
    event = AuditEvent(
        actor=actor[:64],
        action=action,
        target=target[:128] if target else None,
        at=now,
        detail=detail or None,
    )
    session.add(event)
    return event


def audit(
    session: Session,
    actor: str,
    action: str,
    target: str | None,
    now: datetime,
    **detail: Any,
) -> AuditEvent:
    """Record an audit event (public form, for the console and the command line).

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
    return _audit(session, actor, action, target, now, **detail)


def change_status(
    session: Session,
    referral: Referral,
    to_status: str,
    *,
    actor: StaffUser,
    reason: str | None,
    now: datetime,
) -> StatusChange:
    """Move a referral along its workflow; audited.

    Args:
        session: The session.
        referral: The referral.
        to_status: The new status (one of the allowed next ones).
        actor: The staff member.
        reason: Why; required for "not enrolled".
        now: The current time.

    Returns:
        The recorded status change.

    Raises:
        StaffError: The step is not allowed, or a required reason is missing.
    """
    reason = clean_text(reason).strip() or None
    if to_status not in vocab.REFERRAL_STATUSES:
        raise StaffError("Unknown status.")
    if to_status not in TRANSITIONS[referral.status]:
        raise StaffError(
            f"A referral that is {STATUS_LABELS[referral.status].lower()} cannot "
            f"become {STATUS_LABELS[to_status].lower()}."
        )
    if to_status == vocab.REFERRAL_NOT_ENROLLED and not reason:
        raise StaffError("Give the reason the person was not enrolled.")
    if reason and len(reason) > REASON_MAX_CHARS:
        raise StaffError(
            f"The reason is too long ({len(reason)} characters; the limit is "
            f"{REASON_MAX_CHARS})."
        )
    change = StatusChange(
        from_status=referral.status,
        to_status=to_status,
        reason=reason,
        actor_id=actor.id,
        at=now,
    )
    referral.status_changes.append(change)
    _audit(
        session,
        actor.username,
        "referral.status_changed",
        referral.reference,
        now,
        **{"from": referral.status, "to": to_status},
    )
    referral.status = to_status
    referral.status_reason = reason
    session.flush()
    return change


def add_note(
    session: Session,
    referral: Referral,
    body: str,
    *,
    actor: StaffUser,
    now: datetime,
) -> StaffNote:
    """Add a staff note to a referral; audited (by length, not content).

    Raises:
        StaffError: The note is empty or longer than :data:`NOTE_MAX_CHARS`.
    """
    body = clean_text(body).replace("\r\n", "\n").strip()
    if not body:
        raise StaffError("The note is empty.")
    if len(body) > NOTE_MAX_CHARS:
        raise StaffError(
            f"The note is too long ({len(body):,} characters; the limit is "
            f"{NOTE_MAX_CHARS:,}). Shorten it, or split it into several notes."
        )
    note = StaffNote(body=body, author_id=actor.id, created_at=now)
    referral.notes.append(note)
    _audit(
        session,
        actor.username,
        "referral.note_added",
        referral.reference,
        now,
        length=len(body),
    )
    session.flush()
    return note


def assign(
    session: Session,
    referral: Referral,
    assignee: StaffUser | None,
    *,
    actor: StaffUser,
    now: datetime,
) -> None:
    """Assign a referral to an active staff member, or to nobody; audited.

    Raises:
        StaffError: The assignee's account is deactivated.
    """
    if assignee is not None and not assignee.is_active:
        raise StaffError("That account is deactivated.")
    referral.assignee_id = assignee.id if assignee else None
    referral.assignee = assignee
    _audit(
        session,
        actor.username,
        "referral.assigned",
        referral.reference,
        now,
        assignee=assignee.username if assignee else None,
    )
    session.flush()


@dataclass(frozen=True)
class ContactDetails:
    """A referral's contact details, decrypted for one audited reveal."""

    name: str | None
    phone: str | None
    email: str | None
    best_time: str | None
    consent_given_at: datetime | None


def reveal_contacts(
    session: Session, referral: Referral, *, actor: StaffUser, now: datetime
) -> ContactDetails:
    """Return a referral's contact details and audit that they were shown.

    Raises:
        StaffError: The actor's role may not see contact details.
    """
    if not can(actor.role, REVEAL):
        raise StaffError("Your role cannot see contact details.")
    _audit(
        session, actor.username, "referral.contacts_revealed", referral.reference, now
    )
    session.flush()
    return ContactDetails(
        name=referral.contact_name,
        phone=referral.contact_phone,
        email=referral.contact_email,
        best_time=referral.best_time,
        consent_given_at=referral.consent_given_at,
    )


# --------------------------------------------------------------------------- #
# The queue
# --------------------------------------------------------------------------- #


@dataclass
class QueueFilters:
    """Filters of the referral queue; ``None`` means "any".

    Attributes:
        outcome: A screening outcome word.
        status: A referral status word.
        channel: A channel name.
        date_from: Referred on or after this day (UTC).
        date_to: Referred on or before this day (UTC).
        search: Part of a reference (case-insensitive).
        assignee_id: Assigned to this staff member.
    """

    outcome: str | None = None
    status: str | None = None
    channel: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    search: str | None = None
    assignee_id: int | None = None


@dataclass
class Queue:
    """One page of the referral queue and the counts shown above it."""

    referrals: list[Referral]
    total: int
    by_status: dict[str, int]
    by_outcome: dict[str, int]
    channels: list[str]
    page: int = 1
    pages: int = 1
    per_page: int = 50
    problems: list[str] = field(default_factory=list)


def parse_queue_filters(params: dict[str, str]) -> tuple[QueueFilters, list[str]]:
    """Read queue filters from request parameters; report what was ignored.

    Nothing a user types can make this fail: unknown words and malformed dates are
    ignored with a message.

    Returns:
        The filters, and messages about ignored values.
    """
    params = {k: clean_text(v) for k, v in params.items()}
    problems: list[str] = []
    filters = QueueFilters()
    outcome = (params.get("outcome") or "").strip()
    if outcome:
        if outcome in vocab.OUTCOMES:
            filters.outcome = outcome
        else:
            problems.append("Unknown outcome ignored.")
    status = (params.get("status") or "").strip()
    if status:
        if status in vocab.REFERRAL_STATUSES:
            filters.status = status
        else:
            problems.append("Unknown status ignored.")
    channel = (params.get("channel") or "").strip()
    if channel:
        filters.channel = channel[:32]
    for name, label in (("date_from", "From"), ("date_to", "To")):
        raw = (params.get(name) or "").strip()
        if raw:
            try:
                setattr(filters, name, date.fromisoformat(raw[:10]))
            except ValueError:
                problems.append(f"{label} date not understood (use YYYY-MM-DD).")
    search = (params.get("q") or "").strip()
    if search:
        filters.search = search[:64]
    assignee = (params.get("assignee") or "").strip()
    if assignee:
        if assignee.isdigit():
            filters.assignee_id = int(assignee)
        else:
            problems.append("Unknown assignee ignored.")
    return filters, problems


def referral_queue(
    session: Session, filters: QueueFilters, *, page: int = 1, per_page: int = 50
) -> Queue:
    """Return referrals matching ``filters``, newest first, with counts.

    The counts by status and by outcome cover every referral, so the team sees
    the whole workload whatever the filter.
    """
    query = select(Referral).join(Screening, Referral.screening_id == Screening.id)
    if filters.outcome:
        query = query.where(Screening.outcome == filters.outcome)
    if filters.status:
        query = query.where(Referral.status == filters.status)
    if filters.channel:
        query = query.where(Screening.channel == filters.channel)
    if filters.date_from:
        query = query.where(
            Referral.created_at >= datetime.combine(filters.date_from, time(), UTC)
        )
    if filters.date_to:
        query = query.where(
            Referral.created_at
            < datetime.combine(filters.date_to + timedelta(days=1), time(), UTC)
        )
    if filters.search:
        # A bound parameter: whatever was typed is data, never SQL.
        like = "%" + _escape_like(filters.search.upper()) + "%"
        query = query.where(Referral.reference.like(like, escape="\\"))
    if filters.assignee_id is not None:
        query = query.where(Referral.assignee_id == filters.assignee_id)

    total = session.execute(
        select(func.count()).select_from(query.subquery())
    ).scalar_one()
    per_page = max(1, per_page)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    referrals = (
        session.execute(
            query.options(joinedload(Referral.screening), joinedload(Referral.assignee))
            .order_by(Referral.created_at.desc(), Referral.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        .scalars()
        .unique()
        .all()
    )
    by_status = dict.fromkeys(vocab.REFERRAL_STATUSES, 0)
    for status, count in session.execute(
        select(Referral.status, func.count()).group_by(Referral.status)
    ):
        by_status[status] = count
    by_outcome = dict.fromkeys(vocab.OUTCOMES, 0)
    for outcome, count in session.execute(
        select(Screening.outcome, func.count())
        .join(Referral, Referral.screening_id == Screening.id)
        .group_by(Screening.outcome)
    ):
        if outcome in by_outcome:
            by_outcome[outcome] = count
    channels = sorted(
        c for (c,) in session.execute(select(Screening.channel).distinct()) if c
    )
    return Queue(
        referrals=list(referrals),
        total=total,
        by_status=by_status,
        by_outcome=by_outcome,
        channels=channels,
        page=page,
        pages=pages,
        per_page=per_page,
    )


def referral_by_reference(session: Session, reference: str) -> Referral | None:
    """Return the referral with this reference (case-insensitive), or ``None``."""
    return session.execute(
        select(Referral)
        .options(joinedload(Referral.screening))
        .where(Referral.reference == clean_text(reference).strip().upper()[:16])
    ).scalar_one_or_none()


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --------------------------------------------------------------------------- #
# Accounts, sign-in, sessions
# --------------------------------------------------------------------------- #


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
    _audit(session, actor, "user.created", username, now, role=role)
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
        _audit(
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
        _audit(
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
        _audit(
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
            _audit(session, user.username, "login.failed", user.username, now, **detail)
            _audit(
                session,
                "system",
                "account.locked",
                user.username,
                now,
                minutes=settings.lockout_minutes,
            )
        else:
            _audit(session, user.username, "login.failed", user.username, now, **detail)
        session.flush()
        return LoginResult(None, "bad_password")
    if not user.is_active:
        _audit(
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
    _audit(session, user.username, "login.succeeded", user.username, now)
    session.flush()
    return LoginResult(user, "ok")


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


def active_users(session: Session) -> list[StaffUser]:
    """Active staff accounts, by username (for the assignee list)."""
    return list(
        session.execute(
            select(StaffUser)
            .where(StaffUser.is_active.is_(True))
            .order_by(StaffUser.username)
        ).scalars()
    )
