"""The console's words in English and Simplified Chinese, from two catalogues.

``en.yml`` and ``zh.yml`` beside this module hold every label, heading, button,
message, error page and e-mail text, under the same dotted keys with the same
``{placeholders}`` (:func:`catalogue_problems` says where they differ; a test fails
on it). Codes, dates and numbers are passed in as placeholders and never
translated. Which language a page is in is decided by :func:`choose_language`.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent

#: The languages the console speaks, in the order the switch shows them.
LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT_LANGUAGE = "en"

#: The cookie that remembers the choice before sign-in.
LANGUAGE_COOKIE = "console_lang"


def _flatten(data: Mapping[Any, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = str(value)
    return flat


def read_catalogue(path: Path) -> dict[str, str]:
    """One catalogue file as ``{dotted key: text}``."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, Mapping):
        raise ValueError(f"{path} is not a mapping of keys to texts")
    return _flatten(data)


@cache
def catalogue(language: str) -> dict[str, str]:
    """The catalogue of ``language`` (read once)."""
    if language not in LANGUAGES:
        raise KeyError(language)
    return read_catalogue(HERE / f"{language}.yml")


def placeholders(text: str) -> frozenset[str]:
    """The ``{names}`` a text expects."""
    return frozenset(
        name for _, name, _, _ in string.Formatter().parse(text) if name is not None
    )


def catalogue_problems(catalogues: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Keys or placeholders that one catalogue has and another lacks (empty: fine)."""
    problems: list[str] = []
    names = sorted(catalogues)
    keys = set().union(*(set(c) for c in catalogues.values()))
    for key in sorted(keys):
        missing = [n for n in names if key not in catalogues[n]]
        if missing:
            problems.append(f"{key}: missing in {', '.join(missing)}")
            continue
        found = {n: placeholders(catalogues[n][key]) for n in names}
        if len(set(found.values())) > 1:
            shown = "; ".join(f"{n} {sorted(found[n])}" for n in names)
            problems.append(f"{key}: placeholders differ ({shown})")
    return problems


def normalize(value: str | None) -> str | None:
    """``"zh"``, ``"en"`` or ``None`` for anything else (``zh-CN`` is ``zh``)."""
    if not value:
        return None
    head = value.strip().lower().replace("_", "-").split("-")[0]
    return head if head in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The first language of ``Accept-Language`` the console speaks, by weight."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                weight = 0.0
        language = normalize(tag)
        if language and weight > 0:
            ranked.append((-weight, position, language))
    return min(ranked)[2] if ranked else None


def choose_language(
    *,
    account: str | None,
    cookie: str | None,
    accept_language: str | None,
    site: str,
) -> str:
    """The language of a page: the account's choice when signed in, else the
    cookie, else the browser's ``Accept-Language``, else the site's language."""
    return (
        normalize(account)
        or normalize(cookie)
        or from_accept_language(accept_language)
        or normalize(site)
        or DEFAULT_LANGUAGE
    )


class Translator:
    """The texts of one language: ``t("queue.heading")``, ``t("x", count=2)``."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self.texts = catalogue(self.language)

    def __call__(self, key: str, **params: Any) -> str:
        """The text of ``key`` with ``params`` put in; a missing key is an error."""
        text = self.texts[key]
        return text.format(**params) if params else text

    def has(self, key: str) -> bool:
        """Whether the catalogue has ``key``."""
        return key in self.texts
