"""Approval, payout runs, settlement, retries, cancellation and verification.

How a run stays correct when it is killed at any point:

* The run lock is a row with a lease (:mod:`codecut.payout_lock`); a dead run's batch is taken
  over and finished by the next run.
* Settlement is one transaction: payouts are inserted and entries linked to them
  (``ledger_entry.payout_id``, a single column, so an entry can belong to one payout only) and the
  payout amounts recomputed from the entries actually linked. It happens entirely or not at all.
* Sending stores the idempotency key before Stripe is called and looks a transfer up before
  anything is sent again (:mod:`codecut.payout_sending`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import (
    Engine,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlmodel import Session

from . import audit, stripe_transfers
from .db import transaction
from .errors import Conflict, InvalidInput, NotFound
from .models import Influencer, LedgerEntry, Payout, PayoutBatch, utcnow
from .money import MoneyError, format_minor, to_minor
from .payout_lock import Lease, acquire, heartbeat, release, renew
from .payout_sending import send_payout, stripe_payouts_to_send

METHODS = ("stripe", "manual")

Progress = Callable[[int], None]


# -- settings ------------------------------------------------------------------------------------


class Minimum:
    """``CODECUT_PAYOUT_MINIMUM`` ("50.00"), in minor units of whichever currency asks."""

    def __init__(self, text: str) -> None:
        try:
            value = Decimal(str(text).strip())
        except InvalidOperation:
            raise InvalidInput(f"payout minimum {text!r} is not an amount") from None
        if not value.is_finite() or value < 0:
            raise InvalidInput(f"payout minimum {text!r} must not be negative")
        self.text = str(text).strip()
        self._cache: dict[str, int] = {}

    def minor(self, currency: str) -> int:
        if currency not in self._cache:
            try:
                self._cache[currency] = to_minor(self.text, currency)
            except MoneyError as error:
                raise InvalidInput(f"payout minimum: {error}") from None
        return self._cache[currency]

    def reached(self, amount: int, currency: str) -> bool:
        """Paid when at least the minimum, and something (a zero transfer is no payment)."""
        return amount > 0 and amount >= self.minor(currency)


def _check_method(method: str | None) -> None:
    if method is not None and method not in METHODS:
        raise InvalidInput(f"method must be one of {', '.join(METHODS)}, not {method!r}")


def _influencer_method() -> Any:
    """SQL for an influencer's payout method: Stripe when they have a connected account."""
    return case((Influencer.stripe_account_id.is_not(None), "stripe"), else_="manual")


# -- approval ------------------------------------------------------------------------------------


def approve(session: Session, as_of: date) -> int:
    """Pending entries whose hold has ended by ``as_of`` become approved; returns how many."""
    result = session.execute(
        update(LedgerEntry)
        .where(LedgerEntry.status == "pending", LedgerEntry.available_on <= as_of)
        .values(status="approved", approved_at=utcnow())
    )
    return int(result.rowcount or 0)


# -- planning (dry run) --------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedPayout:
    influencer_id: int
    influencer_email: str
    currency: str
    amount: int
    entries: int
    method: str
    destination: str

    def as_record(self) -> dict[str, Any]:
        return {
            "influencer_email": self.influencer_email,
            "currency": self.currency,
            "amount": format_minor(self.amount, self.currency),
            "entries": self.entries,
            "method": self.method,
            "destination": self.destination,
        }


@dataclass(frozen=True)
class Plan:
    as_of: date
    payouts: list[PlannedPayout]
    carried_forward: int  # influencer-currency balances left for a later run


def _balances(
    session: Session, *, as_of: date | None, method: str | None
) -> Iterator[tuple[int, str, str | None, str, int, int]]:
    """(influencer, email, account, currency, sum, count) of unsettled payable entries.

    With ``as_of`` the pending entries whose hold ends by then count too (a dry run's view).
    """
    payable = LedgerEntry.status == "approved"
    if as_of is not None:
        payable = or_(
            payable, and_(LedgerEntry.status == "pending", LedgerEntry.available_on <= as_of)
        )
    query = (
        select(
            LedgerEntry.influencer_id,
            Influencer.email,
            Influencer.stripe_account_id,
            LedgerEntry.currency,
            func.sum(LedgerEntry.amount),
            func.count(),
        )
        .join(Influencer, Influencer.id == LedgerEntry.influencer_id)
        .where(payable, LedgerEntry.payout_id.is_(None))
        .group_by(
            LedgerEntry.influencer_id,
            Influencer.email,
            Influencer.stripe_account_id,
            LedgerEntry.currency,
        )
        .order_by(LedgerEntry.influencer_id, LedgerEntry.currency)
    )
    if method is not None:
        query = query.where(_influencer_method() == method)
    for influencer_id, email, account, currency, total, count in session.execute(query):
        yield influencer_id, email, account, currency, int(total), int(count)


