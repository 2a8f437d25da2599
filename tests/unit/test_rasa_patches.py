"""rasa_patches: the same answers as Rasa's own code; the Rasa version check."""

from __future__ import annotations

import jsonschema
import pytest
import rasa.shared.utils.common
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event

import nlu_ext  # noqa: F401 - applies the patches, as in the Rasa server
import rasa_patches

SAMPLES = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "answer", "value": "45"}]},
    {
        "events": [{"event": "active_loop", "name": "screening_form"}],
        "responses": [
            {"text": "Hello", "buttons": [{"title": "Yes", "payload": "Yes"}]}
        ],
    },
    {"events": [{"event": "followup", "name": "action_listen"}]},
    {"events": [{"event": "slot", "name": 3, "value": "45"}]},
    {"events": [{"event": "no_such_event"}]},
    {"events": "not a list"},
    {"responses": ["just text"]},
    {"events": [{"event": "bot", "text": None, "timestamp": "yesterday"}]},
    [],
]


def test_rasa_uses_the_cached_validator():
    assert RemoteAction._validate_action_result is rasa_patches._validate_action_result


@pytest.mark.parametrize("response", SAMPLES)
def test_same_verdict_as_jsonschema_validate(response):
    schema = RemoteAction.action_response_format_spec()
    try:
        jsonschema.validate(response, schema)
        expected_valid = True
    except jsonschema.ValidationError:
        expected_valid = False
    action = RemoteAction("action_anything", None)

    if expected_valid:
        assert action._validate_action_result(response) is True
    else:
        with pytest.raises(jsonschema.ValidationError) as raised:
            action._validate_action_result(response)
        assert "Failed to validate Action server response" in raised.value.message


def test_samples_cover_both_verdicts():
    schema = RemoteAction.action_response_format_spec()
    verdicts = set()
    for response in SAMPLES:
        try:
            jsonschema.validate(response, schema)
            verdicts.add(True)
        except jsonschema.ValidationError:
            verdicts.add(False)
    assert verdicts == {True, False}


def _rasa_resolve(type_name, default=None):
    """Rasa 3.6's own Event.resolve_by_type, verbatim."""
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        if cls.type_name == type_name:
            return cls
    if type_name == "topic":
        return None
    elif default is not None:
        return default
    else:
        raise ValueError(f"Unknown event name '{type_name}'.")


def test_rasa_resolves_event_types_through_the_map():
    assert Event.resolve_by_type is rasa_patches.resolve_by_type


def test_every_event_type_resolves_to_the_class_rasa_would_pick():
    names = {cls.type_name for cls in rasa.shared.utils.common.all_subclasses(Event)}
    assert len(names) > 15
    for name in names:
        assert Event.resolve_by_type(name) is _rasa_resolve(name), name


def test_unknown_names_behave_as_in_rasa():
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no-such-event", default=Event) is Event
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no-such-event")


def test_an_event_class_defined_later_is_found():
    from rasa.shared.core.events import SlotSet

    class LateEvent(SlotSet):
        type_name = "late_event_for_test"

    assert Event.resolve_by_type("late_event_for_test") is LateEvent
    event = Event.from_parameters({"event": "slot", "name": "answer", "value": "45"})
    assert isinstance(event, SlotSet) and event.value == "45"


def _story_events():
    """A conversation with a form, an unhappy path, reverts and a restart."""
    from rasa.shared.core.events import (
        ActionExecuted,
        ActionReverted,
        ActiveLoop,
        Restarted,
        SessionStarted,
        SlotSet,
        UserUtteranceReverted,
        UserUttered,
    )

    listen = "action_listen"
    return [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted(listen),
        UserUttered("hi", {"name": "greet"}),
        ActionExecuted("screening_form"),
        ActiveLoop("screening_form"),
        SlotSet("requested_slot", "answer"),
        ActionExecuted(listen),
        UserUttered("45", {"name": "inform"}),
        ActionExecuted("screening_form"),
        SlotSet("answer", None),
        ActionExecuted(listen),
        UserUttered("what is INR?", {"name": "faq"}),
        ActionExecuted("utter_faq"),
        ActionExecuted("screening_form"),
        ActionExecuted(listen),
        UserUttered("no", {"name": "deny"}),
        ActionExecuted("screening_form"),
        ActionExecuted("action_ask_answer"),
        ActionReverted(),
        ActionExecuted(listen),
        UserUttered("oops", {"name": "nlu_fallback"}),
        UserUtteranceReverted(),
        ActionExecuted(listen),
        UserUttered("yes", {"name": "affirm"}),
        ActionExecuted("screening_form"),
        ActiveLoop(None),
        ActionExecuted("action_restart"),
        Restarted(),
        ActionExecuted(listen),
        UserUttered("hello again", {"name": "greet"}),
    ]


def test_applied_events_are_rasas_after_every_event():
    """Cached or not, the answer is Rasa's own, as the conversation grows."""
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker("patches", slots=[])
    for event in _story_events():
        tracker.update(event)
        expected = rasa_patches._ORIGINAL_APPLIED_EVENTS(tracker)
        assert tracker.applied_events() == expected
        assert tracker.applied_events() == expected  # from the cache
    assert len(tracker.applied_events()) < len(tracker.events)  # reverts applied


def test_applied_events_hand_out_a_fresh_list_each_time():
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker.from_events("patches", _story_events())
    first = tracker.applied_events()
    first.clear()
    assert tracker.applied_events() == rasa_patches._ORIGINAL_APPLIED_EVENTS(tracker)


def test_applied_events_follow_a_rebuilt_conversation():
    from rasa.shared.core.trackers import DialogueStateTracker

    events = _story_events()
    tracker = DialogueStateTracker.from_events("patches", events)
    tracker.applied_events()
    other = DialogueStateTracker.from_events("other", events[:8])
    tracker.recreate_from_dialogue(other.as_dialogue())
    assert tracker.applied_events() == rasa_patches._ORIGINAL_APPLIED_EVENTS(tracker)
    copied = tracker.copy()
    assert copied.applied_events() == rasa_patches._ORIGINAL_APPLIED_EVENTS(copied)
    assert DialogueStateTracker.applied_events is rasa_patches.applied_events


def test_apply_refuses_another_rasa_version(monkeypatch):
    """The patches copy private functions of one Rasa version: any other is refused,
    before anything is patched, with the version found and the reason."""
    import rasa
    from rasa.shared.core.trackers import DialogueStateTracker

    monkeypatch.setattr(rasa, "__version__", "3.6.20")
    monkeypatch.setattr(RemoteAction, "_validate_action_result", "Rasa's own")
    with pytest.raises(RuntimeError, match=r"found Rasa 3\.6\.20.*Rasa 3\.6\.21"):
        rasa_patches.apply()
    assert RemoteAction._validate_action_result == "Rasa's own"  # nothing patched
    assert DialogueStateTracker.applied_events is rasa_patches.applied_events


def test_apply_is_idempotent():
    from rasa.shared.core.trackers import DialogueStateTracker

    original = rasa_patches._ORIGINAL_APPLIED_EVENTS
    rasa_patches.apply()
    rasa_patches.apply()
    assert rasa_patches._ORIGINAL_APPLIED_EVENTS is original
    assert original is not rasa_patches.applied_events
    assert DialogueStateTracker.applied_events is rasa_patches.applied_events
    assert Event.resolve_by_type is rasa_patches.resolve_by_type
    assert RemoteAction._validate_action_result is rasa_patches._validate_action_result
