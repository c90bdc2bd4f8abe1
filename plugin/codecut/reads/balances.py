"""The one definition of an influencer's money, per currency, used by every reader.

The portal, ``influencer show``, exports, ``payouts verify`` and the payout run all read balances
and statuses through this module, so they cannot disagree. An entry that counts (not void) is in
exactly one of:

* **pending**: its hold has not ended -- no approval has reached its ``available_on`` yet;
* **payable**: approved, not held for review, settled by no payout;
* **held**: flagged for review; in no balance that is paid until a person clears it;
* **in payout**: settled by a payout that is not paid yet (pending, being sent, or failed);
* **paid**: settled by a paid payout.

**Taken back** is told beside them: what refunds and cancellations reversed (a positive figure;
those reversals are themselves entries in the buckets above).

Nothing here rewrites the ledger. An entry stores ``pending`` or ``approved`` when booked, and
``held`` or ``void`` when reviewed; approval is a watermark (:mod:`codecut.commissions.approval`:
every entry whose hold ends by the latest approved day is approved) and settlement a separate
table (:class:`~codecut.models.Settlement`). A payout's amount is the sum of the entries it
settles (settlement writes it so, and ``payouts verify`` checks it), so *in payout* and *paid* are
summed from payouts and *payable* is what is left: an influencer's years of paid commissions cost
nothing to read, and no balance needs the settlement table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select
from sqlmodel import Session, col

from ..commissions.approval import approved_through
from ..dates import stored_day
from ..models import (
    EntryKind,
    EntryStatus,
    Influencer,
    LedgerEntry,
    Payout,
    PayoutStatus,
    Settlement,
)
from ..money import format_minor

#: A query of any columns (SQLAlchemy types a select by what it returns).
AnySelect = Select[*tuple[Any, ...]]

#: Payouts whose money has not reached the influencer yet (cancelled ones settle no entries).
UNPAID_PAYOUTS = (PayoutStatus.PENDING, PayoutStatus.PROCESSING, PayoutStatus.FAILED)
#: Statuses a person's review stores; they win over everything derived.
REVIEWED = (EntryStatus.VOID, EntryStatus.HELD)


# -- the predicates, on a ledger entry ----------------------------------------------------------


def is_approved(through: date | None) -> ColumnElement[bool]:
    """Booked without a hold (adjustments, clawbacks), or its hold ended by ``through``."""
    stored = col(LedgerEntry.status) == EntryStatus.APPROVED
    if through is None:
        return stored
    return or_(
        stored,
        and_(
            col(LedgerEntry.status) == EntryStatus.PENDING,
            col(LedgerEntry.available_on) <= through,
        ),
    )


def is_pending(through: date | None) -> ColumnElement[bool]:
    """Hold not ended: no approval has reached it. (A settled entry never is: it was approved.)"""
    pending = col(LedgerEntry.status) == EntryStatus.PENDING
    if through is None:
        return pending
    return and_(pending, col(LedgerEntry.available_on) > through)


def is_held() -> ColumnElement[bool]:
    return col(LedgerEntry.status) == EntryStatus.HELD


def counts() -> ColumnElement[bool]:
    """Not void: in one of the buckets."""
    return col(LedgerEntry.status) != EntryStatus.VOID


def is_taken_back() -> ColumnElement[bool]:
    """A reversal that counts: not void, not held."""
    return and_(
        col(LedgerEntry.kind) == EntryKind.REVERSAL,
        col(LedgerEntry.status).not_in((EntryStatus.VOID, EntryStatus.HELD)),
    )


def is_settled() -> ColumnElement[bool]:
    """Some payout settles it."""
    return exists().where(col(Settlement.entry_id) == col(LedgerEntry.id))


def is_payable(through: date | None) -> ColumnElement[bool]:
    """Approved and settled by no payout: what a run settles."""
    return and_(is_approved(through), ~is_settled())


def status_of(through: date | None) -> ColumnElement[str]:
    """The status people see, for a query that outer-joins :class:`Settlement` on the entry and
    :class:`Payout` on the settlement (:func:`with_settlement`)."""
    return case(
        (
            col(LedgerEntry.status).in_((EntryStatus.VOID, EntryStatus.HELD)),
            col(LedgerEntry.status),
        ),
        (col(Payout.status) == PayoutStatus.PAID, EntryStatus.PAID.value),
        (is_approved(through), EntryStatus.APPROVED.value),
        else_=EntryStatus.PENDING.value,
    )


def with_settlement(query: AnySelect) -> AnySelect:
    """``query`` (on ledger entries) with each entry's settlement and payout, for
    :func:`status_of` and the payout an entry belongs to."""
    return query.outerjoin(Settlement, col(Settlement.entry_id) == col(LedgerEntry.id)).outerjoin(
        Payout, col(Payout.id) == col(Settlement.payout_id)
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
    on: date | None = None,
) -> list[Balance]:
    """Balances per (influencer, currency), ordered by influencer then currency.

    ``influencer_ids`` limits them (an index range per influencer); ``as_of`` counts entries whose
    hold ends by that day as approved, as a run on that day would. ``on`` gives the balances as
    they stood at the end of that day (UTC): entries booked, approvals made, payouts made and paid
    by then (a payout cancelled since shows its entries as payable: cancellation is not dated).
    """
    ids = None if influencer_ids is None else sorted(set(influencer_ids))
    if ids == []:
        return []
    end = datetime.combine(on + timedelta(days=1), time.min, tzinfo=UTC) if on else None
    through = approved_through(session, as_of, recorded_before=end)
    entry_filter: list[ColumnElement[bool]] = [counts()]
    payout_filter: list[ColumnElement[bool]] = [
        col(Payout.status).in_((*UNPAID_PAYOUTS, PayoutStatus.PAID))
    ]
    is_paid: ColumnElement[bool] = col(Payout.status) == PayoutStatus.PAID
    if end is not None:
        entry_filter.append(col(LedgerEntry.created_at) < end)
        payout_filter.append(col(Payout.created_at) < end)
        is_paid = and_(is_paid, col(Payout.paid_at) < end)
    if ids is not None:
        entry_filter.append(col(LedgerEntry.influencer_id).in_(ids))
        payout_filter.append(col(Payout.influencer_id).in_(ids))
    pending = is_pending(through)
    entry_rows = session.execute(
        select(
            col(LedgerEntry.influencer_id),
            col(LedgerEntry.currency),
            func.sum(col(LedgerEntry.amount)),
            _sum_if(pending),
            _sum_if(is_held()),
            _sum_if(is_taken_back()),
            func.min(
                case((and_(pending, col(LedgerEntry.amount) > 0), col(LedgerEntry.available_on)))
            ),
        )
        .where(*entry_filter)
        .group_by(col(LedgerEntry.influencer_id), col(LedgerEntry.currency))
    ).all()
    payout_rows = session.execute(
        select(
            col(Payout.influencer_id),
            col(Payout.currency),
            func.coalesce(func.sum(case((~is_paid, col(Payout.amount)))), 0),
            func.coalesce(func.sum(case((is_paid, col(Payout.amount)))), 0),
        )
        .where(*payout_filter)
        .group_by(col(Payout.influencer_id), col(Payout.currency))
    ).all()
    entries = {(who, currency): rest for who, currency, *rest in entry_rows}
    settled = {(who, cur): (int(unpaid), int(paid)) for who, cur, unpaid, paid in payout_rows}
    found = []
    for who, currency in sorted(entries.keys() | settled.keys()):
        total, pending_sum, held, taken, next_on = entries.get((who, currency), (0, 0, 0, 0, None))
        in_payout, paid = settled.get((who, currency), (0, 0))
        found.append(
            Balance(
                influencer_id=who,
                currency=currency,
                pending=int(pending_sum),
                payable=int(total) - int(pending_sum) - int(held) - in_payout - paid,
                held=int(held),
                in_payout=in_payout,
                paid=paid,
                taken_back=-int(taken),
                next_payable_on=stored_day(next_on),
            )
        )
    return found


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
    stripe_transfers: str | None = None  # the account's transfers capability, as last reported


def payable_groups(
    session: Session, *, through: date | None, with_account: bool | None = None
) -> Iterator[PayableGroup]:
    """Every (influencer, currency) with payable entries as of the approval ``through``, summed
    in the database (the payable entries themselves, not a difference: a run settles them).

    ``with_account`` limits them to influencers with (True) or without (False) a connected
    Stripe account, in the database: a Stripe-only question reads only their entries."""
    filters = [is_payable(through)]
    if with_account is not None:
        account = col(Influencer.stripe_account_id)
        has_account = and_(account.is_not(None), account != "")
        filters.append(
            col(LedgerEntry.influencer_id).in_(
                select(col(Influencer.id)).where(has_account if with_account else ~has_account)
            )
        )
    sums = (
        select(
            col(LedgerEntry.influencer_id).label("influencer_id"),
            col(LedgerEntry.currency).label("currency"),
            func.sum(col(LedgerEntry.amount)).label("total"),
            func.count().label("entries"),
        )
        .where(*filters)
        .group_by(col(LedgerEntry.influencer_id), col(LedgerEntry.currency))
        .subquery()
    )
    query = (
        select(
            sums.c.influencer_id,
            col(Influencer.email),
            col(Influencer.stripe_account_id),
            sums.c.currency,
            sums.c.total,
            sums.c.entries,
            col(Influencer.stripe_transfers),
        )
        .join(Influencer, col(Influencer.id) == sums.c.influencer_id)
        .order_by(sums.c.influencer_id, sums.c.currency)
    )
    for influencer_id, email, account, currency, total, count, transfers in session.execute(query):
        yield PayableGroup(
            influencer_id, email, account, currency, int(total), int(count), transfers
        )
