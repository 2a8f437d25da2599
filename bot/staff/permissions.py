"""What each staff role may do.

The console declares every route with one of these permissions and checks it before
the handler runs; the domain functions check the ones that guard patient data
(contact details) again.
"""

from __future__ import annotations

from bot import vocab

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
