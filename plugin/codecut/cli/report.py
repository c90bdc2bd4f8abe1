"""``codecut report``: who is worth it, per campaign, as a table, CSV or JSON."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from ..dates import check_period
from ..reads import kpi_days, kpis
from ._common import day_option, echo_json, engine, group, info

report_group = group("report", "Campaign figures: clicks, orders, revenue, spend, return.")

_FORMATS = click.Choice(["table", "csv", "json"])
#: The table's columns (the CSV and JSON carry every measure).
_SHOWN = (
    "clicks",
    "unique_clicks",
    "orders",
    "conversion_rate",
    "revenue",
    "commission_cost",
    "spend",
    "roas",
    "roi",
    "refund_rate",
    "engagement_rate",
    "tier",
)


def _cell(value: Any, name: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and name not in ("roas",):
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:.2f}x"
    return str(value)


def _table(title: str, rows: list[dict[str, Any]], first: list[str]) -> None:
    table = Table(title=title, show_lines=False)
    for name in first:
        table.add_column(name, no_wrap=True)
    for name in _SHOWN:
        table.add_column(name.replace("_", " "), justify="right")
    for row in rows:
        table.add_row(*(str(row.get(n) or "") for n in first), *(_cell(row[n], n) for n in _SHOWN))
    Console(soft_wrap=False, width=max(160, len(_SHOWN) * 12)).print(table)


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    click.echo(out.getvalue(), nl=False)


@report_group.command("campaign")
@click.argument("slug")
@click.option("--from", "first", callback=day_option, help="First order day (the store's).")
@click.option("--to", "last", callback=day_option, help="Last order day, inclusive.")
@click.option("--format", "fmt", type=_FORMATS, default="table", show_default=True)
def report_campaign(slug: str, first: date | None, last: date | None, fmt: str) -> None:
    """One row per influencer and the campaign's totals."""
    check_period(first, last)
    with kpis.refreshed(engine()) as session:
        report = kpis.campaign_report(session, slug, first=first, last=last)
    if fmt == "json":
        echo_json(report.as_json())
    elif fmt == "csv":
        _csv(report.influencers, ["email", "name", *kpis.MEASURES])
    else:
        c = report.campaign
        period = f"{c['from'] or 'the start'} to {c['to'] or 'today'}"
        total = {**c, "email": "TOTAL", "name": f"{c['influencers']} influencers"}
        _table(
            f"{c['name']} ({c['slug']}, {c['store']}, {c['currency']}), orders from {period}",
            [*report.influencers, total],
            ["email", "name"],
        )


@report_group.command("leaderboard")
@click.option("--campaign", "slug", default=None, help="One campaign (default: each of them).")
@click.option("--by", "by", required=True, type=click.Choice(kpis.RANKABLE), help="The measure.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=10, show_default=True)
@click.option("--min-orders", type=click.IntRange(0), default=0, show_default=True)
@click.option("--from", "first", callback=day_option)
@click.option("--to", "last", callback=day_option)
@click.option("--format", "fmt", type=_FORMATS, default="table", show_default=True)
def report_leaderboard(
    slug: str | None,
    by: str,
    limit: int,
    min_orders: int,
    first: date | None,
    last: date | None,
    fmt: str,
) -> None:
    """Influencers ranked by one measure, highest first."""
    check_period(first, last)
    with kpis.refreshed(engine()) as session:
        rows = kpis.leaderboard(
            session, by=by, slug=slug, limit=limit, min_orders=min_orders, first=first, last=last
        )
    if fmt == "json":
        echo_json(rows)
    elif fmt == "csv":
        _csv(rows, ["campaign", "currency", "email", "name", *kpis.MEASURES])
    else:
        _table(f"Top {limit} by {by}", rows, ["campaign", "email"])


@report_group.command("refresh")
@click.option(
    "--rebuild", is_flag=True, help="Recompute every kept day from the raw rows (after a restore)."
)
def report_refresh(rebuild: bool) -> None:
    """Bring the kept campaign figures up to date (`codecut worker` does it every minute and
    every report before it reads; run it from cron when no worker runs)."""
    refreshed = kpi_days.refresh(engine(), rebuild=rebuild)
    what = "rebuilt" if refreshed.rebuilt else "refreshed"
    info(f"campaign figures {what}: {refreshed.rows} influencer-day(s) recomputed")