def plan(session: Session, *, as_of: date, minimum: Minimum, method: str | None = None) -> Plan:
    """What a run on ``as_of`` would pay, computed without writing anything."""
    _check_method(method)
    payouts: list[PlannedPayout] = []
    carried = 0
    for influencer_id, email, account, currency, total, count in _balances(
        session, as_of=as_of, method=method
    ):
        if not minimum.reached(total, currency):
            carried += 1
            continue
        payouts.append(
            PlannedPayout(
                influencer_id=influencer_id,
                influencer_email=email,
                currency=currency,
                amount=total,
                entries=count,
                method="stripe" if account else "manual",
                destination=account or email,
            )
        )
    return Plan(as_of=as_of, payouts=payouts, carried_forward=carried)


# -- settlement ----------------------------------------------------------------------------------


def settle(session: Session, batch: PayoutBatch, minimum: Minimum) -> int:
    """Turn every balance that reaches the minimum into a payout of ``batch``; set-based.

    Runs in the caller's transaction; returns the number of payouts. A batch that already has
    payouts was settled before a crash and is left as it is.
    """
    if session.scalar(select(exists().where(Payout.batch_id == batch.id))):
        return 0
    now = utcnow()
    rows = [
        {
            "batch_id": batch.id,
            "influencer_id": influencer_id,
            "currency": currency,
            "amount": total,
            "entry_count": 0,
            "method": "stripe" if account else "manual",
            "destination": account or email,
            "status": "pending",
            "attempt": 1,
            "period_end": batch.as_of,
            "created_at": now,
        }
        for influencer_id, email, account, currency, total, _count in _balances(
            session, as_of=None, method=batch.method
        )
        if minimum.reached(total, currency)
    ]
    if not rows:
        return 0
    session.execute(insert(Payout), rows)
    if session.get_bind().dialect.name == "postgresql":
        # Fresh statistics, so the planner joins the entries to thousands of new payouts with a
        # hash join rather than a nested loop (minutes instead of seconds at a million entries).
        session.execute(text("ANALYZE codecut_payout"))

    ledger = LedgerEntry.__table__
    payout = Payout.__table__
    linked = session.execute(
        update(ledger)
        .where(
            payout.c.batch_id == batch.id,
            payout.c.influencer_id == ledger.c.influencer_id,
            payout.c.currency == ledger.c.currency,
            ledger.c.status == "approved",
            ledger.c.payout_id.is_(None),
        )
        .values(payout_id=payout.c.id)
    ).rowcount
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
        select(Payout.id, Payout.currency, Payout.amount, Payout.entry_count).where(
            Payout.batch_id == batch.id
        )
    ).all()
    undone = [pid for pid, cur, amount, n in made if n == 0 or not minimum.reached(amount, cur)]
    if undone:
        session.execute(
            update(LedgerEntry).where(LedgerEntry.payout_id.in_(undone)).values(payout_id=None)
        )
        session.execute(delete(Payout).where(Payout.id.in_(undone)))
    if linked is not None and linked >= 0 and linked != sum(n for *_rest, n in made):
        raise Conflict("settlement linked other entries than its payouts count; rolled back")
    return len(made) - len(undone)


# -- the run -------------------------------------------------------------------------------------


@dataclass
class BatchReport:
    batch_id: int
    as_of: date
    taken_over: bool
    approved: int = 0
    payouts: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)  # failed or still unknown

    def as_record(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "as_of": self.as_of.isoformat(),
            "taken_over": self.taken_over,
            "approved_entries": self.approved,
            "payouts": self.payouts,
            "statuses": self.statuses,
            "problems": self.problems,
        }


