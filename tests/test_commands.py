"""Opt-out words are the stop intent whatever the model says (bot.commands)."""

from __future__ import annotations

import pytest

from bot.commands import command_intent


@pytest.mark.parametrize(
    "text",
    ["stop", "STOP", "Stop.", "stop!!", "  quit ", "Quit please", "please stop",
     "Exit", "cancel", "UNSUBSCRIBE", "opt out", "Opt-Out", "end", "STOPALL",
     "I want to stop", "leave me alone", "stop now", "停止", "ＳＴＯＰ",
     "stop, I don't want to continue", "I don't want to continue",
     "Quit. Please.", "no more questions"],
)
def test_opt_out_words_mean_stop(text):
    assert command_intent(text) == "stop"


@pytest.mark.parametrize(
    "text",
    ["can she quit the study later?", "does the trial stop if I feel worse",
     "no more", "No more than two drinks", "no", "yes", "not sure", "45",
     "stopped drinking two years ago", "the end of May", "", "   ", "stop " * 30,
     "why do you ask this?", "end of May, I think", "stopped, two years ago",
     "No, no more than that"],
)
def test_other_messages_are_left_to_the_model(text):
    assert command_intent(text) is None


def test_non_text_is_left_alone():
    assert command_intent(None) is None
    assert command_intent(42) is None


def test_component_overrides_the_models_intent_and_keeps_the_ranking():
    from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message

    from nlu_ext.command_keywords import CommandKeywords

    ranking = [{"name": "inform", "confidence": 0.5},
               {"name": "stop", "confidence": 0.2}]
    quit_msg = Message({TEXT: "Quit"})
    quit_msg.set(INTENT, ranking[0])
    quit_msg.set(INTENT_RANKING_KEY, ranking)
    question = Message({TEXT: "can she quit the study later"})
    question.set(INTENT, {"name": "faq", "confidence": 0.9})

    CommandKeywords().process([quit_msg, question])

    assert quit_msg.get(INTENT) == {"name": "stop", "confidence": 1.0}
    assert [r["name"] for r in quit_msg.get(INTENT_RANKING_KEY)] == ["stop", "inform"]
    assert question.get(INTENT) == {"name": "faq", "confidence": 0.9}
