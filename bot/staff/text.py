"""What staff type: control characters dropped; the error of a refused request."""

from __future__ import annotations

import re

# C0 control characters other than tab, newline and carriage return, and DEL.
# PostgreSQL refuses NUL in text, and none of them belongs in a note or a search.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str | None) -> str:
    """Drop control characters (NUL and friends) from text typed by staff."""
    return _CONTROL_CHARS.sub("", value or "")


class StaffError(ValueError):
    """A request staff made that cannot be carried out; the message says why."""
