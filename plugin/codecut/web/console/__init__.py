"""The brand console at ``/console``: server-rendered pages for the marketing team and finance.

:mod:`.auth` signs staff in with a mailed one-time link into a cookie of the console's own (never
the portal's), checks the role every route needs on the server, and guards every form with a
CSRF token. One module per page group registers its routes on :data:`console`.
"""

from __future__ import annotations

from . import admin, campaigns, deliveries, influencers, overview, payouts, review, signin
from .auth import console

__all__ = [
    "admin",
    "campaigns",
    "console",
    "deliveries",
    "influencers",
    "overview",
    "payouts",
    "review",
    "signin",
]
