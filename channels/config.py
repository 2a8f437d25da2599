"""Channel configuration: a connector's block of ``credentials.yml``, with secrets.

Values may name environment variables as ``"${NAME}"`` or ``"${NAME:-default}"``.
Quoted like that, Rasa's YAML reader leaves them alone (its ``${...}`` expansion
applies to unquoted values only, and stops the whole server when a variable is
unset), and :func:`load_config` expands them here instead: a channel whose secrets
are unset is then simply not started (:class:`DisabledChannel`), with one log line
naming the missing variables, and ``make run`` works with no secrets.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Dict

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint

from bot.settings import environment

logger = logging.getLogger(__name__)

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand(value: Any, env: Mapping[str, str]) -> tuple[Any, list[str]]:
    """Expand ``${NAME}`` and ``${NAME:-default}`` in a credentials value.

    Args:
        value: A value from ``credentials.yml``; only strings are expanded.
        env: The environment to read.

    Returns:
        The expanded value and the names of variables that were unset or empty and
        had no default (the value is then ``None``).
    """
    if not isinstance(value, str):
        return value, []
    missing: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        found = env.get(name, "")
        if found:
            return found
        if default is not None:
            return default
        missing.append(name)
        return ""

    expanded = _ENV_REF.sub(substitute, value)
    return (None if missing else expanded), missing


def load_config(
    channel: str,
    credentials: Mapping[str, Any] | None,
    required: tuple[str, ...],
    defaults: Mapping[str, Any],
    env: Mapping[str, str] | None = None,
) -> Dict[str, Any] | None:
    """A channel's settings from its ``credentials.yml`` block, or ``None``.

    ``None`` (and one log line) when a required value is missing or names an unset
    environment variable: the channel is then not started.

    Args:
        channel: The channel's name, for the log line.
        credentials: The channel's block in ``credentials.yml``.
        required: Keys that must have a non-empty value.
        defaults: Optional keys and their values when absent or empty.
        env: Environment variables (the process environment by default).
    """
    env = environment() if env is None else env
    credentials = credentials or {}
    config: Dict[str, Any] = {}
    missing: list[str] = []
    for key in (*required, *defaults):
        value, unset = expand(credentials.get(key), env)
        if key in required:
            if unset:
                missing.extend(unset)
            elif value in (None, ""):
                missing.append(f"'{key}' in credentials.yml")
        if value in (None, ""):
            value = defaults.get(key)
        config[key] = value
    if missing:
        logger.info(
            "channel %s not started: %s not set", channel, ", ".join(sorted(missing))
        )
        return None
    return config


class DisabledChannel(InputChannel):
    """Stands in for a channel whose secrets are not set: serves no route."""

    def __init__(self, channel: str) -> None:
        """Remember which channel this replaces."""
        self.channel = channel

    def url_prefix(self) -> str:
        """A prefix of its own, so it clashes with nothing."""
        return f"disabled_{self.channel}"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """An empty blueprint: the channel's webhook answers 404."""
        return Blueprint(f"disabled_{self.channel}")
