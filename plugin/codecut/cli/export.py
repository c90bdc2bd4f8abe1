"""``codecut export``: files for finance."""

from __future__ import annotations

from datetime import date, datetime

import click

from .. import reports
from ._common import group, info, open_output, session_scope

export_group = group("export", "Exports for finance (CSV on stdout unless -o is given).")


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


@export_group.command("ledger")
@click.option("--from", "date_from", callback=_date, help="First day (YYYY-MM-DD), inclusive.")
@click.option("--to", "date_to", callback=_date, help="Last day (YYYY-MM-DD), inclusive.")
@click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None)
def export_ledger(
    date_from: date | None, date_to: date | None, fmt: str, output: str | None
) -> None:
    """Every ledger entry in the period, streamed."""
    if date_from and date_to and date_from > date_to:
        raise click.BadParameter("--from is after --to")
    started = datetime.now()
    with session_scope() as session:
        rows = reports.iter_ledger_rows(
            session, reports.ledger_query(date_from=date_from, date_to=date_to)
        )
        with open_output(output) as handle:
            count = reports.write_csv(rows, reports.LEDGER_COLUMNS, handle)
    if output:
        seconds = (datetime.now() - started).total_seconds()
        info(f"wrote {count} ledger entries to {output} in {seconds:.1f}s")
