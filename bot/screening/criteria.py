"""The trial's criteria as data: loading and schema checking of the criteria file.

The file (``bot/screening/trials/*.yml``) is the single source of truth for the
criteria. This module turns it into typed, immutable objects and refuses a malformed
file loudly at start-up, naming the criterion or question at fault.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any, Mapping

import jsonschema
import yaml

TRIALS_DIR = Path(__file__).parent / "trials"
DEFAULT_TRIAL_FILE = TRIALS_DIR / "aclf-ucmsc.yml"

ANSWER_TYPES = ("yes_no", "number", "choice", "time_ago")
YES_NO_VALUES = ("yes", "no", "unsure")
LEAF_OPERATORS = (
    "equals",
    "map",
    "at_least",
    "below",
    "above",
    "between",
    "in",
    "within",
)
COMBINATORS = ("all", "any", "first_known")


class CriteriaError(ValueError):
    """The criteria file is malformed; the message names the entry at fault."""


_TEXT = {"type": "string", "minLength": 1}
_RULE = {"type": "object", "minProperties": 1}
_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["version", "trial", "quick_replies", "questions", "criteria"],
    "additionalProperties": False,
    "properties": {
        "version": _TEXT,
        "trial": {
            "type": "object",
            "required": ["id", "title", "plain_title", "sponsor", "sites"],
            "properties": {
                "id": _TEXT,
                "title": _TEXT,
                "plain_title": _TEXT,
                "sponsor": _TEXT,
                "sites": {"type": "array", "minItems": 1},
            },
        },
        "quick_replies": {
            "type": "object",
            "required": ["yes_no", "time_ago", "number"],
            "additionalProperties": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["label", "value"],
                    "additionalProperties": False,
                    "properties": {"label": _TEXT, "value": {}},
                },
            },
        },
        "questions": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "order", "label", "type", "ask", "example", "why"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                    "order": {"type": "integer"},
                    "label": _TEXT,
                    "type": {"enum": list(ANSWER_TYPES)},
                    "parser": _TEXT,
                    "unit": _TEXT,
                    "ask": {
                        "type": "object",
                        "required": ["self", "caregiver"],
                        "additionalProperties": False,
                        "properties": {"self": _TEXT, "caregiver": _TEXT},
                    },
                    "choices": {
                        "type": "array",
                        "minItems": 2,
                        "items": {
                            "type": "object",
                            "required": ["value", "label"],
                            "properties": {"label": _TEXT},
                        },
                    },
                    "window": {
                        "type": "object",
                        "minProperties": 1,
                        "maxProperties": 1,
                        "additionalProperties": False,
                        "properties": {
                            "days": {"type": "integer", "minimum": 1},
                            "months": {"type": "integer", "minimum": 1},
                            "years": {"type": "integer", "minimum": 1},
                        },
                    },
                    "window_text": _TEXT,
                    "urgent_if": {"type": "array", "minItems": 1},
                    "applies_if": _RULE,
                    "if_not_asked": {"enum": list(YES_NO_VALUES)},
                    "example": _TEXT,
                    "why": _TEXT,
                    "terms": {"type": "array", "items": _TEXT},
                    # Words that name what a yes/no question asks about: a reply
                    # that names one, not negated and not a question, is a yes
                    # ("hepatitis B for years", "乙肝好多年了").
                    "names": {"type": "array", "items": _TEXT, "minItems": 1},
                    # The NLU entity whose value answers this question (he_grade).
                    "entity": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                    # The question a correction about this one's topic means when
                    # this one does not apply to the person.
                    "otherwise": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                    # A score read as a class (Child-Pugh A, B, C): the class's
                    # scores and the score the class alone counts as.
                    "classes": {
                        "type": "object",
                        "minProperties": 1,
                        "additionalProperties": False,
                        "patternProperties": {
                            "^[A-Z]$": {
                                "type": "object",
                                "required": ["scores", "counts_as"],
                                "additionalProperties": False,
                                "properties": {
                                    "scores": {
                                        "type": "array",
                                        "items": {"type": "integer"},
                                        "minItems": 2,
                                        "maxItems": 2,
                                    },
                                    "counts_as": {"type": "integer"},
                                },
                            }
                        },
                    },
                },
            },
        },
        "criteria": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": [
                    "id",
                    "kind",
                    "number",
                    "registry_text",
                    "summary",
                    "unknown_means",
                    "reasons",
                ],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": "^(inc|exc)_[a-z0-9_]+$"},
                    "kind": {"enum": ["inclusion", "exclusion"]},
                    "number": {"type": "integer", "minimum": 1},
                    "registry_text": _TEXT,
                    "summary": _TEXT,
                    "rule": _RULE,
                    "screenable": {"type": "boolean"},
                    # An unknown answer is never a silent pass: the study team checks.
                    "unknown_means": {"const": "staff_review"},
                    "reasons": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "met": _TEXT,
                            "not_met": _TEXT,
                            "unknown": _TEXT,
                            "not_asked": _TEXT,
                        },
                    },
                },
            },
        },
    },
}


@dataclass(frozen=True)
class Choice:
    """One quick-reply option of a choice question."""

    value: Any
    label: str


@dataclass(frozen=True)
class ScoreClass:
    """One class of a scored scale (Child-Pugh B: scores 7 to 9)."""

    low: int
    high: int
    #: The score the class alone counts as, when no score is given.
    counts_as: int


@dataclass(frozen=True)
class Question:
    """A fact the assistant asks about, in plain language."""

    id: str
    order: int
    label: str
    type: str
    ask_self: str
    ask_caregiver: str
    example: str
    why: str
    parser: str | None = None
    unit: str | None = None
    choices: tuple[Choice, ...] = ()
    window: Mapping[str, int] | None = None
    window_text: str | None = None
    urgent_if: tuple[Any, ...] = ()
    applies_if: Mapping[str, Any] | None = None
    if_not_asked: str | None = None
    terms: tuple[str, ...] = ()
    #: Words naming what a yes/no question asks about (a reply naming one is a yes).
    names: tuple[str, ...] = ()
    classes: Mapping[str, ScoreClass] = field(default_factory=dict)
    #: The NLU entity whose value, found in any message, answers this question.
    entity: str | None = None
    #: The question a correction naming this one's topic means when this one does
    #: not apply to the person (pregnancy, for a man: planning a baby).
    otherwise: str | None = None

    def text_for(self, respondent: str | None, patient: str = "the patient") -> str:
        """The question worded for the person answering.

        Args:
            respondent: ``"caregiver"`` when a relative answers, else self.
            patient: the patient's name for a caregiver ("the patient", "your father").
        """
        if respondent != "caregiver":
            return self.ask_self
        name = patient or "the patient"
        return self.ask_caregiver.replace(
            "{Patient}", name[:1].upper() + name[1:]
        ).replace("{patient}", name)


@dataclass(frozen=True)
class Criterion:
    """One inclusion or exclusion criterion of the registry listing."""

    id: str
    kind: str
    number: int
    registry_text: str
    summary: str
    reasons: Mapping[str, str]
    rule: Mapping[str, Any] | None = None
    screenable: bool = True
    facts: tuple[str, ...] = ()

    @property
    def is_exclusion(self) -> bool:
        """True for exclusion criteria."""
        return self.kind == "exclusion"


@dataclass(frozen=True)
class Trial:
    """A trial and its criteria, as read from the criteria file."""

    id: str
    version: str
    title: str
    plain_title: str
    sponsor: str
    sites: tuple[Mapping[str, Any], ...]
    info: Mapping[str, Any]
    quick_replies: Mapping[str, tuple[Choice, ...]]
    questions: tuple[Question, ...]
    criteria: tuple[Criterion, ...]
    _question_index: Mapping[str, Question] = field(repr=False, default_factory=dict)
    #: The language its texts are worded in, and the criteria file it came from.
    language: str = "en"
    source: str | None = None

    def question(self, fact_id: str) -> Question:
        """The question that asks for ``fact_id``."""
        return self._question_index[fact_id]

    def criterion(self, criterion_id: str) -> Criterion:
        """The criterion with id ``criterion_id``."""
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(criterion_id)

    @property
    def value_entities(self) -> dict[str, str]:
        """Which question each NLU value entity answers: ``{entity: fact id}``."""
        return {q.entity: q.id for q in self.questions if q.entity}

    @property
    def inclusions(self) -> tuple[Criterion, ...]:
        """Inclusion criteria, in registry order."""
        return tuple(c for c in self.criteria if c.kind == "inclusion")

    @property
    def exclusions(self) -> tuple[Criterion, ...]:
        """Exclusion criteria, in registry order."""
        return tuple(c for c in self.criteria if c.kind == "exclusion")


def rule_facts(rule: Mapping[str, Any] | None) -> tuple[str, ...]:
    """Every fact id a rule refers to, in order of first appearance."""
    found: list[str] = []

    def walk(node: Mapping[str, Any]) -> None:
        for key in COMBINATORS:
            if key in node:
                for child in node[key]:
                    walk(child)
                return
        if node.get("fact") not in found:
            found.append(node["fact"])

    if rule:
        walk(rule)
    return tuple(found)


def _possible_values(question: Question) -> list[Any] | None:
    """The values an answer to ``question`` can take, when there is a fixed set."""
    if question.type == "yes_no":
        return list(YES_NO_VALUES)
    if question.type == "choice":
        return [c.value for c in question.choices]
    return None


def _check_rule(
    where: str, node: Any, questions: Mapping[str, Question], *, verdict: bool = True
) -> None:
    if not isinstance(node, Mapping):
        raise CriteriaError(f"{where}: a rule must be a mapping, got {node!r}")
    combinators = [key for key in COMBINATORS if key in node]
    if combinators:
        key = combinators[0]
        children = node[key]
        if len(node) != 1 or not isinstance(children, list) or len(children) < 2:
            raise CriteriaError(f"{where}: '{key}' needs a list of two or more rules")
        for child in children:
            _check_rule(where, child, questions, verdict=verdict)
        return
    fact = node.get("fact")
    if not isinstance(fact, str) or fact not in questions:
        raise CriteriaError(f"{where}: rule refers to unknown fact {fact!r}")
    ops = [key for key in node if key != "fact"]
    if len(ops) != 1 or ops[0] not in LEAF_OPERATORS:
        raise CriteriaError(
            f"{where}: rule on {fact!r} needs one of {LEAF_OPERATORS}, got {ops}"
        )
    op, arg = ops[0], node[ops[0]]
    question = questions[fact]
    if op in ("at_least", "below", "above") and not isinstance(arg, (int, float)):
        raise CriteriaError(f"{where}: '{op}' on {fact!r} needs a number")
    if op == "between" and not (
        isinstance(arg, list)
        and len(arg) == 2
        and all(isinstance(a, (int, float)) for a in arg)
    ):
        raise CriteriaError(f"{where}: 'between' on {fact!r} needs [low, high]")
    if op == "within":
        if question.type != "time_ago":
            raise CriteriaError(
                f"{where}: 'within' needs a time_ago fact, {fact!r} is not"
            )
        window_schema = _SCHEMA["properties"]["questions"]["items"]["properties"][
            "window"
        ]
        try:
            jsonschema.validate(arg, window_schema)
        except jsonschema.ValidationError as exc:
            raise CriteriaError(
                f"{where}: bad window on {fact!r}: {exc.message}"
            ) from exc
    if op in ("equals", "in"):
        allowed = _possible_values(question)
        values = arg if op == "in" and isinstance(arg, list) else [arg]
        if allowed is not None and any(v not in allowed for v in values):
            raise CriteriaError(
                f"{where}: '{op}' on {fact!r} uses {arg!r}; "
                f"its answers are {[str(v) for v in allowed]}"
            )
    if op == "map":
        if question.type != "yes_no" or not isinstance(arg, Mapping):
            raise CriteriaError(f"{where}: 'map' needs a yes_no fact and a mapping")
        for answer, outcome in arg.items():
            if answer not in YES_NO_VALUES or outcome not in (True, False, "unknown"):
                raise CriteriaError(f"{where}: bad map entry {answer!r}: {outcome!r}")
        # Safety: "not sure" may never decide a criterion.
        if verdict and arg.get("unsure", "unknown") != "unknown":
            raise CriteriaError(f"{where}: an 'unsure' answer must map to unknown")


def _score_classes(
    question_id: str, raw: Mapping[str, Mapping[str, Any]]
) -> dict[str, ScoreClass]:
    """The classes of a scored question, checked: ordered ranges that do not overlap,
    each counting as a score inside its own range."""
    classes: dict[str, ScoreClass] = {}
    previous: ScoreClass | None = None
    for letter in sorted(raw):
        (low, high), counts_as = raw[letter]["scores"], raw[letter]["counts_as"]
        where = f"question {question_id!r}, class {letter}"
        if low > high:
            raise CriteriaError(f"{where}: scores [{low}, {high}] are not a range")
        if not low <= counts_as <= high:
            raise CriteriaError(f"{where}: counts_as {counts_as} is outside its scores")
        if previous is not None and low <= previous.high:
            raise CriteriaError(f"{where}: scores overlap the class before it")
        classes[letter] = previous = ScoreClass(low, high, counts_as)
    return classes


def parse_trial(data: Mapping[str, Any]) -> Trial:
    """Build a :class:`Trial` from the parsed YAML, checking it thoroughly.

    Raises:
        CriteriaError: naming the entry at fault, when anything is malformed.
    """
    try:
        jsonschema.validate(data, _SCHEMA)
    except jsonschema.ValidationError as exc:
        path = "/".join(str(p) for p in exc.absolute_path)
        parts = list(exc.absolute_path)
        if len(parts) >= 2 and parts[0] in ("criteria", "questions"):
            try:
                entry_id = data[parts[0]][parts[1]].get("id")
            except (KeyError, IndexError, TypeError, AttributeError):
                entry_id = None
            if entry_id:
                path = f"{path} ({parts[0][:-1]} {entry_id})"
        raise CriteriaError(
            f"criteria file invalid at {path or 'top level'}: {exc.message}"
        ) from exc

    questions: dict[str, Question] = {}
    for raw in data["questions"]:
        if raw["id"] in questions:
            raise CriteriaError(f"question {raw['id']!r} is defined twice")
        if raw["type"] in ("number", "choice") and "parser" not in raw:
            raise CriteriaError(
                f"question {raw['id']!r} ({raw['type']}) needs a parser"
            )
        if raw["type"] == "choice" and "choices" not in raw:
            raise CriteriaError(f"question {raw['id']!r} is a choice without choices")
        if raw["type"] == "time_ago" and not {"window", "window_text"} <= set(raw):
            raise CriteriaError(
                f"question {raw['id']!r} is time_ago without a window and window_text"
            )
        questions[raw["id"]] = Question(
            id=raw["id"],
            order=raw["order"],
            label=raw["label"],
            type=raw["type"],
            ask_self=raw["ask"]["self"],
            ask_caregiver=raw["ask"]["caregiver"],
            example=raw["example"],
            why=raw["why"],
            parser=raw.get("parser"),
            unit=raw.get("unit"),
            choices=tuple(
                Choice(c["value"], c["label"]) for c in raw.get("choices", ())
            ),
            window=raw.get("window"),
            window_text=raw.get("window_text"),
            urgent_if=tuple(raw.get("urgent_if", ())),
            applies_if=raw.get("applies_if"),
            if_not_asked=raw.get("if_not_asked"),
            terms=tuple(raw.get("terms", ())),
            names=tuple(raw.get("names", ())),
            classes=_score_classes(raw["id"], raw.get("classes", {})),
            entity=raw.get("entity"),
            otherwise=raw.get("otherwise"),
        )
    seen_orders: dict[int, str] = {}
    for q in questions.values():
        if q.order in seen_orders:
            raise CriteriaError(
                f"questions {seen_orders[q.order]!r} and {q.id!r} share order {q.order}"
            )
        seen_orders[q.order] = q.id
    entities: dict[str, str] = {}
    for question in questions.values():
        if question.applies_if is not None:
            _check_rule(
                f"question {question.id}", question.applies_if, questions, verdict=False
            )
        if question.entity is not None:
            if question.entity in entities:
                raise CriteriaError(
                    f"questions {entities[question.entity]!r} and {question.id!r} "
                    f"both name entity {question.entity!r}"
                )
            entities[question.entity] = question.id
        if question.otherwise is not None:
            where = f"question {question.id}: otherwise {question.otherwise!r}"
            if question.otherwise not in questions:
                raise CriteriaError(f"{where} is not a question")
            if question.otherwise == question.id:
                raise CriteriaError(f"{where} is the question itself")
            if question.applies_if is None:
                raise CriteriaError(f"{where}, but the question always applies")

    criteria: list[Criterion] = []
    used: set[str] = set()
    for raw in data["criteria"]:
        where = f"criterion {raw['id']}"
        if any(c.id == raw["id"] for c in criteria):
            raise CriteriaError(f"{where} is defined twice")
        if not raw["id"].startswith("inc_" if raw["kind"] == "inclusion" else "exc_"):
            raise CriteriaError(f"{where}: id prefix does not match kind {raw['kind']}")
        screenable = raw.get("screenable", True)
        rule = raw.get("rule")
        if screenable:
            if rule is None:
                raise CriteriaError(f"{where} is screenable but has no rule")
            _check_rule(where, rule, questions)
            missing = {"met", "not_met", "unknown"} - set(raw["reasons"])
            if missing:
                raise CriteriaError(f"{where}: reasons missing for {sorted(missing)}")
        elif rule is not None or "not_asked" not in raw["reasons"]:
            raise CriteriaError(f"{where}: not screenable: no rule, a not_asked reason")
        facts = rule_facts(rule)
        used.update(facts)
        criteria.append(
            Criterion(
                id=raw["id"],
                kind=raw["kind"],
                number=raw["number"],
                registry_text=raw["registry_text"],
                summary=raw["summary"],
                reasons=dict(raw["reasons"]),
                rule=rule,
                screenable=screenable,
                facts=facts,
            )
        )
    gating = {
        fact
        for q in questions.values()
        if q.applies_if
        for fact in rule_facts(q.applies_if)
    }
    unused = set(questions) - used - gating
    if unused:
        raise CriteriaError(f"questions no criterion uses: {sorted(unused)}")

    ordered = tuple(sorted(questions.values(), key=lambda q: q.order))
    trial = data["trial"]
    return Trial(
        id=trial["id"],
        version=str(data["version"]),
        title=trial["title"],
        plain_title=trial["plain_title"],
        sponsor=trial["sponsor"],
        sites=tuple(trial["sites"]),
        info=dict(trial),
        quick_replies={
            kind: tuple(Choice(c["value"], c["label"]) for c in choices)
            for kind, choices in data["quick_replies"].items()
        },
        questions=ordered,
        criteria=tuple(criteria),
        _question_index={q.id: q for q in ordered},
    )


def load_trial_file(path: Path | str) -> Trial:
    """Read and check one criteria file.

    Raises:
        CriteriaError: when the file is missing, not YAML, or malformed.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CriteriaError(f"cannot read criteria file {path}: {exc}") from exc
    if not isinstance(data, Mapping):
        raise CriteriaError(f"criteria file {path} does not hold a mapping")
    return parse_trial(data)


