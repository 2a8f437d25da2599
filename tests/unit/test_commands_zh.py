"""Chinese conversation commands, emergency signs and erasure confirmations are
decided by rules, like the English (bot.screening.commands, bot.screening.safety,
bot.screening.erasure)."""

from __future__ import annotations

import pytest

from bot.screening.answer_first import CLARIFY, COMMAND, read_message
from bot.screening.commands import (
    _PHRASES,
    CLARIFY_INTENT,
    DELETE_DATA_INTENT,
    START_OVER_INTENT,
    STOP_INTENT,
    STOP_WHOLE_PHRASES,
    _normalise,
    command_intent,
)
from bot.screening.erasure import confirms_erasure
from bot.screening.safety import is_emergency

# --------------------------------------------------------------------------- #
# Stop
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "text",
    [
        "停止",
        "停止！",
        "我不想继续了",
        "不想再继续了。",
        "退出吧",
        "我要退出",
        "算了",
        "那就算了吧",
        "算了算了",
        "不做了",
        "我们不做了，谢谢",
        "别问了",
        "别再问了！！",
        "取消",
        "麻烦停下来",
        "不好意思，我不想做了",
        "我 不想继续了",
        "结束吧",
    ],
)
def test_chinese_opt_out_words_mean_stop(text: str) -> None:
    assert command_intent(text) == STOP_INTENT


@pytest.mark.parametrize(
    "text",
    [
        # The stop clause wherever it stands, with or without a space after the comma.
        "我爸六十多了，身体也不好，不做了",
        "想了想还是算了吧，别问了",
        "这些问题太多了,我不想继续了",
        "INR 1.8，停止",
        "乙肝很多年了。退出",
        "停止，他累了",
    ],
)
def test_a_chinese_opt_out_clause_anywhere_means_stop(text: str) -> None:
    assert command_intent(text) == STOP_INTENT


@pytest.mark.parametrize(
    "text",
    [
        "不想继续吃药",
        "他不想停止治疗",
        "医生让他停止喝酒",
        "恩替卡韦吃了三年，停了",
        "算了，我记不清了",  # "never mind, I can't remember": an answer
        "我可以随时退出吗？",
        "退出以后还能再参加吗",
        "取消预约要怎么办",
        "结束治疗后多久复查",
        "不想继续住院",
        "他说不做肝移植了",
        "先不聊了，再见",  # a goodbye
    ],
)
def test_chinese_opt_out_words_inside_a_clause_are_not_a_stop(text: str) -> None:
    assert command_intent(text) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        # Many write a space where a comma would be.
        ("家里商量过了 不做了", STOP_INTENT),
        ("好了 别再问了", STOP_INTENT),
        ("停止 我们不想继续了", STOP_INTENT),
        ("算了 算了", STOP_INTENT),
        ("什么 意思", CLARIFY_INTENT),
        ("删除 我的回答", DELETE_DATA_INTENT),
        # ... but a verb before a space may have its object after it.
        ("不想继续 吃药", None),
        ("停止 治疗以后还能参加吗", None),
        ("取消 预约", None),
    ],
)
def test_a_space_between_chinese_words(text: str, expected: str | None) -> None:
    assert command_intent(text) == expected


def test_a_long_chinese_message_stops_only_on_a_stop_clause() -> None:
    long_answer = "我父亲今年六十二岁，乙肝二十多年了，上个月住院查出来肝衰竭，" * 3
    assert len(long_answer) > 60
    assert command_intent(long_answer) is None
    assert command_intent(long_answer + "不想继续了") == STOP_INTENT


# --------------------------------------------------------------------------- #
# Start over, clarify, delete my answers
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "text",
    ["重新开始", "从头来吧", "那我们从头再来", "重来", "重新开始，刚才填错了"],
)
def test_chinese_start_over(text: str) -> None:
    assert command_intent(text) == START_OVER_INTENT


@pytest.mark.parametrize(
    "text",
    [
        "什么意思？",
        "这是什么意思啊",
        "没听懂",
        "我听不懂",
        "不明白这个问题",
        "不好意思，我没看懂",
        "啥意思？我不太明白",
        "你说什么",
        "能再说一遍吗？",
    ],
)
def test_chinese_clarify(text: str) -> None:
    assert command_intent(text) == CLARIFY_INTENT


@pytest.mark.parametrize(
    "text",
    [
        "什么是腹水？",  # a question about a word: the FAQ's
        "不知道",  # "I don't know": an answer
        "不清楚",
        "不懂，你直接告诉我结果",
        "INR是什么意思",
    ],
)
def test_chinese_near_misses_are_not_clarify(text: str) -> None:
    assert command_intent(text) != CLARIFY_INTENT


@pytest.mark.parametrize(
    "text",
    [
        "删除我的回答",
        "把我的信息删掉",
        "请帮我把我的资料全部删除",
        "我说的都删了吧",
        "删掉我所有的回答。",
        "清空我的聊天记录",
        "忘了我吧",
        "把我的回答删掉，我不想留记录",
    ],
)
def test_chinese_delete_requests(text: str) -> None:
    assert command_intent(text) == DELETE_DATA_INTENT


@pytest.mark.parametrize(
    "text",
    [
        "删除",  # a single word could be an answer, like the English "delete"
        "能删除我的信息吗",  # a question about deletion is the FAQ's
        "你们会保存我的数据吗",
        "我的回答错了",
        "检查记录我没有",
    ],
)
def test_chinese_near_misses_are_not_a_delete_request(text: str) -> None:
    assert command_intent(text) != DELETE_DATA_INTENT


