"""Answer first: the parsers understand every ordinary answer, and nothing else.

While a question is pending, a message that a parser understands (a value, or an
honest "not sure") is taken as the answer. So each table below checks both ways: the
everyday answers of patients and tired relatives are read right, and questions back,
"I don't understand", greetings and requests are not read as answers at all.

Every phrasing here was written for these tests. Dates are relative to a fixed
screening date; nothing depends on today's date.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.parsing import (
    RELATIONS,
    Parsed,
    TimeAgo,
    is_unknown,
    looks_like_question,
    parse_age,
    parse_bilirubin,
    parse_child_pugh,
    parse_he_grade,
    parse_inr,
    parse_platelets,
    parse_pta,
    parse_respondent,
    parse_sex,
    parse_skip,
    parse_time_ago,
    parse_yes_no,
    window_status,
)

SCREENING = date(2025, 6, 15)


def time_ago(text: str) -> Parsed:
    return parse_time_ago(text, SCREENING)


def not_an_answer(parsed: Parsed) -> bool:
    """What the dialogue checks: neither a value nor an honest "I don't know"."""
    return not parsed.ok and not parsed.unknown


# --------------------------------------------------------------------------- #
# Yes / no
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes, go on then", "yes"),
        ("Yes, the results are right here with me", "yes"),
        ("yes, he has had hepatitis B since he was young", "yes"),
        ("yep, she does", "yes"),
        ("yeah he did", "yes"),
        ("Yes please, carry on", "yes"),
        ("yes, ok, let's begin", "yes"),
        ("yess", "yes"),
        ("yesss", "yes"),
        ("yse", "yes"),
        ("yeh", "yes"),
        ("yup, twice", "yes"),
        ("no, nothing of the sort", "no"),
        ("no, I left the papers at home, sorry", "no"),
        ("nope, sorry", "no"),
        ("noo", "no"),
        ("nooo never", "no"),
        ("nop", "no"),
        ("nahh", "no"),
        ("she hasn't", "no"),
        ("we don't have them", "no"),
    ],
)
def test_yes_no_with_more_words_and_typos(text: str, value: str) -> None:
    parsed = parse_yes_no(text)
    assert parsed.ok and parsed.value == value, parsed
    assert not parsed.unknown


@pytest.mark.parametrize(
    "text",
    [
        "not sure, sorry",
        "not certain to be honest",
        "no idea, sorry",
        "can't remember, sorry",
        "haven't got a clue",
        "we were never told, sorry",
        "dunno tbh",
        "idk sorry",
        "honestly I don't know",
    ],
)
def test_yes_no_not_sure_with_politeness(text: str) -> None:
    parsed = parse_yes_no(text)
    assert parsed.ok and parsed.value == "unsure" and parsed.unknown, parsed


@pytest.mark.parametrize(
    "text",
    [
        "nah, not as far as I know",
        "nope not that i know of",
        "no, not really",
        "No, I don't think so",
    ],
)
def test_a_plain_no_said_modestly_is_a_no(text: str) -> None:
    # The person said no; "as far as I know" is modesty, not doubt.
    parsed = parse_yes_no(text)
    assert parsed.ok and parsed.value == "no" and parsed.detail == {"modest": True}


@pytest.mark.parametrize(
    "text", ["not as far as I know", "not that I know of", "I don't think so"]
)
def test_a_hedge_without_a_no_is_an_answer_but_not_a_definite_no(text: str) -> None:
    parsed = parse_yes_no(text)
    assert parsed.ok and parsed.value == "unsure"
    assert parsed.detail == {"hedged": True, "leaning": "no"}


@pytest.mark.parametrize(
    "text", ["I'd rather not say", "I don't want to answer that", "prefer not to say"]
)
def test_yes_no_declining_is_unsure_never_no(text: str) -> None:
    parsed = parse_yes_no(text)
    assert parsed.ok and parsed.value == "unsure" and parsed.unknown
    assert parsed.detail == {"declined": True}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("sorry, I do not understand the question", "confused"),
        ("I don't understand this one", "confused"),
        ("i dont understand what you are asking", "confused"),
        ("I really don't get it", "confused"),
        ("not sure what you mean", "confused"),
        ("no idea what that means", "confused"),
        ("I don't know what you mean by that", "confused"),
        ("what?", "confused"),
        ("what", "confused"),
        ("huh?", "confused"),
        ("Pardon?", "confused"),
        ("sorry?", "confused"),
        ("what do you mean?", "confused"),
        ("what does that mean?", "confused"),
        ("what does jaundice actually mean", "confused"),
        ("that question makes no sense", "confused"),
        ("I have a question", "confused"),
        ("can I ask something first", "confused"),
        ("is that the same as yellow eyes?", "question"),
        ("is that when your skin goes yellow?", "question"),
        ("why do you need to know?", "question"),
        ("why do you have to know that", "question"),
        ("why are you asking me this?", "question"),
        ("how is that relevant?", "question"),
        ("who will see my answers?", "question"),
        ("does it matter?", "question"),
        ("do I have to answer?", "question"),
        ("can I speak to a real person", "question"),
        ("could you explain that please", "question"),
        ("is this kept confidential", "question"),
        ("sorry, what is a stem cell?", "question"),
        ("do I say yes or no?", "question"),
    ],
)
def test_yes_no_questions_and_confusion_are_not_answers(text: str, reason: str) -> None:
    parsed = parse_yes_no(text)
    assert not_an_answer(parsed), parsed
    assert parsed.error == "not_understood"
    assert parsed.detail.get("reason") == reason


@pytest.mark.parametrize(
    "text", ["hello", "good morning", "cheers, thanks", "ok", "help"]
)
def test_yes_no_greetings_are_not_answers(text: str) -> None:
    assert not_an_answer(parse_yes_no(text))


# --------------------------------------------------------------------------- #
# looks_like_question and is_unknown
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what is ascites?", True),
        ("why do you ask?", True),
        ("why though?", True),
        ("how come?", True),
        ("which one do you mean?", True),
        ("where is the study done?", True),
        ("when does it start?", True),
        ("is it safe?", True),
        ("are you a human or a bot", True),
        ("could I talk to someone", True),
        ("hmm, do you mean the blood test?", True),
        ("you mean the swelling?", True),
        ("什么是腹水?", True),
        ("yes, why?", False),
        ("no. why do you ask?", False),
        ("yes?", False),
        ("not sure, why?", False),
        ("I'm 52, why?", False),
        ("when I was a teenager", False),
        ("had it for years", False),
        ("did it once, in 2019", False),
        ("she does", False),
        ("?", False),
        ("", False),
        ("x" * 5000 + "?", False),
    ],
)
def test_looks_like_question(text: str, expected: bool) -> None:
    assert looks_like_question(text) is expected


@pytest.mark.parametrize(
    "text",
    [
        "I don't know what you mean",
        "not sure what you mean",
        "no idea what that is",
        "no clue what that means",
    ],
)
def test_not_understanding_the_question_is_not_i_dont_know(text: str) -> None:
    assert not is_unknown(text)


@pytest.mark.parametrize(
    "parser",
    [
        parse_age,
        parse_bilirubin,
        parse_inr,
        parse_pta,
        parse_platelets,
        parse_child_pugh,
        parse_he_grade,
        parse_sex,
        parse_respondent,
        parse_skip,
        time_ago,
    ],
    ids=lambda f: f.__name__,
)
@pytest.mark.parametrize(
    "text",
    [
        "I don't know what you mean",
        "sorry, I don't understand the question",
        "what does that mean?",
        "why do you need that?",
        "is that on the blood test?",
        "what?",
    ],
)
def test_no_parser_swallows_a_question_or_confusion(
    parser: Callable[[str], Parsed], text: str
) -> None:
    parsed = parser(text)
    assert not_an_answer(parsed), parsed
    assert parsed.detail.get("reason") in ("question", "confused")


# --------------------------------------------------------------------------- #
# Child-Pugh: a class is a range, and the engine's rule is "> 9"
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("text", "letter", "excluded"),
    [
        ("class A", "A", False),
        ("Class B on the report", "B", False),
        ("child-pugh a", "A", False),
        ("child pugh class C", "C", True),
        ("I think it was class A", "A", False),
        ("grade b", "B", False),
        ("B", "B", False),
        ("c", "C", True),
        ("cp-b", "B", False),
        ("CP C", "C", True),
        ("child-pugh score was 8", "B", False),
        ("8 points", "B", False),
        ("it was 6", "A", False),
        ("ten points", "C", True),
        ("class B, 9 points", "B", False),
        ("not sure, class B maybe", "B", False),
        ("it was a class C", "C", True),
        ("a grade A, I think", "A", False),
    ],
)
def test_child_pugh(text: str, letter: str, excluded: bool) -> None:
    parsed = parse_child_pugh(text)
    assert parsed.ok, parsed
    assert parsed.detail["class"] == letter
    low, high = parsed.detail["range"]
    assert low <= parsed.value <= high
    # The value stands for the whole class against the trial's "score > 9" rule:
    # every score of class B is <= 9, every score of class C is > 9.
    assert (parsed.value > 9) is excluded
    assert all((score > 9) is excluded for score in range(low, high + 1))


# --------------------------------------------------------------------------- #
# Hepatic encephalopathy, in a caregiver's words
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("text", "grade"),
    [
        ("so sleepy, very hard to wake up, and has no idea where we are", 3),
        ("sleepy all the time, hard to rouse, doesn't know where she is", 3),
        ("he thinks he is at home but he is in the hospital", 3),
        ("she talks nonsense and doesn't recognise me", 3),
        ("sleeps most of the day, we can wake him though", 3),
        ("we cannot wake her at all", 4),
        ("he won't wake up", 4),
        ("drowsy, and keeps mixing up the days", 2),
        ("he gets the dates mixed up", 2),
        ("lost track of what day it is", 2),
        ("keeps nodding off when we talk to him", 2),
        ("very drowsy", 2),
        ("she naps all day and is up all night", 1),
        ("he's a little forgetful and slow", 1),
        ("she is slower than usual", 1),
        ("a bit foggy in the head", 1),
        ("a little muddled sometimes", 1),
        ("no, she is fine, totally clear", 0),
        ("he's fine", 0),
        ("not confused in the least", 0),
        ("nope, sharp as ever", 0),
        ("all good, nothing like that", 0),
        ("he's his usual self", 0),
    ],
)
def test_he_grade_descriptions(text: str, grade: int) -> None:
    parsed = parse_he_grade(text)
    assert parsed.ok and parsed.value == grade, parsed


@pytest.mark.parametrize("text", ["he is not fine at all", "she's not herself"])
def test_he_grade_negated_fine_is_not_grade_0(text: str) -> None:
    parsed = parse_he_grade(text)
    assert not (parsed.ok and parsed.value == 0), parsed


def test_he_grade_patient_not_understanding_is_a_description() -> None:
    # "he can't understand us" describes the patient; it is not our question failing.
    parsed = parse_he_grade("he gets muddled about the date and can't understand us")
    assert parsed.ok and parsed.value == 2


# --------------------------------------------------------------------------- #
# Time ago: the whole answer, and honest intervals
# --------------------------------------------------------------------------- #

WINDOWS = {
    "24m": {"months": 24},
    "3m": {"months": 3},
    "1m": {"months": 1},
    "5y": {"years": 5},
}


def in_window(text: str, window: str) -> bool | None:
    parsed = time_ago(text)
    assert parsed.ok, parsed
    return window_status(parsed.value, SCREENING, **WINDOWS[window])


@pytest.mark.parametrize(
    ("text", "window", "inside"),
    [
        # The false exclusion seen: "since" here means "and nothing since".
        ("3 years ago, fine since", "24m", False),
        ("three years back and fine ever since", "24m", False),
        ("fine since 2020", "24m", False),
        ("well since 2019", "24m", False),
        ("nothing since 2018", "24m", False),
        ("no episodes since 2016", "24m", False),
        ("had it in 2017, but it has been under control since", "24m", False),
        ("2 years and a half ago, none since then", "24m", False),
        ("not since 2021", "24m", False),
        ("hasn't had one since 2020", "24m", False),
        ("clean for 7 years now", "5y", False),
        ("stopped in 2021", "3m", False),
        ("quit in 2021 and nothing since", "5y", True),
        ("finished it two weeks back", "1m", True),
        ("a couple of months ago", "3m", True),
        ("last time was in 2014", "5y", False),
        ("on and off until last spring", "24m", True),
        ("on and off until last spring", "5y", True),
        ("stopped 6 months ago, not taking anything now", "1m", False),
        ("stopped in 2024, fine now", "24m", True),
        ("on it since 2019, stopped last month", "3m", True),
        ("took it every day until 2020", "24m", False),
        # Still going on.
        ("still taking it", "1m", True),
        ("I'm still on it", "1m", True),
        ("yes, currently", "1m", True),
        ("been on it since march", "1m", True),
        ("in one right now", "3m", True),
        ("never, thank goodness", "24m", False),
        ("nope, never", "5y", False),
    ],
)
def test_time_ago_reads_the_whole_answer(text: str, window: str, inside: bool) -> None:
    assert in_window(text, window) is inside


@pytest.mark.parametrize(
    ("text", "window"),
    [
        # The last time is bounded, not known: the span covers every reading, so a
        # window it straddles stays unknown (staff review), never an exclusion.
        ("3 years ago, and on and off since then", "24m"),
        ("two years ago, occasionally since", "1m"),
        ("on and off since 2015", "24m"),
        ("on it since 2018 but stopped", "24m"),
        ("had it in 2021, fine since 2024", "24m"),
        ("years ago", "24m"),
        ("2022 or 2024", "24m"),
    ],
)
def test_time_ago_ambiguous_answers_span_the_window(text: str, window: str) -> None:
    assert in_window(text, window) is None


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("last spring", date(2025, 3, 1), date(2025, 5, 31)),
        ("in the autumn of 2023", date(2023, 9, 1), date(2023, 11, 30)),
        ("last fall", date(2024, 9, 1), date(2024, 11, 30)),
        ("over the summer of 2022", date(2022, 6, 1), date(2022, 8, 31)),
        ("winter 2023", date(2022, 12, 1), date(2024, 2, 29)),
        ("fine since 2021", date(2021, 1, 1), date(2021, 12, 31)),
        ("not since 2019", date(2019, 1, 1), date(2019, 12, 31)),
        ("3 years ago, fine since", date(2021, 12, 15), date(2022, 12, 15)),
    ],
)
def test_time_ago_intervals(text: str, earliest: date, latest: date) -> None:
    parsed = time_ago(text)
    assert parsed.ok, parsed
    assert parsed.value == TimeAgo(earliest=earliest, latest=latest)


def test_had_a_fall_is_not_autumn() -> None:
    parsed = time_ago("she had a fall in 2020")
    assert parsed.value == TimeAgo(earliest=date(2020, 1, 1), latest=date(2020, 12, 31))


def test_this_season_still_ahead_is_in_the_future() -> None:
    assert time_ago("this autumn").error == "future_date"


@pytest.mark.parametrize(
    "text",
    [
        "when I was a teenager",
        "as a young man",
        "back in my twenties",
        "in my 30s",
        "at university",
        "not since I was 20",
        "no, not since I was a teenager",
    ],
)
def test_time_ago_time_of_life_is_unknown_but_happened(text: str) -> None:
    parsed = time_ago(text)
    assert parsed.unknown and not parsed.ok, parsed
    assert parsed.detail["happened"] is True


def test_time_ago_nothing_since_without_a_time_is_unknown_but_happened() -> None:
    parsed = time_ago("nothing since then")
    assert parsed.unknown and parsed.detail == {"happened": True}


@pytest.mark.parametrize("text", ["not sure, sorry", "can't remember, sorry"])
def test_time_ago_not_sure_with_politeness(text: str) -> None:
    assert time_ago(text).unknown


# --------------------------------------------------------------------------- #
# Numbers with odd units and wording
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("parser", "text", "value"),
    [
        (parse_bilirubin, "her bilirubin was 171 micromol per litre", 171.0),
        (parse_bilirubin, "10.5 mg per dl", 179.55),
        (parse_bilirubin, "171 micromoles/L", 171.0),
        (parse_bilirubin, "it's 200", 200.0),
        (parse_inr, "it's 1.8", 1.8),
        (parse_inr, "an INR of 2", 2.0),
        (parse_inr, "INR two point one", 2.1),
        (parse_pta, "PT activity 35 percent", 35.0),
        (parse_pta, "prothrombin activity was 30%", 30.0),
        (parse_platelets, "platelets about 80 thousand", 80.0),
        (parse_platelets, "80k", 80.0),
        (parse_platelets, "120 x10^9", 120.0),
        (parse_platelets, "120 ×10⁹/L", 120.0),
        (parse_age, "age: fifty two", 52),
        (parse_age, "52 yrs old", 52),
        (parse_age, "she turned 60 last month", 60),
        (parse_age, "he is 58, why?", 58),
    ],
    ids=lambda x: getattr(x, "__name__", str(x)),
)
def test_numbers_with_odd_units(
    parser: Callable[[str], Parsed], text: str, value: Any
) -> None:
    parsed = parser(text)
    assert parsed.ok and parsed.value == pytest.approx(value), parsed


def test_age_decade_is_not_a_guess() -> None:
    parsed = parse_age("early fifties")
    assert not parsed.ok and parsed.detail["range"] == [50, 59]


@pytest.mark.parametrize(
    "parser",
    [
        parse_age,
        parse_bilirubin,
        parse_inr,
        parse_pta,
        parse_platelets,
        parse_child_pugh,
    ],
    ids=lambda f: f.__name__,
)
@pytest.mark.parametrize(
    "text", ["not sure, sorry", "no idea sorry", "can't remember it"]
)
def test_value_parsers_not_sure_with_politeness(
    parser: Callable[[str], Parsed], text: str
) -> None:
    parsed = parser(text)
    assert parsed.unknown and not parsed.ok, parsed


# --------------------------------------------------------------------------- #
# The optional email: skipping
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "text",
    [
        "skip",
        "Skip it please",
        "none",
        "no",
        "nope",
        "N/A",
        "na",
        "I don't have email",
        "i dont have an email address",
        "I don't have one",
        "haven't got one",
        "no email",
        "don't use email",
        "I never use email",
        "rather not",
        "I'd rather not give it",
        "no thanks, skip",
        "no thank you",
        "not needed",
        "no need",
        "leave it blank",
    ],
)
def test_skip(text: str) -> None:
    parsed = parse_skip(text)
    assert parsed.ok and parsed.value == "skip", parsed


@pytest.mark.parametrize(
    "text",
    [
        "mary.chen@example.org",
        "no.reply@example.com",
        "why do you need my email?",
        "what is it for?",
        "hey there",
        "yes",
        "sure, one moment",
    ],
)
def test_not_a_skip(text: str) -> None:
    assert not_an_answer(parse_skip(text))


def test_skip_when_the_address_is_not_known() -> None:
    parsed = parse_skip("I don't remember it")
    assert parsed.ok and parsed.value == "skip" and parsed.detail == {"unknown": True}


# --------------------------------------------------------------------------- #
# Who is answering
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("text", "value", "relation"),
    [
        ("me", "self", None),
        ("Myself", "self", None),
        ("for me please", "self", None),
        ("it's for me", "self", None),
        ("only me", "self", None),
        ("I am the patient myself", "self", None),
        ("i'm the one who is ill", "self", None),
        ("I'm the patient, my son is helping me type", "self", None),
        ("I am", "self", None),
        ("我自己", "self", None),
        ("someone else", "caregiver", None),
        ("somebody else", "caregiver", None),
        ("for him", "caregiver", None),
        ("a relative", "caregiver", "relative"),
        ("a family member", "caregiver", "relative"),
        ("for my dad", "caregiver", "father"),
        ("my father", "caregiver", "father"),
        ("for my mum", "caregiver", "mother"),
        ("my mom is the one who is sick", "caregiver", "mother"),
        ("my mother is sick", "caregiver", "mother"),
        ("my wife", "caregiver", "wife"),
        ("my hubby", "caregiver", "husband"),
        ("on behalf of my husband", "caregiver", "husband"),
        ("I'm asking for my son", "caregiver", "son"),
        ("our daughter", "caregiver", "daughter"),
        ("my little brother", "caregiver", "brother"),
        ("for my sister", "caregiver", "sister"),
        ("my partner", "caregiver", "partner"),
        ("my girlfriend", "caregiver", "partner"),
        ("my mother-in-law", "caregiver", "relative"),
        ("my grandad", "caregiver", "relative"),
        ("a friend of mine", "caregiver", "friend"),
        ("our neighbour", "caregiver", "friend"),
        ("a patient of mine", "caregiver", "other"),
        ("我爸爸", "caregiver", "father"),
    ],
)
def test_respondent(text: str, value: str, relation: str | None) -> None:
    parsed = parse_respondent(text)
    assert parsed.ok and parsed.value == value, parsed
    assert parsed.detail.get("relation") == relation
    if relation is not None:
        assert relation in RELATIONS


@pytest.mark.parametrize(
    "text",
    [
        "who else would it be for?",
        "why does that matter?",
        "does it make a difference?",
        "yes",
        "hey there",
        "me and my husband",
    ],
)
def test_respondent_not_an_answer(text: str) -> None:
    assert not_an_answer(parse_respondent(text))


# --------------------------------------------------------------------------- #
# Agreeing to an offer: parse_yes_no(consent=True)
# --------------------------------------------------------------------------- #
# "Shall we start?", "May we pass your details to the study team?", "Is this right?"
# With one `answer` intent the model no longer says yes or no, so the words must.


@pytest.mark.parametrize(
    "text",
    [
        "let's do it",
        "Go ahead.",
        "ok",
        "OKAY!",
        "alright then",
        "all right, go ahead",
        "sounds good",
        "fine",
        "go for it",
        "ok, let's get started",
        "that's fine, carry on",
        "fine by me",
        "I'm ready",
        "um ok then",
        "count me in",
        "please do",
        "continue please",
        "perfect, let's go",
    ],
)
def test_consent_agreeing_phrasings_are_yes(text: str) -> None:
    parsed = parse_yes_no(text, consent=True)
    assert parsed.ok and parsed.value == "yes", parsed


@pytest.mark.parametrize(
    "text",
    [
        "no thank you",
        "not now",
        "I'd rather not",
        "rather not, sorry",
        "no, I'd prefer not to",
        "not interested, thanks",
        "maybe later",
        "not today thanks",
        "I'll pass",
    ],
)
def test_consent_declining_phrasings_are_no(text: str) -> None:
    parsed = parse_yes_no(text, consent=True)
    assert parsed.ok and parsed.value == "no", parsed


@pytest.mark.parametrize("text", ["I'd rather not say", "I would prefer not to answer"])
def test_consent_declining_to_say_stays_a_decline(text: str) -> None:
    parsed = parse_yes_no(text, consent=True)
    assert parsed.ok and parsed.value == "unsure" and parsed.unknown
    assert parsed.detail == {"declined": True}


@pytest.mark.parametrize(
    "text",
    [
        "ok but what is the study about?",
        "fine, why do you need this?",
        "thanks",
        "then",
        "I'm fine",
        "fine, whatever, I don't care",
        "go ahead and tell me the risks first",
    ],
)
def test_consent_non_agreements_are_not_a_yes(text: str) -> None:
    parsed = parse_yes_no(text, consent=True)
    assert not (parsed.ok and parsed.value == "yes"), parsed


@pytest.mark.parametrize("text", ["ok", "fine", "alright", "sounds good", "go ahead"])
def test_agreeing_words_are_no_answer_to_a_health_question(text: str) -> None:
    """Without consent=True ("Any kidney problems?") "fine" may mean "no problem"."""
    assert not parse_yes_no(text).ok


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("let's do it", True),
        ("no thank you", False),
        ("I'd rather not", False),
        ("sounds good", True),
        ("I think so", None),
        ("blah", None),
    ],
)
def test_yes_or_no_reads_the_words_not_the_intent(text: str, expected: Any) -> None:
    from actions.common import yes_or_no

    assert yes_or_no(None, text) is expected  # type: ignore[arg-type]


# --------------------------------------------------------------------------- #
# Never raises
# --------------------------------------------------------------------------- #


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_new_entry_points_never_raise(text: str) -> None:
    assert isinstance(looks_like_question(text), bool)
    for parser in (parse_skip, parse_respondent, parse_yes_no, time_ago):
        assert isinstance(parser(text), Parsed)


@pytest.mark.parametrize(
    ("text", "grade"),
    [
        ("she gets muddled about what day it is", 2),
        ("he's confused over the date", 2),
        ("mum is confused about where she is", 3),
    ],
)
def test_he_grade_time_and_place_in_everyday_words(text: str, grade: int) -> None:
    parsed = parse_he_grade(text)
    assert parsed.ok and parsed.value == grade, parsed


@pytest.mark.parametrize("text", ["dont think so no", "not really, no"])
def test_a_hedge_ending_in_a_plain_no_is_a_no(text: str) -> None:
    parsed = parse_yes_no(text)
    assert parsed.ok and parsed.value == "no", parsed


@pytest.mark.parametrize(
    ("text", "latest_before"),
    [("That was 4 months ago now", "2026-09-01"), ("two years ago now", "2025-07-01")],
)
def test_ago_now_is_when_it_is_said_not_ongoing(text: str, latest_before: str) -> None:
    from datetime import date

    parsed = parse_time_ago(text, date(2026, 12, 7))
    assert parsed.ok and parsed.value.latest < date.fromisoformat(latest_before)


@pytest.mark.parametrize("text", ["nevr", "nver", "neva"])
def test_never_misspelt(text: str) -> None:
    from datetime import date

    parsed = parse_time_ago(text, date(2026, 12, 7))
    assert parsed.ok and parsed.value.never


def test_not_sure_misspelt_is_unsure() -> None:
    parsed = parse_yes_no("hmm not shure")
    assert parsed.ok and parsed.value == "unsure" and parsed.unknown
