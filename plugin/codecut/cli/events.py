"""``codecut events``: the webhook inbox -- what arrived, what became of it, and replaying it."""

from __future__ import annotations

import click

from ..db import transaction
from ..inbox import purge, replay
from ..inbox.receive import STATUSES
from ..models import EventStatus
from ..reads.records import event_record
from ..state import get_state
from ..storefronts import get_adapter
from ._common import echo_json, engine, group, info, json_option

events_group = group("events", "Stored webhook deliveries: list them, replay failed ones.")


@events_group.command("list")
@click.option("--status", type=click.Choice(STATUSES), default=None)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@json_option
def events_list(status: str | None, limit: int, as_json: bool) -> None:
    """The newest deliveries first."""
    with transaction(engine(), readonly=True) as session:
        records = [event_record(r) for r in replay.list_events(session, status=status, limit=limit)]
    if as_json:
        echo_json(records)
        return
    for r in records:
        click.echo(
            f"{r['id']}\t{r['received_at'][:19].replace('T', ' ')}\t{r['source']}\t{r['via']}\t"
            f"{r['topic']}\t"
            f"{r['status']}\t{r['order_id'] or '-'}\t{r['reason'] or ''}"
        )


@events_group.command("replay")
@click.argument("event_id", type=int, required=False)
@click.option("--failed", "all_failed", is_flag=True, help="Replay every failed delivery.")
@json_option
def events_replay(event_id: int | None, all_failed: bool, as_json: bool) -> None:
    """Process stored deliveries again through the same code path (nothing is booked twice)."""
    if (event_id is None) == (not all_failed):
        raise click.UsageError("give one delivery ID or --failed")
    state = get_state()
    hold_days, sites = state.settings.hold_days, state.settings.coupon_sites
    if all_failed:
        receipts = list(
            replay.replay_failed(state.engine, get_adapter, hold_days=hold_days, coupon_sites=sites)
        )
    elif event_id is not None:
        receipts = [
            replay.replay(
                state.engine, event_id, get_adapter, hold_days=hold_days, coupon_sites=sites
            )
        ]
    records = [receipt.as_json() for receipt in receipts]
    if as_json:
        echo_json(records)
        return
    if not records:
        info("no failed deliveries")
    for record in records:
        info(f"delivery {record['event']}: {record['status']} ({record['reason'] or '-'})")
    if any(record["status"] == EventStatus.FAILED for record in records):
        raise click.ClickException("some deliveries failed again; see the reasons above")


@events_group.command("purge")
@json_option
def events_purge(as_json: bool) -> None:
    """Strip buyers' personal data from deliveries older than CODECUT_RAW_RETENTION_DAYS."""
    state = get_state()
    report = purge.purge(state.engine, retention_days=state.settings.raw_retention_days)
    record = {
        "received_before": report.before,
        "examined": report.examined,
        "stripped": report.stripped,
    }
    if as_json:
        echo_json(record)
        return
    info(
        f"{report.stripped} of {report.examined} deliveries received before "
        f"{report.before:%Y-%m-%d %H:%M} UTC stripped of personal data"
    )
