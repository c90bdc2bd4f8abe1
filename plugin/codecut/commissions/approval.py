"""Approval: a commission whose hold (the store's return window) has ended becomes payable."""

from __future__ import annotations

from datetime import date

from sqlalchemy import update
from sqlmodel import Session, col

from ..db import rowcount
from ..models import EntryStatus, LedgerEntry, utcnow


def approve(session: Session, as_of: date) -> int:
    """Pending entries whose hold has ended by ``as_of`` become approved; returns how many."""
    result = session.execute(
        update(LedgerEntry)
        .where(
            col(LedgerEntry.status) == EntryStatus.PENDING,
            col(LedgerEntry.available_on) <= as_of,
        )
        .values(status=EntryStatus.APPROVED, approved_at=utcnow())
    )
    return rowcount(result)
