"""``codecut payouts``: runs, and what finance does with one payout afterwards."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import click

from ..access import audit
from ..db import transaction
from ..models import PayoutStatus, utcnow
from ..payouts import actions, planning, reconcile, run, stripe_client, verify
from ..payouts.methods import METHODS
from ..reads.records import list_payouts, payout_records
from ..state import get_state
from ._common import day_option, echo_json, engine, group, info, json_option, progress_bar

payouts_group = group("payouts", "Payout runs, and marking, retrying or cancelling payouts.")


def _entries(count: int) -> str:
    return f"{count} entr{'y' if count == 1 else 'ies'}"


@payouts_group.command("run")
@click.option("--as-of", callback=day_option, help="Treat holds as of this day (default today).")
@click.option("--method", type=click.Choice(METHODS), default=None, help="Only these.")
@click.option("--dry-run", is_flag=True, help="Show what would be paid; write nothing.")
@json_option
def payouts_run(as_of: date | None, method: str | None, dry_run: bool, as_json: bool) -> None:
    """Approve what is due, pay every balance that reaches the minimum, send Stripe transfers."""
    state = get_state()
    as_of = as_of or utcnow().date()
    minimum = state.settings.payout_minimum
    if dry_run:
        with transaction(state.engine, readonly=True) as session:
            plan = planning.plan(session, as_of=as_of, minimum=minimum, method=method)
        records = [p.as_record() for p in plan.payouts]
        waiting = [w.as_record() for w in plan.waiting]
        if as_json:
            echo_json(
                {
                    "as_of": as_of,
                    "payouts": records,
                    "carried_forward": plan.carried_forward,
                    "waiting": waiting,
                }
            )
            return
        for r in records:
            click.echo(
                f"{r['influencer_email']}\t{r['amount']} {r['currency']}\t{r['method']}\t"
                f"{_entries(r['entries'])}"
            )
        for w in waiting:
            click.echo(
                f"{w['influencer_email']}\t{w['amount']} {w['currency']}\tnot paid: {w['reason']}"
            )
        info(
            f"dry run as of {as_of}: {len(records)} payout(s) would be made, "
            f"{plan.carried_forward} balance(s) carried forward"
            + (f", {len(waiting)} waiting for Stripe onboarding" if waiting else "")
            + "; nothing was written"
        )
        return
    with ExitStack() as stack:

        def progress(total: int) -> Any:
            return stack.enter_context(progress_bar(total, "Sending transfers")).update

        reports = run.run(
            state.engine,
            as_of=as_of,
            minimum=minimum,
            actor=audit.os_actor(),
            method=method,
            client_factory=state.stripe_client,
            progress=progress,
        )
    if as_json:
        echo_json([report.as_record() for report in reports])
        return
    for report in reports:
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(report.statuses.items())) or "none"
        prefix = "finished batch left by a stopped run" if report.taken_over else "batch"
        info(
            f"{prefix} {report.batch_id} (as of {report.as_of}): {report.payouts} payout(s): "
            f"{statuses}"
        )
        for problem in report.problems:
            info(
                f"  payout {problem['payout_id']} {problem['influencer_email']} "
                f"{problem['amount']} {problem['currency']}: {problem['status']} "
                f"({problem['failure_code'] or ''}: {problem['failure_message'] or ''})"
            )


@payouts_group.command("list")
@click.option("--batch", "batch_id", type=int, default=None)
@json_option
def payouts_list(batch_id: int | None, as_json: bool) -> None:
    """Payouts, newest batch last."""
    with transaction(engine(), readonly=True) as session:
        records = list_payouts(session, batch_id=batch_id)
    if as_json:
        echo_json(records)
        return
    for r in records:
        click.echo(
            f"{r['payout_id']}\tbatch {r['batch_id']}\t{r['influencer_email']}\t{r['amount']} "
            f"{r['currency']}\t{r['method']}\t{r['status']}\t{r['reference'] or ''}"
        )


@payouts_group.command("mark-paid")
@click.argument("payout_id", type=int)
@click.option("--reference", required=True, help="The bank or PayPal transaction id.")
def payouts_mark_paid(payout_id: int, reference: str) -> None:
    """Record that a manual payout was paid."""
    with transaction(engine()) as session:
        payout = actions.mark_paid(session, payout_id, reference=reference, actor=audit.os_actor())
    info(f"payout {payout.id} paid ({payout.reference})")


@payouts_group.command("retry")
@click.argument("payout_id", type=int)
def payouts_retry(payout_id: int) -> None:
    """Send a failed Stripe payout again (a new attempt) once its cause is fixed."""
    state = get_state()
    status = actions.retry(state.engine, state.stripe_client, payout_id, actor=audit.os_actor())
    with transaction(state.engine, readonly=True) as session:
        [record] = payout_records(session, [actions.get_payout(session, payout_id)])
    if status == PayoutStatus.PAID:
        info(f"payout {payout_id}: paid ({record['reference']})")
        return
    detail = f"{record['failure_code']}: {record['failure_message']}"
    if status == PayoutStatus.FAILED:
        raise click.ClickException(f"payout {payout_id}: failed again ({detail})")
    info(f"payout {payout_id}: {status} ({detail})")


@payouts_group.command("cancel")
@click.argument("payout_id", type=int)
def payouts_cancel(payout_id: int) -> None:
    """Cancel a pending or failed payout; its entries go back to the payable balance."""
    with transaction(engine()) as session:
        payout = actions.cancel(session, payout_id, actor=audit.os_actor())
    info(f"payout {payout.id} cancelled; its entries are payable again")


@payouts_group.command("verify")
@click.argument("batch_id", type=int)
@json_option
def payouts_verify(batch_id: int, as_json: bool) -> None:
    """Check each payout equals the sum of the entries it settles, to the minor unit."""
    with transaction(engine(), readonly=True) as session:
        result = verify.verify(session, batch_id)
    if as_json:
        echo_json(
            {
                "batch_id": batch_id,
                "payouts": result.payouts,
                "ok": result.ok,
                "mismatches": result.mismatches,
            }
        )
    for m in result.mismatches:
        info(
            f"payout {m['payout_id']}: {m['payout_amount']} {m['currency']} but its "
            f"{m['entries']} entries sum to {m['entries_sum']}"
        )
    if not result.ok:
        raise click.ClickException(f"batch {batch_id}: {len(result.mismatches)} mismatch(es)")
    info(f"batch {batch_id}: {result.payouts} payout(s) match their entries to the minor unit")


@payouts_group.command("reconcile")
@click.option("--since", callback=day_option, help="Compare from this day (default: 90 days ago).")
@json_option
def payouts_reconcile(since: date | None, as_json: bool) -> None:
    """Compare payouts with the platform's transfers on Stripe; change nothing, exit 1 on any
    difference."""
    state = get_state()
    start = datetime.combine(since or utcnow().date() - timedelta(days=90), time(), UTC)
    transfers = stripe_client.list_transfers(
        state.stripe_client(), created_from=int((start - reconcile.MARGIN).timestamp())
    )
    with transaction(state.engine, readonly=True) as session:
        result = reconcile.compare(session, transfers, since=start)
    if as_json:
        echo_json(
            {
                "since": start,
                "transfers": result.transfers,
                "paid_payouts": result.payouts,
                "ok": result.ok,
                "differences": [d.as_record() for d in result.differences],
            }
        )
    else:
        for d in result.differences:
            click.echo(f"{d.kind}\t{d.detail}")
        info(
            f"since {start.date()}: {result.transfers} Codecut transfer(s) at Stripe, "
            f"{result.payouts} payout(s) paid; "
            + ("all match" if result.ok else f"{len(result.differences)} difference(s)")
        )
    if not result.ok:
        raise SystemExit(1)
