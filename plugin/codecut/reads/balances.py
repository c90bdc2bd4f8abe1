"""The one definition of an influencer's money, per currency, used by every reader.

The portal, ``influencer show``, exports, ``payouts verify`` and the payout run all read balances
through this module, so they cannot disagree. An entry that counts (not void) is in exactly one of:

* **pending**: its hold has not ended (not yet approved);
* **payable**: its hold has ended, it is not held for review, and it is in no payout;
* **held**: flagged for review; in no balance that is paid until a person clears it;
* **in payout**: part of a payout that is not paid yet (pending, being sent, or failed);
* **paid**: part of a paid payout.

**Taken back** is told beside them: what refunds and cancellations reversed (a positive figure;
those reversals are themselves entries in the buckets above).

A payout's amount is the sum of the entries it settles (settlement writes it so, and
``payouts verify`` checks it), so *in payout* and *paid* are summed from payouts: an influencer's
years of paid commissions cost nothing to read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlmodel import Session, col

from ..dates import stored_day
from ..models import EntryKind, EntryStatus, Influencer, LedgerEntry, Payout, PayoutStatus
from ..money import format_minor

#: Payouts whose money has not reached the influencer yet (cancelled ones hold no entries).
UNPAID_PAYOUTS = (PayoutStatus.PENDING, PayoutStatus.PROCESSING, PayoutStatus.FAILED)


# -- the predicates, for queries that group entries themselves (the payout run) ----------------


def unsettled() -> ColumnElement[bool]:
    """In no payout."""
    return col(LedgerEntry.payout_id).is_(None)


def is_pending(as_of: date | None = None) -> ColumnElement[bool]:
    """Hold not ended. With ``as_of``, entries whose hold ends by then are not pending."""
    pending = col(LedgerEntry.status) == EntryStatus.PENDING
    if as_of is None:
        return pending
    return and_(pending, col(LedgerEntry.available_on) > as_of)


def is_payable(as_of: date | None = None) -> ColumnElement[bool]:
    """Hold ended (by ``as_of`` when given: a run approves first), not held, in no payout."""
    approved = col(LedgerEntry.status) == EntryStatus.APPROVED
    if as_of is not None:
        approved = or_(
            approved,
            and_(
                col(LedgerEntry.status) == EntryStatus.PENDING,
                col(LedgerEntry.available_on) <= as_of,
            ),
        )
    return and_(approved, unsettled())


def is_held() -> ColumnElement[bool]:
    return col(LedgerEntry.status) == EntryStatus.HELD


def is_taken_back() -> ColumnElement[bool]:
    """A reversal that counts: not void, not held."""
    return and_(
        col(LedgerEntry.kind) == EntryKind.REVERSAL,
        col(LedgerEntry.status).not_in((EntryStatus.VOID, EntryStatus.HELD)),
    )


# -- balances --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Balance:
    """One influencer's money in one currency, in minor units."""

    influencer_id: int
    currency: str
    pending: int = 0
    payable: int = 0
    held: int = 0
    in_payout: int = 0
    paid: int = 0
    taken_back: int = 0  # positive: what reversals took back
    next_payable_on: date | None = None  # the earliest day a pending commission becomes payable

    def as_record(self) -> dict[str, Any]:
        """Decimal strings keyed by bucket, as ``influencer show --json`` and exports print."""
        money = {
            name: format_minor(getattr(self, name), self.currency)
            for name in ("pending", "payable", "held", "in_payout", "paid", "taken_back")
        }
        return {"currency": self.currency, **money}


def _sum_if(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, col(LedgerEntry.amount)), else_=0)), 0)


