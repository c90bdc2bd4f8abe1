"""Approval: a commission whose hold (the store's return window) has ended becomes payable.

An approval is one row, the day it approves through: every entry whose hold ends by the latest
such day is approved (:mod:`codecut.reads.balances` derives it). Approving a million commissions
is therefore one insert and one count, and approvals only ever move forward.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, func, select
from sqlmodel import Session, col

from ..dates import stored_day
from ..models import Approval, EntryStatus, LedgerEntry

#: The longest hold a commission can have (a store's return window), in days: ten years. A hold
#: is a date to come; one of a hundred million days is no date at all, and every booking under it
#: failed. The setting, the campaign commands and the admin API all check against this.
MAX_HOLD_DAYS = 3650


def approved_through(
    db: Session | Connection, as_of: date | None = None, *, recorded_before: datetime | None = None
) -> date | None:
    """The day every hold ending by it counts as approved: the latest approval, or ``as_of`` if
    that is later (a run or a dry run on ``as_of`` approves up to it first).

    ``recorded_before`` looks back: the latest approval made before that moment.
    """
    query = select(func.max(col(Approval.approved_through)))
    if recorded_before is not None:
        query = query.where(col(Approval.approved_at) < recorded_before)
    latest = stored_day(db.scalar(query))
    if as_of is None:
        return latest
    return as_of if latest is None else max(latest, as_of)


def approve(session: Session, as_of: date, *, actor: str) -> int:
    """Approve every entry whose hold has ended by ``as_of``; returns how many it approved."""
    before = approved_through(session)
    if before is not None and as_of <= before:
        return 0
    newly = select(func.count()).where(
        col(LedgerEntry.status) == EntryStatus.PENDING,
        col(LedgerEntry.available_on) <= as_of,
    )
    if before is not None:
        newly = newly.where(col(LedgerEntry.available_on) > before)
    count = int(session.scalar(newly) or 0)
    session.add(Approval(approved_through=as_of, actor=actor[:200]))
    session.flush()
    return count
