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


#: Why a payable balance is not paid by a run: the connected account cannot receive transfers yet.
STRIPE_ONBOARDING = "stripe_onboarding"


def can_receive_transfers(stripe_account_id: str | None, transfers: str | None) -> bool:
    """A connected account Stripe may transfer to: its ``transfers`` capability is ``active``,
    or Stripe never reported on it (an account an operator typed in is trusted as before)."""
    return bool(stripe_account_id) and transfers in (None, "active")


def waits_for_onboarding(stripe_account_id: str | None, transfers: str | None) -> bool:
    """Has an account that cannot receive transfers yet: a run pays them nothing, not even by
    hand, until Stripe says the account is ready (then the next run pays them)."""
    return bool(stripe_account_id) and not can_receive_transfers(stripe_account_id, transfers)


def destination_for(stripe_account_id: str | None, email: str) -> str:
    """Where the money goes: the connected account, or the email finance pays by hand."""
    return stripe_account_id or email


def check_method(method: str | None) -> None:
    """``None`` means every method."""
    if method is not None and method not in METHODS:
        raise InvalidInput(f"method must be one of {', '.join(METHODS)}, not {method!r}")