def balances(
    session: Session,
    *,
    influencer_ids: Iterable[int] | None = None,
    as_of: date | None = None,
) -> list[Balance]:
    """Balances per (influencer, currency), ordered by influencer then currency.

    ``influencer_ids`` limits them (an index range per influencer); ``as_of`` counts entries whose
    hold ends by that day as payable, as a run on that day would.
    """
    ids = None if influencer_ids is None else sorted(set(influencer_ids))
    if ids == []:
        return []
    entry_filter = [col(LedgerEntry.status) != EntryStatus.VOID]
    payout_filter = [col(Payout.status).in_((*UNPAID_PAYOUTS, PayoutStatus.PAID))]
    if ids is not None:
        entry_filter.append(col(LedgerEntry.influencer_id).in_(ids))
        payout_filter.append(col(Payout.influencer_id).in_(ids))
    amount = col(LedgerEntry.amount)
    entry_rows = session.execute(
        select(
            col(LedgerEntry.influencer_id),
            col(LedgerEntry.currency),
            _sum_if(and_(is_pending(as_of), unsettled())),
            _sum_if(is_payable(as_of)),
            _sum_if(and_(is_held(), unsettled())),
            _sum_if(is_taken_back()),
            func.min(
                case(
                    (
                        and_(is_pending(as_of), unsettled(), amount > 0),
                        col(LedgerEntry.available_on),
                    )
                )
            ),
        )
        .where(*entry_filter, or_(unsettled(), col(LedgerEntry.kind) == EntryKind.REVERSAL))
        .group_by(col(LedgerEntry.influencer_id), col(LedgerEntry.currency))
    ).all()
    payout_rows = session.execute(
        select(
            col(Payout.influencer_id),
            col(Payout.currency),
            func.coalesce(
                func.sum(case((col(Payout.status).in_(UNPAID_PAYOUTS), col(Payout.amount)))), 0
            ),
            func.coalesce(
                func.sum(case((col(Payout.status) == PayoutStatus.PAID, col(Payout.amount)))), 0
            ),
        )
        .where(*payout_filter)
        .group_by(col(Payout.influencer_id), col(Payout.currency))
    ).all()
    found: dict[tuple[int, str], dict[str, Any]] = {}
    for influencer_id, currency, pending, payable, held, taken, next_on in entry_rows:
        found[(influencer_id, currency)] = {
            "pending": int(pending),
            "payable": int(payable),
            "held": int(held),
            "taken_back": -int(taken),
            "next_payable_on": stored_day(next_on),
        }
    for influencer_id, currency, in_payout, paid in payout_rows:
        figures = found.setdefault((influencer_id, currency), {})
        figures["in_payout"] = int(in_payout)
        figures["paid"] = int(paid)
    return [
        Balance(influencer_id=influencer_id, currency=currency, **figures)
        for (influencer_id, currency), figures in sorted(found.items())
    ]


def influencer_balances(session: Session, influencer_id: int) -> list[Balance]:
    """One influencer's balances, by currency."""
    return balances(session, influencer_ids=[influencer_id])


# -- what a run pays -------------------------------------------------------------------------


@dataclass(frozen=True)
class PayableGroup:
    """The payable entries of one influencer in one currency: what one payout would settle."""

    influencer_id: int
    email: str
    stripe_account_id: str | None
    currency: str
    amount: int
    entries: int


def payable_groups(session: Session, *, as_of: date | None = None) -> Iterator[PayableGroup]:
    """Every (influencer, currency) with payable entries, summed in the database."""
    query = (
        select(
            col(LedgerEntry.influencer_id),
            col(Influencer.email),
            col(Influencer.stripe_account_id),
            col(LedgerEntry.currency),
            func.sum(col(LedgerEntry.amount)),
            func.count(),
        )
        .join(Influencer, col(Influencer.id) == col(LedgerEntry.influencer_id))
        .where(is_payable(as_of))
        .group_by(
            col(LedgerEntry.influencer_id),
            col(Influencer.email),
            col(Influencer.stripe_account_id),
            col(LedgerEntry.currency),
        )
        .order_by(col(LedgerEntry.influencer_id), col(LedgerEntry.currency))
    )
    for influencer_id, email, account, currency, total, count in session.execute(query):
        yield PayableGroup(influencer_id, email, account, currency, int(total), int(count))
