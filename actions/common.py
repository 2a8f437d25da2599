"""Shared helpers of the actions: the trial, dates, and the recorder, all lazy."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import constants as c
from bot import parsing
from bot.screening.conversation import evaluate_state, question_total
from bot.screening.criteria import Trial, load_trial
from bot.screening.engine import Evaluation
from bot.screening.language import DEFAULT as DEFAULT_LANGUAGE
from bot.screening.language import normalize
from bot.screening.messages import render
from bot.settings import load_settings
from bot.store.models import utcnow
from bot.store.recorder import ScreeningRecorder, get_recorder

logger = logging.getLogger(__name__)


def language(tracker: Tracker | None) -> str:
    """The conversation's language (the ``language`` slot), English by default."""
    if tracker is None:
        return DEFAULT_LANGUAGE
    return normalize(tracker.get_slot(c.LANGUAGE)) or DEFAULT_LANGUAGE


def trial(tracker: Tracker | None = None) -> Trial:
    """The trial the assistant screens for, worded in the conversation's language
    (loaded and checked once per language; the rules are the same in each)."""
    return load_trial(language=language(tracker))


def screening_date(tracker: Tracker) -> date:
    """The date time windows are measured from: the day the screening began."""
    value = tracker.get_slot(c.SCREENING_DATE)
    if value:
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            pass
    return utcnow().date()


def answers(tracker: Tracker) -> dict[str, Any]:
    """The answers so far (the ``answers`` slot), never ``None``."""
    value = tracker.get_slot(c.ANSWERS)
    return dict(value) if isinstance(value, dict) else {}


def evaluation(
    tracker: Tracker, answer_state: dict[str, Any] | None = None
) -> Evaluation:
    """The engine's view of the answers so far."""
    state = answers(tracker) if answer_state is None else answer_state
    return evaluate_state(trial(tracker), state, screening_date(tracker))


def channel(tracker: Tracker) -> str:
    """The input channel of the latest message."""
    return (tracker.get_latest_input_channel() or "unknown")[:32]


def recorder() -> ScreeningRecorder:
    """The process's database recorder."""
    return get_recorder(load_trial())


def record(
    tracker: Tracker,
    answer_state: dict[str, Any],
    result: Evaluation,
    *,
    final_outcome: str | None = None,
) -> str | None:
    """Sync the screening to the database; return its reference.

    A database failure is logged and does not break the conversation: the answers
    stay in the tracker, and the next successful sync writes them.
    """
    try:
        return recorder().sync(
            sender_id=tracker.sender_id,
            channel=channel(tracker),
            answers=answer_state,
            evaluation=result,
            respondent=tracker.get_slot(c.RESPONDENT),
            relation=tracker.get_slot(c.RELATION),
            final_outcome=final_outcome,
        )
    except Exception:  # noqa: BLE001 - the conversation must go on
        logger.exception("could not record the screening; will retry on the next turn")
        return None


def site_contact(lang: str = DEFAULT_LANGUAGE) -> str:
    """The study team's contact, in one line, from the settings and the catalogue."""
    settings = load_settings()
    parts = [
        render(
            "site_contact_team",
            lang,
            name=settings.site_contact_name,
            org=settings.site_contact_org,
        )["text"]
    ]
    if settings.site_contact_phone:
        parts.append(
            render("site_contact_phone", lang, phone=settings.site_contact_phone)[
                "text"
            ]
        )
    if settings.site_contact_email:
        parts.append(
            render("site_contact_email", lang, email=settings.site_contact_email)[
                "text"
            ]
        )
    return str(render("site_contact_separator", lang)["text"]).join(parts)


def say(
    dispatcher: CollectingDispatcher, tracker: Tracker, key: str, **variables: Any
) -> None:
    """Send the catalogue message ``key``, filling the usual variables from the
    settings and slots (the site contact, the contact details being confirmed)."""
    lang = language(tracker)
    values: dict[str, Any] = {
        "site_contact": site_contact(lang),
        "emergency_number": load_settings().emergency_number,
        "question_total": question_total(evaluation(tracker)),
    }
    for slot in (
        c.CONTACT_NAME,
        c.CONTACT_PHONE,
        c.CONTACT_EMAIL,
        c.BEST_TIME,
        c.SCREENING_REF,
    ):
        value = tracker.get_slot(slot) or c.NOT_GIVEN
        if value == c.NOT_GIVEN:
            value = render("not_given", lang)["text"]
        values[slot] = value
    extra = variables.pop("buttons", None)
    values.update(variables)
    message = render(key, lang, **values)
    if extra:
        message["buttons"] = extra
    dispatcher.utter_message(**message)


def yes_or_no(tracker: Tracker, text: str) -> bool | None:
    """True or False for a definite yes or no to an offer ("Shall we start?", "May
    we pass your details on?"), None otherwise.

    The words decide (``parse_yes_no(consent=True)``: "ok", "let's do it", "I'd
    rather not" count), not the model: every answer is one intent (``answer``), so
    the intent cannot tell a yes from a no. ``tracker`` is kept for the callers.
    """
    del tracker
    parsed = parsing.parse_yes_no(text, consent=True)
    if parsed.ok and parsed.value == "yes":
        return True
    if parsed.ok and parsed.value == "no":
        return False
    return None  # hedged ("I think so"), unsure or not understood: not a consent


def settle(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    key: str,
    slots: dict[str, Any],
) -> dict[str, Any]:
    """Settle a question on its last asking: say ``key`` kindly, set ``slots``."""
    say(dispatcher, tracker, key)
    return {**slots, c.RETRIES: 0.0}


def join(tracker: Tracker, items: Any) -> str:
    """Items as one list in the conversation's language ("a, b" / "a、b")."""
    return str(render("list_separator", language(tracker))["text"]).join(
        str(item) for item in items
    )
