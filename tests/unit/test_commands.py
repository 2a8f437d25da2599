"""Opt-out words are the stop intent whatever the model says
(bot.screening.commands)."""

from __future__ import annotations

import pytest

from bot.screening.commands import command_intent


@pytest.mark.parametrize(
    "text",
    [
        "stop",
        "STOP",
        "Stop.",
        "stop!!",
        "  quit ",
        "Quit please",
        "please stop",
        "Exit",
        "cancel",
        "UNSUBSCRIBE",
        "opt out",
        "Opt-Out",
        "end",
        "STOPALL",
        "I want to stop",
        "leave me alone",
        "stop now",
        "停止",
        "ＳＴＯＰ",
        "stop, I don't want to continue",
        "I don't want to continue",
        "Quit. Please.",
        "no more questions",
    ],
)
def test_opt_out_words_mean_stop(text):
    assert command_intent(text) == "stop"


@pytest.mark.parametrize(
    "text",
    [
        "Actually I'd rather not carry on with this, please stop",
        "no, stop",
        "I've thought about it and we would rather not go through all of this, quit",
    ],
)
def test_an_opt_out_clause_anywhere_means_stop(text):
    assert command_intent(text) == "stop"


@pytest.mark.parametrize(
    "text", ["I had to stop drinking", "yes, he quit smoking", "it will end soon"]
)
def test_opt_out_words_inside_a_clause_are_not_a_stop(text):
    assert command_intent(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "can she quit the study later?",
        "does the trial stop if I feel worse",
        "no more",
        "No more than two drinks",
        "no",
        "yes",
        "not sure",
        "45",
        "stopped drinking two years ago",
        "the end of May",
        "",
        "   ",
        "stop " * 30,
        "why do you ask this?",
        "end of May, I think",
        "stopped, two years ago",
        "No, no more than that",
    ],
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

    ranking = [
        {"name": "inform", "confidence": 0.5},
        {"name": "stop", "confidence": 0.2},
    ]
    quit_msg = Message({TEXT: "Quit"})
    quit_msg.set(INTENT, ranking[0])
    quit_msg.set(INTENT_RANKING_KEY, ranking)
    question = Message({TEXT: "can she quit the study later"})
    question.set(INTENT, {"name": "faq", "confidence": 0.9})

    CommandKeywords().process([quit_msg, question])

    assert quit_msg.get(INTENT) == {"name": "stop", "confidence": 1.0}
    assert [r["name"] for r in quit_msg.get(INTENT_RANKING_KEY)] == ["stop", "inform"]
    assert question.get(INTENT) == {"name": "faq", "confidence": 0.9}


@pytest.mark.parametrize(
    "text, expected",
    [
        # Signs happening now: emergency, whatever the model said.
        ("she is unconscious", "emergency"),
        ("he's having a seizure right now", "emergency"),
        ("I'm thinking about suicide", "emergency"),
        ("stop, he is vomiting blood", "emergency"),
        # Denied or past signs are left to the model (here: an answer).
        ("no, he hasn't vomited blood", "answer"),
        ("black stools two years ago, fine since", "answer"),
    ],
)
def test_component_decides_emergencies_happening_now(text, expected):
    from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message

    from nlu_ext.command_keywords import CommandKeywords

    message = Message({TEXT: text})
    message.set(INTENT, {"name": "answer", "confidence": 0.9})
    message.set(INTENT_RANKING_KEY, [{"name": "answer", "confidence": 0.9}])

    CommandKeywords().process([message])

    assert message.get(INTENT)["name"] == expected
    if expected == "emergency":
        assert message.get(INTENT)["confidence"] == 1.0
        assert message.get(INTENT_RANKING_KEY)[0]["name"] == "emergency"


# "Delete my answers": a deterministic command, in English and simplified Chinese.


@pytest.mark.parametrize(
    "text",
    [
        "delete my answers",
        "Delete my answers!",
        "please erase my data",
        "Please delete my data.",
        "remove everything I told you",
        "forget me",
        "Forget everything I told you",
        "I want my data deleted",
        "wipe my data please",
        "delete my answers, I changed my mind",
        "删除我的回答",
        "请删除我的数据。",
        "清除我的信息",
        "忘掉我",
    ],
)
def test_delete_requests_are_the_delete_data_command(text):
    from bot.screening.commands import DELETE_DATA_INTENT

    assert command_intent(text) == DELETE_DATA_INTENT == "delete_data"


@pytest.mark.parametrize(
    "text",
    [
        # a single word could be an answer; a question about deletion is the FAQ's
        "delete",
        "can you delete my information",
        "do you keep my data",
        "Yes, delete",
        "my answers were wrong",
        "I forgot my lab results",
    ],
)
def test_near_misses_are_not_a_delete_request(text):
    assert command_intent(text) != "delete_data"


def test_delete_phrases_do_not_clash_with_the_other_commands():
    from bot.screening.commands import _PHRASES, DELETE_DATA_PHRASES

    others = set().union(
        *(phrases for phrases, _ in _PHRASES if phrases is not DELETE_DATA_PHRASES)
    )
    assert not DELETE_DATA_PHRASES & others
