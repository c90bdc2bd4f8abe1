"""``codecut worker``: deliver outgoing webhooks and keep the campaign figures fresh (run it
beside gunicorn, or from cron)."""

from __future__ import annotations

import math

import click
from flask.cli import with_appcontext

from ..outbox.delivery import Summary, deliver_due
from ..outbox.worker import run_forever
from ..state import get_state
from ._common import CodecutCommand, engine, info


def _report(summary: Summary) -> None:
    info(
        f"delivered {summary.delivered}, retrying {summary.retrying}, given up {summary.given_up}"
        + (
            f"; disabled endpoint(s) {', '.join(map(str, summary.endpoints_disabled))}"
            if summary.endpoints_disabled
            else ""
        )
    )


@click.command("worker", cls=CodecutCommand)
@with_appcontext
@click.option("--once", is_flag=True, help="Deliver what is due now and exit (for cron and tests).")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Requests in flight at once.",
)
@click.option(
    "--interval",
    type=click.FloatRange(0.1, 3600),
    callback=lambda _ctx, _param, value: _a_number(value),
    default=2.0,
    show_default=True,
    help="Seconds to wait when nothing is due.",
)
def worker_command(once: bool, concurrency: int, interval: float) -> None:
    """Deliver outgoing webhooks: at least once, retried with backoff for about three days.

    Several workers may run at once on PostgreSQL; on SQLite run one."""
    timeout = get_state().settings.webhook_timeout
    if once:
        summary = deliver_due(engine(), timeout=timeout, concurrency=concurrency)
        _report(summary) if summary.attempted else info("nothing due")
        return
    run_forever(
        engine(), timeout=timeout, concurrency=concurrency, interval=interval, report=_report
    )


def _a_number(seconds: float) -> float:
    """Click's range lets NaN through (no comparison with NaN fails): a worker that waited NaN
    seconds would poll without pause."""
    if math.isnan(seconds):
        raise click.BadParameter("must be a number of seconds from 0.1 to 3600")
    return seconds
