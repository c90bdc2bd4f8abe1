"""``codecut export``: files for finance."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import click

from .. import reports
from ..models import PayoutBatch
from ._common import group, info, open_output, session_scope

export_group = group("export", "Exports for finance (CSV on stdout unless -o is given).")

_FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True
)
_OUTPUT = click.option("-o", "--output", type=click.Path(dir_okay=False), default=None)


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _refuse_binary_terminal(fmt: str, output: str | None) -> None:
    """XLSX is binary: to stdout only when it is redirected, never onto a terminal."""
    if fmt == "xlsx" and output is None and sys.stdout.isatty():
        raise click.UsageError("XLSX is binary: give -o FILE or redirect stdout to a file")


def _write(
    rows: Iterator[dict[str, Any]], columns: list[str], fmt: str, output: str | None, sheet: str
) -> int:
    if fmt == "csv":
        with open_output(output) as handle:
            return reports.write_csv(rows, columns, handle)
    if output is not None:
        return reports.write_xlsx(rows, columns, output, sheet)
    # xlsxwriter finishes a zip at close; build it in a temporary file, then copy it out.
    with tempfile.TemporaryFile() as spool:
        count = reports.write_xlsx(rows, columns, spool, sheet)
        spool.seek(0)
        sys.stdout.flush()
        shutil.copyfileobj(spool, sys.stdout.buffer)
        sys.stdout.buffer.flush()
    return count


def _done(what: str, count: int, output: str | None, started: datetime) -> None:
    if output:
        seconds = (datetime.now() - started).total_seconds()
        info(f"wrote {count} {what} to {output} in {seconds:.1f}s")


@export_group.command("ledger")
@click.option("--from", "date_from", callback=_date, help="First day (YYYY-MM-DD), inclusive.")
@click.option("--to", "date_to", callback=_date, help="Last day (YYYY-MM-DD), inclusive.")
@_FORMAT
@_OUTPUT
def export_ledger(
    date_from: date | None, date_to: date | None, fmt: str, output: str | None
) -> None:
    """Every ledger entry in the period, streamed."""
    if date_from and date_to and date_from > date_to:
        raise click.BadParameter("--from is after --to")
    _refuse_binary_terminal(fmt, output)
    started = datetime.now()
    with session_scope() as session:
        rows = reports.iter_ledger_rows(
            session, reports.ledger_export_query(date_from=date_from, date_to=date_to)
        )
        count = _write(rows, reports.LEDGER_COLUMNS, fmt, output, "ledger")
    _done("ledger entries", count, output, started)


@export_group.command("payouts")
@click.option("--batch", "batch_id", type=int, default=None, help="Only this payout batch.")
@_FORMAT
@_OUTPUT
def export_payouts(batch_id: int | None, fmt: str, output: str | None) -> None:
    """Payouts with who, how, how much, which period, and the payment reference."""
    _refuse_binary_terminal(fmt, output)
    started = datetime.now()
    with session_scope() as session:
        if batch_id is not None and session.get(PayoutBatch, batch_id) is None:
            raise click.ClickException(f"no payout batch with id {batch_id}")
        rows = reports.iter_payout_rows(session, reports.payouts_query(batch_id=batch_id))
        count = _write(rows, reports.PAYOUT_COLUMNS, fmt, output, "payouts")
    _done("payouts", count, output, started)
