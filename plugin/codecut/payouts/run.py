"""A payout run: approve what is due, settle balances into payouts, send the Stripe ones.

How a run stays correct when it is killed at any point:

* The run lock is a row with a lease (:mod:`.lock`); a dead run's batch is taken over and
  finished by the next run.
* Settlement (:mod:`.settlement`) is one transaction: it happens entirely or not at all.
* Sending (:mod:`.sending`) stores the idempotency key before Stripe is called and looks a
  transfer up before anything is sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, or_, select
from sqlmodel import Session, col

from .. import logs
from ..commissions.approval import approve
from ..db import is_transient, transaction
from ..errors import InvalidInput, NotFound, ServiceUnavailable
from ..models import Payout, PayoutBatch, PayoutMethod, PayoutStatus
from ..reads.records import payout_records
from .lock import Lease, acquire, heartbeat, release, renew
from .methods import check_method
from .minimum import PayoutMinimum
from .planning import plan
from .sending import mark_failed, send_payout, stripe_payouts_to_send
from .settlement import settle

Progress = Callable[[int], None]

log = logging.getLogger("codecut")


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
    minimum: PayoutMinimum,
    actor: str,
    method: str | None = None,
    client_factory: Callable[[], Any] | None = None,
    progress: Callable[[int], Progress] | None = None,
) -> list[BatchReport]:
    """One payout run. A batch a dead run left is finished first (with its own date and method).

    ``client_factory`` builds the Stripe client when a Stripe payout has to be sent;
    ``progress(total)`` returns a callback advanced once per payout sent.
    """
    check_method(method)
    client = _stripe_client_if_needed(engine, as_of, method, minimum, client_factory)
    reports = []
    while True:
        lease = acquire(engine, as_of=as_of, method=method, actor=actor)
        try:
            report = _run_batch(engine, lease, minimum, client, progress)
        except BaseException:
            release(engine, lease, completed=False)
            raise
        release(engine, lease, completed=True)
        reports.append(report)
        if not lease.taken_over:
            return reports


def _stripe_client_if_needed(
    engine: Engine,
    as_of: date,
    method: str | None,
    minimum: PayoutMinimum,
    client_factory: Callable[[], Any] | None,
) -> Any:
    """The Stripe client, built before anything is written whenever the run could have a Stripe
    payout to send: without a usable key the run refuses at once and writes nothing.

    A factory that builds one (a key is configured) is simply used; only without a client does
    the run look for Stripe payouts due, among the influencers with a connected account."""
    if method == PayoutMethod.MANUAL:
        return None
    if client_factory is not None:
        try:
            client = client_factory()
        except InvalidInput:
            if _stripe_payouts_due(engine, as_of, minimum):
                raise
            return None
        if client is not None:
            return client
    if _stripe_payouts_due(engine, as_of, minimum):
        raise InvalidInput("Stripe payouts are due but no Stripe client is configured")
    return None


def _stripe_payouts_due(engine: Engine, as_of: date, minimum: PayoutMinimum) -> bool:
    """A run on ``as_of`` would make or resend a Stripe payout."""
    with transaction(engine, readonly=True) as session:
        planned = plan(session, as_of=as_of, minimum=minimum, method=PayoutMethod.STRIPE)
    return bool(planned.payouts) or bool(stripe_payouts_to_send(engine))


def _send_one(engine: Engine, client: Any, payout_id: int, batch_id: int) -> None:
    """Send one payout; a fault of this payout's own is recorded on it (failed with the reason,
    or left processing when it may have been sent) and the run goes on to the next. Only Stripe
    refusing the platform (a bad key) stops it."""
    try:
        outcome = str(send_payout(engine, client, payout_id))
    except ServiceUnavailable:
        raise
    except Exception as error:
        if is_transient(error):
            raise
        log.exception("payout %s could not be sent; marked failed, the run goes on", payout_id)
        mark_failed(engine, payout_id, "internal_error", f"{type(error).__name__}: {error}")
        outcome = PayoutStatus.FAILED.value
    logs.event(
        "payout",
        f"payout {payout_id}: {outcome}",
        batch=batch_id,
        payout=payout_id,
        outcome=outcome,
    )


def _batch(session: Session, lease: Lease) -> PayoutBatch:
    batch = session.get(PayoutBatch, lease.batch_id)
    if batch is None:
        raise NotFound(f"no payout batch with id {lease.batch_id}")
    return batch


def _run_batch(
    engine: Engine,
    lease: Lease,
    minimum: PayoutMinimum,
    client: Any,
    progress: Callable[[int], Progress] | None,
) -> BatchReport:
    with transaction(engine) as session:
        renew(session, lease)
        batch = _batch(session, lease)
        report = BatchReport(lease.batch_id, batch.as_of, lease.taken_over)
        report.approved = approve(session, batch.as_of, actor=f"payout batch {batch.id}")
    with transaction(engine, snapshot=True) as session:
        renew(session, lease)  # locks the batch row until the settlement commits
        report.payouts = settle(session, _batch(session, lease), minimum)
    to_send = stripe_payouts_to_send(engine)
    if to_send:
        if client is None:
            raise InvalidInput("Stripe payouts are due but no Stripe client is configured")
        tick = progress(len(to_send)) if progress else None
        for payout_id in to_send:
            heartbeat(engine, lease)
            _send_one(engine, client, payout_id, lease.batch_id)
            if tick:
                tick(1)
    with transaction(engine, readonly=True) as session:
        for status in session.scalars(
            select(col(Payout.status)).where(col(Payout.batch_id) == lease.batch_id)
        ):
            report.statuses[status] = report.statuses.get(status, 0) + 1
        problems = session.scalars(
            select(Payout)
            .where(
                col(Payout.status).in_((PayoutStatus.FAILED, PayoutStatus.PROCESSING)),
                or_(
                    col(Payout.batch_id) == lease.batch_id,
                    col(Payout.status) == PayoutStatus.PROCESSING,
                ),
            )
            .order_by(col(Payout.id))
        ).all()
        report.problems = payout_records(session, list(problems))
        report.payouts = sum(report.statuses.values())
    return report
