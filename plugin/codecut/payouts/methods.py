"""How an influencer is paid: the one rule, used by planning, settlement, retries and records.

Through Stripe when they have a connected account, else by hand (a manual payout that finance
pays outside Codecut and marks paid with a reference).
"""

from __future__ import annotations

from ..errors import InvalidInput
from ..models import PayoutMethod

METHODS = tuple(m.value for m in PayoutMethod)


def method_for(stripe_account_id: str | None) -> PayoutMethod:
    return PayoutMethod.STRIPE if stripe_account_id else PayoutMethod.MANUAL


def destination_for(stripe_account_id: str | None, email: str) -> str:
    """Where the money goes: the connected account, or the email finance pays by hand."""
    return stripe_account_id or email


def check_method(method: str | None) -> None:
    """``None`` means every method."""
    if method is not None and method not in METHODS:
        raise InvalidInput(f"method must be one of {', '.join(METHODS)}, not {method!r}")
