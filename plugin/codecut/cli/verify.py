"""``codecut verify``: check the whole ledger's integrity, every payout batch included."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..db import transaction
from ..models import utcnow
from ..reads.integrity import verify_ledger
from ._common import CodecutCommand, echo_json, engine, info, json_option


@click.command("verify", cls=CodecutCommand)
@with_appcontext
@json_option
def verify_command(as_json: bool) -> None:
    """Check every payout against its entries, the balances against the ledger, orphan rows and
    stuck events; exit 1 naming what is wrong. Reads only."""
    with transaction(engine(), readonly=True, snapshot=True) as session:
        report = verify_ledger(session, now=utcnow())
    if as_json:
        echo_json(
            {
                "ok": report.ok,
                "entries": report.entries,
                "payouts": report.payouts,
                "batches": report.batches,
                "problems": [p.as_record() for p in report.problems],
            }
        )
    else:
        for problem in report.problems:
            click.echo(f"{problem.check}: {problem.detail}")
        info(
            f"checked {report.entries} entries, {report.payouts} payouts in {report.batches} "
            f"batches: {'all consistent' if report.ok else f'{len(report.problems)} problem(s)'}"
        )
    if not report.ok:
        raise SystemExit(1)
