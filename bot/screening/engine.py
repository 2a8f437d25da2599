"""The eligibility engine: answers in, verdicts, outcome and the next question out.

Pure Python, no Rasa. The rules come from the criteria file
(:mod:`bot.screening.criteria`); this module only knows how to walk them, with
three-valued logic:

- ``True`` / ``False``: the rule is definitely satisfied / definitely not;
- ``None``: unknown, either because an answer is still to come (the fact is *open*)
  or because the person did not know (the study team must verify).

Safety invariants (tested, property-based, in ``tests/unit/test_engine.py``):

- a definite exclusion or a definite inclusion failure never yields ``likely_eligible``;
- an unknown answer alone never yields ``ineligible``: only definite answers exclude.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Iterable, Mapping

from bot.screening.criteria import COMBINATORS, Criterion, Question, Trial
from bot.vocab import (
    INCOMPLETE,
    INELIGIBLE,
    LIKELY_ELIGIBLE,
    MET,
    NEEDS_REVIEW,
    NOT_ASKED,
    NOT_MET,
    UNKNOWN,
)


@dataclass(frozen=True)
class Answer:
    """One answer as the engine sees it.

    Attributes:
        fact_id: the question's id.
        value: the normalized value (``"yes"``/``"no"``/``"unsure"``, a number in the
            question's canonical unit, a choice value, or a time-ago interval); ``None``
            when the person did not know or the answer could not be understood.
        text: the answer as given, for the record.
        unknown: the person said they don't know, or the answer stayed unclear.
    """

    fact_id: str
    value: Any = None
    text: str = ""
    unknown: bool = False

    @property
    def known_value(self) -> Any:
        """The value when it is usable for a rule, else ``None``."""
        if self.unknown or self.value == "unsure":
            return None
        return self.value


@dataclass(frozen=True)
class CriterionResult:
    """The verdict on one criterion, with a plain-language reason."""

    criterion: Criterion
    verdict: str
    reason: str
    open_facts: tuple[str, ...] = ()
    unknown_facts: tuple[str, ...] = ()

    @property
    def criterion_id(self) -> str:
        """The criterion's stable id."""
        return self.criterion.id

    @property
    def rules_out(self) -> bool:
        """True when this verdict alone makes the person ineligible."""
        if not self.criterion.screenable:
            return False
        if self.criterion.is_exclusion:
            return self.verdict == MET
        return self.verdict == NOT_MET


@dataclass(frozen=True)
class Evaluation:
    """Everything the engine concludes from the answers so far."""

    outcome: str
    results: tuple[CriterionResult, ...]
    next_question: Question | None
    answered: int
    remaining: int
    open_facts: tuple[str, ...] = field(default=())

    @property
    def complete(self) -> bool:
        """No question is left to ask (finished, or ruled out)."""
        return self.next_question is None

    @property
    def deciding(self) -> tuple[CriterionResult, ...]:
        """The criteria that make the person ineligible."""
        return tuple(r for r in self.results if r.rules_out)

    @property
    def to_review(self) -> tuple[CriterionResult, ...]:
        """Screenable criteria the study team must verify."""
        return tuple(
            r for r in self.results if r.criterion.screenable and r.verdict == UNKNOWN
        )

    @property
    def not_screenable(self) -> tuple[CriterionResult, ...]:
        """Criteria no question can settle (the investigator's judgement)."""
        return tuple(r for r in self.results if not r.criterion.screenable)

    def result(self, criterion_id: str) -> CriterionResult:
        """The result for one criterion."""
        for r in self.results:
            if r.criterion_id == criterion_id:
                return r
        raise KeyError(criterion_id)

    @property
    def estimated_total(self) -> int:
        """Answered plus still expected questions: "question 4 of about 15"."""
        return self.answered + self.remaining


@dataclass(frozen=True)
class _Node:
    """The value of a rule (sub)tree: its truth, the answers that could still change
    it, and whether it is waiting for an answer still to be asked."""

    truth: bool | None
    open: frozenset[str] = frozenset()
    waiting: bool = False


class _Walker:
    """Evaluates rules against one set of answers and one screening date."""

    def __init__(
        self, trial: Trial, answers: Mapping[str, Answer], screening_date: date
    ):
        self.trial = trial
        self.answers = answers
        self.screening_date = screening_date
        self._applies: dict[str, _Node] = {}

    def applies(self, fact_id: str) -> _Node:
        """Whether the question for ``fact_id`` applies to this person."""
        if fact_id not in self._applies:
            question = self.trial.question(fact_id)
            if question.applies_if is None:
                node = _Node(True)
            else:
                self._applies[fact_id] = _Node(None)  # guards against cycles
                node = self.rule(question.applies_if)
                if node.truth is None and not node.waiting:
                    # The gate was answered but is unknown ("not sure" of the sex):
                    # when in doubt, ask. An unknown never skips a question.
                    node = _Node(True)
            self._applies[fact_id] = node
        return self._applies[fact_id]

    def fact_value(self, fact_id: str) -> tuple[Any, bool, frozenset[str]]:
        """(usable value or None, waiting for an answer, open facts)."""
        answer = self.answers.get(fact_id)
        if answer is not None:
            return answer.known_value, False, frozenset()
        applies = self.applies(fact_id)
        if applies.truth is True:
            return None, True, frozenset({fact_id})
        if applies.truth is None and applies.waiting:
            # The gate question comes first; this one may follow.
            return None, True, applies.open | {fact_id}
        question = self.trial.question(fact_id)
        return question.if_not_asked, False, frozenset()

    def rule(self, node: Mapping[str, Any]) -> _Node:
        """Evaluate a rule tree."""
        for key in COMBINATORS:
            if key in node:
                children = [self.rule(child) for child in node[key]]
                combine: Callable[[list[_Node]], _Node] = getattr(self, f"_{key}")
                return combine(children)
        return self._leaf(node)

    @staticmethod
    def _all(children: list[_Node]) -> _Node:
        if any(c.truth is False for c in children):
            return _Node(False)
        pending = [c for c in children if c.truth is None]
        if not pending:
            return _Node(True)
        return _Node(
            None,
            frozenset().union(*(c.open for c in pending)),
            any(c.waiting for c in pending),
        )

    @staticmethod
    def _any(children: list[_Node]) -> _Node:
        if any(c.truth is True for c in children):
            return _Node(True)
        pending = [c for c in children if c.truth is None]
        if not pending:
            return _Node(False)
        return _Node(
            None,
            frozenset().union(*(c.open for c in pending)),
            any(c.waiting for c in pending),
        )

    @staticmethod
    def _first_known(children: list[_Node]) -> _Node:
        # The first child with a definite value decides, unless a child before it is
        # still waiting for its answer: then the whole waits (a lab value outranks a
        # symptom report), and every child's open questions stay open so they are
        # asked in the file's order.
        open_facts: frozenset[str] = frozenset()
        waiting = False
        for child in children:
            if child.truth is not None and not waiting:
                return child
            if child.truth is None:
                open_facts |= child.open
                waiting = waiting or child.waiting
        return _Node(None, open_facts, waiting)

    def _leaf(self, node: Mapping[str, Any]) -> _Node:
        fact_id = node["fact"]
        answer = self.answers.get(fact_id)
        if "map" in node and answer is not None and answer.value == "unsure":
            # A map may say what "not sure" means (the criteria check allows only
            # "unknown" in criteria; a question's applies_if may say "ask anyway").
            mapped = node["map"].get("unsure", "unknown")
            return _Node(None if mapped == "unknown" else bool(mapped))
        value, waiting, open_facts = self.fact_value(fact_id)
        if value is None:
            return _Node(None, open_facts, waiting)
        truth = self._compare(node, self.trial.question(fact_id), value)
        return _Node(truth)

    def _compare(
        self, node: Mapping[str, Any], question: Question, value: Any
    ) -> bool | None:
        if "equals" in node:
            return bool(value == node["equals"])
        if "map" in node:
            mapped = node["map"].get(value, "unknown")
            return None if mapped == "unknown" else bool(mapped)
        if "in" in node:
            return value in node["in"]
        if "within" in node:
            from bot.parsing import TimeAgo, window_status

            interval = value if isinstance(value, TimeAgo) else _time_ago(value)
            if interval is None:
                return None
            return window_status(interval, self.screening_date, **node["within"])
        number = _number(value)
        if number is None:
            return None
        if "at_least" in node:
            at_least: float = node["at_least"]
            return number >= at_least
        if "below" in node:
            below: float = node["below"]
            return number < below
        if "above" in node:
            above: float = node["above"]
            return number > above
        if "between" in node:
            low: float
            high: float
            low, high = node["between"]
            return low <= number <= high
        raise ValueError(f"unsupported rule on {question.id}: {dict(node)}")


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return None


def _time_ago(value: Any) -> Any:
    """A TimeAgo from its JSON form (as stored in slots and the database)."""
    from bot.parsing import TimeAgo

    if not isinstance(value, Mapping):
        return None
    try:
        return TimeAgo(
            never=bool(value.get("never", False)),
            earliest=_iso_date(value.get("earliest")),
            latest=_iso_date(value.get("latest")),
        )
    except (TypeError, ValueError):
        return None


def _iso_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _verdict(criterion: Criterion, node: _Node, answers: Mapping[str, Answer]) -> str:
    if node.truth is True:
        return MET
    if node.truth is False:
        return NOT_MET
    if node.open and not any(f in answers for f in criterion.facts):
        return NOT_ASKED
    return UNKNOWN


def applies(
    trial: Trial,
    answers: Mapping[str, Answer],
    fact_id: str,
    screening_date: date,
) -> bool | None:
    """Whether the question for ``fact_id`` applies to this person, by its
    ``applies_if``: ``None`` while the answer it depends on is still to come."""
    return _Walker(trial, answers, screening_date).applies(fact_id).truth


def evaluate(
    trial: Trial,
    answers: Mapping[str, Answer] | Iterable[Answer],
    screening_date: date,
) -> Evaluation:
    """Evaluate every criterion and choose what to ask next.

    Args:
        trial: the trial, from :func:`bot.screening.criteria.load_trial`.
        answers: the current answer for each fact answered so far (by fact id, or
            an iterable of :class:`Answer`). Answers to unknown facts are ignored.
        screening_date: the date time windows are measured from. Never "today"
            implicitly: the caller decides.

    Returns:
        The per-criterion verdicts with reasons, the overall outcome, and the next
        question (``None`` when finished, or when a definite answer rules them out).
    """
    if not isinstance(answers, Mapping):
        answers = {a.fact_id: a for a in answers}
    known_facts = {q.id for q in trial.questions}
    answers = {k: v for k, v in answers.items() if k in known_facts}
    walker = _Walker(trial, answers, screening_date)

    results: list[CriterionResult] = []
    open_facts: set[str] = set()
    for criterion in trial.criteria:
        if not criterion.screenable:
            results.append(
                CriterionResult(criterion, NOT_ASKED, criterion.reasons["not_asked"])
            )
            continue
        node = walker.rule(criterion.rule or {})
        verdict = _verdict(criterion, node, answers)
        if node.truth is None:
            open_facts |= node.open
        unknown_facts = tuple(
            f
            for f in criterion.facts
            if f in answers and answers[f].known_value is None
        )
        reason = criterion.reasons[UNKNOWN if verdict == NOT_ASKED else verdict]
        results.append(
            CriterionResult(
                criterion,
                verdict,
                reason,
                tuple(sorted(node.open, key=lambda f: trial.question(f).order)),
                unknown_facts,
            )
        )

    ruled_out = any(r.rules_out for r in results)
    next_question = None
    if not ruled_out:
        for question in trial.questions:
            if question.id in open_facts and walker.applies(question.id).truth is True:
                next_question = question
                break

    if ruled_out:
        outcome = INELIGIBLE
    elif next_question is not None:
        outcome = INCOMPLETE
    elif any(
        r.verdict in (UNKNOWN, NOT_ASKED) for r in results if r.criterion.screenable
    ):
        outcome = NEEDS_REVIEW
    else:
        outcome = LIKELY_ELIGIBLE

    return Evaluation(
        outcome=outcome,
        results=tuple(results),
        next_question=next_question,
        answered=len(answers),
        remaining=0 if ruled_out else len(open_facts),
        open_facts=tuple(sorted(open_facts, key=lambda f: trial.question(f).order)),
    )
