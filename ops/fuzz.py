"""Fuzzing the assistant through its REST and socket.io channels (issue 6).

Used by ``scripts/fuzz.py`` (the full run) and ``tests/e2e/test_fuzz.py`` (a short run
on every ``make test``). What it does:

1. **Generates** bad input with Hypothesis strategies under a fixed seed, in
   categories (:data:`WEIGHTS`): huge texts (up to 100,000 characters), empty and
   whitespace-only, binary-ish (random bytes decoded with ``surrogateescape`` or
   Latin-1, NUL and control characters, lone surrogates), letters of every Unicode
   script (grouped by the first word of the characters' names), emoji storms (ZWJ
   sequences, skin tones, flags, keycaps), bidi overrides, zero-width characters,
   Rasa's ``/intent{...}`` command syntax with the domain's intents, slots and
   entities and *canary* values, JSON/YAML/HTML/SQL in text, lab values with odd
   units, numbers in every form, very long numbers, and values of the wrong JSON
   type in place of the text.
2. **Talks**: many senders, half on REST and half on socket.io, a few in flight at
   once. Most open the conversation properly (hi / "Yes, go ahead" / who answers)
   so that fuzz lands inside the screening form; some send fuzz first; valid answers
   to the question asked are mixed in between fuzz messages.
3. **Checks** (:class:`Report`): every REST answer is HTTP 200 with a JSON list (429
   and 413 with a JSON body are counted as refusals, not errors); every socket.io
   message gets a ``bot_uttered`` within a timeout, or the tracker shows the turn
   completed with nothing to say (counted as *empty*, as are empty REST lists); both
   servers are alive at the end and answer "hi"; no ``Traceback`` or `` ERROR `` line
   in their logs; no user event parsed by Rasa's ``RegexMessageHandler`` (a
   one-entry intent ranking or an entity from that extractor); no canary value in a
   slot event, a stored answer or a screening.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import re
import sqlite3
import time
import types
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ops.screening import OPENING, SCRIPTS, asked_fact, texts

ROOT = Path(__file__).resolve().parent.parent

#: Canary values put into injected slots and entities: none may ever be stored.
CANARY_NUMBER = 31337
CANARY_TEXT = "canary-7f3a9c"
CANARIES: tuple[Any, ...] = (
    CANARY_NUMBER,
    float(CANARY_NUMBER),
    -CANARY_NUMBER,
    str(CANARY_NUMBER),
    CANARY_TEXT,
)

#: Relative weight of each fuzz category.
WEIGHTS = {
    "huge": 3,
    "empty": 7,
    "binary": 10,
    "script": 14,
    "emoji": 9,
    "bidi": 6,
    "zero_width": 6,
    "injection": 14,
    "structured": 9,
    "lab": 7,
    "number": 7,
    "long_number": 3,
    "wrong_type": 2,
}

#: Environment for servers the fuzzer starts: rate limits that never bite, so the
#: run tests the conversation (the limits have tests of their own).
SERVER_ENV = {
    "RATE_LIMIT_PER_SENDER": "100000/1",
    "RATE_LIMIT_PER_ADDRESS": "100000/1",
}

#: HTTP statuses that are a deliberate refusal (with a JSON body), not an error.
REFUSALS = {429, 413}
#: ... and for a ``message`` that is not a string (a malformed request).
WRONG_TYPE_REFUSALS = {400, 422}


@lru_cache(maxsize=1)
def no_reply_text() -> str | None:
    """The channels' kind message for a turn that produced nothing, if they have
    one (``channels.common.kind_text("no_reply")``)."""
    try:
        from channels.common import kind_text

        return kind_text("no_reply")
    except Exception:  # noqa: BLE001 - older channels have none
        return None


#: Plain messages sent between fuzz when no screening question is pending.
ORDINARY = (
    "hi",
    "Yes",
    "No",
    "what is INR?",
    "Yes, please",
    "Li Wei",
    "138 0013 8000",
    "Skip",
    "weekday mornings",
    "Yes, that's right",
    "why do you ask?",
    "thanks",
)


# --------------------------------------------------------------------------- #
# Generation
# --------------------------------------------------------------------------- #


@dataclass
class Fuzz:
    """One fuzz message: its category and what goes in the ``message`` field."""

    index: int
    category: str
    payload: Any
    injected_intent: str | None = None

    def describe(self, chars: int = 160) -> dict[str, Any]:
        """A short, JSON-safe description (for findings)."""
        if isinstance(self.payload, str):
            raw = self.payload.encode("utf-8", "surrogatepass")
            return {
                "index": self.index,
                "category": self.category,
                "chars": len(self.payload),
                "sha1": hashlib.sha1(raw).hexdigest()[:12],
                "repr": ascii(self.payload[:chars]),
            }
        return {
            "index": self.index,
            "category": self.category,
            "repr": ascii(self.payload)[:chars],
        }


def domain_names() -> dict[str, list[str]]:
    """The intents, slots and entities of ``domain.yml``."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    return {
        "intents": [
            i if isinstance(i, str) else next(iter(i))
            for i in domain.get("intents", [])
        ],
        "slots": list(domain.get("slots", {})),
        "entities": [
            e if isinstance(e, str) else next(iter(e))
            for e in domain.get("entities", [])
        ],
    }


@lru_cache(maxsize=1)
def script_table() -> dict[str, str]:
    """Letters and digits of every script, grouped by their names' first word.

    Python has no Unicode script property; the first word of a character's name
    ("ARABIC", "DEVANAGARI", "CJK", "HANGUL", "LINEAR", ...) is a close stand-in.
    """
    table: dict[str, list[str]] = defaultdict(list)
    for code in range(0x110000):
        char = chr(code)
        if unicodedata.category(char) not in ("Lu", "Ll", "Lt", "Lm", "Lo", "Nd"):
            continue
        name = unicodedata.name(char, "")
        if name:
            table[name.split()[0]].append(char)
    return {key: "".join(chars) for key, chars in sorted(table.items())}


