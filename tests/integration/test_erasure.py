"""The chat's "delete my answers": the erasure by conversation (SQLite and
PostgreSQL), what counts as a clear yes, the tracker store that deletes the
transcript when it saves the erasing turn, and the two actions."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date, datetime, timezone

import pytest
from rasa_sdk.events import ActiveLoop, AllSlotsReset, FollowupAction, SlotSet
from sqlalchemy import func, select

from actions.confirm_erasure import ConfirmErasure
from actions.erase_data import EraseData
from bot.jobs.retention import erase_conversation
from bot.screening.conversation import evaluate_state
from bot.screening.erasure import CHAT_ACTOR, ERASED_MARK, confirms_erasure
from bot.store import repository
from bot.store.db import session_scope
from bot.store.models import (
    Answer,
    AuditEvent,
    ContactDetails,
    CriterionVerdict,
    OutboxMessage,
    Referral,
    Screening,
)
from bot.store.recorder import ScreeningRecorder

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
ANSWERS = {"age": {"value": 54, "text": "54"}}


def _record(recorder: ScreeningRecorder, trial, sender: str, refer: bool) -> str:
    evaluation = evaluate_state(trial, ANSWERS, date(2026, 3, 2))
    reference = recorder.sync(
        sender_id=sender,
        channel="rest",
        answers=ANSWERS,
        evaluation=evaluation,
        now=NOW,
    )
    if refer:
        recorder.refer(
            sender_id=sender,
            channel="rest",
            contact=ContactDetails("Li Wei", "+8613800138000", "li@example.cn", None),
            now=NOW,
        )
    return reference


def _rows(session, model, reference: str) -> int:
    if model is OutboxMessage:
        where = OutboxMessage.reference == reference
    elif model is Screening:
        where = Screening.reference == reference
    else:
        where = model.screening_id.in_(
            select(Screening.id).where(Screening.reference == reference)
        )
    return session.execute(
        select(func.count()).select_from(model).where(where)
    ).scalar_one()


def test_erase_by_conversation_deletes_everything_and_audits_the_reference_only(
    engine, settings, trial
):
    settings = dataclasses.replace(settings, site_contact_email="site@study.test")
    recorder = ScreeningRecorder(settings, engine, trial, retry_seconds=0)
    mine = _record(recorder, trial, "chat-person", refer=True)
    other = _record(recorder, trial, "someone-else", refer=True)
    with session_scope(engine) as session:
        for model in (Screening, Answer, CriterionVerdict, Referral):
            assert _rows(session, model, mine) >= 1, model

    deleted = recorder.erase(sender_id="chat-person", channel="rest", now=NOW)

    assert deleted == [mine]
    with session_scope(engine) as session:
        for model in (Screening, Answer, CriterionVerdict, Referral, OutboxMessage):
            assert _rows(session, model, mine) == 0, model
            assert _rows(session, model, other) >= (model is not OutboxMessage), model
        erased = (
            session.execute(
                select(AuditEvent).where(AuditEvent.action == "person.erased")
            )
            .scalars()
            .all()
        )
        assert [(e.actor, e.target) for e in erased] == [(CHAT_ACTOR, mine)]
        trail = repr([(e.actor, e.action, e.target, e.detail) for e in erased])
        assert "chat-person" not in trail and "Li Wei" not in trail
        assert erased[0].detail["references"] == [mine]


def test_erase_by_conversation_without_a_screening_is_audited_too(session, settings):
    key = repository.sender_key(b"k" * 32, "rest", "never-screened")
    report = erase_conversation(session, None, key, actor=CHAT_ACTOR, now=NOW)
    assert report.references == []
    event = session.execute(select(AuditEvent)).scalar_one()
    assert (event.actor, event.action, event.target) == (
        CHAT_ACTOR,
        "person.erased",
        None,
    )


@pytest.mark.parametrize(
    "text, clear",
    [
        ("Yes, delete", True),
        ("yes", True),
        ("YES!", True),
        ("Yes please", True),
        ("delete my answers", True),
        ("I'm sure", True),
        ("确认删除", True),
        ("是的", True),
        ("No, keep them", False),
        ("no", False),
        ("yes but keep my phone number", False),
        ("what happens to my data?", False),
        ("54", False),
        ("", False),
        (None, False),
    ],
)
def test_only_a_clear_yes_confirms(text, clear):
    assert confirms_erasure(text) is clear


# --------------------------------------------------------------------------- #
# The tracker store: the transcript goes when the erasing turn is saved
# --------------------------------------------------------------------------- #


def _turn(store, sender: str, events: list) -> None:
    """One Rasa turn: read the conversation, add the turn's events, save."""

    async def go() -> None:
        tracker = await store.retrieve(sender)
        if tracker is None:
            from rasa.shared.core.trackers import DialogueStateTracker

            tracker = DialogueStateTracker(sender, [])
        for event in events:
            tracker.update(event)
        await store.save(tracker)

    asyncio.run(go())


