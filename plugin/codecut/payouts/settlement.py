"""Settlement: every payable balance that reaches the minimum becomes a payout, set-based.

One transaction inserts the payouts and records which entries each settles: one row per entry in
:class:`~codecut.models.Settlement`, whose key is the entry, so an entry is settled by one payout
at most. The ledger itself is never rewritten. Each payout's amount is then recomputed from the
entries actually settled. It happens entirely or not at all.
"""

from __future__ import annotations

from sqlalchemy import delete, exists, func, insert, select, text, update
from sqlmodel import Session, col

from ..commissions.approval import approved_through
from ..models import LedgerEntry, Payout, PayoutBatch, PayoutStatus, Settlement, table_of, utcnow
from ..reads.balances import is_payable
from .methods import destination_for, method_for
from .minimum import PayoutMinimum
from .planning import groups_to_pay


def settle(session: Session, batch: PayoutBatch, minimum: PayoutMinimum) -> int:
    """Turn every balance that reaches the minimum into a payout of ``batch``.

    Runs in the caller's transaction, after the batch's approval; returns the number of payouts.
    A batch that already has payouts was settled before a crash and is left as it is.
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

    ledger, payout, settled = table_of(LedgerEntry), table_of(Payout), table_of(Settlement)
    session.execute(
        insert(settled).from_select(
            ["entry_id", "payout_id"],
            select(ledger.c.id, payout.c.id)
            .join(
                payout,
                (payout.c.influencer_id == ledger.c.influencer_id)
                & (payout.c.currency == ledger.c.currency),
            )
            .where(payout.c.batch_id == batch.id, is_payable(approved_through(session))),
        )
    )
    totals = (
        select(
            settled.c.payout_id.label("payout_id"),
            func.sum(ledger.c.amount).label("total"),
            func.count().label("n"),
        )
        .join(ledger, ledger.c.id == settled.c.entry_id)
        .where(settled.c.payout_id.in_(select(payout.c.id).where(payout.c.batch_id == batch.id)))
        .group_by(settled.c.payout_id)
        .subquery()
    )
    session.execute(
        update(payout)
        .where(payout.c.id == totals.c.payout_id)
        .values(amount=totals.c.total, entry_count=totals.c.n)
    )
    # An entry booked concurrently (a clawback) may have moved a balance below the minimum
    # between the sum and the settlement: such payouts are undone, their entries carried forward.
    made = session.execute(
        select(payout.c.id, payout.c.currency, payout.c.amount, payout.c.entry_count).where(
            payout.c.batch_id == batch.id
        )
    ).all()
    undone = [pid for pid, cur, amount, n in made if n == 0 or not minimum.reached(amount, cur)]
    if undone:
        session.execute(delete(settled).where(settled.c.payout_id.in_(undone)))
        session.execute(delete(payout).where(payout.c.id.in_(undone)))
    return len(made) - len(undone)
