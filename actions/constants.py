"""Slot, intent, action and response names used by the actions (one place)."""

# Slots
SCREENING_CONSENT = "screening_consent"
RESPONDENT = "respondent"
RELATION = "relation"
ANSWER = "answer"
CURRENT_QUESTION = "current_question"
ANSWERS = "answers"
RETRIES = "retries"
SCREENING_DATE = "screening_date"
OUTCOME = "outcome"
SCREENING_REF = "screening_ref"
SHARE_CONSENT = "share_consent"
CONTACT_NAME = "contact_name"
CONTACT_PHONE = "contact_phone"
CONTACT_EMAIL = "contact_email"
BEST_TIME = "best_time"
CONTACT_CONFIRMED = "contact_confirmed"
EMERGENCY_NUMBER = "emergency_number"
SITE_CONTACT = "site_contact"
LANGUAGE = "language"
REQUESTED_SLOT = "requested_slot"
# How many times the pending question was asked in a row: {"key": ..., "n": ...}.
ASKS = "asks"
# "What?": the next asking uses simpler words, an example and why it is asked.
CLARIFY = "clarify"
# "About N questions" for the FAQ's answer, from the engine.
QUESTION_TOTAL = "question_total"

# Forms
SCREENING_FORM = "screening_form"
CONTACT_FORM = "contact_form"

# Text shown for an optional field that was skipped.
NOT_GIVEN = "not given"

# "Delete my answers" (actions/confirm_erasure.py, actions/erase_data.py): the
# confirmation is a small form of its own, so no other form takes the reply.
ERASURE_FORM = "erasure_form"
# The person's reply to "Delete your answers?" (any text; only a clear yes deletes).
ERASURE_ANSWER = "erasure_answer"
# The form to go back to when the person keeps their answers ("none" outside one).
ERASURE_PENDING = "erasure_pending"
