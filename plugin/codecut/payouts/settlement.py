"""Settlement: every payable balance that reaches the minimum becomes a payout, set-based.

One transaction inserts the payouts and links the entries to them (``ledger_entry.payout_id``,
a single column, so an entry can belong to one payout only), then recomputes each payout's amount
from the entries actually linked. It happens entirely or not at all.
"""

from __future__ import annotations

from sqlalchemy import delete, exists, func, insert, select, text, update
from sqlmodel import Session, col

from ..db import rowcount
from ..errors import Conflict
from ..models import EntryStatus, LedgerEntry, Payout, PayoutBatch, PayoutStatus, table_of, utcnow
from .methods import destination_for, method_for
from .minimum import PayoutMinimum
from .planning import groups_to_pay


def settle(session: Session, batch: PayoutBatch, minimum: PayoutMinimum) -> int:
    """Turn every balance that reaches the minimum into a payout of ``batch``.

    Runs in the caller's transaction; returns the number of payouts. A batch that already has
    payouts was settled before a crash and is left as it is.
    """
    if session.scalar(select(exists().where(col(Payout.batch_id) == batch.id))):
        return 0
    now = utcnow()
    rows = [
        {
            "batch_id": batch.id,
            "influencer_id": group.influencer_id,
            "currency": group.currency,
            "amount": group.amount,
            "entry_count": 0,
            "method": method_for(group.stripe_account_id),
            "destination": destination_for(group.stripe_account_id, group.email),
            "status": PayoutStatus.PENDING,
            "attempt": 1,
            "period_end": batch.as_of,
            "created_at": now,
        }
        for group in groups_to_pay(session, as_of=None, method=batch.method)
        if minimum.reached(group.amount, group.currency)
    ]
    if not rows:
        return 0
    session.execute(insert(Payout), rows)
    if session.get_bind().dialect.name == "postgresql":
        # Fresh statistics, so the planner joins the entries to thousands of new payouts with a
        # hash join rather than a nested loop (minutes instead of seconds at a million entries).
        session.execute(text("ANALYZE codecut_payout"))

    ledger = table_of(LedgerEntry)
    payout = table_of(Payout)
    linked = rowcount(
        session.execute(
            update(ledger)
            .where(
                payout.c.batch_id == batch.id,
                payout.c.influencer_id == ledger.c.influencer_id,
                payout.c.currency == ledger.c.currency,
                ledger.c.status == EntryStatus.APPROVED.value,
                ledger.c.payout_id.is_(None),
            )
            .values(payout_id=payout.c.id)
        )
    )
    totals = (
        select(
            ledger.c.payout_id.label("payout_id"),
            func.sum(ledger.c.amount).label("total"),
            func.count().label("n"),
        )
        .where(ledger.c.payout_id.in_(select(payout.c.id).where(payout.c.batch_id == batch.id)))
        .group_by(ledger.c.payout_id)
        .subquery()
    )
    session.execute(
        update(payout)
        .where(payout.c.id == totals.c.payout_id)
        .values(amount=totals.c.total, entry_count=totals.c.n)
    )
    # An entry booked concurrently (a clawback) may have moved a balance below the minimum
    # between the sum and the link: such payouts are undone, their entries carried forward.
    made = session.execute(
        select(payout.c.id, payout.c.currency, payout.c.amount, payout.c.entry_count).where(
            payout.c.batch_id == batch.id
        )
    ).all()
    undone = [pid for pid, cur, amount, n in made if n == 0 or not minimum.reached(amount, cur)]
    if undone:
        session.execute(update(ledger).where(ledger.c.payout_id.in_(undone)).values(payout_id=None))
        session.execute(delete(payout).where(payout.c.id.in_(undone)))
    if linked != sum(n for *_rest, n in made):
        raise Conflict("settlement linked other entries than its payouts count; rolled back")
    return len(made) - len(undone)
