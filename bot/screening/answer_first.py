"""Answer first: is a message the answer to the pending question, or something else?

While a question is pending, the person's message is read first by the deterministic
parser for that question's answer type. What the parser understands *is* the answer,
whatever the NLU model thought it was: "yes, let's start" to "Shall we start?",
"class B" to the Child-Pugh question, "very sleepy, hard to wake up" to the
confusion question. Only a message that is not an answer is an interruption (a
question about a word, the study, small talk), handled by the dialogue's rules.

Three things come before an answer:

* the conversation commands decided by word lists (``bot.screening.commands``: stop,
  start over, delete my answers), and a stop the model recognised: stopping must always
  work;
* "what?", "I don't understand the question" (clarify): the question again, in
  simpler words;
* a message that is itself a question ("what does ascites mean?"): never swallowed
  as an answer, even when it contains a yes/no word.

And no loops, by construction: a question is asked at most :data:`MAX_ASKS` times in
a row. The asking that follows an interruption counts too, so after the third asking
whatever the person says settles the question: an answer if it is one, else
"unknown" for the study team to check (:data:`MISS`).

Plain Python: the Rasa validation actions call :func:`read_message` for every slot of
every form, with the parser that fits the slot.
"""

from __future__ import annotations

from bot import parsing
from bot.screening.commands import CLARIFY_INTENT, STOP_INTENT, command_intent
from bot.screening.language import has_cjk

#: How many times one question is asked in a row at most. The reply to the last
#: asking settles it (as "unknown" when it is not an answer).
MAX_ASKS = 3

#: How sure the model must be of a stop to override an understood answer.
SURE_STOP = 0.8

#: What a message is, for the pending question.
ANSWER = "answer"
MISS = "miss"  # meant as an answer, not understood: ask again, or settle as unknown
CLARIFY = "clarify"  # the person did not understand the question
INTERRUPTION = "interruption"  # answered by the rules, then the question again
COMMAND = "command"  # stop, start over, delete my answers: the rules act on it
READINGS = (ANSWER, MISS, CLARIFY, INTERRUPTION, COMMAND)

#: Intents that are interruptions when the message is not an answer: the rules
#: answer them (an explanation, the emergency advice...), then ask the question again.
INTERRUPTION_INTENTS = frozenset(
    {
        "faq",
        "why_ask",
        "human_handoff",
        "emergency",
        "correct",
        "greet",
        "goodbye",
    }
)
#: Intents whose rule acts at once, whatever the count: the person wants out, or
#: wants to leave a trace-free conversation.
COMMAND_INTENTS = frozenset({STOP_INTENT, "start_over", "delete_data"})
#: "中文", "English please": by rule only, never an answer (not even a name).
SWITCH_LANGUAGE_INTENT = "switch_language"


def read_message(
    text: str,
    intent: str | None,
    *,
    understood: bool,
    asks: int,
    confidence: float = 1.0,
) -> str:
    """What ``text`` is for the pending question (one of :data:`READINGS`).

    Args:
        text: The person's message.
        intent: The NLU intent (after the command word lists).
        understood: Whether the pending question's parser understood the message
            (a value, or an honest "not sure").
        asks: How many times the pending question has been asked in a row.
        confidence: The model's confidence in ``intent``. A stop the model is unsure
            of (below :data:`SURE_STOP`) does not override an answer the parser
            understood: "No, I would not want to sign anything like that" answers
            the consent question. Stop words always stop (``bot.screening.commands``).

    Returns:
        :data:`COMMAND` for a command from the word lists, or a stop; else
        :data:`CLARIFY` for "what?"; else :data:`ANSWER` when the parser understood
        it and it is not a question back to us; else :data:`INTERRUPTION` for an
        interruption intent while the question may still be asked again; else
        :data:`MISS`.
    """
    if intent == SWITCH_LANGUAGE_INTENT:
        return COMMAND
    command = command_intent(text)
    if command == CLARIFY_INTENT:
        return CLARIFY
    if command is not None:
        return COMMAND
    if intent == STOP_INTENT and (
        not understood or (confidence >= SURE_STOP and not has_cjk(text))
    ):
        # A Chinese stop is decided by the word lists (commands.py): the model
        # took "没有，不打算要孩子" ("no, no plans for a baby") for one.
        return COMMAND
    question = parsing.looks_like_question(text)
    if understood and not question:
        return ANSWER
    if intent == CLARIFY_INTENT:
        return CLARIFY
    if intent in COMMAND_INTENTS and not understood:
        return COMMAND
    if intent in INTERRUPTION_INTENTS or question:
        return INTERRUPTION if asks < MAX_ASKS else MISS
    return MISS


def settles(asks: int) -> bool:
    """Whether the reply to the latest asking settles the question (the last one)."""
    return asks >= MAX_ASKS
