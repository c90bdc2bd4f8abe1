"""``codecut export``: files for finance."""

from __future__ import annotations

import shutil
import sys
import tempfile
from datetime import date, datetime

import click
from sqlmodel import Session

from ..db import transaction
from ..errors import NotFound
from ..models import PayoutBatch
from ..reads import exports
from ._common import day_option, engine, group, info, output_file

export_group = group("export", "Exports for finance (CSV on stdout unless -o is given).")

_FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True
)
_OUTPUT = click.option("-o", "--output", type=click.Path(dir_okay=False), default=None)


def _refuse_binary_terminal(fmt: str, output: str | None) -> None:
    """XLSX is binary: to stdout only when it is redirected, never onto a terminal."""
    if fmt == "xlsx" and output is None and sys.stdout.isatty():
        raise click.UsageError("XLSX is binary: give -o FILE or redirect stdout to a file")


def _write(export: exports.Export, session: Session, fmt: str, output: str | None) -> int:
    if output is not None:
        with output_file(output, binary=True) as handle:
            return export.write(session, fmt, handle)
    if fmt == "csv":
        sys.stdout.flush()
        count = export.write(session, fmt, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return count
    # xlsxwriter finishes a zip at close; build it in a temporary file, then copy it out.
    with tempfile.TemporaryFile() as spool:
        count = export.write(session, fmt, spool)
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
@click.option("--from", "date_from", callback=day_option, help="First day (YYYY-MM-DD), inclusive.")
@click.option("--to", "date_to", callback=day_option, help="Last day (YYYY-MM-DD), inclusive.")
@click.option(
    "--by",
    type=click.Choice(exports.PERIOD_BASES),
    default="recorded",
    show_default=True,
    help="recorded: when Codecut booked each entry; order: when the order was placed (the "
    "refund or cancellation, for reversals).",
)
@_FORMAT
@_OUTPUT
def export_ledger(
    date_from: date | None, date_to: date | None, by: str, fmt: str, output: str | None
) -> None:
    """Every ledger entry in the period, streamed."""
    which = exports.LedgerFilter(date_from=date_from, date_to=date_to, by=by)
    _refuse_binary_terminal(fmt, output)
    started = datetime.now()
    with transaction(engine(), readonly=True) as session:
        count = _write(exports.ledger_export(which), session, fmt, output)
    _done("ledger entries", count, output, started)


@export_group.command("payouts")
@click.option("--batch", "batch_id", type=int, default=None, help="Only this payout batch.")
@_FORMAT
@_OUTPUT
def export_payouts(batch_id: int | None, fmt: str, output: str | None) -> None:
    """Payouts with who, how, how much, which period, and the payment reference."""
    _refuse_binary_terminal(fmt, output)
    started = datetime.now()
    with transaction(engine(), readonly=True) as session:
        if batch_id is not None and session.get(PayoutBatch, batch_id) is None:
            raise NotFound(f"no payout batch with id {batch_id}")
        count = _write(exports.payouts_export(batch_id=batch_id), session, fmt, output)
    _done("payouts", count, output, started)


@export_group.command("balances")
@click.option(
    "--as-of", "on", callback=day_option, help="Balances at the end of this day (default: now)."
)
@_FORMAT
@_OUTPUT
def export_balances(on: date | None, fmt: str, output: str | None) -> None:
    """Every influencer's pending, payable, held, in payout, paid and taken back, per currency."""
    _refuse_binary_terminal(fmt, output)
    started = datetime.now()
    with transaction(engine(), readonly=True) as session:
        count = _write(exports.balances_export(on=on), session, fmt, output)
    _done("balances", count, output, started)
