"""The referral workflow: status steps, notes, assignees, and revealing contacts.

Plain functions over an open session (the caller commits); each change is audited.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot import vocab
from bot.staff.audit import audit
from bot.staff.permissions import REVEAL, can
from bot.staff.text import StaffError, clean_text
from bot.store.models import (
    ContactDetails,
    Referral,
    StaffNote,
    StaffUser,
    StatusChange,
)

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
    audit(
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
    audit(
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
    audit(
        session,
        actor.username,
        "referral.assigned",
        referral.reference,
        now,
        assignee=assignee.username if assignee else None,
    )
    session.flush()


def reveal_contacts(
    session: Session, referral: Referral, *, actor: StaffUser, now: datetime
) -> ContactDetails:
    """Return a referral's contact details and audit that they were shown.

    Raises:
        StaffError: The actor's role may not see contact details.
    """
    if not can(actor.role, REVEAL):
        raise StaffError("Your role cannot see contact details.")
    audit(
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
