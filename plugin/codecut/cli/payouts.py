"""``codecut payouts``: runs, and what finance does with one payout afterwards."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import date
from typing import Any

import click

from .. import audit, payouts, stripe_transfers
from ..db import transaction
from ..extension import get_state
from ..models import utcnow
from ._common import echo_json, group, info, json_option, progress_bar, session_scope

payouts_group = group("payouts", "Payout runs, and marking, retrying or cancelling payouts.")


def parse_day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date:
    if value is None:
        return utcnow().date()
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _client() -> Any:
    return stripe_transfers.get_client(get_state())


@payouts_group.command("run")
@click.option("--as-of", callback=parse_day, help="Treat holds as of this day (default today).")
@click.option("--method", type=click.Choice(payouts.METHODS), default=None, help="Only these.")
@click.option("--dry-run", is_flag=True, help="Show what would be paid; write nothing.")
@json_option
def payouts_run(as_of: date, method: str | None, dry_run: bool, as_json: bool) -> None:
    """Approve what is due, pay every balance that reaches the minimum, send Stripe transfers."""
    state = get_state()
    minimum = payouts.Minimum(state.settings.payout_minimum)
    if dry_run:
        with session_scope() as session:
            plan = payouts.plan(session, as_of=as_of, minimum=minimum, method=method)
        records = [p.as_record() for p in plan.payouts]
        if as_json:
            echo_json({"as_of": as_of, "payouts": records, "carried_forward": plan.carried_forward})
            return
        for r in records:
            click.echo(
                f"{r['influencer_email']}\t{r['amount']} {r['currency']}\t{r['method']}\t"
                f"{r['entries']} entries"
            )
        info(
            f"dry run as of {as_of}: {len(records)} payout(s) would be made, "
            f"{plan.carried_forward} balance(s) carried forward; nothing was written"
        )
        return
    with ExitStack() as stack:

        def progress(total: int) -> Any:
            return stack.enter_context(progress_bar(total, "Sending transfers")).update

        reports = payouts.run_for_app(
            state, as_of=as_of, actor=audit.os_actor(), method=method, progress=progress
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
                f"  payout {problem['id']} {problem['influencer_email']} {problem['amount']} "
                f"{problem['currency']}: {problem['status']} "
                f"({problem['failure_code'] or ''}: {problem['failure_message'] or ''})"
            )


@payouts_group.command("list")
@click.option("--batch", "batch_id", type=int, default=None)
@json_option
def payouts_list(batch_id: int | None, as_json: bool) -> None:
    """Payouts, newest batch last."""
    with session_scope() as session:
        records = payouts.list_payouts(session, batch_id=batch_id)
    if as_json:
        echo_json(
            [
                {
                    k: r[k]
                    for k in (
                        "id",
                        "batch_id",
                        "influencer_email",
                        "amount",
                        "currency",
                        "method",
                        "status",
                        "reference",
                    )
                }
                | {"failure_code": r["failure_code"], "entries": r["entries"]}
                for r in records
            ]
        )
        return
    for r in records:
        click.echo(
            f"{r['id']}\tbatch {r['batch_id']}\t{r['influencer_email']}\t{r['amount']} "
            f"{r['currency']}\t{r['method']}\t{r['status']}\t{r['reference'] or ''}"
        )


@payouts_group.command("mark-paid")
@click.argument("payout_id", type=int)
@click.option("--reference", required=True, help="The bank or PayPal transaction id.")
def payouts_mark_paid(payout_id: int, reference: str) -> None:
    """Record that a manual payout was paid."""
    with session_scope() as session:
        payout = payouts.mark_paid(session, payout_id, reference=reference, actor=audit.os_actor())
    info(f"payout {payout.id} paid ({payout.reference})")


@payouts_group.command("retry")
@click.argument("payout_id", type=int)
def payouts_retry(payout_id: int) -> None:
    """Send a failed Stripe payout again (a new attempt) once its cause is fixed."""
    state = get_state()
    with transaction(state.engine) as session:
        payouts.get_payout(session, payout_id)
    client = _client()
    status = payouts.retry(state.engine, client, payout_id, actor=audit.os_actor())
    with session_scope() as session:
        record = payouts.payout_record(session, payouts.get_payout(session, payout_id))
    info(
        f"payout {payout_id}: {status}"
        + (
            f" ({record['failure_code']}: {record['failure_message']})"
            if status != "paid"
            else f" ({record['reference']})"
        )
    )
    if status == "failed":
        raise SystemExit(1)


@payouts_group.command("cancel")
@click.argument("payout_id", type=int)
def payouts_cancel(payout_id: int) -> None:
    """Cancel a pending or failed payout; its entries go back to the payable balance."""
    with session_scope() as session:
        payout = payouts.cancel(session, payout_id, actor=audit.os_actor())
    info(f"payout {payout.id} cancelled; its entries are payable again")


@payouts_group.command("verify")
@click.argument("batch_id", type=int)
@json_option
def payouts_verify(batch_id: int, as_json: bool) -> None:
    """Check each payout equals the sum of the entries it settles, to the minor unit."""
    with session_scope() as session:
        result = payouts.verify(session, batch_id)
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
