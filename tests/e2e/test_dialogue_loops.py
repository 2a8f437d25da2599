"""No dialogue loops: random and adversarial messages in a real conversation.

A Hypothesis property against the running servers (the simulator's session servers,
``tests/support/simulator.py``). Each example is one conversation: a simulated patient
(``ops.simulator.Player``, the likely-eligible base case, terse style) answers a
random number of questions, then a random burst of messages lands mid-screening
(valid answers, nonsense, emoji storms, a 10,000-character message, "what?",
"why?", FAQ-like questions, "not sure", empty-ish strings, numbers out of range,
greetings, "go back", "change my answer"), then the patient answers every
remaining question validly. Whatever the burst did, the assistant must:

* never ask one question more than three times in a row;
* reach an outcome (a result message) once the questions are answered validly.

Bounded and stable for CI: 25 examples, derandomized, no shrinking (each example is a
whole conversation), at most 20 + 12 messages before the valid tail.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ops import simulator
from ops.sim_cases import BASE, Case

pytest_plugins = ["support.simulator"]
pytestmark = pytest.mark.e2e

#: The adversarial messages, by kind (written for this test, not from data/nlu).
NOISE = {
    "valid": ["45", "no", "yes", "171 umol/l", "1.8", "Never", "male", "7"],
    "nonsense": ["asdf qwer zxcv", "the cat walked over my keyboard", "purple monkey"],
    "emoji": ["😀" * 60, "🔥💯🙏" * 40, "🤷"],
    "long": ["x" * 10_000, "liver " * 1_700],
    "what": ["what?", "why?", "huh", "what do you mean by that"],
    "faq": [
        "where is the hospital?",
        "is the treatment free?",
        "how long does the study take?",
        "who is paying for this",
    ],
    "unsure": ["not sure", "dunno"],
    "empty": ["", " ", ".", "?", "..."],
    "out_of_range": ["age 250", "-5", "999999", "bilirubin 90000 mg/dl", "INR 80", "0"],
    "greeting": ["hi", "hello again", "good morning"],
    "back": ["go back", "change my answer", "undo that", "previous question please"],
}
MESSAGES = sorted({m for kind in NOISE.values() for m in kind})
CASE = Case("loops", dict(BASE), note="likely eligible, answers everything validly")


def _transcript(played: simulator.Played, n: int = 14) -> str:
    return "\n".join(
        f"> {t.sent[:80]!r} [{t.kind}] pending={t.pending}\n"
        f"< {simulator.texts(t.replies)[-160:]!r}"
        for t in played.turns[-n:]
    )


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    lead=st.integers(min_value=0, max_value=20),
    burst=st.lists(st.sampled_from(MESSAGES), min_size=1, max_size=12),
)
def test_no_question_loops_and_valid_answers_always_reach_an_outcome(
    sim_servers, lead, burst
):
    player = simulator.Player(CASE, "terse", sim_servers.say, max_turns=80)
    player.start()
    for _ in range(lead):
        if not player.step():
            break
    for message in burst:
        player.send(message, "raw")
    played = player.play()

    assert not any(t.error for t in played.turns), _transcript(played)
    assert played.max_consecutive <= 3, (
        f"a question was asked {played.max_consecutive} times in a row\n"
        + _transcript(played)
    )
    assert played.shown is not None and not played.capped, (
        "no outcome after answering validly\n" + _transcript(played)
    )
