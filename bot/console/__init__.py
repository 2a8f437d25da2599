"""The staff console: a web application of its own (``python -m bot console``).

Study coordinators, investigators and admins sign in to work the referral queue,
read screenings criterion by criterion with their transcripts, move referrals along
the workflow, export data and (admins) manage accounts and erase data on request.
See :mod:`bot.console.app` for the security model and :mod:`bot.console.server`
for running it.
"""

from bot.console.app import make_app

__all__ = ["make_app"]