EMOJI = (
    "😀😂🥲😍🤔😭😱👍👎🙏💊🩸🏥🧬🫀🫁❤️🔥✅❌⚠️🚑🤒🤢🤮🥴😵‍💫💉🍺🍷🧪🌡️"
    "🐍🦠👶🤰🫃🧓👩‍⚕️👨‍⚕️🧑‍🦽🏳️‍🌈🏴‍☠️"
)
ZWJ_SEQUENCES = (
    "👨‍👩‍👧‍👦",
    "👩‍❤️‍💋‍👨",
    "🧑‍🤝‍🧑",
    "👁️‍🗨️",
    "🐻‍❄️",
    "❤️‍🩹",
    "🧑🏽‍⚕️",
    "👩🏿‍🔬",
    "🧔🏻‍♂️",
    "👨🏾‍👩🏼‍👧🏽",
)
SKIN_TONES = "\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff"
FLAGS = ("🇨🇳", "🇺🇸", "🇬🇧", "🇮🇳", "🇦🇪", "🇮🇱", "🏴󠁧󠁢󠁥󠁮󠁧󠁿", "🏴󠁧󠁢󠁳󠁣󠁴󠁿")
KEYCAPS = tuple(f"{d}\ufe0f\u20e3" for d in "0123456789#*")
BIDI = (
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200e",
    "\u200f",
    "\u061c",
)
ZERO_WIDTH = (
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00ad",
    "\u180e",
    "\u034f",
    "\u115f",
    "\u3164",
)
WHITESPACE = (
    " ",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "\x0b",
    "\x0c",
    "\u00a0",
    "\u1680",
    "\u2000",
    "\u2003",
    "\u2007",
    "\u200a",
    "\u2028",
    "\u2029",
    "\u202f",
    "\u205f",
    "\u3000",
    "\x85",
)
BASE_ANSWERS = (
    "45",
    "yes",
    "no",
    "I'm 45",
    "bilirubin 171 umol/L",
    "1.8",
    "35%",
    "For myself",
    "Yes, go ahead",
    "never",
    "Male",
    "hi",
    "stop",
    "نعم",
    "לא",
    "是的",
    "45 سنة",
)
STRUCTURED = (
    '{"intent": "affirm"}',
    '{"sender": "other", "message": "hi"}',
    '{"age": 31337}',
    '[1, 2, {"a": null}]',
    "null",
    "true",
    '{"__proto__": {}}',
    "age: 45\nconsent: yes\n",
    "- !!python/object/apply:os.system ['id']",
    "--- &a [*a]",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<b>45</b>",
    "<!-- -->yes",
    "'; DROP TABLE events; --",
    "' OR '1'='1",
    "1; SELECT * FROM answers",
    '" OR 1=1 --',
    "{{7*7}}",
    "${7*7}",
    "#{7*7}",
    "${jndi:ldap://127.0.0.1/a}",
    "%s%s%s%n",
    "{0.__class__}",
    "../../etc/passwd",
    "file:///etc/passwd",
    "[link](javascript:alert(1))",
    "**yes**",
    "`45`",
    "\\u0000\\x00",
    "&#x2F;affirm",
    "%2Faffirm",
    "\u2028/affirm",
)
LAB_NAMES = (
    "bilirubin",
    "Bilirubin",
    "TBil",
    "total bilirubin",
    "INR",
    "inr",
    "PTA",
    "prothrombin activity",
    "platelets",
    "PLT",
    "Child-Pugh",
    "child pugh score",
    "胆红素",
    "血小板",
    "albumin",
    "creatinine",
    "",
)
UNITS = (
    "umol/L",
    "µmol/L",
    "μmol/l",
    "mg/dL",
    "mg/dl",
    "g/L",
    "×10^9/L",
    "x10⁹/L",
    "10^3/µL",
    "/mm3",
    "%",
    "‰",
    "mmol/L",
    "IU/L",
    "sec",
    "ratio",
    "furlongs",
    "°C",
    "μg/mL",
    "lakh",
    "万",
    "",
    " ",
    "/",
    "umol/L/L",
)
DIGIT_SETS = (
    "０１２３４５６７８９",
    "٠١٢٣٤٥٦٧٨٩",
    "۰۱۲۳۴۵۶۷۸۹",
    "०१२३४५६७८९",
    "০১২৩৪৫৬৭৮৯",
    "๐๑๒๓๔๕๖๗๘๙",
    "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗",
    "⁰¹²³⁴⁵⁶⁷⁸⁹",
    "₀₁₂₃₄₅₆₇₈₉",
)
WRONG_TYPES: tuple[Any, ...] = (
    None,
    0,
    45,
    4.5,
    -1,
    True,
    False,
    [],
    ["hi"],
    {},
    {"text": "hi"},
    1e308,
)
#: Ways to start a command. Rasa strips every Unicode space before it looks for
#: the "/", so "/", a space the guard might keep, "/" is among them.
INJECTION_PREFIXES = (
    "/",
    "/",
    "/",
    " /",
    "\n/",
    "//",
    "／",
    "∕",
    "⁄",
    "\u200b/",
    "\ufeff/",
    "\u202e/",
    "\t/",
    "/ ",
    "/\u3000/",
    "/\u00a0/",
    "/\u2028/",
    "/ \u2003 /",
    "／\u205f/",
    "\u3000/\u3000",
)
FAKE_INTENTS = (
    "consent",
    "restart",
    "session_start",
    "EXTERNAL_reminder",
    "action_submit",
    "nlu_fallback",
    "inform ",
    "INFORM",
)


def _roman(n: int) -> str:
    numerals = (
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    )
    out = []
    for value, numeral in numerals:
        count, n = divmod(n, value)
        out.append(numeral * count)
    return "".join(out) or "N"


def _number_forms(value: int | float, form: int, digits: str) -> str:
    """One of many ways people (and machines) write a number."""
    if isinstance(value, float):
        if form % 4 == 0:
            return repr(value)
        if form % 4 == 1:
            return f"{value:e}"
        if form % 4 == 2:
            return f"{value:,.3f}" if value == value and abs(value) < 1e300 else "NaN"
        return str(value).replace(".", ",")
    forms: list[Callable[[int], str]] = [
        str,
        lambda v: f"{v:,}",
        lambda v: f"{v:_}",
        hex,
        oct,
        bin,
        lambda v: _roman(abs(v) % 4000),
        lambda v: str(v).translate(str.maketrans("0123456789", digits)),
        lambda v: f"{v:e}",
        lambda v: f"~{v}",
        lambda v: f">{v}",
        lambda v: f"{v}-{v + 5}",
        lambda v: f"{v}.",
        lambda v: f".{abs(v)}",
        lambda v: " ".join(str(v)),
        lambda v: f"{v}½",
        lambda v: f"{abs(v)}/{abs(v) + 1}",
        lambda v: f"{v} years",
        lambda v: f"-{abs(v)}",
        lambda v: f"{v:,}".replace(",", "."),
    ]
    return forms[form % len(forms)](value)


