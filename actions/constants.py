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
REQUESTED_SLOT = "requested_slot"

# Forms
SCREENING_FORM = "screening_form"
CONTACT_FORM = "contact_form"

# Entities from nlu_ext.TrialValueExtractor, by the fact they answer.
VALUE_ENTITY_FACTS = {
    "age": "age",
    "bilirubin": "bilirubin",
    "inr": "inr",
    "pta": "pta",
    "platelets": "platelets",
    "child_pugh": "child_pugh",
    "he_grade": "encephalopathy",
}
TOPIC_ENTITY = "topic"

# While a screening question is pending, these intents are interruptions handled by
# the rules (an explanation, the emergency advice...), not answers. Anything else,
# including "I don't know" and messages the NLU could not classify, is an answer, and
# a tapped quick reply always is.
INTERRUPTION_INTENTS = frozenset(
    {
        "faq",
        "explain",
        "chitchat",
        "why_ask",
        "stop",
        "human_handoff",
        "bot_challenge",
        "emergency",
        "correct",
        "start_over",
        "out_of_scope",
        "greet",
        "goodbye",
        "thank",
        "continue_screening",
    }
)

# Text shown for an optional field that was skipped.
NOT_GIVEN = "not given"
