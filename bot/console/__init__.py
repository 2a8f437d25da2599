"""The staff console: a web application of its own (``python -m bot console``).

Study coordinators, investigators and admins sign in to work the referral queue,
read screenings criterion by criterion with their transcripts, move referrals along
the workflow, export data and (admins) manage accounts and erase data on request.
See :mod:`bot.console.app` for the security model and :mod:`bot.console.server`
for running it.

``make_app`` is imported on first use, so that :mod:`bot.console.i18n` (the
catalogues, also used for the referral e-mail) can be imported without the web
application.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.console.app import make_app

__all__ = ["make_app"]


def __getattr__(name: str) -> Any:
    if name == "make_app":
        from bot.console.app import make_app

        return make_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