# --------------------------------------------------------------------------- #
# Languages: the wording of another language beside the criteria file
# --------------------------------------------------------------------------- #
#
# ``aclf-ucmsc.zh.yml`` beside ``aclf-ucmsc.yml`` holds the Chinese wording of every
# text a person reads, keyed by id; no rule, threshold or order. It is laid over the
# criteria file's own data before the file is checked, so the Chinese trial has the
# same questions, rules and criteria as the English one, in other words.
#
#   language: zh
#   trial: {plain_title: ...}
#   patient: {default: 患者, relations: {father: 您父亲, ...}}
#   quick_replies: {yes_no: {"yes": 有, ...}, ...}          # label by value
#   questions: {age: {label, ask: {self, caregiver}, example, why,
#                     window_text, choices: {value: label}}, ...}
#   criteria: {inc_age: {summary, reasons: {met, not_met, unknown, not_asked}}, ...}

#: The question and criterion fields a language overlay may reword.
OVERLAY_QUESTION_TEXTS = ("label", "example", "why", "window_text", "names")
OVERLAY_CRITERION_TEXTS = ("summary",)


def overlay_path(path: Path | str, language: str) -> Path:
    """The file holding ``language``'s wording for the criteria file ``path``."""
    path = Path(path)
    return path.with_name(f"{path.stem}.{language}{path.suffix}")