def strategies(names: dict[str, list[str]]) -> dict[str, Any]:
    """One Hypothesis strategy per category, each giving ``(payload, intent)``."""
    from hypothesis import strategies as st

    scripts = script_table()
    groups = list(scripts)
    plain = st.tuples(st.just(None))

    def tagged(strategy: Any) -> Any:
        return strategy.map(lambda text: (text, None))

    def huge(args: tuple[int, str, int]) -> str:
        length, unit, cut = args
        text = (unit * (length // max(len(unit), 1) + 1))[:length]
        return text[: max(len(text) - cut, 0)]

    huge_units = st.sampled_from(
        [
            "a",
            "yes ",
            "45 ",
            "😀",
            "👨‍👩‍👧‍👦",
            "\u202e45",
            "我不知道",
            "\x00",
            '/inform{"age": 31337}',
            "\u200b",
            "<b>",
            "9",
            "🇨🇳",
            "ab\u0301",
        ]
    )
    huge_lengths = st.sampled_from([1_000, 5_000, 20_000, 50_000, 99_999, 100_000])

    def decode(args: tuple[bytes, str]) -> str:
        raw, how = args
        if how == "surrogateescape":
            return raw.decode("utf-8", "surrogateescape")
        if how == "utf-16":
            return (
                raw.decode("utf-16-le", "surrogatepass")
                if len(raw) % 2 == 0
                else raw.decode("latin-1")
            )
        return raw.decode(how, "replace")

    binary = st.one_of(
        st.tuples(
            st.binary(max_size=400),
            st.sampled_from(
                ["surrogateescape", "latin-1", "utf-8", "utf-16", "cp1252"]
            ),
        ).map(decode),
        st.text(
            alphabet=st.characters(categories=["Cc", "Cf", "Cs", "Co", "Cn"]),
            max_size=200,
        ),
        st.text(
            alphabet=st.sampled_from(
                "\x00\x01\x07\x08\x1b\x7f\x9b\ufffd\ufffe\uffff45yes"
            ),
            max_size=100,
        ),
    )

    def script_text(args: tuple[int, list[int], str]) -> str:
        group, picks, joiner = args
        chars = scripts[groups[group % len(groups)]]
        words = [
            "".join(chars[(p + k) % len(chars)] for k in range(1 + p % 7))
            for p in picks
        ]
        return joiner.join(words)

    script = st.tuples(
        st.integers(0, len(groups) - 1),
        st.lists(st.integers(0, 2**20), min_size=1, max_size=12),
        st.sampled_from([" ", "", "\n", "، ", "。"]),
    ).map(script_text)

    emoji_unit = st.one_of(
        st.sampled_from(list(EMOJI)),
        st.sampled_from(ZWJ_SEQUENCES),
        st.sampled_from(FLAGS),
        st.sampled_from(KEYCAPS),
        st.tuples(st.sampled_from("👍👋🤰🧑👩🙏💪"), st.sampled_from(SKIN_TONES)).map(
            "".join
        ),
        st.integers(0x1F300, 0x1FAFF).map(chr),
        st.sampled_from(["\ufe0f", "\u200d", "\u20e3", "\U000e0067"]),
    )
    emoji = st.tuples(
        st.lists(emoji_unit, min_size=1, max_size=300),
        st.sampled_from(["", "", " ", "yes ", "45 "]),
    ).map(lambda args: args[1] + "".join(args[0]))

    def sprinkle(args: tuple[str, list[str], list[int]]) -> str:
        base, inserts, places = args
        out = list(base)
        for insert, place in zip(inserts, places, strict=False):
            out.insert(place % (len(out) + 1), insert)
        return "".join(out)

    def inserted(alphabet: tuple[str, ...]) -> Any:
        return st.tuples(
            st.sampled_from(BASE_ANSWERS),
            st.lists(st.sampled_from(alphabet), min_size=1, max_size=20),
            st.lists(st.integers(0, 100), min_size=20, max_size=20),
        ).map(sprinkle)

    slot_keys = sorted(set(names["slots"]) | set(names["entities"]))

    def inject(args: tuple[str, str, dict | None, str, str]) -> tuple[str, str]:
        prefix, intent, values, confidence, tail = args
        body = json.dumps(values, ensure_ascii=False) if values else ""
        return f"{prefix}{intent}{confidence}{body}{tail}", intent.strip()

    injection = st.tuples(
        st.sampled_from(INJECTION_PREFIXES),
        st.one_of(st.sampled_from(names["intents"]), st.sampled_from(FAKE_INTENTS)),
        st.one_of(
            st.none(),
            st.dictionaries(
                st.sampled_from(slot_keys),
                st.sampled_from(CANARIES),
                min_size=1,
                max_size=3,
            ),
        ),
        st.sampled_from(["", "", "@1.0", "@0.99", "@1e9"]),
        st.sampled_from(["", "", " please", "\n45", "}"]),
    ).map(inject)

    json_values = st.recursive(
        st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=8), children, max_size=4)
        ),
        max_leaves=12,
    )
    structured = st.one_of(
        st.sampled_from(STRUCTURED),
        json_values.map(lambda v: json.dumps(v)),
        json_values.map(lambda v: yaml.safe_dump(v, allow_unicode=True)),
        st.tuples(st.sampled_from(STRUCTURED), st.sampled_from(BASE_ANSWERS)).map(
            lambda args: f"{args[1]} {args[0]}"
        ),
    )

    anything_numeric = st.one_of(
        st.integers(-(10**6), 10**6),
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(-(2**80), 2**80),
    )
    lab = st.tuples(
        st.sampled_from(LAB_NAMES),
        anything_numeric,
        st.sampled_from(UNITS),
        st.integers(0, 40),
        st.sampled_from(DIGIT_SETS),
        st.sampled_from(
            [
                "{n} {v} {u}",
                "{n}: {v}{u}",
                "{v}{u}",
                "{n}={v} {u}; {n} {v}",
                "{u} {v} {n}",
                "{n} {v} {u} (ref 5-21 {u})",
            ]
        ),
    ).map(lambda a: a[5].format(n=a[0], v=_number_forms(a[1], a[3], a[4]), u=a[2]))
    number = (
        st.tuples(anything_numeric, st.integers(0, 40), st.sampled_from(DIGIT_SETS))
        .map(lambda a: _number_forms(*a))
        .filter(lambda s: str(CANARY_NUMBER) not in s)
    )

    def long_number(args: tuple[int, int, str]) -> str:
        length, seed, shape = args
        digits = "".join(str((seed * 7 + i * i) % 10) for i in range(length))
        return shape.format(d=digits)

    long_numbers = (
        st.tuples(
            st.integers(30, 20_000),
            st.integers(0, 10**6),
            st.sampled_from(
                [
                    "{d}",
                    "-{d}",
                    "0.{d}",
                    "1e{d}",
                    "{d}%",
                    "age {d}",
                    "bilirubin {d} umol/L",
                    "{d}.{d}",
                    "9" * 4301,
                ]
            ),
        )
        .map(long_number)
        .filter(lambda s: str(CANARY_NUMBER) not in s)
    )

    empty = st.one_of(
        st.just(""),
        st.lists(st.sampled_from(WHITESPACE), min_size=1, max_size=30).map("".join),
    )

    return {
        "huge": tagged(
            st.tuples(huge_lengths, huge_units, st.integers(0, 3)).map(huge)
        ),
        "empty": tagged(empty),
        "binary": tagged(binary),
        "script": tagged(script),
        "emoji": tagged(emoji),
        "bidi": tagged(inserted(BIDI)),
        "zero_width": tagged(inserted(ZERO_WIDTH)),
        "injection": injection,
        "structured": tagged(structured),
        "lab": tagged(lab),
        "number": tagged(number),
        "long_number": tagged(long_numbers),
        "wrong_type": tagged(st.sampled_from(WRONG_TYPES)),
        "_plain": plain,
    }