def test_chinese_phrases_are_written_as_they_are_compared() -> None:
    """An entry with a filler word ("请删除...", "退出吧") could never match."""
    for phrase in STOP_WHOLE_PHRASES.union(*(phrases for phrases, _ in _PHRASES)):
        if not phrase.isascii():
            assert _normalise(phrase) == phrase, phrase


def test_whole_message_stops_do_not_clash_with_the_other_commands() -> None:
    others = set().union(*(phrases for phrases, _ in _PHRASES))
    assert not STOP_WHOLE_PHRASES & others
    for phrase in STOP_WHOLE_PHRASES | others:
        if phrase.isascii():
            continue
        expected = next(
            (i for p, i in _PHRASES if phrase in p),
            STOP_INTENT,
        )
        assert command_intent(phrase) == expected, phrase


# --------------------------------------------------------------------------- #
# Answer first: Chinese commands come before an answer
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "text, reading",
    [
        ("不做了", COMMAND),
        ("没有，别问了", COMMAND),  # a "no" to the question, then a stop clause
        ("从头来", COMMAND),
        ("把我的信息删掉", COMMAND),
        ("什么意思", CLARIFY),
    ],
)
def test_chinese_commands_are_read_before_an_answer(text: str, reading: str) -> None:
    assert read_message(text, "inform", understood=True, asks=1) == reading


# --------------------------------------------------------------------------- #
# Emergencies
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "text",
    [
        "我爸刚才吐了好多血",
        "他正在呕血，怎么办",
        "吐出来的全是血",
        "吐的东西像咖啡渣一样",
        "这两天一直拉黑便",
        "大便是黑的，像柏油",
        "今天早上便血了",
        "她大便里有血",
        "三天前吐过一次血，今天还拉黑便",
        "去年吐过血，昨晚又拉了黑色的大便",
        "我妈怎么喊都喊不醒",
        "叫不醒了，快帮帮我",
        "人已经昏迷了",
        "他以前昏迷过，现在又神志不清",
        "一直不停地吐血",
        "不知道为什么突然昏迷了",
        "他不吃不喝，现在抽搐",
        "从两天前开始大便发黑",
        "我真的不想活了",
        "有时候想自杀",
        "喘不上气来",
        "嘴唇发紫了",
        "他吃了一整瓶安眠药",
        "他现在意识不清，也认不出家里人",
        "吐血三天了",
        "他憋得喘不过气来",  # the "过" of "喘不过气" is no past
        "她一个钟头里吐了三回血",
        "我妈说她活不下去了",
        "他现在上消化道出血",
        "救命，人不行了",
        "平时没事就想死",  # "没事" is no negation
    ],
)
def test_chinese_emergencies_now_are_caught(text: str) -> None:
    assert is_emergency(text)


@pytest.mark.parametrize(
    "text",
    [
        "三天前吐过一次血",
        "两年前呕过血，之后再没有",
        "没有吐血",
        "没吐过血，也没有黑便",
        "以前昏迷过",
        "2019年昏迷过一次",
        "上个月拉过黑便",
        "有便血史",
        "吐血的事是半年前了",
        "吐血倒是没有",
        "黑便？没有。",
        "从来没有抽搐",
        "不抽搐",
        "他没有神志不清",
        "我不想自杀，只是很累",
        "白天睡晚上不睡，叫得醒",
        "大便颜色正常，不黑",
        "早上抽血查了肝功能",
        "腿抽筋",
        "腿有点没有知觉",
        "吃了很多保肝药",
        "总胆红素三百二十多",
        "我爸今年六十二",
        # Questions about the words are the FAQ's.
        "什么叫肝昏迷",
        "上消化道出血是啥意思",
        "黑便跟胃出血有什么关系",
        "呕血？",
    ],
)
def test_chinese_negated_past_and_ordinary_answers_are_not(text: str) -> None:
    assert not is_emergency(text)


def test_component_decides_a_chinese_emergency_and_a_chinese_stop() -> None:
    from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message

    from nlu_ext.command_keywords import CommandKeywords

    messages = []
    for text in ("停止，他现在叫不醒", "不想继续了", "三天前吐过一次血"):
        message = Message({TEXT: text})
        message.set(INTENT, {"name": "inform", "confidence": 0.9})
        message.set(INTENT_RANKING_KEY, [{"name": "inform", "confidence": 0.9}])
        messages.append(message)

    CommandKeywords().process(messages)

    assert [m.get(INTENT)["name"] for m in messages] == [
        "emergency",
        "stop",
        "inform",
    ]


# --------------------------------------------------------------------------- #
# Confirming "delete my answers"
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "text, clear",
    [
        ("是，删除", True),
        ("是的 删除", True),
        ("确定删除！", True),
        ("删掉吧", True),
        ("把我的回答删掉", True),
        ("不，保留", False),
        ("不要删", False),
        ("好的", False),  # like the English "ok": no clear yes
        ("是，但是电话号码留着", False),
        ("删除以后还能恢复吗？", False),
        ("不删除", False),
    ],
)
def test_only_a_clear_chinese_yes_confirms_erasure(text: str, clear: bool) -> None:
    assert confirms_erasure(text) is clear
