"""What study staff do: sign in, work the referral queue, and what each role may do.

Plain functions over an open session, like :mod:`bot.store.repository` (the caller
commits). The web console (:mod:`bot.console`) is a thin HTTP layer over them, so
every rule here is tested without a browser, on SQLite and PostgreSQL.

One module per subject: :mod:`~bot.staff.permissions` (roles),
:mod:`~bot.staff.accounts` (accounts and sign-in), :mod:`~bot.staff.sessions`,
:mod:`~bot.staff.referrals` (the workflow), :mod:`~bot.staff.queue`,
:mod:`~bot.staff.audit` and :mod:`~bot.staff.text` (what staff type). Their public
names are re-exported here, so callers write ``staff.change_status(...)``.
"""

from bot.staff.accounts import (
    PASSWORD_MAX_CHARS,
    PASSWORD_MIN_CHARS,
    USERNAME_RE,
    LoginResult,
    active_users,
    authenticate,
    check_new_password,
    create_user,
    make_hasher,
    update_user,
)
from bot.staff.audit import audit
from bot.staff.permissions import (
    ERASE,
    EXPORT,
    EXPORT_CONTACTS,
    MANAGE_USERS,
    PERMISSIONS,
    READ_AUDIT,
    REVEAL,
    UPDATE,
    VIEW,
    can,
)
from bot.staff.queue import (
    Queue,
    QueueFilters,
    parse_channel,
    parse_period,
    parse_queue_filters,
    referral_by_reference,
    referral_queue,
    screening_channels,
)
from bot.staff.referrals import (
    NOTE_MAX_CHARS,
    OUTCOME_LABELS,
    REASON_MAX_CHARS,
    STATUS_LABELS,
    TRANSITIONS,
    add_note,
    assign,
    change_status,
    reveal_contacts,
)
from bot.staff.sessions import (
    SessionState,
    end_session,
    end_user_sessions,
    load_session,
    purge_expired_sessions,
    session_key,
    start_session,
)
from bot.staff.text import StaffError, clean_text
from bot.store.models import ContactDetails

__all__ = [
    "ERASE",
    "EXPORT",
    "EXPORT_CONTACTS",
    "MANAGE_USERS",
    "NOTE_MAX_CHARS",
    "OUTCOME_LABELS",
    "PASSWORD_MAX_CHARS",
    "PASSWORD_MIN_CHARS",
    "PERMISSIONS",
    "READ_AUDIT",
    "REASON_MAX_CHARS",
    "REVEAL",
    "STATUS_LABELS",
    "TRANSITIONS",
    "UPDATE",
    "USERNAME_RE",
    "VIEW",
    "ContactDetails",
    "LoginResult",
    "Queue",
    "QueueFilters",
    "SessionState",
    "StaffError",
    "active_users",
    "add_note",
    "assign",
    "audit",
    "authenticate",
    "can",
    "change_status",
    "check_new_password",
    "clean_text",
    "create_user",
    "end_session",
    "end_user_sessions",
    "load_session",
    "make_hasher",
    "parse_channel",
    "parse_period",
    "parse_queue_filters",
    "purge_expired_sessions",
    "referral_by_reference",
    "referral_queue",
    "reveal_contacts",
    "screening_channels",
    "session_key",
    "start_session",
    "update_user",
]
