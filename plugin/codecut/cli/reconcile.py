"""``codecut reconcile``: orders whose webhooks were missed, pulled from the store and booked."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import click
from flask.cli import with_appcontext

from ..state import get_state
from ..storesync import pull
from ..storesync.connection import api_factory
from ._common import CodecutCommand, day_option, echo_json, engine, info, json_option


@click.command("reconcile", cls=CodecutCommand)
@with_appcontext
@click.option("--store", "domain", default=None, help="The store to reconcile.")
@click.option("--all", "every", is_flag=True, help="Every store with Admin API credentials (cron).")
@click.option(
    "--since",
    callback=day_option,
    help="Pull orders changed from this day (default: the store's high-water mark).",
)
@click.option("--dry-run", is_flag=True, help="Say what would be booked; write nothing.")
@json_option
def reconcile_command(
    domain: str | None, every: bool, since: date | None, dry_run: bool, as_json: bool
) -> None:
    """Pull orders changed since the last run and book what the webhooks missed; one that was
    booked already changes nothing."""
    if bool(domain) == every:
        raise click.UsageError("name one store with --store DOMAIN, or use --all")
    state = get_state()
    domains = pull.connected_stores(engine()) if every else [str(domain)]
    start = datetime.combine(since, time(), UTC) if since else None
    api_for = api_factory(state.settings, get_state().store_keys())
    reports = [
        pull.reconcile_store(
            engine(),
            name,
            api_for,
            hold_days=state.settings.hold_days,
            coupon_sites=state.settings.coupon_sites,
            since=start,
            dry_run=dry_run,
        )
        for name in domains
    ]
    if as_json:
        echo_json(reports[0].as_record() if not every else [r.as_record() for r in reports])
    else:
        for report in reports:
            for line in report.booked:
                click.echo(f"{report.store}\t{line}")
            for line in report.failed:
                click.echo(f"{report.store}\tfailed\t{line}")
            info(("dry run: " if dry_run else "") + report.summary())
        if every and not reports:
            info("no store has Admin API credentials: `codecut store connect` first")
    if any(r.failed for r in reports):
        raise SystemExit(1)
