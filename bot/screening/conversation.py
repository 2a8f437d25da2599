"""One screening conversation, without Rasa: read an answer, record it, say what next.

The Rasa actions (``actions/``) are thin adapters around these functions. Everything
here works on plain, JSON-serialisable state (the ``answers`` slot holds it), so it can
be tested without a model, a server or a tracker.

Patient-facing words come from data: the questions, quick replies and reasons from the
criteria file, and every other sentence from the domain's responses, named here by key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Mapping

from dateutil.relativedelta import relativedelta

from bot import parsing
from bot.screening.criteria import Choice, Question, Trial, patient_words, wordings
from bot.screening.engine import Answer, Evaluation, applies, evaluate
from bot.screening.language import has_cjk
from bot.settings import MAX_MESSAGE_CHARS

_BARE_NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


@dataclass(frozen=True)
class Interpretation:
    """What one answer to one question means.

    Attributes:
        value: the normalized, JSON-serialisable value (``None`` when unknown or not
            understood).
        unknown: the person does not know (a normal answer, sent to staff review).
        error: a machine code when the answer was not understood.
        message: a short plain-language hint about the error, from the parser.
        urgent: the answer describes an emergency now (emergency advice comes first).
    """

    value: Any = None
    unknown: bool = False
    error: str | None = None
    message: str | None = None
    urgent: bool = False

    @property
    def understood(self) -> bool:
        """True when the answer can be recorded (a value, or an honest "don't know")."""
        return self.error is None and (self.unknown or self.value is not None)


@dataclass(frozen=True)
class Turn:
    """The result of handling one answer."""

    answers: dict[str, Mapping[str, Any]]
    retries: int
    interpretation: Interpretation
    recorded: bool
    evaluation: Evaluation
    changed_outcome: bool = False
    previous_outcome: str | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    #: Recorded as unknown because the question was asked for the last time and the
    #: reply was not an answer (the study team checks it).
    settled_unknown: bool = False


#: Relations the questions may name ("your father"); the NLU maps synonyms ("dad",
#: "hubby") onto these. Anything else the model picks out of odd text (fuzzing
#: found "}", emoji and quotes) is not repeated back to the person.
NAMED_RELATIONS = frozenset(
    {
        "father",
        "mother",
        "husband",
        "wife",
        "son",
        "daughter",
        "brother",
        "sister",
        "partner",
    }
)
#: Relations kept for the study team but spoken of as "the patient".
OTHER_RELATIONS = frozenset({"relative", "friend", "other"})


def known_relation(relation: object) -> str | None:
    """The relation if it is one of ours (any case), else None."""
    if not isinstance(relation, str):
        return None
    word = relation.strip().casefold()
    return word if word in NAMED_RELATIONS | OTHER_RELATIONS else None


def patient_label(
    respondent: str | None, relation: str | None, language: str = "en"
) -> str:
    """How to name the patient to the person answering ("your father", 您父亲)."""
    if language != "en":
        words = patient_words(None, language)
        if respondent != "caregiver":
            return str(words.get("self") or "您")
        named = (words.get("relations") or {}).get(known_relation(relation) or "")
        return str(named or words.get("default") or "患者")
    if respondent != "caregiver":
        return "you"
    word = known_relation(relation)
    if word in NAMED_RELATIONS:
        return f"your {word}"
    return "the patient"


def time_ago_json(value: parsing.TimeAgo) -> dict[str, Any]:
    """A TimeAgo as stored in slots and the database."""
    return {
        "never": value.never,
        "earliest": value.earliest.isoformat() if value.earliest else None,
        "latest": value.latest.isoformat() if value.latest else None,
    }


def quick_replies(trial: Trial, question: Question) -> tuple[Choice, ...]:
    """The quick replies for a question, with their labels filled in."""
    if question.type == "choice":
        return question.choices
    replies = trial.quick_replies.get(question.type, ())
    window = question.window_text or ""
    return tuple(Choice(c.value, c.label.replace("{window}", window)) for c in replies)


def buttons(trial: Trial, question: Question) -> list[dict[str, str]]:
    """Quick replies as Rasa buttons. The payload is the plain label: a button press
    reads exactly like typed text, so no ``/intent`` payload is ever needed."""
    return [
        {"title": c.label, "payload": c.label} for c in quick_replies(trial, question)
    ]


def question_message(
    trial: Trial,
    question: Question,
    evaluation: Evaluation,
    *,
    respondent: str | None,
    relation: str | None = None,
    retry: bool = False,
    clarify: bool = False,
    last: bool = False,
) -> dict[str, Any]:
    """The message that asks ``question``: a catalogue key and its variables.

    ``retry``: the last reply was not understood (the question again, with its
    example). ``clarify``: the person did not understand the question (simpler
    words: the example and why it is asked). ``last``: the last asking, which says
    that "I don't know" is fine.
    """
    name = patient_label(respondent, relation, trial.language)
    if clarify:
        key = "question_clarify"
    elif retry:
        key = "question_retry_last" if last else "question_retry"
    else:
        key = "question"
    return {
        "key": key,
        "number": evaluation.answered + 1,
        "total": question_total(evaluation),
        "question": question.text_for(respondent, name),
        "example": question.example,
        "why": question.why,
        "buttons": buttons(trial, question),
    }


def question_total(evaluation: Evaluation) -> int:
    """How many questions the person can expect in all ("question 4 of about N"):
    the one number every count shown to the person comes from."""
    return max(evaluation.estimated_total, evaluation.answered + 1)


def _window_cutoff(question: Question, screening_date: date) -> date:
    window = question.window or {}  # one of days, months, years (criteria schema)
    return screening_date - relativedelta(
        years=window.get("years", 0),
        months=window.get("months", 0),
        days=window.get("days", 0),
    )


def _match_reply(trial: Trial, question: Question, text: str) -> tuple[bool, Any]:
    """A quick reply picked by its label (in either language: a button of an
    earlier message may be tapped after a switch) or its number ("2")."""
    replies = quick_replies(trial, question)
    folded = _fold(text)
    for wording in wordings(trial):
        for choice in quick_replies(wording, wording.question(question.id)):
            if folded == _fold(choice.label):
                return True, choice.value
    number = _BARE_NUMBER.match(text)
    if number and question.type != "number":
        index = int(number.group(1))
        if 1 <= index <= len(replies):
            return True, replies[index - 1].value
    return False, None


_TRAILING = re.compile(r"[\s.!。！～~]+$")


def _fold(text: str) -> str:
    """A reply folded to compare with a button title ("Yes!" = "yes", "有。" = "有")."""
    return _TRAILING.sub("", (text or "").strip()).casefold()


def _from_parsed(parsed: parsing.Parsed) -> Interpretation:
    if parsed.unknown:
        return Interpretation(unknown=True)
    if not parsed.ok:
        return Interpretation(
            error=parsed.error or "not_understood", message=parsed.message
        )
    value = parsed.value
    if isinstance(value, parsing.TimeAgo):
        value = time_ago_json(value)
    return Interpretation(value=value)


def interpret(
    trial: Trial, question: Question, text: str, screening_date: date
) -> Interpretation:
    """Understand one answer to one question. Never raises.

    Quick replies (by label or number) are matched first, then the question's parser.
    """
    text = (text or "")[:MAX_MESSAGE_CHARS]
    result = _interpret(trial, question, text, screening_date)
    if result.value is not None and result.value in question.urgent_if:
        return Interpretation(
            result.value, result.unknown, result.error, result.message, True
        )
    return result


_WORD = re.compile(r"[a-z]{3,}")
#: Words of a question's text that never say what it is about.
_NOT_TOPIC = frozenset(
    "about after again already also and any are asked been before being call called "
    "can could define doctor doctors does each ever example for from had has have "
    "her him his how into its just keeping last like long month months more next "
    "not now one only other own part past patient planned right same since some "
    "still such than that the their them then there they this those time told top "
    "under very was week weeks were what when where which who why will with would "
    "year years yes you your never cannot join needs even away care start said "
    "well few fine get later team may must read first things look because known "
    "everyone anyone ask kind main another many check".split()
)
#: A sentence that refers back to the question's topic: "I never had one", "I had
#: it in 2019", "nothing like that".
_REFERS_BACK = re.compile(r"\b(it|one|that|this|them|those|these|any|such)\b")


def _topic_words(trial: Trial, question: Question) -> frozenset[str]:
    """The words that say what ``question`` is about: the content words of its own
    texts (both wordings, label, example, reason, glossary terms) that are not common
    to the trial's yes/no questions (those say nothing about the topic)."""
    yes_no = [q for q in trial.questions if q.type == "yes_no"]

    def words(q: Question) -> set[str]:
        text = " ".join(
            (q.ask_self, q.ask_caregiver, q.label, q.example, q.why, *q.terms)
        ).replace("_", " ")
        return set(_WORD.findall(text.casefold()))

    counts: dict[str, int] = {}
    for other in yes_no:
        for word in words(other):
            counts[word] = counts.get(word, 0) + 1
    common = max(2, len(yes_no) // 4)
    return frozenset(
        w for w in words(question) if counts.get(w, 0) <= common and w not in _NOT_TOPIC
    )


#: Chinese that refers back to the question's topic: 这个, 那种, 类似的, 这方面.
_ZH_REFERS_BACK = re.compile(
    r"这个|那个|这种|那种|这些|这样的|类似|这方面|这病|这事|这类"
)
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
#: Chinese character pairs of question texts that never say what it is about.
_ZH_NOT_TOPIC = frozenset(
    "您的 患者 是否 有没 没有 或者 或是 可以 医生 告诉 过去 最近 现在 以前 一下 一个 "
    "不是 我们 研究 这个 什么 时候 如果 回答 不清 清楚 知道 比如 例如 不确 确定 "
    "个月 月内 之前 以来 有过 过吗 了吗 吗？ 还是".split()
)


def _pairs(text: str) -> set[str]:
    """The pairs of adjacent Chinese characters in ``text``."""
    pairs: set[str] = set()
    for run in _CJK_RUN.findall(text or ""):
        pairs.update(run[i : i + 2] for i in range(len(run) - 1))
    return pairs


#: The topic pairs by (trial, version, language, question): the wording never
#: changes while the process runs, and the check runs on many answers.
_TOPIC_PAIRS: dict[tuple[str, str, str, str], frozenset[str]] = {}


def _zh_topic_pairs(trial: Trial, question: Question) -> frozenset[str]:
    """The character pairs that say what ``question`` is about, in the Chinese
    wording: those of its texts that few other yes/no questions share."""
    key = (trial.id, trial.version, trial.language, question.id)
    if key not in _TOPIC_PAIRS:
        _TOPIC_PAIRS[key] = _compute_topic_pairs(trial, question)
    return _TOPIC_PAIRS[key]


def _compute_topic_pairs(trial: Trial, question: Question) -> frozenset[str]:
    yes_no = [q for q in trial.questions if q.type == "yes_no"]

    def pairs(q: Question) -> set[str]:
        return _pairs(" ".join((q.ask_self, q.label, q.example, q.why)))

    counts: dict[str, int] = {}
    for other in yes_no:
        for pair in pairs(other):
            counts[pair] = counts.get(pair, 0) + 1
    common = max(2, len(yes_no) // 4)
    return frozenset(
        p
        for p in pairs(question)
        if counts.get(p, 0) <= common and p not in _ZH_NOT_TOPIC
    )


def _is_about_zh(trial: Trial, question: Question, text: str) -> bool:
    if _ZH_REFERS_BACK.search(text):
        return True
    said = _pairs(text)
    for wording in wordings(trial):
        if wording.language == "zh" and said & _zh_topic_pairs(
            wording, wording.question(question.id)
        ):
            return True
    return False


def is_about(trial: Trial, question: Question, text: str) -> bool:
    """Whether ``text`` is about what ``question`` asks: it refers back ("I never had
    one", 这个) or has a word sharing its first letters with one of the question's
    topic words ("hep" for hepatitis), or, in Chinese, a pair of characters with the
    question's Chinese wording (乙肝 for the liver disease question)."""
    if _REFERS_BACK.search((text or "").casefold()):
        return True
    if has_cjk(text or "") and _is_about_zh(trial, question, text):
        return True
    topic = _topic_words(trial, question)
    for word in _WORD.findall((text or "").casefold()):
        if word in _NOT_TOPIC:
            continue
        stem = word[:5]
        if any(t.startswith(stem) or word.startswith(t[:5]) for t in topic):
            return True
    return False


#: Chinese negation: any of these makes a reply that names the thing no yes.
_ZH_NEGATION = re.compile(r"[没不无未否非]")


def names_it(trial: Trial, question: Question, text: str) -> bool:
    """Whether ``text`` names what ``question`` asks about (one of its ``names`` in
    either language), not negated and not asked back: "hepatitis B for years" to
    the long-term liver disease question, "肝癌晚期" to the cancer question."""
    folded = (text or "").casefold()
    if (
        not folded
        or parsing.looks_like_question(text)
        or folded.rstrip().endswith(("?", "？"))
    ):
        return False
    if _NEGATION.search(folded) or _ZH_NEGATION.search(folded):
        return False
    for wording in wordings(trial):
        for name in wording.question(question.id).names:
            word = name.casefold()
            if has_cjk(word):
                if word in folded:
                    return True
            elif re.search(rf"\b{re.escape(word)}\b", folded):
                return True
    return False


def _interpret(
    trial: Trial, question: Question, text: str, screening_date: date
) -> Interpretation:
    matched, value = _match_reply(trial, question, text)
    if matched and question.type == "choice" and question.parser == "he_grade":
        # "2" could mean option 2 or grade 2: only accept it when both readings agree.
        typed = parsing.parse_he_grade(text)
        if _BARE_NUMBER.match(text) and typed.ok and typed.value != value:
            return Interpretation(error="ambiguous_number")
    if matched:
        if value == "unsure":
            return Interpretation(
                value="unsure" if question.type == "yes_no" else None, unknown=True
            )
        if question.type == "time_ago":
            cutoff = _window_cutoff(question, screening_date)
            if value == "never":
                return Interpretation(value=time_ago_json(parsing.TimeAgo(never=True)))
            if value == "within":
                return Interpretation(
                    value=time_ago_json(
                        parsing.TimeAgo(earliest=cutoff, latest=screening_date)
                    )
                )
            return Interpretation(
                value=time_ago_json(parsing.TimeAgo(latest=cutoff - timedelta(days=1)))
            )
        return Interpretation(value=value)

    if question.type == "yes_no":
        parsed = parsing.parse_yes_no(text)
        if parsed.ok and parsed.value == "unsure":
            return Interpretation(value="unsure", unknown=True)
        if not parsed.ok and not parsed.unknown and names_it(trial, question, text):
            # "hepatitis B for years", "乙肝好多年了": the thing asked about, named.
            return Interpretation(value="yes")
        if (
            parsed.ok
            and parsed.detail.get("cue")
            and not is_about(trial, question, text)
        ):
            # Only a verb or a negation said yes or no, and the sentence is about
            # something else: not an answer to this question (asked again).
            return Interpretation(error="not_understood")
        return _from_parsed(parsed)
    if question.type == "time_ago":
        return _from_parsed(parsing.parse_time_ago(text, screening_date))
    parser = getattr(parsing, f"parse_{question.parser}", None)
    if parser is None:  # the criteria check makes this unreachable
        return Interpretation(error="no_parser")
    return _from_parsed(parser(text))


def engine_answers(answers: Mapping[str, Mapping[str, Any]]) -> dict[str, Answer]:
    """Engine answers from the JSON state kept in the ``answers`` slot."""
    result = {}
    for fact_id, item in (answers or {}).items():
        if isinstance(item, Mapping):
            result[fact_id] = Answer(
                fact_id,
                value=item.get("value"),
                text=str(item.get("text", "")),
                unknown=bool(item.get("unknown", False)),
            )
    return result


def evaluate_state(
    trial: Trial, answers: Mapping[str, Mapping[str, Any]] | None, screening_date: date
) -> Evaluation:
    """Evaluate the answers kept in the ``answers`` slot."""
    return evaluate(trial, engine_answers(answers or {}), screening_date)


def answer_question(
    trial: Trial,
    answers: Mapping[str, Mapping[str, Any]] | None,
    fact_id: str,
    text: str,
    screening_date: date,
    *,
    final: bool = False,
    taken: bool = True,
) -> Turn:
    """Handle one reply to the question for ``fact_id``.

    Args:
        final: the question was asked for the last time
            (``bot.screening.answer_first.MAX_ASKS``): a reply that is not an answer is
            recorded as unknown, so nobody is stuck, and the study team verifies it.
        taken: False when the reply is not meant as an answer (a question back, a
            "what?"): it is never parsed into a value.
    """
    answers = dict(answers or {})
    before = evaluate(trial, engine_answers(answers), screening_date)
    question = trial.question(fact_id)
    if taken:
        interpretation = interpret(trial, question, text, screening_date)
    else:
        interpretation = Interpretation(error="not_an_answer")
    recorded = True
    settled_unknown = False
    if interpretation.understood:
        item = {
            "value": interpretation.value,
            "text": text[:MAX_MESSAGE_CHARS],
            "unknown": interpretation.unknown,
        }
    elif not final:
        recorded = False
    else:
        item = {
            "value": None,
            "text": text[:MAX_MESSAGE_CHARS],
            "unknown": True,
            "error": interpretation.error,
        }
        settled_unknown = True
    if recorded:
        answers[fact_id] = item
    after = evaluate(trial, engine_answers(answers), screening_date)
    return Turn(
        answers=answers,
        retries=0 if recorded else 1,
        interpretation=interpretation,
        recorded=recorded,
        evaluation=after,
        changed_outcome=before.outcome != after.outcome,
        previous_outcome=before.outcome,
        settled_unknown=settled_unknown,
    )


def bullet_list(lines: list[str]) -> str:
    """Lines as a plain bulleted list, one per line."""
    return "\n".join(f"• {line}" for line in lines)


def result_variables(trial: Trial, evaluation: Evaluation) -> dict[str, str]:
    """The variables of the result responses: the reasons, in plain words."""
    deciding = [r.reason for r in evaluation.deciding]
    review = [r.reason for r in evaluation.to_review]
    final = [r.reason for r in evaluation.not_screenable]
    return {
        "reasons": bullet_list(deciding),
        "review_items": bullet_list(review),
        "final_decision": " ".join(final),
        "trial_title": trial.plain_title,
    }


_NEGATION = re.compile(
    r"\b(no|not|never|didn'?t|don'?t|doesn'?t|haven'?t|hasn'?t|wasn'?t|isn'?t|aren'?t"
    r"|wasnt|isnt|didnt|dont|doesnt|havent|hasnt|none|nope|neither)\b"
    r"|没有|没|不是|从来不|从没|未曾|并未|无",
    re.IGNORECASE,
)


def correction_fact(
    trial: Trial,
    answers: Mapping[str, Mapping[str, Any]],
    entities: list[Mapping[str, Any]],
    screening_date: date,
) -> str | None:
    """Which answer a correction is about: a value found in the message (an age, a
    lab value: the question naming its ``entity``) or the topic named ("the
    transplant"), or the question the topic's ``otherwise`` names when the topic's
    own question does not apply to the person (pregnancy, for a man)."""
    value_entities = trial.value_entities
    for entity in entities:
        fact = value_entities.get(str(entity.get("entity")))
        if fact:
            return fact
    known = {q.id for q in trial.questions}
    for entity in entities:
        if entity.get("entity") == "topic":
            topic = str(entity.get("value"))
            if topic not in known:
                continue
            otherwise = trial.question(topic).otherwise
            if otherwise is not None and (
                applies(trial, engine_answers(answers), topic, screening_date) is False
            ):
                return otherwise
            return topic
    return None


def correct_answer(
    trial: Trial,
    answers: Mapping[str, Mapping[str, Any]] | None,
    fact_id: str,
    text: str,
    screening_date: date,
) -> Turn | None:
    """Apply a correction ("actually she is 52", "wait, I did have a transplant").

    Returns ``None`` when the new answer is not clear; nothing is changed then. A
    yes/no correction that names its topic without a clear yes or no reads as "yes"
    unless it is negated ("I did have a transplant" / "she never had cancer").
    """
    question = trial.question(fact_id)
    interpretation = interpret(trial, question, text, screening_date)
    if not interpretation.understood and question.type == "yes_no":
        value = "no" if _NEGATION.search(text or "") else "yes"
        interpretation = Interpretation(value=value)
    if not interpretation.understood:
        return None
    state = dict(answers or {})
    before = evaluate(trial, engine_answers(state), screening_date)
    state[fact_id] = {
        "value": interpretation.value,
        "text": (text or "")[:MAX_MESSAGE_CHARS],
        "unknown": interpretation.unknown,
    }
    after = evaluate(trial, engine_answers(state), screening_date)
    return Turn(
        answers=state,
        retries=0,
        interpretation=interpretation,
        recorded=True,
        evaluation=after,
        changed_outcome=before.outcome != after.outcome,
        previous_outcome=before.outcome,
    )


def values_for_other_facts(
    trial: Trial,
    pending: str | None,
    entities: list[Mapping[str, Any]],
) -> dict[str, Any]:
    """The values a message gives for questions other than the pending one.

    Only the values the rule-based extractor found (an age, a lab value with its
    name or unit, a grade), one value per fact: two different ages in one message
    ("72, not 52") give none, since which one is meant is not clear.
    """
    found: dict[str, list[Any]] = {}
    known = {q.id for q in trial.questions}
    value_entities = trial.value_entities
    for entity in entities or []:
        fact = value_entities.get(str(entity.get("entity")))
        value = entity.get("value")
        if fact and fact != pending and fact in known and value is not None:
            found.setdefault(fact, []).append(value)
    return {
        fact: values[0]
        for fact, values in found.items()
        if len({repr(v) for v in values}) == 1
    }


def split_other_values(
    answers: Mapping[str, Mapping[str, Any]] | None,
    values: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(corrections, volunteered)``: values that change an earlier answer ("sorry,
    actually I'm 72" after "52"), and values for questions not answered yet."""
    answers = answers or {}
    corrections = {
        fact: value
        for fact, value in values.items()
        if fact in answers and (answers[fact] or {}).get("value") != value
    }
    volunteered = {f: v for f, v in values.items() if f not in answers}
    return corrections, volunteered


def record_values(
    trial: Trial,
    answers: Mapping[str, Mapping[str, Any]] | None,
    values: Mapping[str, Any],
    text: str,
    screening_date: date,
    *,
    volunteered: bool = False,
) -> Turn:
    """Record values found in a message (a correction, or facts volunteered with
    another answer), each kept with the person's own words."""
    state = dict(answers or {})
    before = evaluate(trial, engine_answers(state), screening_date)
    for fact, value in values.items():
        item: dict[str, Any] = {
            "value": value,
            "text": (text or "")[:MAX_MESSAGE_CHARS],
            "unknown": False,
        }
        if volunteered:
            item["volunteered"] = True
        state[fact] = item
    after = evaluate(trial, engine_answers(state), screening_date)
    return Turn(
        answers=state,
        retries=0,
        interpretation=Interpretation(),
        recorded=True,
        evaluation=after,
        changed_outcome=before.outcome != after.outcome,
        previous_outcome=before.outcome,
    )