def draw(strategy: Any, count: int, seed: int) -> list[Any]:
    """``count`` examples of a strategy, reproducibly (Hypothesis under a seed).

    Hypothesis may stop early when a small strategy is exhausted; the caller cycles.
    """
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed

    found: list[Any] = []

    @settings(
        max_examples=max(count, 1),
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hseed(seed)
    @given(strategy)
    def collect(value: Any) -> None:
        found.append(value)

    collect()
    return found[:count]


def generate(
    count: int, seed: int, weights: dict[str, int] | None = None
) -> list[Fuzz]:
    """``count`` fuzz messages, categories in proportion to ``weights``."""
    weights = weights or WEIGHTS
    rng = random.Random(seed)
    total = sum(weights.values())
    quota = {c: count * w // total for c, w in weights.items()}
    for category in rng.sample(list(weights), len(weights)):
        if sum(quota.values()) >= count:
            break
        quota[category] += 1
    makers = strategies(domain_names())
    messages: list[Fuzz] = []
    for offset, (category, wanted) in enumerate(sorted(quota.items())):
        if not wanted:
            continue
        pool = draw(makers[category], wanted, seed * 1000 + offset)
        if not pool:
            raise RuntimeError(f"Hypothesis drew nothing for {category}")
        if category == "script":  # every script in turn, not a random few
            groups = list(script_table())
            pool = [
                (_retarget(p, i, groups), None)
                for i, (p, _) in enumerate(pool * (wanted // len(pool) + 1))
            ]
        for i in range(wanted):
            payload, intent = pool[i % len(pool)]
            messages.append(Fuzz(0, category, payload, intent))
    rng.shuffle(messages)
    for index, message in enumerate(messages):
        message.index = index
    return messages


def _retarget(text: str, i: int, groups: list[str]) -> str:
    """Map a drawn script text's characters onto script group ``i`` (cycled)."""
    chars = script_table()[groups[i % len(groups)]]
    return "".join(
        ch if ch in " \n،。" else chars[ord(ch) * 31 % len(chars)] for ch in text
    )


# --------------------------------------------------------------------------- #
# Conversations
# --------------------------------------------------------------------------- #

VALID = "valid"


@dataclass
class Plan:
    """One sender's conversation: fuzz before the opening, then fuzz and answers."""

    sender: str
    channel: str
    cold: list[Fuzz]
    respondent: str
    script: str
    steps: list[Fuzz | str]
    #: Answer the whole screening first, then fuzz the contact questions.
    late: bool = False

    @property
    def fuzz_count(self) -> int:
        return len(self.cold) + sum(isinstance(s, Fuzz) for s in self.steps)


def plan(
    messages: list[Fuzz],
    seed: int,
    *,
    per_sender: tuple[int, int] = (8, 40),
    valid_share: float = 0.3,
) -> list[Plan]:
    """Cut the messages into conversations, half the messages on each channel."""
    rng = random.Random(seed + 1)
    plans: list[Plan] = []
    sent = {"rest": 0, "socketio": 0}
    at = 0
    while at < len(messages):
        size = rng.randint(*per_sender)
        chunk = messages[at : at + size]
        at += size
        channel = min(sent, key=lambda c: (sent[c], c))
        sent[channel] += len(chunk)
        cold_count = rng.randint(1, 3) if rng.random() < 0.2 else 0
        steps: list[Fuzz | str] = []
        for message in chunk[cold_count:]:
            steps.append(message)
            if rng.random() < valid_share:
                steps.append(VALID)
        plans.append(
            Plan(
                sender=f"fuzz-{seed}-{len(plans):05d}",
                channel=channel,
                cold=chunk[:cold_count],
                respondent=rng.choice(["For myself", "For myself", "For someone else"]),
                script=rng.choice(["likely", "likely", "review", "excluded"]),
                steps=steps,
            )
        )
        if not cold_count and rng.random() < 0.15:
            plans[-1].late, plans[-1].script = True, "likely"
    return plans


@dataclass
class Result:
    """What happened to one message."""

    sender: str
    channel: str
    kind: str  # fuzz | valid | opening
    category: str
    status: str
    seconds: float
    replies: int
    in_form: bool
    fuzz: Fuzz | None = None
    detail: str = ""


#: Statuses that are a handled answer: a reply, no reply (a finding, counted), the
#: channels' "something went wrong" message (a finding, counted), a refusal.
HANDLED = {"ok", "empty", "no_reply_message"} | {
    f"refused_{code}" for code in REFUSALS | WRONG_TYPE_REFUSALS
}


def reply_status(replies: list[dict]) -> str:
    """``ok``, ``empty``, or ``no_reply_message`` (only the kind apology)."""
    if not replies:
        return "empty"
    apology = no_reply_text()
    if apology and all(r.get("text") == apology for r in replies):
        return "no_reply_message"
    return "ok"


def classify_http(
    status: int, body: bytes, *, wrong_type: bool = False
) -> tuple[str, list[dict]]:
    """The status of one REST answer, and its replies.

    200 must hold a JSON list of objects. 429 and 413 with a JSON body are
    refusals, as are 400 and 422 for a ``message`` of the wrong JSON type.
    Anything else is ``http_<status>`` (a failure).
    """
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = None
    if status == 200:
        if not isinstance(parsed, list) or not all(isinstance(r, dict) for r in parsed):
            return "bad_body", []
        return reply_status(parsed), parsed
    refusals = REFUSALS | (WRONG_TYPE_REFUSALS if wrong_type else set())
    if status in refusals and parsed is not None:
        return f"refused_{status}", []
    return f"http_{status}", []


def _browser_json() -> Any:
    """A json module for socket.io that encodes as a browser does: UTF-8 as is,
    lone surrogates escaped (``JSON.stringify``)."""
    lone = re.compile("[\ud800-\udfff]")

    def dumps(obj: Any, **kwargs: Any) -> str:
        kwargs["ensure_ascii"] = False
        text = json.dumps(obj, **kwargs)
        return lone.sub(lambda m: f"\\u{ord(m.group()):04x}", text)

    return types.SimpleNamespace(dumps=dumps, loads=json.loads)


class Tracker:
    """Read-only access to the SQLite tracker store (``events`` table)."""

    def __init__(self, path: Path | None):
        self.path = path

    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        assert self.path is not None
        connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        try:
            return connection.execute(sql, args).fetchall()
        finally:
            connection.close()

    def turn_state(self, sender: str) -> tuple[int, str | None]:
        """How many user events the sender has, and the type of the last event."""
        if self.path is None or not self.path.exists():
            return 0, None
        try:
            users = self._query(
                "SELECT count(*) FROM events WHERE sender_id = ? AND "
                "type_name = 'user'",
                (sender,),
            )[0][0]
            last = self._query(
                "SELECT type_name, action_name FROM events WHERE "
                "sender_id = ? ORDER BY id DESC LIMIT 1",
                (sender,),
            )
        except sqlite3.Error:
            return 0, None
        if not last:
            return users, None
        kind, action = last[0]
        return users, f"{kind}:{action}" if action else kind

    def events(self) -> Iterable[tuple[str, str, dict]]:
        """Every event: sender id, type name, data."""
        for sender, kind, data in self._query(
            "SELECT sender_id, type_name, data FROM events ORDER BY id"
        ):
            try:
                yield sender, kind, json.loads(data)
            except (TypeError, ValueError):
                yield sender, kind, {}


class Conversation:
    """One sender on one channel."""

    def __init__(self, runner: Runner, plan: Plan):
        self.runner = runner
        self.plan = plan
        self.sio: Any = None
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.session_id = hashlib.sha1(plan.sender.encode()).hexdigest()[:32]
        self.sent = 0

    @property
    def key(self) -> str:
        """The tracker's sender id."""
        return self.plan.sender if self.plan.channel == "rest" else self.session_id

    async def _connect(self) -> None:
        import socketio

        client = socketio.AsyncClient(reconnection=False, json=_browser_json())
        confirmed = asyncio.Event()

        @client.on("bot_uttered")
        async def on_bot(data: Any) -> None:
            self.inbox.put_nowait(data if isinstance(data, dict) else {"text": data})

        @client.on("session_confirm")
        async def on_confirm(data: Any) -> None:
            confirmed.set()

        await client.connect(
            self.runner.url,
            socketio_path="/socket.io",
            transports=self.runner.transports,
            wait_timeout=30,
        )
        await client.emit("session_request", {"session_id": self.session_id})
        await asyncio.wait_for(confirmed.wait(), 30)
        self.sio = client

    async def close(self) -> None:
        if self.sio is not None:
            await self.sio.disconnect()
            self.sio = None

    async def say(
        self, payload: Any, wrong_type: bool = False
    ) -> tuple[str, list[dict], str]:
        """Send one message; the status, the replies and a detail."""
        if self.plan.channel == "rest":
            return await self._say_rest(payload, wrong_type)
        return await self._say_sio(payload)

    async def _say_rest(
        self, payload: Any, wrong_type: bool
    ) -> tuple[str, list[dict], str]:
        import aiohttp

        body = json.dumps({"sender": self.plan.sender, "message": payload})
        try:
            async with self.runner.http.post(
                f"{self.runner.url}/webhooks/rest/webhook",
                data=body.encode(),
                headers={"Content-Type": "application/json"},
                timeout=aiohttp.ClientTimeout(total=self.runner.timeout),
            ) as response:
                raw = await response.read()
                status, replies = classify_http(
                    response.status, raw, wrong_type=wrong_type
                )
                return (
                    status,
                    replies,
                    "" if status in HANDLED else raw[:300].decode("utf-8", "replace"),
                )
        except asyncio.TimeoutError:
            return "timeout", [], f"no answer in {self.runner.timeout}s"
        except aiohttp.ClientError as exc:
            return "transport_error", [], f"{type(exc).__name__}: {exc}"

    async def _say_sio(self, payload: Any) -> tuple[str, list[dict], str]:
        detail = ""
        while not self.inbox.empty():  # replies that came after the quiet period
            self.inbox.get_nowait()
            self.runner.late_replies += 1
        if self.sio is None or not self.sio.connected:
            if self.sio is not None:
                detail = "reconnected after the server closed the socket; "
                self.runner.reconnects += 1
            try:
                await self._connect()
            except Exception as exc:  # noqa: BLE001 - any failure is a finding
                self.sio = None
                return "transport_error", [], f"connect: {type(exc).__name__}: {exc}"
        users_before, _ = await asyncio.to_thread(
            self.runner.tracker.turn_state, self.key
        )
        try:
            await self.sio.emit(
                "user_uttered", {"message": payload, "session_id": self.session_id}
            )
        except Exception as exc:  # noqa: BLE001
            return "transport_error", [], f"emit: {type(exc).__name__}: {exc}"
        replies: list[dict] = []
        deadline = time.monotonic() + self.runner.timeout
        while not replies:
            try:
                replies.append(await asyncio.wait_for(self.inbox.get(), 2.0))
            except asyncio.TimeoutError:
                if not self.sio.connected:
                    return "disconnected", [], detail + "socket closed by the server"
                users, last = await asyncio.to_thread(
                    self.runner.tracker.turn_state, self.key
                )
                if users > users_before and last == "action:action_listen":
                    try:  # the turn is over; anything still in flight?
                        replies.append(await asyncio.wait_for(self.inbox.get(), 1.5))
                    except asyncio.TimeoutError:
                        return "empty", [], detail + "turn completed, nothing said"
                elif time.monotonic() > deadline:
                    return (
                        "no_reply",
                        [],
                        detail
                        + (
                            f"no bot_uttered in {self.runner.timeout}s "
                            f"(tracker: {users - users_before} new user events, last "
                            f"{last})"
                        ),
                    )
        while True:  # a turn may be several messages
            try:
                replies.append(
                    await asyncio.wait_for(self.inbox.get(), self.runner.quiet)
                )
            except asyncio.TimeoutError:
                break
        return reply_status(replies), replies, detail

    async def run(self) -> None:
        """Play the plan."""
        answers = SCRIPTS[self.plan.script]
        rng = random.Random(self.plan.sender)
        last: list[dict] = []
        try:
            for fuzz in self.plan.cold:
                last = await self.turn("fuzz", fuzz.payload, fuzz, last)
            for text, _ in OPENING:
                last = await self.turn("opening", text, None, last)
            last = await self.turn("opening", self.plan.respondent, None, last)
            for _ in range(40 if self.plan.late else 0):
                fact = asked_fact(last)
                if fact is None:  # the result: agree to share contact details
                    last = await self.turn("valid", "Yes, please", None, last)
                    break
                last = await self.turn("valid", answers[fact], None, last)
            for step in self.plan.steps:
                if self.runner.out_of_time():
                    break
                if isinstance(step, Fuzz):
                    last = await self.turn("fuzz", step.payload, step, last)
                else:
                    fact = asked_fact(last)
                    text = answers[fact] if fact else rng.choice(ORDINARY)
                    last = await self.turn("valid", text, None, last)
        finally:
            if self.sio is not None:
                try:
                    await self.close()
                except Exception:  # noqa: BLE001 - closing is best effort
                    pass

    async def turn(
        self, kind: str, payload: Any, fuzz: Fuzz | None, last: list[dict]
    ) -> list[dict]:
        in_form = asked_fact(last) is not None
        started = time.monotonic()
        status, replies, detail = await self.say(
            payload, wrong_type=bool(fuzz and fuzz.category == "wrong_type")
        )
        self.sent += 1
        self.runner.record(
            Result(
                sender=self.key,
                channel=self.plan.channel,
                kind=kind,
                category=fuzz.category if fuzz else kind,
                status=status,
                seconds=time.monotonic() - started,
                replies=len(replies),
                in_form=in_form,
                fuzz=fuzz,
                detail=detail,
            )
        )
        # After a failed or silent turn the question asked before still stands.
        return replies if replies else last


class Runner:
    """Plays the plans against one Rasa server, a few conversations at a time."""

    def __init__(
        self,
        url: str,
        tracker: Tracker,
        *,
        concurrency: int = 4,
        timeout: float = 120,
        quiet: float = 0.6,
        progress: Callable[[int], None] | None = None,
        max_seconds: float | None = None,
    ):
        self.url = url.rstrip("/")
        self.tracker = tracker
        self.concurrency = concurrency
        self.timeout = timeout
        self.quiet = quiet
        self.results: list[Result] = []
        self.late_replies = 0
        self.reconnects = 0
        self.progress = progress
        self.deadline = time.monotonic() + max_seconds if max_seconds else None
        self.http: Any = None
        #: engine.io's websocket client needs aiohttp >= 3.10 (ClientWSTimeout);
        #: Rasa 3.6 pins 3.9, so the fuzzer uses long polling.
        self.transports = ["polling"]
        self.sent_per_key: dict[str, int] = {}

    def out_of_time(self) -> bool:
        """Whether the time budget (``max_seconds``) is spent."""
        return self.deadline is not None and time.monotonic() > self.deadline

    def record(self, result: Result) -> None:
        self.results.append(result)
        if self.progress:
            self.progress(len(self.results))

    async def run(self, plans: list[Plan]) -> None:
        import aiohttp

        queue: asyncio.Queue = asyncio.Queue()
        for item in plans:
            queue.put_nowait(item)

        async def worker() -> None:
            while not queue.empty() and not self.out_of_time():
                conversation = Conversation(self, queue.get_nowait())
                await conversation.run()
                self.sent_per_key[conversation.key] = conversation.sent

        connector = aiohttp.TCPConnector(limit=self.concurrency * 2)
        async with aiohttp.ClientSession(connector=connector) as self.http:
            await asyncio.gather(*(worker() for _ in range(self.concurrency)))


# --------------------------------------------------------------------------- #
# Checks after the run
# --------------------------------------------------------------------------- #

_NUMBERS = re.compile(r"0x[0-9a-f]+|\d+")


def _normalise(text: str, chars: int = 140) -> str:
    return _NUMBERS.sub("N", text.strip())[:chars]


def scan_log(text: str) -> dict[str, Any]:
    """``Traceback`` blocks and `` ERROR `` lines of a log, by category."""
    lines = text.splitlines()
    tracebacks: Counter = Counter()
    errors: Counter = Counter()
    warnings: Counter = Counter()
    samples: dict[str, str] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("Traceback (most recent call last)"):
            start = i
            i += 1
            while i < len(lines) and (
                lines[i].startswith((" ", "\t")) or not lines[i].strip()
            ):
                i += 1
            final = lines[i] if i < len(lines) else "(truncated)"
            key = _normalise(final)
            tracebacks[key] += 1
            samples.setdefault(key, "\n".join(lines[start : i + 1])[-3000:])
            continue
        if " ERROR " in line:
            match = re.search(r" ERROR\s+(.*)$", line)
            key = _normalise(match.group(1) if match else line)
            errors[key] += 1
            samples.setdefault(key, line[:1000])
        elif "WARNING" in line or "Warning:" in line:
            warnings[_normalise(line.split("WARNING")[-1], 100)] += 1
        i += 1
    return {
        "tracebacks": dict(tracebacks),
        "errors": dict(errors),
        "warnings": dict(warnings.most_common(15)),
        "samples": samples,
    }


def _leaves(value: Any) -> Iterable[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def is_canary(value: Any) -> bool:
    """Whether a stored value is (exactly) one of the canaries."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, (int, float)):
        return abs(value) == CANARY_NUMBER
    if isinstance(value, str):
        return value.strip().lower() in (
            str(CANARY_NUMBER),
            CANARY_TEXT,
            f"{CANARY_NUMBER}.0",
            f"-{CANARY_NUMBER}",
        )
    return False


_SLASHES = "/／∕⁄"


def regex_parsed(data: dict) -> str | None:
    """Why a user event looks parsed by Rasa's RegexMessageHandler, or None."""
    parse = data.get("parse_data") or {}
    entities = parse.get("entities") or []
    if any(
        isinstance(e, dict) and e.get("extractor") == "RegexMessageHandler"
        for e in entities
    ):
        return "an entity from RegexMessageHandler"
    intent = (parse.get("intent") or {}).get("name")
    ranking = parse.get("intent_ranking") or []
    text = parse.get("text") if isinstance(parse.get("text"), str) else ""
    if intent and len(ranking) == 1 and text.strip().startswith(tuple(_SLASHES)):
        return f"intent {intent!r} from the command syntax {text[:60]!r}"
    return None


def check_tracker(tracker: Tracker) -> dict[str, Any]:
    """Injection and canary checks over every event; user events per sender."""
    injected: list[dict] = []
    canary_slots: list[dict] = []
    users: Counter = Counter()
    slot_names: Counter = Counter()
    for sender, kind, data in tracker.events():
        if kind == "user":
            users[sender] += 1
            why = regex_parsed(data)
            if why:
                injected.append(
                    {
                        "sender": sender,
                        "why": why,
                        "text": ascii((data.get("text") or "")[:120]),
                    }
                )
        elif kind == "slot":
            if any(is_canary(v) for v in _leaves(data.get("value"))):
                canary_slots.append(
                    {
                        "sender": sender,
                        "slot": data.get("name"),
                        "value": ascii(data.get("value"))[:200],
                    }
                )
            slot_names[data.get("name")] += 1
    return {
        "injected": injected,
        "canary_slots": canary_slots,
        "user_events": users,
        "slot_events": dict(slot_names),
    }


def check_app_db(env: dict[str, str]) -> dict[str, Any]:
    """Canaries among the stored answers, screenings and referrals."""
    from sqlalchemy import select

    from bot.settings import load_contact_key, load_settings
    from bot.store.db import make_engine, session_scope
    from bot.store.models import Answer, Referral, Screening

    settings = load_settings(env)
    engine = make_engine(settings.database_url, contact_key=load_contact_key(settings))
    found: list[dict] = []
    counts: dict[str, int] = {}
    try:
        from sqlalchemy import inspect

        if not inspect(engine).has_table("answers"):  # nothing recorded yet
            return {"canaries": [], "counts": {"answers": 0}}
        with session_scope(engine) as session:
            answers = session.execute(select(Answer)).scalars().all()
            counts["answers"] = len(answers)
            for answer in answers:
                if any(is_canary(v) for v in _leaves(answer.normalized)):
                    found.append(
                        {
                            "table": "answers",
                            "fact": answer.fact_id,
                            "normalized": ascii(answer.normalized)[:200],
                            "as_given": ascii(answer.as_given or "")[:200],
                        }
                    )
            screenings = session.execute(select(Screening)).scalars().all()
            counts["screenings"] = len(screenings)
            counts["outcomes"] = dict(Counter(s.outcome for s in screenings))
            for screening in screenings:
                for column in ("respondent", "relation", "outcome"):
                    if is_canary(getattr(screening, column)):
                        found.append({"table": "screenings", "column": column})
            referrals = session.execute(select(Referral)).scalars().all()
            counts["referrals"] = len(referrals)
            for referral in referrals:
                for column in ("contact_name", "contact_phone", "contact_email"):
                    if is_canary(getattr(referral, column, None)):
                        found.append({"table": "referrals", "column": column})
    finally:
        engine.dispose()
    return {"canaries": found, "counts": counts}


@dataclass
class Report:
    """Everything the run saw; :meth:`failures` decides the exit status."""

    messages: int
    seed: int
    duration: float = 0.0
    results: list[Result] = field(default_factory=list)
    logs: dict[str, Any] = field(default_factory=dict)
    tracker: dict[str, Any] | None = None
    app_db: dict[str, Any] | None = None
    health: dict[str, Any] = field(default_factory=dict)
    late_replies: int = 0
    reconnects: int = 0
    sent_per_key: dict[str, int] = field(default_factory=dict)
    scripts_covered: int = 0

    def failures(self) -> list[str]:
        """Why the run failed (empty when it passed)."""
        out = []
        bad = Counter(
            (r.channel, r.status) for r in self.results if r.status not in HANDLED
        )
        for (channel, status), count in sorted(bad.items()):
            out.append(f"{count} {channel} message(s) ended in {status}")
        for name, found in self.logs.items():
            for kind in ("tracebacks", "errors"):
                if found.get(kind):
                    out.append(f"{sum(found[kind].values())} {kind} in the {name} log")
        for name, fine in self.health.items():
            if fine is not True:
                out.append(f"after the run: {name}: {fine}")
        if self.tracker is None:
            out.append("tracker store not checked (no SQLite tracker given)")
        else:
            if self.tracker["injected"]:
                out.append(
                    f"{len(self.tracker['injected'])} user event(s) parsed "
                    "as an injected intent"
                )
            if self.tracker["canary_slots"]:
                out.append(
                    f"{len(self.tracker['canary_slots'])} slot event(s) "
                    "with a canary value"
                )
            missing = self.unrecorded()
            if missing:
                out.append(
                    f"{len(missing)} socket.io conversation(s) with fewer user "
                    "events in the tracker than messages sent"
                )
        if self.app_db is None:
            out.append("application database not checked")
        elif self.app_db["canaries"]:
            out.append(f"{len(self.app_db['canaries'])} canary value(s) stored")
        fuzz = sum(r.kind == "fuzz" for r in self.results)
        if fuzz < self.messages:
            out.append(f"only {fuzz} of {self.messages} fuzz messages were sent")
        return out

    def unrecorded(self) -> dict[str, list[int]]:
        """socket.io senders whose tracker holds fewer user events than were sent."""
        if self.tracker is None:
            return {}
        users = self.tracker["user_events"]
        channel_of = {r.sender: r.channel for r in self.results}
        return {
            key: [sent, users.get(key, 0)]
            for key, sent in self.sent_per_key.items()
            if channel_of.get(key) == "socketio" and users.get(key, 0) < sent
        }

    def summary(self) -> dict[str, Any]:
        """The JSON summary (``results/fuzz/summary.json``)."""
        by = defaultdict(Counter)
        latency: dict[str, list[float]] = defaultdict(list)
        in_form = Counter()
        for r in self.results:
            by[f"{r.channel}/{r.category}"][r.status] += 1
            latency[r.channel].append(r.seconds)
            if r.kind == "fuzz":
                in_form["in_form" if r.in_form else "outside_form"] += 1
        findings = [
            {
                **r.fuzz.describe(),
                "channel": r.channel,
                "status": r.status,
                "detail": r.detail[:300],
            }
            if r.fuzz
            else {
                "kind": r.kind,
                "channel": r.channel,
                "status": r.status,
                "detail": r.detail[:300],
            }
            for r in self.results
            if r.status != "ok"
        ]
        empties = Counter(
            f"{r.channel}/{r.category}" for r in self.results if r.status == "empty"
        )
        total = len(self.results)
        fuzz = sum(r.kind == "fuzz" for r in self.results)
        tracker = None
        if self.tracker is not None:
            tracker = {k: v for k, v in self.tracker.items() if k != "user_events"}
            tracker["unrecorded_socketio"] = self.unrecorded()
        return {
            "passed": not self.failures(),
            "failures": self.failures(),
            "seed": self.seed,
            "fuzz_messages": fuzz,
            "messages_total": total,
            "by_kind": dict(Counter(r.kind for r in self.results)),
            "by_channel": dict(Counter(r.channel for r in self.results)),
            "fuzz_by_category": dict(
                Counter(r.category for r in self.results if r.kind == "fuzz")
            ),
            "fuzz_landing": dict(in_form),
            "scripts_covered": self.scripts_covered,
            "senders": len({r.sender for r in self.results}),
            "statuses": dict(Counter(r.status for r in self.results)),
            "by_channel_category": {k: dict(v) for k, v in sorted(by.items())},
            "empty_replies": {"total": sum(empties.values()), **dict(empties)},
            "late_socketio_replies": self.late_replies,
            "socketio_reconnects": self.reconnects,
            "latency_seconds": {
                channel: _percentiles(values) for channel, values in latency.items()
            },
            "duration_seconds": round(self.duration, 1),
            "messages_per_second": round(total / self.duration, 2)
            if self.duration
            else None,
            "health_after": self.health,
            "logs": self.logs,
            "tracker": tracker,
            "app_db": self.app_db,
            "findings": findings[:500],
            "findings_total": len(findings),
        }


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(int(q * len(ordered)), len(ordered) - 1)], 3)

    return {"p50": at(0.5), "p95": at(0.95), "p99": at(0.99), "max": at(1.0)}


def result_dict(result: Result) -> dict[str, Any]:
    """A result as JSON (for the per-message log)."""
    data = asdict(result)
    data["fuzz"] = result.fuzz.describe() if result.fuzz else None
    return data


# --------------------------------------------------------------------------- #
# The whole run
# --------------------------------------------------------------------------- #


async def _hello_sio(url: str, seconds: float) -> bool | str:
    """A fresh socket.io session says "hi" and gets the greeting."""
    runner = Runner(url, Tracker(None), timeout=seconds)
    conversation = Conversation(
        runner, Plan("fuzz-health-sio", "socketio", [], "", "likely", [])
    )
    try:
        status, replies, detail = await conversation._say_sio("hi")
    finally:
        await conversation.close()
    expect = OPENING[0][1]
    return True if expect in texts(replies) else f"{status} {texts(replies)!r} {detail}"


def health(url: str, servers: list[Any], seconds: float = 60) -> dict[str, Any]:
    """Whether the servers still run and answer a normal "hi" on both channels."""
    import urllib.error

    from ops.stack import say

    out: dict[str, Any] = {}
    for server in servers:
        out[f"{server.name} process alive"] = (
            True
            if server.alive
            else (f"exited with {server.proc.returncode if server.proc else '?'}")
        )
        if server.name == "actions":
            try:
                import urllib.request

                with urllib.request.urlopen(server.health_url, timeout=10):
                    out["actions health"] = True
            except (urllib.error.URLError, OSError) as exc:
                out["actions health"] = f"{type(exc).__name__}: {exc}"
    expect = OPENING[0][1]
    try:
        replies = say(url, f"fuzz-health-{time.time_ns()}", "hi", timeout=seconds)
        out["REST hi"] = True if expect in texts(replies) else repr(texts(replies))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        out["REST hi"] = f"{type(exc).__name__}: {exc}"
    try:
        out["socket.io hi"] = asyncio.run(_hello_sio(url, seconds))
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        out["socket.io hi"] = f"{type(exc).__name__}: {exc}"
    return out


def run(
    messages: int,
    out: Path,
    *,
    seed: int = 20261125,
    url: str | None = None,
    tracker_db: Path | None = None,
    app_env: dict[str, str] | None = None,
    logs: list[Path] | None = None,
    concurrency: int = 4,
    timeout: float = 120,
    quiet: float = 0.6,
    max_seconds: float | None = None,
    weights: dict[str, int] | None = None,
    server_env: dict[str, str] | None = None,
    echo: Callable[[str], None] = print,
) -> Report:
    """Generate, start (or attach to) the servers, talk, check; write the results.

    Without ``url``, an action server and a Rasa server are started with
    :mod:`ops.stack` (SQLite back end, in ``out/work``, :data:`SERVER_ENV` plus
    ``server_env``) and stopped at the end. ``weights`` picks the categories
    (default :data:`WEIGHTS`); ``max_seconds`` stops sending after that long.
    """
    from ops import stack

    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    fuzz = generate(messages, seed, weights)
    plans = plan(fuzz, seed)
    echo(
        f"generated {len(fuzz)} fuzz messages for {len(plans)} senders in "
        f"{time.monotonic() - started:.0f}s"
    )
    report = Report(messages=messages, seed=seed)
    report.scripts_covered = len(
        {_script_group(m.payload) for m in fuzz if m.category == "script"} - {None}
    )
    servers: list[Any] = []
    try:
        if url is None:
            work = out / "work"
            if work.exists():
                import shutil

                shutil.rmtree(work)
            work.mkdir(parents=True)
            env = stack.base_env(work, **{**SERVER_ENV, **(server_env or {})})
            actions = stack.action_server(work, env).start()
            servers.append(actions)
            actions.wait_ready(180)
            action_port = int(actions.health_url.split(":")[-1].split("/")[0])
            rasa = stack.rasa_server(work, env, action_port=action_port).start()
            servers.append(rasa)
            rasa.wait_ready(600)
            url = stack.rasa_url(rasa)
            tracker_db = Path(env["TRACKER_DB"])
            app_env = env
            logs = [s.log for s in servers]
            echo(f"servers up at {url} ({time.monotonic() - started:.0f}s)")
        tracker = Tracker(tracker_db)
        log_positions = {p: p.stat().st_size if p.exists() else 0 for p in (logs or [])}
        step = max(len(fuzz) // 20, 50)
        talk_started = time.monotonic()

        def progress(done: int) -> None:
            if done % step == 0:
                rate = done / (time.monotonic() - talk_started)
                echo(f"  {done} messages sent ({rate:.1f}/s)")

        runner = Runner(
            url,
            tracker,
            concurrency=concurrency,
            timeout=timeout,
            quiet=quiet,
            progress=progress,
            max_seconds=max_seconds,
        )
        asyncio.run(runner.run(plans))
        report.duration = time.monotonic() - talk_started
        report.results = runner.results
        report.late_replies = runner.late_replies
        report.reconnects = runner.reconnects
        report.sent_per_key = runner.sent_per_key
        time.sleep(2)  # let the last turns' writes land
        report.health = health(url, servers)
        for path in logs or []:
            with path.open("rb") as handle:
                handle.seek(log_positions.get(path, 0))
                report.logs[path.name] = scan_log(
                    handle.read().decode("utf-8", "replace")
                )
        if tracker_db is not None:
            report.tracker = check_tracker(tracker)
        if app_env is not None:
            report.app_db = check_app_db(app_env)
    finally:
        for server in reversed(servers):
            server.close()
    summary = report.summary()
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    with (out / "messages.jsonl").open("w") as handle:
        for result in report.results:
            handle.write(json.dumps(result_dict(result), default=str) + "\n")
    with (out / "failing-inputs.jsonl").open("w") as handle:
        for result in report.results:
            if result.status not in HANDLED and result.fuzz is not None:
                payload = result.fuzz.payload
                if isinstance(payload, str):
                    payload = payload.encode("utf-8", "surrogatepass").decode(
                        "utf-8", "backslashreplace"
                    )
                handle.write(
                    json.dumps(
                        {
                            "status": result.status,
                            "channel": result.channel,
                            "payload": payload,
                        },
                        default=str,
                    )
                    + "\n"
                )
    return report


def _script_group(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    for char in text:
        if char not in " \n،。":
            name = unicodedata.name(char, "")
            return name.split()[0] if name else None
    return None


def describe(summary: dict[str, Any]) -> str:
    """A short human summary of ``summary.json``."""
    lines = [
        f"{summary['fuzz_messages']} fuzz messages ({summary['messages_total']} in "
        f"all, {summary['senders']} senders) in {summary['duration_seconds']}s: "
        f"{summary['messages_per_second']} messages/s",
        f"channels: {summary['by_channel']}; fuzz landed {summary['fuzz_landing']}",
        f"statuses: {summary['statuses']}",
        f"empty replies: {summary['empty_replies']}",
        f"socket.io: {summary['late_socketio_replies']} late replies, "
        f"{summary['socketio_reconnects']} reconnects",
        f"latency: {summary['latency_seconds']}",
        f"after the run: {summary['health_after']}",
    ]
    for name, found in summary["logs"].items():
        lines.append(
            f"log {name}: tracebacks {found['tracebacks']} errors {found['errors']}"
        )
    if summary["tracker"] is not None:
        t = summary["tracker"]
        lines.append(
            f"injection: {len(t['injected'])} regex-parsed user events, "
            f"{len(t['canary_slots'])} canary slot events"
        )
    if summary["app_db"] is not None:
        lines.append(
            f"app db: {summary['app_db']['counts']}, canaries "
            f"{summary['app_db']['canaries']}"
        )
    lines.append(
        "PASSED"
        if summary["passed"]
        else "FAILED:\n  " + "\n  ".join(summary["failures"])
    )
    return "\n".join(lines)