def run(
    engine: Engine,
    *,
    as_of: date,
    minimum: Minimum,
    actor: str,
    method: str | None = None,
    client_factory: Callable[[], Any] | None = None,
    progress: Callable[[int], Progress] | None = None,
) -> list[BatchReport]:
    """One payout run. A batch a dead run left is finished first (with its own date and method).

    ``client_factory`` builds the Stripe client when a Stripe payout has to be sent;
    ``progress(total)`` returns a callback advanced once per payout sent.
    """
    _check_method(method)
    reports = []
    while True:
        lease = acquire(engine, as_of=as_of, method=method, actor=actor)
        try:
            report = _run_batch(engine, lease, minimum, client_factory, progress)
        except BaseException:
            release(engine, lease, completed=False)
            raise
        release(engine, lease, completed=True)
        reports.append(report)
        if not lease.taken_over:
            return reports


def run_for_app(
    state: Any,
    *,
    as_of: date,
    actor: str,
    method: str | None = None,
    progress: Callable[[int], Progress] | None = None,
) -> list[BatchReport]:
    """:func:`run` with an app's settings: its engine, ``CODECUT_PAYOUT_MINIMUM`` and its Stripe
    client (``state`` is ``codecut.extension.get_state(app)``)."""
    return run(
        state.engine,
        as_of=as_of,
        minimum=Minimum(state.settings.payout_minimum),
        actor=actor,
        method=method,
        client_factory=lambda: stripe_transfers.get_client(state),
        progress=progress,
    )


def _run_batch(
    engine: Engine,
    lease: Lease,
    minimum: Minimum,
    client_factory: Callable[[], Any] | None,
    progress: Callable[[int], Progress] | None,
) -> BatchReport:
    with transaction(engine) as session:
        renew(session, lease)
        batch = session.get(PayoutBatch, lease.batch_id)
        assert batch is not None
        report = BatchReport(lease.batch_id, batch.as_of, lease.taken_over)
        report.approved = approve(session, batch.as_of)
    with transaction(engine) as session:
        renew(session, lease)  # locks the batch row until the settlement commits
        batch = session.get(PayoutBatch, lease.batch_id)
        assert batch is not None
        report.payouts = settle(session, batch, minimum)
    to_send = stripe_payouts_to_send(engine)
    if to_send:
        client = client_factory() if client_factory else None
        if client is None:
            raise InvalidInput("Stripe payouts are due but no Stripe client is configured")
        tick = progress(len(to_send)) if progress else None
        for payout_id in to_send:
            heartbeat(engine, lease)
            send_payout(engine, client, payout_id)
            if tick:
                tick(1)
    with transaction(engine) as session:
        for payout in session.scalars(select(Payout).where(Payout.batch_id == lease.batch_id)):
            report.statuses[payout.status] = report.statuses.get(payout.status, 0) + 1
        report.problems = [
            payout_record(session, payout)
            for payout in session.scalars(
                select(Payout)
                .where(
                    Payout.status.in_(("failed", "processing")),
                    or_(Payout.batch_id == lease.batch_id, Payout.status == "processing"),
                )
                .order_by(Payout.id)
            )
        ]
        report.payouts = sum(report.statuses.values())
    return report


# -- operator actions on one payout --------------------------------------------------------------


def get_payout(session: Session, payout_id: int) -> Payout:
    payout = session.get(Payout, payout_id)
    if payout is None:
        raise NotFound(f"no payout with id {payout_id}")
    return payout


def mark_paid(session: Session, payout_id: int, *, reference: str, actor: str) -> Payout:
    """A manual payout was paid outside Codecut: record the reference; entries become paid."""
    reference = reference.strip()
    if not reference:
        raise InvalidInput("a reference (the bank or PayPal transaction id) is required")
    payout = get_payout(session, payout_id)
    if payout.status == "paid":
        raise Conflict(f"payout {payout_id} is already paid ({payout.reference})")
    if payout.method != "manual":
        raise Conflict(f"payout {payout_id} is paid through Stripe, not by hand")
    if payout.status != "pending":
        raise Conflict(f"payout {payout_id} is {payout.status}; only a pending payout can be paid")
    payout.status = "paid"
    payout.reference = reference
    payout.paid_at = utcnow()
    session.add(payout)
    session.execute(
        update(LedgerEntry).where(LedgerEntry.payout_id == payout_id).values(status="paid")
    )
    audit.record(
        session,
        actor=actor,
        action="payout.mark_paid",
        subject_type="payout",
        subject_id=payout_id,
        detail={"reference": reference},
    )
    return payout


