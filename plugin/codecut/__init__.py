"""Codecut: influencer discount codes, commissions from storefront webhooks, Stripe Connect payouts.

Use it inside an existing Flask app::

    from codecut import Codecut
    codecut = Codecut(app)

or run the standalone service with ``gunicorn 'codecut.app:create_app()'``.
"""

from .extension import Codecut, db_session, get_state

__all__ = ["Codecut", "db_session", "get_state"]