def _conversation(user_text: str) -> list:
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

    return [
        ActionExecuted("action_listen"),
        UserUttered(user_text, intent={"name": "inform", "confidence": 0.9}),
        ActionExecuted("screening_form"),
        BotUttered("Question 2 of about 20"),
        ActionExecuted("action_listen"),
    ]


@pytest.fixture
def rasa_store(tmp_path):
    from rasa.shared.core.domain import Domain

    from stores.tracker_store import ResilientSQLTrackerStore

    store = ResilientSQLTrackerStore(
        Domain.from_dict({}), dialect="sqlite", db=str(tmp_path / "tracker.db")
    )
    yield store
    store.engine.dispose()


def test_rasas_save_writes_back_a_transcript_deleted_during_the_turn(tmp_path):
    """The hazard: deleting the rows while the turn runs does not erase anything."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted

    from bot.store.transcripts import TrackerStore

    store = SQLTrackerStore(
        Domain.from_dict({}), dialect="sqlite", db=str(tmp_path / "t.db")
    )
    _turn(store, "p", [ActionExecuted("action_session_start")] + _conversation("54"))

    async def erasing_turn() -> None:
        tracker = await store.retrieve("p")
        TrackerStore(f"sqlite:///{tmp_path / 't.db'}").delete_conversations(["p"])
        tracker.update(ActionExecuted("action_erase_data"))
        await store.save(tracker)

    asyncio.run(erasing_turn())
    reader = TrackerStore(f"sqlite:///{tmp_path / 't.db'}")
    texts = [e.get("text") for e in reader.events("p")]
    assert "54" in texts  # written back by Rasa's save
    store.engine.dispose()


def test_the_store_deletes_everything_before_the_erasure_mark(rasa_store, tmp_path):
    from rasa.shared.core.events import (
        ActionExecuted,
        BotUttered,
        SessionStarted,
        UserUttered,
    )

    from bot.store.transcripts import TrackerStore

    _turn(rasa_store, "p", [SessionStarted()] + _conversation("I am 54"))
    _turn(rasa_store, "other", [SessionStarted()] + _conversation("I am 61"))
    _turn(rasa_store, "p", [SessionStarted()] + _conversation("bilirubin 300"))
    _turn(
        rasa_store,
        "p",
        [
            UserUttered("Yes, delete", intent={"name": "affirm", "confidence": 1.0}),
            ActionExecuted("erasure_form"),
            ActionExecuted("action_erase_data"),
            BotUttered("Your answers and this conversation have been deleted."),
            SessionStarted(metadata={ERASED_MARK: True}),
            # action_erase_data's FollowupAction: a session start as usual
            ActionExecuted("action_session_start"),
            SessionStarted(),
            ActionExecuted("action_listen"),
        ],
    )
    reader = TrackerStore(f"sqlite:///{tmp_path / 'tracker.db'}")
    left = reader.events("p")
    assert [e["event"] for e in left] == ["session_started", "action"] * 2
    assert left[0]["metadata"] == {ERASED_MARK: True}
    assert not any(e.get("text") for e in left)
    assert "I am 61" in [e.get("text") for e in reader.events("other")]

    # Rasa carries on from the new session: the next turn is counted and stored
    # right (nothing written twice, nothing lost).
    _turn(rasa_store, "p", _conversation("hello again"))
    after = reader.events("p")
    assert [e.get("text") for e in after if e["event"] == "user"] == ["hello again"]
    assert len(after) == 4 + 5
    reader.dispose()


# --------------------------------------------------------------------------- #
# The actions
# --------------------------------------------------------------------------- #


def _run(action, dispatcher, tracker, domain) -> list:
    return asyncio.run(action.run(dispatcher, tracker, domain))


def test_a_delete_request_pauses_the_form_and_remembers_it(
    dispatcher, make_tracker, domain
):
    tracker = make_tracker(
        {"requested_slot": "answer"},
        text="delete my answers",
        intent="delete_data",
        active_loop="screening_form",
    )
    events = _run(ConfirmErasure(), dispatcher, tracker, domain)
    assert SlotSet("erasure_pending", "screening_form") in events
    assert SlotSet("requested_slot", None) in events
    assert events[-1] == ActiveLoop(None)
    outside = make_tracker(text="forget me", intent="delete_data")
    assert SlotSet("erasure_pending", "none") in _run(
        ConfirmErasure(), dispatcher, outside, domain
    )


def test_the_question_says_what_is_deleted_with_two_quick_replies(
    dispatcher, make_tracker, domain
):
    from actions.ask_slots import AskErasureAnswer

    assert AskErasureAnswer().name() == "action_ask_erasure_answer"
    _run(AskErasureAnswer(), dispatcher, make_tracker(), domain)
    [message] = dispatcher.messages
    for words in ("answers", "phone number", "this chat", "cannot be undone"):
        assert words in message["text"]
    assert [b["title"] for b in message["buttons"]] == ["Yes, delete", "No, keep them"]


def test_anything_but_a_clear_yes_keeps_everything_and_resumes_the_form(
    dispatcher, make_tracker, domain, monkeypatch
):
    import actions.common

    monkeypatch.setattr(
        actions.common, "recorder", lambda: pytest.fail("nothing may be erased")
    )
    tracker = make_tracker(
        {
            "erasure_answer": "hmm, what happens to my data?",
            "erasure_pending": "contact_form",
        },
    )
    events = _run(EraseData(), dispatcher, tracker, domain)
    assert events[-1] == ActiveLoop("contact_form")
    assert SlotSet("erasure_pending", None) in events
    assert "not deleted anything" in dispatcher.messages[0]["text"]
    assert not [m for m in dispatcher.messages if m.get("custom")]

    outside = make_tracker({"erasure_answer": "no", "erasure_pending": "none"})
    events = _run(EraseData(), dispatcher, outside, domain)
    assert not [e for e in events if e.get("event") == "active_loop"]


def test_a_clear_yes_erases_and_starts_a_clean_marked_session(
    dispatcher, make_tracker, domain, monkeypatch
):
    import actions.common

    calls = []

    class Recorder:
        def erase(self, **kwargs):
            calls.append(kwargs)
            return ["SCR-ABCDEF"]

    monkeypatch.setattr(actions.common, "recorder", Recorder)
    tracker = make_tracker(
        {
            "erasure_answer": "Yes, delete",
            "erasure_pending": "screening_form",
            "answers": ANSWERS,
        },
        sender_id="chat-1",
    )
    events = _run(EraseData(), dispatcher, tracker, domain)
    assert calls == [{"sender_id": "chat-1", "channel": "rest"}]
    assert events[:2] == [ActiveLoop(None), AllSlotsReset()]
    assert events[2] == {"event": "session_started", "metadata": {ERASED_MARK: True}}
    assert events[3] == FollowupAction("action_session_start")
    [confirmation] = dispatcher.messages
    assert confirmation["text"].startswith(
        "Your answers and this conversation have been deleted."
    )
    # The mark for the web widget, which then forgets its stored copy as well.
    assert confirmation["custom"] == {ERASED_MARK: True} == {"erased": True}


def test_a_failed_erasure_says_so_and_claims_nothing(
    dispatcher, make_tracker, domain, monkeypatch
):
    import actions.common

    def broken():
        raise RuntimeError("database away")

    monkeypatch.setattr(actions.common, "recorder", broken)
    tracker = make_tracker(
        {"erasure_answer": "yes", "erasure_pending": "screening_form"}
    )
    events = _run(EraseData(), dispatcher, tracker, domain)
    assert events[-1] == ActiveLoop("screening_form")
    assert not [e for e in events if e.get("event") == "session_started"]
    assert "nothing was deleted" in dispatcher.messages[0]["text"]
    assert not [m for m in dispatcher.messages if m.get("custom")]
