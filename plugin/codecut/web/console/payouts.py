"""Payouts: what a run would pay (per currency, who is under the minimum, who waits for Stripe
onboarding), running it, each batch's payouts, and its exports."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask import redirect, render_template, url_for
from sqlalchemy import select
from sqlmodel import col

from ...db import transaction
from ...errors import NotFound
from ...models import PayoutBatch, Staff, utcnow
from ...money import format_minor
from ...payouts import planning, run
from ...reads import exports
from ...reads.records import list_payouts
from ...state import get_state
from ..downloads import TYPES, download
from .auth import actor, console, role_required


@console.get("/console/payouts")
@role_required("finance")
def payouts(member: Staff) -> Any:
    state = get_state()
    today = utcnow().date()
    with transaction(state.engine, readonly=True) as session:
        plan = planning.plan(session, as_of=today, minimum=state.settings.payout_minimum)
        batches = session.scalars(
            select(PayoutBatch).order_by(col(PayoutBatch.id).desc()).limit(20)
        ).all()
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {"count": 0, "amount": 0})
    for planned in plan.payouts:
        totals[planned.currency]["count"] += 1
        totals[planned.currency]["amount"] += planned.amount
    per_currency = [
        {"currency": c, "count": t["count"], "amount": format_minor(t["amount"], c)}
        for c, t in sorted(totals.items())
    ]
    return render_template(
        "console/payouts.html",
        member=member,
        today=today,
        plan=plan,
        per_currency=per_currency,
        planned=[p.as_record() for p in plan.payouts],
        waiting=[w.as_record() for w in plan.waiting],
        batches=batches,
    )


@console.post("/console/payouts/run")
@role_required("finance")
def run_payouts(member: Staff) -> Any:
    state = get_state()
    reports = run.run(
        state.engine,
        as_of=utcnow().date(),
        minimum=state.settings.payout_minimum,
        actor=actor(member),
        client_factory=state.stripe_client if state.settings.stripe_api_key else None,
    )
    return redirect(url_for(".batch", batch_id=reports[-1].batch_id), 303)


@console.get("/console/payouts/<int:batch_id>")
@role_required("finance")
def batch(member: Staff, batch_id: int) -> Any:
    with transaction(get_state().engine, readonly=True) as session:
        found = session.get(PayoutBatch, batch_id)
        if found is None:
            raise NotFound(f"no payout batch {batch_id}")
        rows = list_payouts(session, batch_id=batch_id)
    return render_template("console/batch.html", member=member, batch=found, payouts=rows)


@console.get("/console/payouts/<int:batch_id>/payouts.<fmt>")
@role_required("finance")
def batch_export(member: Staff, batch_id: int, fmt: str) -> Any:
    if fmt not in TYPES:
        raise NotFound(f"no export format {fmt!r} (csv or xlsx)")
    with transaction(get_state().engine, readonly=True) as session:
        if session.get(PayoutBatch, batch_id) is None:
            raise NotFound(f"no payout batch {batch_id}")
    return download(exports.payouts_export(batch_id=batch_id), fmt)
