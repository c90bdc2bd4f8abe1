"""``codecut payouts reconcile``: Codecut's payouts against the platform's transfers on Stripe.

It changes nothing; it names what differs, so finance can act before a statement does:

* ``unknown_transfer``: a transfer in one of Codecut's transfer groups (or naming a payout in its
  metadata) that no payout records;
* ``not_recorded_paid``: a transfer exists for a payout Codecut does not hold as paid (a run that
  stopped mid-call: the next ``payouts run`` settles it);
* ``paid_without_transfer``: a Stripe payout marked paid whose transfer Stripe does not list;
* ``amount_differs`` / ``currency_differs`` / ``destination_differs``;
* ``reversal_not_recorded``: Stripe reversed more of a transfer than has been booked back.

Transfers are listed from a day before ``since``, so a payout paid just after it is matched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from ..errors import InvalidInput
from ..inbox.stripe_events import reversal_booked
from ..models import Payout, PayoutMethod, PayoutStatus
from ..money import format_minor
from .sending import TRANSFER_GROUP_PREFIX
from .stripe_client import from_stripe_amount

#: How far before ``since`` transfers are listed: a transfer is made before its payout is paid.
MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class Difference:
    kind: str
    detail: str
    payout_id: int | None = None
    transfer_id: str | None = None

    def as_record(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "payout_id": self.payout_id,
            "transfer_id": self.transfer_id,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Reconciliation:
    since: datetime
    transfers: int  # Codecut's transfers Stripe listed
    payouts: int  # Stripe payouts Codecut holds as paid in the period
    differences: list[Difference]

    @property
    def ok(self) -> bool:
        return not self.differences


def _ours(transfer: dict[str, Any]) -> bool:
    group = transfer.get("transfer_group") or ""
    metadata = transfer.get("metadata") or {}
    return group.startswith(TRANSFER_GROUP_PREFIX) or "payout_id" in metadata


def _stripe_minor(amount: int, currency: str) -> int | None:
    try:
        return from_stripe_amount(amount, currency)
    except InvalidInput:
        return None


def compare(
    session: Session, transfers: list[dict[str, Any]], *, since: datetime
) -> Reconciliation:
    """What differs between ``transfers`` (Stripe's list) and the payouts Codecut holds."""
    ours = [t for t in transfers if _ours(t)]
    by_reference: dict[str, Payout] = {}
    by_id: dict[int, Payout] = {}
    for row in session.scalars(select(Payout).where(col(Payout.method) == PayoutMethod.STRIPE)):
        by_id[row.id or 0] = row
        if row.reference:
            by_reference[row.reference] = row
    differences: list[Difference] = []
    seen: set[str] = set()
    for transfer in ours:
        transfer_id = str(transfer["id"])
        seen.add(transfer_id)
        named = str((transfer.get("metadata") or {}).get("payout_id", ""))
        payout = by_reference.get(transfer_id) or (
            by_id.get(int(named)) if named.isdigit() else None
        )
        if payout is None:
            differences.append(
                Difference(
                    "unknown_transfer",
                    f"{transfer_id}: {transfer.get('amount')} {transfer.get('currency')} to "
                    f"{transfer.get('destination')} in {transfer.get('transfer_group')}, "
                    "which no payout records",
                    transfer_id=transfer_id,
                )
            )
            continue
        differences.extend(_check(session, payout, transfer))
    paid_since = session.scalars(
        select(Payout)
        .where(
            col(Payout.method) == PayoutMethod.STRIPE,
            col(Payout.status) == PayoutStatus.PAID,
            col(Payout.paid_at) >= since,
        )
        .order_by(col(Payout.id))
    ).all()
    for paid in paid_since:
        if paid.reference not in seen:
            differences.append(
                Difference(
                    "paid_without_transfer",
                    f"payout {paid.id} is paid ({format_minor(paid.amount, paid.currency)} "
                    f"{paid.currency}, reference {paid.reference}) but Stripe lists no such "
                    "transfer",
                    payout_id=paid.id,
                    transfer_id=paid.reference,
                )
            )
    return Reconciliation(since, len(ours), len(paid_since), differences)


def _check(session: Session, payout: Payout, transfer: dict[str, Any]) -> list[Difference]:
    transfer_id = str(transfer["id"])
    found: list[Difference] = []

    def differ(kind: str, detail: str) -> None:
        found.append(Difference(kind, detail, payout_id=payout.id, transfer_id=transfer_id))

    if payout.status != PayoutStatus.PAID or payout.reference != transfer_id:
        differ(
            "not_recorded_paid",
            f"Stripe made {transfer_id} for payout {payout.id}, which Codecut holds as "
            f"{payout.status}; `codecut payouts run` settles it",
        )
    currency = str(transfer.get("currency") or "").upper()
    if currency != payout.currency:
        differ(
            "currency_differs",
            f"{transfer_id} is in {currency}, payout {payout.id} in {payout.currency}",
        )
        return found
    amount = _stripe_minor(int(transfer.get("amount") or 0), currency)
    if amount != payout.amount:
        differ(
            "amount_differs",
            f"{transfer_id} is {transfer.get('amount')} (Stripe units), payout {payout.id} is "
            f"{format_minor(payout.amount, payout.currency)} {payout.currency}",
        )
    if payout.destination and transfer.get("destination") != payout.destination:
        differ(
            "destination_differs",
            f"{transfer_id} went to {transfer.get('destination')}, payout {payout.id} to "
            f"{payout.destination}",
        )
    reversed_minor = _stripe_minor(int(transfer.get("amount_reversed") or 0), currency) or 0
    booked = reversal_booked(session, payout, transfer_id)
    if reversed_minor > booked:
        differ(
            "reversal_not_recorded",
            f"Stripe reversed {format_minor(reversed_minor, currency)} {currency} of "
            f"{transfer_id}; {format_minor(booked, currency)} is booked back",
        )
    return found
