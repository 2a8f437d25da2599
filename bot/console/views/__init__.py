"""The console's pages, one module per page or group of pages.

Importing this package declares every route (:func:`bot.console.context.route`), in
this order: sign-in, referrals, funnel, exports, admin.
"""

from bot.console.views import admin, exports, funnel, referrals, signin

__all__ = ["admin", "exports", "funnel", "referrals", "signin"]
