"""Settlement: every payable balance that reaches the minimum becomes a payout, set-based.

One transaction, reading one snapshot of the ledger, sums the payable entries per influencer and
currency, inserts the payouts, and records which entries each settles: one row per entry in
:class:`~codecut.models.Settlement`, whose key is the entry, so an entry is settled by one payout
at most. The ledger itself is never rewritten. Because the sums and the settlement read the same
snapshot (PostgreSQL's REPEATABLE READ; SQLite's write lock), each payout equals the entries it
settles by construction, which a count checks before anything commits. It happens entirely or
not at all.
"""

from __future__ import annotations

import json

from sqlalchemy import exists, insert, select, text
from sqlmodel import Session, col

from ..commissions.approval import approved_through
from ..db import rowcount
from ..errors import Conflict
from ..models import LedgerEntry, Payout, PayoutBatch, PayoutStatus, Settlement, table_of, utcnow
from ..reads.balances import PayableGroup, is_payable
from .methods import destination_for, method_for
from .minimum import PayoutMinimum
from .planning import groups_to_pay


def settle(session: Session, batch: PayoutBatch, minimum: PayoutMinimum) -> int:
    """Turn every balance that reaches the minimum into a payout of ``batch``.

    Runs in the caller's transaction (opened with ``snapshot=True``), after the batch's approval;
    returns the number of payouts. A batch that already has payouts was settled before a crash
    and is left as it is.
    """
    if session.scalar(select(exists().where(col(Payout.batch_id) == batch.id))):
        return 0
    reached = minimum.checker()
    groups = [
        group
        for group in groups_to_pay(session, as_of=None, method=batch.method)
        if reached(group.amount, group.currency)
    ]
    if not groups:
        return 0
    _insert_payouts(session, batch, groups)
    if session.get_bind().dialect.name == "postgresql":
        # Fresh statistics for the new payouts, and hash joins: settling joins every payable
        # entry to its payout, where a nested loop on a misestimate takes minutes, not seconds.
        session.execute(text("ANALYZE codecut_payout"))
        session.execute(text("SET LOCAL enable_nestloop = off"))

    ledger, payout, settled = table_of(LedgerEntry), table_of(Payout), table_of(Settlement)
    inserted = session.execute(
        insert(settled).from_select(
            ["entry_id", "payout_id"],
            select(ledger.c.id, payout.c.id)
            .join(
                payout,
                (payout.c.influencer_id == ledger.c.influencer_id)
                & (payout.c.currency == ledger.c.currency),
            )
            .where(payout.c.batch_id == batch.id, is_payable(approved_through(session))),
        ),
        execution_options={"preserve_rowcount": True},
    )
    # The batch had no payouts, so no settlement row named one of them before this insert:
    # what it inserted is everything linked to the batch.
    if rowcount(inserted) != sum(group.entries for group in groups):
        raise Conflict("settlement linked other entries than its payouts count; rolled back")
    return len(groups)


#: The payouts' columns a run writes per payout, and their PostgreSQL types.
_PAYOUT_COLUMNS = {
    "influencer_id": "integer",
    "currency": "varchar",
    "amount": "bigint",
    "entry_count": "integer",
    "method": "varchar",
    "destination": "varchar",
}


def _insert_payouts(session: Session, batch: PayoutBatch, groups: list[PayableGroup]) -> None:
    """One payout per group, pending; on PostgreSQL in one statement (the rows as one JSON
    array: binding 18,000 rows as parameters cost more than inserting them)."""
    rows = [
        {
            "influencer_id": group.influencer_id,
            "currency": group.currency,
            "amount": group.amount,
            "entry_count": group.entries,
            "method": str(method_for(group.stripe_account_id)),
            "destination": destination_for(group.stripe_account_id, group.email),
        }
        for group in groups
    ]
    fixed = {
        "batch_id": batch.id,
        "status": str(PayoutStatus.PENDING),
        "attempt": 1,
        "period_end": batch.as_of,
        "created_at": utcnow(),
    }
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table_of(Payout)), [{**row, **fixed} for row in rows])
        return
    names = ", ".join([*fixed, *_PAYOUT_COLUMNS])
    shape = ", ".join(f"{name} {kind}" for name, kind in _PAYOUT_COLUMNS.items())
    session.execute(
        text(
            f"INSERT INTO codecut_payout ({names}) "
            "SELECT :batch_id, :status, :attempt, :period_end, :created_at, rows.* "
            f"FROM json_to_recordset(CAST(:rows AS json)) AS rows({shape})"
        ),
        {**fixed, "rows": json.dumps(rows)},
    )
