"""The simulated patients' phrase banks: every sentence a simulated person types.

Written for the simulator (``ops/simulator.py``) and never trained on: none of these
phrasings is copied from ``data/nlu/*.yml`` (``tests/e2e/test_simulator.py`` checks
that no phrase here appears there verbatim). Three styles:

* ``terse``: the shortest thing that answers ("45", "no", "y", "171 umol/l"); taps a
  button when one fits.
* ``chatty``: full sentences with volunteered facts ("She's 62, turned 62 in March").
* ``messy``: typos, odd units and forms ("fourty five", "plt 80k", "noo", "2 yrs ago").

Templates use ``str.format`` fields filled in by :class:`Voice` (who is spoken of:
"I", "he", "she", "they") and by the value: ``{n}`` a number, ``{unit}`` a time unit,
``{value}`` a lab value as typed. A template is picked deterministically per case,
style and question, so a run is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass

STYLES = ("terse", "chatty", "messy")


@dataclass(frozen=True)
class Voice:
    """How a person refers to the patient: themselves, or a relative."""

    subj: str  # I / he / she / they
    obj: str  # me / him / her / them
    poss: str  # my / his / her / their
    be: str  # I'm / he's / she's / they're
    have: str  # I've / he's / she's / they've
    does: str  # do / does
    s: str = ""  # verb ending: "" (I, they) or "s" (he, she)

    @classmethod
    def of(cls, respondent: str, sex: str | None) -> Voice:
        """The voice of a respondent speaking of a patient of this sex."""
        if respondent == "self":
            return cls("I", "me", "my", "I'm", "I've", "do")
        if sex == "female":
            return cls("she", "her", "her", "she's", "she's", "does", "s")
        if sex == "male":
            return cls("he", "him", "his", "he's", "he's", "does", "s")
        return cls("they", "them", "their", "they're", "they've", "do")

    def fields(self) -> dict[str, str]:
        """Format fields, lower- and upper-case first letter."""
        base = {
            "subj": self.subj,
            "obj": self.obj,
            "poss": self.poss,
            "be": self.be,
            "have": self.have,
            "does": self.does,
        }
        caps = {k[:1].upper() + k[1:]: v[:1].upper() + v[1:] for k, v in base.items()}
        return {**base, **caps, "s": self.s}


# --------------------------------------------------------------------------- #
# The opening and the closing (contact form)
# --------------------------------------------------------------------------- #

GREETING = {
    "terse": ["hi", "hello"],
    "chatty": [
        "Hello there, I saw this liver study on the hospital page",
        "Good afternoon! A nurse gave me the link to this stem cell chat",
    ],
    "messy": ["helo", "hii there", "hey is this the liver study thing"],
}
START = {
    "terse": ["yes", "ok"],
    # "yes, let's start" is how many people agree; a known weak spot, kept on purpose.
    "chatty": ["yes, let's start", "Sure, go ahead and ask your questions"],
    "messy": ["ok sure lets go", "yea go ahed"],
}
#: Answering for oneself.
FOR_SELF = {
    "terse": ["myself", "me"],
    "chatty": ["I'm doing this one for myself", "It's for me, I'm the patient"],
    "messy": ["for me", "its me myself"],
}
#: Answering for a relative; {relation} is "my father", "my wife", ...
FOR_OTHER = {
    "terse": ["{relation}", "for {relation}"],
    "chatty": [
        "I'm answering for {relation}, who is in hospital at the moment",
        "This is on behalf of {relation}, I look after the paperwork",
    ],
    "messy": ["for {relation} pls", "its for {relation}"],
}
SHARE_YES = {
    "terse": ["yes", "Yes, please"],
    "chatty": ["Yes, please pass our details on, that would be great"],
    "messy": ["ya sure", "yes pls"],
}
NAMES = ["Li Wei", "Wang Fang", "Zhang Min", "Chen Jie", "Liu Yang", "Zhao Lei"]
NAME = {
    "terse": ["{name}"],
    "chatty": ["You can ask for {name}, that's me"],
    "messy": ["{name_lower}", "its {name_lower}"],
}
PHONE = {
    "terse": ["138 0013 8000", "13800138000"],
    "chatty": ["My number is 138 0013 8000, mobile is best"],
    "messy": ["138-0013-8000", "1380013 8000"],
}
EMAIL = {
    "terse": ["no email", "skip"],
    "chatty": [
        "I don't have email, sorry",
        "We don't really use email, phone is better",
    ],
    "messy": ["dont have one", "no emial"],
}
BEST_TIME = {
    "terse": ["mornings", "evenings"],
    "chatty": ["Weekday mornings after nine are best for me"],
    "messy": ["aftrnoon pls", "any time realy"],
}
CONFIRM = {
    "terse": ["yes", "Yes, that's right"],
    "chatty": ["Yes, those details are all correct, thank you"],
    "messy": ["yep thats it", "yess correct"],
}
NOTHING_ELSE = {
    "terse": ["no"],
    "chatty": ["No, that's everything for now, thank you very much"],
    "messy": ["nah im good thx"],
}
#: A returning person is asked whether to carry on.
CARRY_ON = {
    "terse": ["Carry on"],
    "chatty": ["Let's carry on from where we were, please"],
    "messy": ["carry on pls"],
}
#: What a person says when the assistant has not started asking anything yet.
WANT_TO_START = {
    "terse": ["check if I qualify"],
    "chatty": ["I'd like to find out whether I could take part, please"],
    "messy": ["can i join??", "i wanna see if i can be in it"],
}
#: What a confused person says when they cannot tell what was asked.
CONFUSED = ["sorry, what?", "I don't follow, what do you need from me?", "huh?"]

# --------------------------------------------------------------------------- #
# Answers
# --------------------------------------------------------------------------- #

YES = {
    "terse": ["yes", "y", "Yes"],
    "chatty": [
        "Yes, that's right, unfortunately",
        "Yes, {subj} {does}, the doctors told us last week",
    ],
    "messy": ["yse", "yeah", "yep yep", "ya"],
}
NO = {
    "terse": ["no", "No", "nope"],
    "chatty": [
        "No, never had anything like that, {have} been healthy apart from the liver",
        "No, nothing like that at all",
    ],
    "messy": ["noo", "nope not that i know of", "nah", "no never"],
}
UNSURE = {
    "terse": ["not sure", "Not sure"],
    "chatty": [
        "I'm honestly not sure, nobody has told us about that",
        "I really can't say, I would have to ask the doctor",
    ],
    "messy": ["no idea", "dunno tbh", "hmm not shure"],
}
#: Yes / no sentences that volunteer something about one question (chatty only).
CHATTY_YES_NO = {
    ("chronic_liver_disease", "yes"): [
        "Yes, {have} had hepatitis B for about twenty years",
        "Yes, cirrhosis, diagnosed a long time ago",
    ],
    ("chronic_liver_disease", "no"): ["No, the liver was always fine until this month"],
    ("jaundice", "yes"): ["Yes, {poss} eyes went quite yellow over the last week"],
    ("jaundice", "no"): ["No, the skin and eyes look a normal colour"],
    ("ascites", "yes"): [
        "Yes, the belly has been swelling up with fluid for two weeks"
    ],
    ("ascites", "no"): ["No, no swelling of the belly"],
    ("has_lab_results", "yes"): ["Yes, I have the latest blood test report right here"],
    ("has_lab_results", "no"): ["No, we don't have any results with us at the moment"],
    ("consent", "yes"): ["Yes, happy to read and sign it"],
    ("consent", "no"): ["No, I would not want to sign anything like that"],
    ("pregnancy", "no"): ["No, not pregnant, not breastfeeding and no baby plans"],
    ("pregnancy", "yes"): ["Yes, actually there is a baby on the way"],
    ("planning_baby", "no"): ["No, no plans for children"],
    ("planning_baby", "yes"): ["Yes, we were hoping to have a baby this year"],
    ("thrombosis", "yes"): ["Yes, there was a clot in the leg a few years back"],
    ("gi_bleeding", "no"): ["No, no blood and the stools look normal"],
    ("liver_transplant", "yes"): ["Yes, a transplant is being planned for next month"],
}
#: Age: {n} as digits, {words} as (sometimes misspelt) words.
AGE = {
    "terse": ["{n}"],
    "chatty": ["{Be} {n}, turned {n} in March", "{n} this year", "{Be} {n} years old"],
    "messy": ["{words}", "{n}yo", "{n} yrs"],
}
SEX = {
    "terse": {
        "male": ["Male"],
        "female": ["Female"],
        "other": ["Other or prefer not to say"],
    },
    "chatty": {
        "male": ["{Be} a man, if that is what you mean", "Male, {be} a man"],
        "female": ["{Be} a woman, yes", "Female, {be} a woman"],
        "other": ["I'd rather not say, if that's alright"],
    },
    "messy": {
        "male": ["m", "male ofc"],
        "female": ["f", "femal"],
        "other": ["rather not say"],
    },
}
#: Encephalopathy, grade 0..4 (terse taps the matching button instead).
CONFUSION = {
    "chatty": {
        0: ["No, {have} been completely clear-headed"],
        1: [
            "A bit forgetful, and {subj} sleep{s} in the day and lie{s} awake at night"
        ],
        2: ["{Be} very drowsy and keep{s} mixing up morning and evening"],
        3: [
            "{Be} very sleepy, we can wake {obj} but {subj} {does}n't know where"
            " {subj} is"
        ],
        4: ["We can't wake {obj} up at all"],
    },
    "messy": {
        0: ["nope sharp as ever", "no confusion"],
        1: ["abit confused sometimes", "grade 1"],
        2: ["grade 2", "grade II"],
        3: ["grade III", "grade 3"],
        4: ["grade 4 in a coma", "grade IV"],
    },
}
NEVER = {
    "terse": ["Never", "never"],
    "chatty": ["Never, not once in {poss} life", "No, never"],
    "messy": ["nevr", "never ever"],
}
#: Something that happened {n} {unit} ago (unit: weeks, months, years).
AGO = {
    "terse": ["{n} {unit} ago"],
    "chatty": ["It was about {n} {unit} ago", "That was {n} {unit} ago now"],
    "messy": ["{n} {unit_short} ago", "like {n} {unit} back"],
}
UNIT_SHORT = {"weeks": "wks", "months": "mths", "years": "yrs"}
UNIT_ONE = {"weeks": "week", "months": "month", "years": "year"}


def unit_text(unit: str, n: int) -> str:
    """The time unit as written after ``n`` ("2 weeks", "1 week")."""
    return unit if n != 1 else UNIT_ONE[unit]


def relation_text(relation: str) -> str:
    """The relation as this person types it ("my father")."""
    return relation


#: The plainest greeting, when nothing else has worked.
HELLO = "hello"
#: Which answer to change? The age ({n}).
WHICH_AGE = "the age is {n}"
#: Lab values: {value} is the number as typed ("171", "4.9").
LAB = {
    "bilirubin": {
        "terse": {"umol/L": ["{value} umol/l"], "mg/dL": ["{value} mg/dl"]},
        "chatty": {
            "umol/L": ["The report says total bilirubin {value} µmol/L"],
            "mg/dL": ["It says total bilirubin {value} mg/dL on the report"],
        },
        "messy": {
            "umol/L": ["tbil {value}umol", "{value} micromol/l"],
            "mg/dL": ["bilirubin {value} mg per dl", "{value}mg/dl"],
        },
    },
    "inr": {
        "terse": ["{value}"],
        "chatty": ["The INR was {value} on the last test"],
        "messy": ["inr {value}", "its {value}"],
    },
    "pta": {
        "terse": ["{value}%"],
        "chatty": ["The PTA was {value} percent"],
        "messy": ["pta {value}", "{value} pct"],
    },
    "platelets": {
        "terse": ["{value}"],
        "chatty": ["The platelets were {value} before all this started"],
        "messy": ["plt {k}k", "platelets {value}"],
    },
    "child_pugh": {
        "terse": {"score": ["{value}"], "class": ["class {value}"]},
        "chatty": {
            "score": ["The doctor gave a Child-Pugh score of {value}"],
            "class": ["They said Child-Pugh class {value}"],
        },
        "messy": {
            "score": ["cp {value}", "{value} points"],
            "class": ["class {value}", "child {lower}"],
        },
    },
}
LAB_UNKNOWN = {
    "terse": ["dont know"],
    "chatty": ["I don't have that number, sorry, it's not on the report"],
    "messy": ["dunno", "no clue"],
}

# --------------------------------------------------------------------------- #
# Behaviours
# --------------------------------------------------------------------------- #

#: Corrections of the age, said a few questions later; {n} is the true age.
CORRECT_AGE = {
    "terse": ["actually age {n}"],
    "chatty": ["Sorry, I got that wrong earlier, actually {be} {n}"],
    "messy": ["oops wait im {n} not that", "actualy {subj} is {n}"],
}
#: An emergency happening now (consistent with a "yes" to the gut bleeding question).
EMERGENCY = {
    "terse": ["vomiting blood now"],
    "chatty": ["Wait, {subj} just threw up blood, what should I do?"],
    "messy": ["{subj} is throwing up blood rn!!"],
}
#: Asking what a term means, by question id.
TERM = {
    "ascites": ["what is ascites?", "ascites means what?"],
    "encephalopathy": ["what do you mean by encephalopathy?"],
    "inr": ["what does INR mean?"],
    "child_pugh": ["what's a Child-Pugh score?"],
    "other_trial": ["what counts as a clinical study?"],
    "platelets": ["what are platelets exactly?"],
}
WHY = {
    "terse": ["why?", "why do you ask?"],
    "chatty": ["Why do you need to know that, if you don't mind me asking?"],
    "messy": ["y do u need this", "why u asking"],
}
STOP = {
    "terse": ["stop"],
    "chatty": ["Actually I'd rather not carry on with this, please stop"],
    "messy": ["stop pls i dont want to do this anymore"],
}

#: Number words for the messy style (with the classic "fourty").
_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = [
    "",
    "",
    "twenty",
    "thirty",
    "fourty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
]


def number_words(n: int) -> str:
    """0..99 in words, misspelt the way people do ("fourty five")."""
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] + ("" if ones == 0 else f" {_ONES[ones]}")


#: The banks whose phrases a simulated person types (in each language's module).
BANKS = (
    "GREETING",
    "START",
    "FOR_SELF",
    "FOR_OTHER",
    "SHARE_YES",
    "NAME",
    "PHONE",
    "EMAIL",
    "BEST_TIME",
    "CONFIRM",
    "NOTHING_ELSE",
    "CARRY_ON",
    "WANT_TO_START",
    "CONFUSED",
    "YES",
    "NO",
    "UNSURE",
    "CHATTY_YES_NO",
    "AGE",
    "SEX",
    "CONFUSION",
    "NEVER",
    "AGO",
    "LAB",
    "LAB_UNKNOWN",
    "CORRECT_AGE",
    "EMERGENCY",
    "TERM",
    "WHY",
    "STOP",
)


def phrases_of(module: object) -> list[str]:
    """Every fixed phrase and template of a phrase-bank module's :data:`BANKS`."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                walk(value)

    for name in BANKS:
        walk(getattr(module, name))
    return found


def all_phrases() -> list[str]:
    """Every fixed phrase and template of the banks (for the not-trained-on check)."""
    import sys

    return phrases_of(sys.modules[__name__])
