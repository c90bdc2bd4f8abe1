"""Checking that each payout of a batch equals, to the minor unit, the entries it settles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from ..errors import NotFound
from ..models import LedgerEntry, Payout, PayoutBatch, PayoutStatus, Settlement
from ..money import format_minor


@dataclass(frozen=True)
class Verification:
    batch_id: int
    payouts: int
    mismatches: list[dict[str, Any]]

    @property
    def ok(self) -> bool:
        return not self.mismatches


def verify(session: Session, batch_id: int) -> Verification:
    """Every payout of the batch equals the sum (and count) of the entries it settles."""
    if session.get(PayoutBatch, batch_id) is None:
        raise NotFound(f"no payout batch with id {batch_id}")
    sums = (
        select(
            col(Settlement.payout_id).label("payout_id"),
            func.sum(col(LedgerEntry.amount)).label("total"),
            func.count().label("n"),
        )
        .join(LedgerEntry, col(LedgerEntry.id) == col(Settlement.entry_id))
        .where(
            col(Settlement.payout_id).in_(
                select(col(Payout.id)).where(col(Payout.batch_id) == batch_id)
            )
        )
        .group_by(col(Settlement.payout_id))
        .subquery()
    )
    rows = session.execute(
        select(Payout, sums.c.total, sums.c.n)
        .outerjoin(sums, sums.c.payout_id == col(Payout.id))
        .where(col(Payout.batch_id) == batch_id)
        .order_by(col(Payout.id))
    ).all()
    mismatches = []
    for payout, total, count in rows:
        total, count = int(total or 0), int(count or 0)
        if payout.status == PayoutStatus.CANCELLED:
            expected_total, expected_count = 0, 0  # its entries went back to the balance
        else:
            expected_total, expected_count = payout.amount, payout.entry_count
        if (total, count) != (expected_total, expected_count):
            mismatches.append(
                {
                    "payout_id": payout.id,
                    "currency": payout.currency,
                    "payout_amount": format_minor(expected_total, payout.currency),
                    "entries_sum": format_minor(total, payout.currency),
                    "payout_entries": expected_count,
                    "entries": count,
                }
            )
    return Verification(batch_id, len(rows), mismatches)
