"""End to end: "delete my answers" in the chat, against the real servers.

The same servers as ``test_rest`` (``support.rest.stack``: the action server, the Rasa
server with the trained model, SQLite tracker store and application database).
After a confirmed deletion the tracker store holds none of the person's messages,
the application database nothing about them, and the audit trail the reference only.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from support import rest

from bot.screening.erasure import CHAT_ACTOR
from bot.settings import sender_secret
from bot.store.db import session_scope
from bot.store.models import AuditEvent, OutboxMessage, Referral, Screening
from bot.store.repository import sender_key
from bot.store.transcripts import TrackerStore
from ops.screening import LIKELY, run_screening, texts

pytestmark = pytest.mark.e2e

#: The REST servers (a module-scoped fixture: started once for this module).
stack = rest.stack
Stack = rest.Stack


def _transcript(stack: Stack, sender: str) -> list[dict]:
    store = TrackerStore(f"sqlite:///{stack.env['TRACKER_DB']}")
    try:
        return store.events(sender)
    finally:
        store.dispose()


def _screenings(stack: Stack, sender: str) -> list[Screening]:
    key = sender_key(sender_secret(stack.settings), "rest", sender)
    with session_scope(stack.engine) as session:
        return list(
            session.execute(select(Screening).where(Screening.sender_key == key))
            .scalars()
            .all()
        )


def _refer(stack: Stack, sender: str) -> str:
    replies = run_screening(stack.say, sender, LIKELY).last
    assert "share your name and phone number" in texts(replies)
    for text in ("Yes, please", "Li Wei", "138 0013 8000", "Skip", "weekday mornings"):
        stack.say(sender, text)
    replies = stack.say(sender, "Yes, that's right")
    assert "Your reference is SCR-" in texts(replies), texts(replies)
    [screening] = _screenings(stack, sender)
    return screening.reference


def test_a_referred_person_deletes_everything_in_the_chat(stack: Stack):
    sender = "e2e-erase-referred"
    reference = _refer(stack, sender)
    with session_scope(stack.engine) as session:
        assert (
            session.execute(
                select(OutboxMessage).where(OutboxMessage.reference == reference)
            )
            .scalars()
            .all()
        )
    said_before = [
        e["text"] for e in _transcript(stack, sender) if e["event"] == "user"
    ]
    assert "Li Wei" in said_before

    replies = stack.say(sender, "please erase my data")
    question = texts(replies)
    assert "cannot be undone" in question and "phone number" in question
    assert [b["title"] for b in replies[-1].get("buttons", [])] == [
        "Yes, delete",
        "No, keep them",
    ]
    replies = stack.say(sender, "Yes, delete")
    assert "have been deleted" in texts(replies), texts(replies)

    # The transcript: nothing the person said before is stored.
    left = _transcript(stack, sender)
    left_texts = [e.get("text") for e in left if e.get("text")]
    for said in said_before + ["please erase my data", "Yes, delete"]:
        assert said not in left_texts, said
    assert not [e for e in left if e["event"] == "user"]
    assert left[0]["event"] == "session_started"
    # The application database: nothing about them.
    assert _screenings(stack, sender) == []
    with session_scope(stack.engine) as session:
        assert (
            not session.execute(
                select(OutboxMessage).where(OutboxMessage.reference == reference)
            )
            .scalars()
            .all()
        )
        assert (
            not session.execute(
                select(Referral).where(Referral.contact_name == "Li Wei")
            )
            .scalars()
            .all()
        )
        [audit] = (
            session.execute(
                select(AuditEvent).where(
                    AuditEvent.action == "person.erased", AuditEvent.target == reference
                )
            )
            .scalars()
            .all()
        )
        assert audit.actor == CHAT_ACTOR
        assert sender not in repr(audit.detail) and "Li Wei" not in repr(audit.detail)

    # A clean start: the conversation holds nothing from before.
    replies = stack.say(sender, "hi")
    assert "Shall we start?" in texts(replies), texts(replies)
    users = [e["text"] for e in _transcript(stack, sender) if e["event"] == "user"]
    assert users == ["hi"]


def test_mid_screening_a_no_keeps_everything_and_asks_the_question_again(
    stack: Stack,
):
    sender = "e2e-erase-kept"
    stack.say(sender, "hi")
    stack.say(sender, "Yes, go ahead")
    replies = stack.say(sender, "For myself")
    pending = texts(replies)
    assert "Question 1" in pending, pending

    replies = stack.say(sender, "delete my answers")
    assert "cannot be undone" in texts(replies)
    # "yes" to the question would be an answer to the screening; here it is not
    # asked, and "No, keep them" is not taken as an answer either.
    replies = stack.say(sender, "No, keep them")
    assert "not deleted anything" in texts(replies), texts(replies)
    assert "Question 1" in texts(replies), texts(replies)
    replies = stack.say(sender, "I'm 45")
    assert "Question 2" in texts(replies), texts(replies)
    [screening] = _screenings(stack, sender)
    assert screening.reference

    # Now yes, during the questions: the screening goes, the form does not take it.
    # Asked in Chinese, so the conversation goes on in Chinese (docs/chinese.md);
    # the English "yes" still confirms.
    stack.say(sender, "删除我的回答")
    replies = stack.say(sender, "Yes, delete")
    assert "已经删除" in texts(replies), texts(replies)
    assert _screenings(stack, sender) == []
    assert not [e for e in _transcript(stack, sender) if e["event"] == "user"]


def test_in_the_contact_form_a_no_asks_for_the_detail_again(stack: Stack):
    sender = "e2e-erase-contact"
    replies = run_screening(stack.say, sender, LIKELY).last
    assert "share your name and phone number" in texts(replies)
    stack.say(sender, "Yes, please")
    replies = stack.say(sender, "Li Wei")
    assert "phone number" in texts(replies)

    replies = stack.say(sender, "remove everything I told you")
    assert "cannot be undone" in texts(replies), texts(replies)
    replies = stack.say(sender, "No, keep them")
    assert "not deleted anything" in texts(replies), texts(replies)
    assert "phone number" in texts(replies), texts(replies)
    replies = stack.say(sender, "138 0013 8000")
    assert "email" in texts(replies), texts(replies)
    [screening] = _screenings(stack, sender)
    assert screening.outcome == "likely_eligible"