def apply_overlay(
    data: Mapping[str, Any], overlay: Mapping[str, Any]
) -> dict[str, Any]:
    """The criteria file's ``data`` with the texts of ``overlay`` laid over it.

    Only wording changes; an id the criteria file does not have is an error, so an
    overlay cannot drift from the file it rewords.
    """

    merged: dict[str, Any] = copy.deepcopy(dict(data))
    trial_texts = overlay.get("trial") or {}
    for key, value in trial_texts.items():
        if key not in ("plain_title",):
            raise CriteriaError(f"overlay may not change trial.{key}")
        merged["trial"][key] = value
    for kind, labels in (overlay.get("quick_replies") or {}).items():
        choices = merged.get("quick_replies", {}).get(kind)
        if choices is None:
            raise CriteriaError(f"overlay names unknown quick replies {kind}")
        _relabel(choices, labels, f"quick_replies.{kind}")
    questions = {q["id"]: q for q in merged.get("questions", [])}
    for qid, texts in (overlay.get("questions") or {}).items():
        question = questions.get(qid)
        if question is None:
            raise CriteriaError(f"overlay names unknown question {qid}")
        for key in OVERLAY_QUESTION_TEXTS:
            if key in texts:
                question[key] = texts[key]
        if "ask" in texts:
            question["ask"] = {**question["ask"], **texts["ask"]}
        if "choices" in texts:
            _relabel(question.get("choices") or [], texts["choices"], qid)
    criteria = {c["id"]: c for c in merged.get("criteria", [])}
    for cid, texts in (overlay.get("criteria") or {}).items():
        criterion = criteria.get(cid)
        if criterion is None:
            raise CriteriaError(f"overlay names unknown criterion {cid}")
        for key in OVERLAY_CRITERION_TEXTS:
            if key in texts:
                criterion[key] = texts[key]
        if "reasons" in texts:
            criterion["reasons"] = {**criterion["reasons"], **texts["reasons"]}
    return merged


