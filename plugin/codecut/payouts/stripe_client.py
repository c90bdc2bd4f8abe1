"""Stripe Connect Transfers with a known outcome, and the exponents Stripe uses.

Stripe's idempotency layer replays the first answer stored for a key (errors and 500s included),
stores nothing for a request that never reached it, and rejects a key reused with other
parameters. :func:`create_transfer` therefore never raises for Stripe's answers: it returns an
:class:`Outcome` saying whether money moved (``paid``), certainly did not (``declined``), or may
have (``unknown``), and the caller decides what to write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import stripe

from ..errors import InvalidInput, ServiceUnavailable
from ..money import exponent

#: Stripe's own exponents (https://docs.stripe.com/currencies), which are not ISO's/CLDR's:
#: e.g. ISK and HUF are two-decimal at Stripe, MGA is zero-decimal.
STRIPE_ZERO_DECIMAL = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
STRIPE_THREE_DECIMAL = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])


class StripeUnavailable(ServiceUnavailable):
    """Stripe cannot be used at all (bad key, no permission, lookup failing): stop the run."""


def stripe_exponent(currency: str) -> int:
    code = currency.upper()
    if code in STRIPE_ZERO_DECIMAL:
        return 0
    if code in STRIPE_THREE_DECIMAL:
        return 3
    return 2


def _power_of_ten(places: int) -> int:
    return int(10**places)


def to_stripe_amount(minor: int, currency: str) -> int:
    """Our minor units (ISO exponent) -> Stripe's; refuse what Stripe cannot express exactly."""
    shift = stripe_exponent(currency) - exponent(currency)
    if shift >= 0:
        return minor * _power_of_ten(shift)
    factor = _power_of_ten(-shift)
    if minor % factor:
        raise InvalidInput(
            f"{currency} amounts are whole at Stripe; {minor} minor units cannot be sent exactly"
        )
    return minor // factor


def from_stripe_amount(amount: int, currency: str) -> int:
    """Stripe's minor units -> ours (exact: Stripe never has more digits than it accepts)."""
    shift = stripe_exponent(currency) - exponent(currency)
    if shift <= 0:
        return amount * _power_of_ten(-shift)
    factor = _power_of_ten(shift)
    if amount % factor:
        raise InvalidInput(f"Stripe amount {amount} {currency} has fractions Codecut cannot book")
    return amount // factor


def build_client(api_key: str | None, api_base: str | None, max_network_retries: int) -> Any:
    """A ``StripeClient`` for the platform account; :class:`InvalidInput` without a key."""
    if not api_key:
        raise InvalidInput("CODECUT_STRIPE_API_KEY is not set: Stripe payouts cannot be sent")
    options: dict[str, Any] = {"max_network_retries": max_network_retries}
    if api_base:
        options["base_addresses"] = {"api": api_base.rstrip("/")}
    return stripe.StripeClient(api_key, **options)


@dataclass(frozen=True)
class Outcome:
    """What Stripe made of one transfer request."""

    status: Literal["paid", "declined", "unknown"]
    transfer_id: str | None = None
    code: str | None = None
    message: str | None = None
    #: True when Stripe answered (a 5xx, an idempotency error): the key holds that answer now,
    #: so only a new key can try again. False when no answer came back (network).
    answered: bool = False


def create_transfer(
    client: Any,
    *,
    amount: int,
    currency: str,
    destination: str,
    transfer_group: str,
    metadata: dict[str, str],
    idempotency_key: str,
) -> Outcome:
    """One ``POST /v1/transfers``; the client retries network failures with the same key."""
    params = {
        "amount": to_stripe_amount(amount, currency),
        "currency": currency.lower(),
        "destination": destination,
        "transfer_group": transfer_group,
        "metadata": metadata,
    }
    try:
        transfer = client.v1.transfers.create(params, {"idempotency_key": idempotency_key})
    except stripe.IdempotencyError as error:
        return Outcome("unknown", code="idempotency_error", message=_text(error), answered=True)
    except (stripe.InvalidRequestError, stripe.CardError) as error:
        return Outcome("declined", code=error.code or "invalid_request", message=_text(error))
    except (stripe.AuthenticationError, stripe.PermissionError) as error:
        # Stripe refused the caller, not the transfer: nothing was created, and no payout should
        # be marked failed for a platform-wide problem.
        raise StripeUnavailable(f"Stripe refused the API key: {_text(error)}") from None
    except stripe.APIConnectionError as error:
        return Outcome("unknown", code="network_error", message=_text(error))
    except stripe.StripeError as error:  # 5xx, 409 and rate limits after the client's retries
        status = getattr(error, "http_status", None)
        return Outcome("unknown", code=f"http_{status}", message=_text(error), answered=True)
    return Outcome("paid", transfer_id=transfer.id)


def find_transfer(client: Any, *, transfer_group: str, payout_id: int) -> str | None:
    """The transfer made for ``payout_id`` in ``transfer_group``, if any: the lookup that
    settles an unknown outcome before anything is sent again."""
    try:
        page = client.v1.transfers.list({"transfer_group": transfer_group, "limit": 100})
        for transfer in page.auto_paging_iter():
            metadata = transfer.to_dict().get("metadata") or {}
            if metadata.get("payout_id") == str(payout_id):
                return str(transfer.id)
    except stripe.StripeError as error:
        raise StripeUnavailable(f"could not look transfers up at Stripe: {_text(error)}") from None
    return None


def list_transfers(client: Any, *, created_from: int) -> list[dict[str, Any]]:
    """Every transfer of the platform created at or after ``created_from`` (unix), all pages."""
    try:
        page = client.v1.transfers.list({"created": {"gte": created_from}, "limit": 100})
        return [transfer.to_dict() for transfer in page.auto_paging_iter()]
    except stripe.StripeError as error:
        raise StripeUnavailable(f"could not list transfers at Stripe: {_text(error)}") from None


def retrieve_transfer(client: Any, transfer_id: str) -> Any:
    return client.v1.transfers.retrieve(transfer_id)


def _text(error: stripe.StripeError) -> str:
    return (error.user_message or str(error) or type(error).__name__).strip()
