"""``codecut verify``: the whole ledger checked on demand, every payout batch included.

Each check is a query that should find nothing; what it finds is named row by row, so an
operator can see exactly what is wrong. It reads only (one snapshot) and changes nothing.

Balances are not checked against themselves: they are sums of the entries, less the payouts
(``reads/balances.py``), so they are right exactly when every payout equals the entries it
settles and no row points at nothing, which is what is checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlmodel import Session, col

from ..models import (
    BatchStatus,
    Code,
    EventStatus,
    Influencer,
    LedgerEntry,
    Order,
    Payout,
    PayoutBatch,
    PayoutStatus,
    Settlement,
    WebhookEvent,
)
from ..money import format_minor

#: A refund or cancellation may wait this long for its order before it is called stuck.
WAITING_TOO_LONG = timedelta(days=7)
#: A payout may stay ``processing`` (a crash, a lost answer; the next run settles it) this long.
PROCESSING_TOO_LONG = timedelta(days=1)


@dataclass(frozen=True)
class Problem:
    check: str
    detail: str

    def as_record(self) -> dict[str, Any]:
        return {"check": self.check, "detail": self.detail}


@dataclass
class Report:
    entries: int = 0
    payouts: int = 0
    batches: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_ledger(session: Session, *, now: datetime) -> Report:
    """Every check, in one read-only snapshot (the caller opens it)."""
    report = Report(
        entries=session.scalar(select(func.count()).select_from(LedgerEntry)) or 0,
        payouts=session.scalar(select(func.count()).select_from(Payout)) or 0,
        batches=session.scalar(select(func.count()).select_from(PayoutBatch)) or 0,
    )
    add = report.problems.append
    for problem in (
        *_orphans(session),
        *_payouts_equal_their_entries(session),
        *_stuck(session, now),
    ):
        add(problem)
    return report


def _orphans(session: Session) -> list[Problem]:
    """Rows pointing at rows that are not there (the settlement table has no foreign keys)."""
    found = []
    for entry_id, payout_id in session.execute(
        select(col(Settlement.entry_id), col(Settlement.payout_id))
        .outerjoin(LedgerEntry, col(LedgerEntry.id) == col(Settlement.entry_id))
        .outerjoin(Payout, col(Payout.id) == col(Settlement.payout_id))
        .where((col(LedgerEntry.id).is_(None)) | (col(Payout.id).is_(None)))
    ):
        found.append(
            Problem(
                "orphan",
                f"settlement of entry {entry_id} by payout {payout_id}: "
                "the entry or the payout does not exist",
            )
        )
    for (entry_id,) in session.execute(
        select(col(LedgerEntry.id))
        .outerjoin(Influencer, col(Influencer.id) == col(LedgerEntry.influencer_id))
        .where(col(Influencer.id).is_(None))
    ):
        found.append(Problem("orphan", f"entry {entry_id}: its influencer does not exist"))
    for (entry_id,) in session.execute(
        select(col(LedgerEntry.id))
        .outerjoin(Order, col(Order.id) == col(LedgerEntry.order_id))
        .where(col(LedgerEntry.order_id).is_not(None), col(Order.id).is_(None))
    ):
        found.append(Problem("orphan", f"entry {entry_id}: its order does not exist"))
    for (code,) in session.execute(
        select(col(Code.code))
        .outerjoin(Influencer, col(Influencer.id) == col(Code.influencer_id))
        .where(col(Influencer.id).is_(None))
    ):
        found.append(Problem("orphan", f"code {code}: its influencer does not exist"))
    return found


def _payouts_equal_their_entries(session: Session) -> list[Problem]:
    """A payout equals, to the minor unit, the entries it settles: same influencer, same
    currency, same sum and count; a cancelled payout settles nothing."""
    settled = (
        select(
            col(Settlement.payout_id).label("payout_id"),
            func.coalesce(func.sum(col(LedgerEntry.amount)), 0).label("total"),
            func.count().label("n"),
        )
        .join(LedgerEntry, col(LedgerEntry.id) == col(Settlement.entry_id))
        .group_by(col(Settlement.payout_id))
        .subquery()
    )
    strangers = (
        select(col(Settlement.payout_id).label("payout_id"), func.count().label("n"))
        .join(LedgerEntry, col(LedgerEntry.id) == col(Settlement.entry_id))
        .join(Payout, col(Payout.id) == col(Settlement.payout_id))
        .where(
            (col(LedgerEntry.influencer_id) != col(Payout.influencer_id))
            | (col(LedgerEntry.currency) != col(Payout.currency))
        )
        .group_by(col(Settlement.payout_id))
        .subquery()
    )
    found = []
    for payout, total, count, foreign in session.execute(
        select(Payout, settled.c.total, settled.c.n, strangers.c.n)
        .outerjoin(settled, settled.c.payout_id == col(Payout.id))
        .outerjoin(strangers, strangers.c.payout_id == col(Payout.id))
        .order_by(col(Payout.id))
    ):
        total, count, foreign = int(total or 0), int(count or 0), int(foreign or 0)
        cancelled = payout.status == PayoutStatus.CANCELLED
        expected = (0, 0) if cancelled else (payout.amount, payout.entry_count)
        if (total, count) != expected:
            found.append(
                Problem(
                    "payout",
                    f"payout {payout.id} (batch {payout.batch_id}, {payout.status}): "
                    f"{format_minor(expected[0], payout.currency)} {payout.currency} in "
                    f"{expected[1]} entries, but its settled entries sum to "
                    f"{format_minor(total, payout.currency)} in {count}",
                )
            )
        if foreign:
            found.append(
                Problem(
                    "payout",
                    f"payout {payout.id}: settles {foreign} entries of another influencer "
                    "or currency",
                )
            )
        if payout.amount <= 0 and not cancelled:
            found.append(
                Problem("payout", f"payout {payout.id}: amount {payout.amount} is not positive")
            )
    return found


def _stuck(session: Session, now: datetime) -> list[Problem]:
    """What needs a person: failed deliveries, refunds waiting too long for their order,
    payouts left processing, payout runs whose lease ran out."""
    found = []
    for event_id, reason in session.execute(
        select(col(WebhookEvent.id), col(WebhookEvent.reason))
        .where(col(WebhookEvent.status) == EventStatus.FAILED)
        .order_by(col(WebhookEvent.id))
    ):
        found.append(Problem("event", f"event {event_id} failed: {reason} (codecut events replay)"))
    for event_id, received in session.execute(
        select(col(WebhookEvent.id), col(WebhookEvent.received_at))
        .where(
            col(WebhookEvent.status) == EventStatus.WAITING,
            col(WebhookEvent.received_at) < now - WAITING_TOO_LONG,
        )
        .order_by(col(WebhookEvent.id))
    ):
        found.append(
            Problem("event", f"event {event_id} has waited for its order since {received:%Y-%m-%d}")
        )
    for payout_id, created in session.execute(
        select(col(Payout.id), col(Payout.created_at)).where(
            col(Payout.status) == PayoutStatus.PROCESSING,
            col(Payout.created_at) < now - PROCESSING_TOO_LONG,
        )
    ):
        found.append(
            Problem(
                "payout",
                f"payout {payout_id} has been processing since {created:%Y-%m-%d} "
                "(run codecut payouts run to settle it)",
            )
        )
    for (batch_id,) in session.execute(
        select(col(PayoutBatch.id)).where(
            and_(
                col(PayoutBatch.status) == BatchStatus.RUNNING,
                col(PayoutBatch.lease_expires_at) < now,
            )
        )
    ):
        found.append(
            Problem(
                "batch",
                f"batch {batch_id} is running with its lease expired "
                "(the next codecut payouts run finishes it)",
            )
        )
    return found