def _relabel(
    choices: list[dict[str, Any]], labels: Mapping[Any, str], where: str
) -> None:
    by_value = {str(choice["value"]): choice for choice in choices}
    for value, label in labels.items():
        choice = by_value.get(str(value))
        if choice is None:
            raise CriteriaError(f"overlay names unknown choice {value!r} in {where}")
        choice["label"] = label


def read_overlay(path: Path | str, language: str) -> dict[str, Any]:
    """The overlay of ``language`` for the criteria file ``path`` ({} for English)."""
    if language == "en":
        return {}
    file = overlay_path(path, language)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CriteriaError(f"cannot read criteria wording {file}: {exc}") from exc
    if not isinstance(data, Mapping) or data.get("language") != language:
        raise CriteriaError(f"{file} is not the {language} wording of the criteria")
    return dict(data)


@cache
def load_trial(path: str | None = None, language: str = "en") -> Trial:
    """The trial used by the assistant, worded in ``language`` (cached; checked on
    first use). Every language has the same questions, rules and criteria."""
    file = Path(path or DEFAULT_TRIAL_FILE)
    if language == "en":
        trial = load_trial_file(file)
    else:
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise CriteriaError(f"cannot read criteria file {file}: {exc}") from exc
        trial = parse_trial(apply_overlay(data, read_overlay(file, language)))
    return replace(trial, language=language, source=path)


def wordings(trial: Trial) -> tuple[Trial, ...]:
    """``trial`` first, then the same trial in each other language that has its
    wording (a reply may use the other language's button titles)."""
    others = []
    for language in ("en", "zh"):
        if language == trial.language:
            continue
        try:
            others.append(load_trial(trial.source, language))
        except CriteriaError:
            continue
    return (trial, *others)


@cache
def patient_words(path: str | None = None, language: str = "en") -> dict[str, Any]:
    """How ``language`` names the patient to a relative: ``{"default": ...,
    "relations": {relation: words}}`` ({} for English, which builds "your father")."""
    return dict(read_overlay(path or DEFAULT_TRIAL_FILE, language).get("patient") or {})
