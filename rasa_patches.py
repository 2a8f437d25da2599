"""Three patches to Rasa 3.6.21: per-turn costs removed, what Rasa does unchanged.

Profiling ``make bench`` with py-spy (docs/measurements.md "Benchmark") showed the
Rasa server spending much of its time on things that repeat identical work on every
turn. :func:`apply` replaces three functions of Rasa's dialogue core:

1. Validating action server responses. Rasa 3.6 checks every response of the
   action server against a fixed JSON schema (``RemoteAction.
   _validate_action_result``) with ``jsonschema.validate``, which first checks the
   *schema itself* against the JSON Schema meta-schema, on every call. With Rasa's
   large events schema that meta-check costs about 75 ms of CPU, and our forms call
   the action server twice on most turns: 40 % of the Rasa server's time. We
   validate against a validator built once for that same schema: the response is
   checked exactly as before (same schema, same draft, the same ``ValidationError``
   with Rasa's hint appended); only the repeated check of Rasa's own constant
   schema is skipped.
2. Finding an event's class by its name. ``Event.resolve_by_type`` walks every
   subclass of ``Event`` for each event it deserialises (the tracker store and the
   action server's answers: hundreds per turn), about a tenth of the time. We keep
   a name-to-class map, rebuilt whenever a name is not found (so an event class
   defined later is still found, as before).
3. Working out which events apply. ``DialogueStateTracker.applied_events`` walks
   the whole conversation, and for every form step walks back again, each time it
   is called: several times per turn (session check, policies, the form, saving),
   about a sixth of the time with our forms. The result depends only on the
   events, which a tracker only ever appends to, so we keep the last result and
   the event it ended with, and recompute when the conversation has grown or
   changed. Callers get a fresh list each time, as before.

Each replacement is a copy of a private function of Rasa 3.6.21 with the repeated
work taken out, so :func:`apply` refuses any other Rasa version (a RuntimeError
before anything is patched): a new Rasa must be checked against these copies (and
``tests/unit/test_rasa_patches.py``) before :data:`RASA_VERSION` is raised.

Nothing happens at import time. The Rasa server has no start-up hook of ours except
importing the NLU components that ``config.yml`` names, so ``nlu_ext/__init__.py``
calls :func:`apply`; it is idempotent.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Type

from jsonschema import ValidationError
from jsonschema.validators import validator_for

if TYPE_CHECKING:
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event
    from rasa.shared.core.trackers import DialogueStateTracker

RASA_VERSION = "3.6.21"
"""The one Rasa version whose private functions the patches were copied from."""

_EVENT_CLASSES: Dict[str, Type[Event]] = {}
_ORIGINAL_APPLIED_EVENTS: Callable[[DialogueStateTracker], List[Event]] | None = None
_APPLIED_CACHE = "_prescreen_applied_events"


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, as jsonschema.validate would on every call
    return cls(schema)


def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    try:
        _validator().validate(result)
        return True
    except ValidationError as e:
        from rasa.shared.constants import DOCS_BASE_URL

        e.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise e


def _event_class(type_name: str) -> Type[Event] | None:
    cls = _EVENT_CLASSES.get(type_name)
    if cls is None:
        import rasa.shared.utils.common
        from rasa.shared.core.events import Event

        _EVENT_CLASSES.clear()
        for sub in rasa.shared.utils.common.all_subclasses(Event):
            # The first subclass with a name wins, as in Rasa's own loop.
            _EVENT_CLASSES.setdefault(sub.type_name, sub)
        cls = _EVENT_CLASSES.get(type_name)
    return cls


def resolve_by_type(
    type_name: str, default: Type[Event] | None = None
) -> Type[Event] | None:
    """Returns an event class by its type name (Rasa's semantics, with a map)."""
    cls = _event_class(type_name)
    if cls is not None:
        return cls
    if type_name == "topic":
        return None  # backwards compatibility to support old TopicSet evts
    elif default is not None:
        return default
    else:
        raise ValueError(f"Unknown event name '{type_name}'.")


def applied_events(self: DialogueStateTracker) -> List[Event]:
    """Rasa's ``applied_events``, remembered until the events change."""
    assert _ORIGINAL_APPLIED_EVENTS is not None  # set by apply() before patching
    events = self.events
    length = len(events)
    first, last = (events[0], events[-1]) if length else (None, None)
    cached = getattr(self, _APPLIED_CACHE, None)
    if (
        cached is not None
        and cached[0] == length
        and cached[1] is first
        and cached[2] is last
    ):
        return list(cached[3])
    result = _ORIGINAL_APPLIED_EVENTS(self)
    setattr(self, _APPLIED_CACHE, (length, first, last, tuple(result)))
    return result


def check_version() -> None:
    """Raises RuntimeError unless the installed Rasa is :data:`RASA_VERSION`."""
    import rasa

    found = getattr(rasa, "__version__", "unknown")
    if found != RASA_VERSION:
        raise RuntimeError(
            f"rasa_patches: found Rasa {found}, but the patches replace private "
            f"functions of Rasa {RASA_VERSION} exactly (RemoteAction."
            f"_validate_action_result, Event.resolve_by_type, DialogueStateTracker."
            f"applied_events). Check them against Rasa {found}'s own code and "
            f"tests/unit/test_rasa_patches.py, then update RASA_VERSION."
        )


def apply() -> None:
    """Check the Rasa version, then apply the three patches (safe to call twice)."""
    global _ORIGINAL_APPLIED_EVENTS

    check_version()
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event
    from rasa.shared.core.trackers import DialogueStateTracker

    if _ORIGINAL_APPLIED_EVENTS is None:  # Rasa's own, kept once for the cache
        _ORIGINAL_APPLIED_EVENTS = DialogueStateTracker.applied_events
    RemoteAction._validate_action_result = _validate_action_result
    Event.resolve_by_type = staticmethod(resolve_by_type)
    DialogueStateTracker.applied_events = applied_events
