"""Payouts: what a run would pay (per currency, who is under the minimum, who waits for Stripe
onboarding), running it in the background and following it, each batch's payouts with retry,
cancel and mark-paid, and exports of any period."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from flask import redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlmodel import col

from ...dates import parse_day
from ...db import transaction
from ...errors import CodecutError, InvalidInput, NotFound
from ...models import BatchStatus, Payout, PayoutBatch, Staff, utcnow
from ...money import format_minor
from ...payouts import actions, planning, run
from ...reads import exports
from ...reads.records import list_payouts
from ...state import get_state
from ..downloads import download, export_format
from . import background
from .auth import actor, console, role_required


def _payouts_page(member: Staff, error: str | None = None) -> Any:
    state = get_state()
    today = utcnow().date()
    with transaction(state.engine, readonly=True) as session:
        plan = planning.plan(session, as_of=today, minimum=state.settings.payout_minimum)
        batches = session.scalars(
            select(PayoutBatch).order_by(col(PayoutBatch.id).desc()).limit(20)
        ).all()
        job = background.latest(session, action="payouts.run", subject_type="payouts", subject_id=0)
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {"count": 0, "amount": 0})
    for planned in plan.payouts:
        totals[planned.currency]["count"] += 1
        totals[planned.currency]["amount"] += planned.amount
    per_currency = [
        {"currency": c, "count": t["count"], "amount": format_minor(t["amount"], c)}
        for c, t in sorted(totals.items())
    ]
    page = render_template(
        "console/payouts.html",
        member=member,
        today=today,
        plan=plan,
        per_currency=per_currency,
        planned=[p.as_record() for p in plan.payouts],
        waiting=[w.as_record() for w in plan.waiting],
        batches=batches,
        job=job,
        error=error,
        by=exports.PERIOD_BASES,
    )
    return (page, 400) if error else page


@console.get("/console/payouts")
@role_required("finance")
def payouts(member: Staff) -> Any:
    return _payouts_page(member)


@console.post("/console/payouts/run")
@role_required("finance")
def run_payouts(member: Staff) -> Any:
    """Start a run (as ``codecut payouts run``) in the background and follow it on its batch's
    page; a run that cannot start (another is running, no Stripe key) says so here."""
    state = get_state()
    with transaction(state.engine, readonly=True) as session:
        before = session.scalar(select(func.max(col(PayoutBatch.id)))) or 0
        running = session.scalars(
            select(PayoutBatch).where(col(PayoutBatch.status) == BatchStatus.RUNNING)
        ).first()
    if running is not None:
        return redirect(url_for(".batch", batch_id=running.id), 303)
    factory = state.stripe_client if state.settings.stripe_api_key else None

    def work() -> dict[str, Any]:
        reports = run.run(
            state.engine,
            as_of=utcnow().date(),
            minimum=state.settings.payout_minimum,
            actor=actor(member),
            client_factory=factory,
        )
        return {
            "batches": [r.batch_id for r in reports],
            "payouts": sum(r.payouts for r in reports),
        }

    background.start(
        work, actor=actor(member), action="payouts.run", subject_type="payouts", subject_id=0
    )
    started = _wait_for_batch(after=before)
    if started is None:
        return redirect(url_for(".payouts"), 303)  # it ended before making a batch: see why
    return redirect(url_for(".batch", batch_id=started), 303)


def _wait_for_batch(*, after: int, seconds: float = 5.0) -> int | None:
    """The batch the background run made (a run's first write), or ``None`` if it ended first."""
    engine = get_state().engine
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with transaction(engine, readonly=True) as session:
            made = session.scalar(
                select(func.max(col(PayoutBatch.id))).where(col(PayoutBatch.id) > after)
            )
            job = background.latest(
                session, action="payouts.run", subject_type="payouts", subject_id=0
            )
        if made is not None:
            return int(made)
        if not job["running"]:
            return None
        time.sleep(0.05)
    return None


def _batch_page(member: Staff, batch_id: int, error: str | None = None) -> Any:
    with transaction(get_state().engine, readonly=True) as session:
        found = session.get(PayoutBatch, batch_id)
        if found is None:
            raise NotFound(f"no payout batch {batch_id}")
        rows = list_payouts(session, batch_id=batch_id)
        counts = dict(
            session.execute(
                select(col(Payout.status), func.count())
                .where(col(Payout.batch_id) == batch_id)
                .group_by(col(Payout.status))
            ).all()
        )
    page = render_template(
        "console/batch.html",
        member=member,
        batch=found,
        payouts=rows,
        counts=counts,
        running=found.status == BatchStatus.RUNNING,
        error=error,
        done=request.args.get("done"),
    )
    return (page, 400) if error else page


@console.get("/console/payouts/<int:batch_id>")
@role_required("finance")
def batch(member: Staff, batch_id: int) -> Any:
    return _batch_page(member, batch_id)


@console.post("/console/payouts/<int:batch_id>/payouts/<int:payout_id>/<action>")
@role_required("finance")
def payout_action(member: Staff, batch_id: int, payout_id: int, action: str) -> Any:
    """Retry a failed Stripe payout, cancel a failed or pending one (its entries go back to the
    payable balance), or record a manual one paid with its reference."""
    state = get_state()
    try:
        if action == "retry":
            if not state.settings.stripe_api_key:
                raise InvalidInput("no Stripe key is configured (CODECUT_STRIPE_API_KEY)")
            outcome = actions.retry(
                state.engine, state.stripe_client, payout_id, actor=actor(member)
            )
            done = f"Payout {payout_id} sent again: {outcome}."
        elif action == "cancel":
            with transaction(state.engine) as session:
                actions.cancel(session, payout_id, actor=actor(member))
            done = f"Payout {payout_id} cancelled; its entries are payable again."
        elif action == "mark-paid":
            with transaction(state.engine) as session:
                actions.mark_paid(
                    session,
                    payout_id,
                    reference=request.form.get("reference", "")[:200],
                    actor=actor(member),
                )
            done = f"Payout {payout_id} recorded paid."
        else:
            raise NotFound(f"no payout action {action!r} (retry, cancel or mark-paid)")
    except NotFound:
        raise
    except CodecutError as error:
        return _batch_page(member, batch_id, error.message)
    return redirect(url_for(".batch", batch_id=batch_id, done=done), 303)


@console.get("/console/payouts/<int:batch_id>/payouts.<fmt>")
@role_required("finance")
def batch_export(member: Staff, batch_id: int, fmt: str) -> Any:
    export_format(fmt)
    with transaction(get_state().engine, readonly=True) as session:
        if session.get(PayoutBatch, batch_id) is None:
            raise NotFound(f"no payout batch {batch_id}")
    return download(exports.payouts_export(batch_id=batch_id), fmt)


@console.get("/console/exports/<kind>.<fmt>")
@role_required("finance")
def export(member: Staff, kind: str, fmt: str) -> Any:
    """The ledger over a period (by recording or order day), every payout, or the balances, as
    CSV or XLSX: the same files as ``codecut export`` and the finance API."""
    export_format(fmt)
    if kind == "payouts":
        return download(exports.payouts_export(), fmt)
    if kind == "balances":
        return download(exports.balances_export(), fmt)
    if kind != "ledger":
        raise NotFound(f"no export {kind!r} (ledger, payouts or balances)")
    first = parse_day(request.args["from"], "from") if request.args.get("from") else None
    last = parse_day(request.args["to"], "to") if request.args.get("to") else None
    which = exports.LedgerFilter(first, last, by=request.args.get("by", "recorded"))
    return download(exports.ledger_export(which), fmt)