def cancel(session: Session, payout_id: int, *, actor: str) -> Payout:
    """Give the payout's entries back to the payable balance; the payout stays, cancelled."""
    payout = get_payout(session, payout_id)
    if payout.status == "processing":
        raise Conflict(
            f"payout {payout_id} was sent and its outcome is not known yet; run "
            "`codecut payouts run` to settle it with Stripe first"
        )
    if payout.status not in ("pending", "failed"):
        raise Conflict(f"payout {payout_id} is {payout.status} and cannot be cancelled")
    session.execute(
        update(LedgerEntry).where(LedgerEntry.payout_id == payout_id).values(payout_id=None)
    )
    payout.status = "cancelled"
    session.add(payout)
    audit.record(
        session, actor=actor, action="payout.cancel", subject_type="payout", subject_id=payout_id
    )
    return payout


def retry(engine: Engine, client: Any, payout_id: int, *, actor: str) -> str:
    """Send a failed Stripe payout again, as a new attempt with a new key, to the influencer's
    current connected account (the cause, e.g. a restricted account, may have been fixed)."""
    with transaction(engine) as session:
        payout = get_payout(session, payout_id)
        if payout.status != "failed":
            raise Conflict(f"payout {payout_id} is {payout.status}; only a failed one is retried")
        influencer = session.get(Influencer, payout.influencer_id)
        account = influencer.stripe_account_id if influencer else None
        if not account:
            raise Conflict(
                f"{influencer.email if influencer else 'the influencer'} has no Stripe account"
            )
        attempt = payout.attempt + 1
        session.execute(
            update(Payout)
            .where(Payout.id == payout_id, Payout.status == "failed")
            .values(
                status="pending",
                attempt=attempt,
                destination=account,
                failure_code=None,
                failure_message=None,
            )
        )
        audit.record(
            session,
            actor=actor,
            action="payout.retry",
            subject_type="payout",
            subject_id=payout_id,
            detail={"attempt": attempt, "destination": account},
        )
    return send_payout(engine, client, payout_id)


# -- records, verification -----------------------------------------------------------------------


def payout_record(session: Session, payout: Payout, email: str | None = None) -> dict[str, Any]:
    if email is None:
        influencer = session.get(Influencer, payout.influencer_id)
        email = influencer.email if influencer else ""
    return {
        "id": payout.id,
        "batch_id": payout.batch_id,
        "influencer_email": email,
        "amount": format_minor(payout.amount, payout.currency),
        "currency": payout.currency,
        "method": payout.method,
        "status": payout.status,
        "reference": payout.reference,
        "entries": payout.entry_count,
        "attempt": payout.attempt,
        "failure_code": payout.failure_code,
        "failure_message": payout.failure_message,
        "created_at": payout.created_at,
        "paid_at": payout.paid_at,
    }


def list_payouts(session: Session, *, batch_id: int | None = None) -> list[dict[str, Any]]:
    query = (
        select(Payout, Influencer.email)
        .join(Influencer, Influencer.id == Payout.influencer_id)
        .order_by(Payout.id)
    )
    if batch_id is not None:
        query = query.where(Payout.batch_id == batch_id)
    return [payout_record(session, payout, email) for payout, email in session.execute(query)]


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
            LedgerEntry.payout_id.label("payout_id"),
            func.sum(LedgerEntry.amount).label("total"),
            func.count().label("n"),
        )
        .group_by(LedgerEntry.payout_id)
        .subquery()
    )
    rows = session.execute(
        select(Payout, sums.c.total, sums.c.n)
        .outerjoin(sums, sums.c.payout_id == Payout.id)
        .where(Payout.batch_id == batch_id)
        .order_by(Payout.id)
    ).all()
    mismatches = []
    for payout, total, count in rows:
        total, count = int(total or 0), int(count or 0)
        if payout.status == "cancelled":
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
