"""Codecut: influencer discount codes, commissions from storefront webhooks, Stripe Connect payouts.

Use it inside an existing Flask app::

    from codecut import Codecut
    codecut = Codecut(app)

or run the standalone service with ``gunicorn 'codecut.app:create_app()'``.

The names below are loaded lazily, so importing a core module (``codecut.money``) never loads
Flask.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .extension import Codecut, db_session
    from .state import get_state

__all__ = ["Codecut", "db_session", "get_state"]

_HOMES = {"Codecut": ".extension", "db_session": ".extension", "get_state": ".state"}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name], __name__), name)
    raise AttributeError(f"module 'codecut' has no attribute {name!r}")
