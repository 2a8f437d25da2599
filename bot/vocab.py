"""Fixed vocabularies shared by the engine, the database, exports and the console.

These words are part of the project's interface: exports, the staff console and the
tests use them verbatim, and the database enforces them with CHECK constraints. Add a
word here and in a migration together.
"""

from __future__ import annotations

#: Screening outcomes (``None`` in the database while a screening is running).
LIKELY_ELIGIBLE = "likely_eligible"
NEEDS_REVIEW = "needs_review"
INELIGIBLE = "ineligible"
INCOMPLETE = "incomplete"
OUTCOMES: tuple[str, ...] = (LIKELY_ELIGIBLE, NEEDS_REVIEW, INELIGIBLE, INCOMPLETE)

#: Per-criterion verdicts.
MET = "met"
NOT_MET = "not_met"
UNKNOWN = "unknown"
NOT_ASKED = "not_asked"
VERDICTS: tuple[str, ...] = (MET, NOT_MET, UNKNOWN, NOT_ASKED)

#: Who is answering the questions.
RESPONDENT_SELF = "self"
RESPONDENT_CAREGIVER = "caregiver"
RESPONDENTS: tuple[str, ...] = (RESPONDENT_SELF, RESPONDENT_CAREGIVER)

#: The staff workflow of a referral, in its usual order.
REFERRAL_NEW = "new"
REFERRAL_CONTACTED = "contacted"
REFERRAL_RECORDS_CHECKED = "records_checked"
REFERRAL_SCHEDULED = "scheduled"
REFERRAL_ENROLLED = "enrolled"
REFERRAL_NOT_ENROLLED = "not_enrolled"
REFERRAL_STATUSES: tuple[str, ...] = (
    REFERRAL_NEW,
    REFERRAL_CONTACTED,
    REFERRAL_RECORDS_CHECKED,
    REFERRAL_SCHEDULED,
    REFERRAL_ENROLLED,
    REFERRAL_NOT_ENROLLED,
)

#: Staff roles in the console.
ROLE_COORDINATOR = "coordinator"
ROLE_INVESTIGATOR = "investigator"
ROLE_ADMIN = "admin"
STAFF_ROLES: tuple[str, ...] = (ROLE_COORDINATOR, ROLE_INVESTIGATOR, ROLE_ADMIN)

#: Kinds of outbox message.
OUTBOX_REFERRAL_EMAIL = "referral_email"
OUTBOX_KINDS: tuple[str, ...] = (OUTBOX_REFERRAL_EMAIL,)
