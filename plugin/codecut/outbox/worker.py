"""``codecut worker``: the process that delivers outgoing webhooks.

It runs beside gunicorn and shares nothing with it but the database, so a slow or dead receiver
never slows webhook ingestion. SIGTERM and SIGINT let the current batch finish, then it exits.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from .. import logs
from ..reads import kpi_days
from .delivery import Summary, deliver_due

#: How often the worker brings the campaign figures up to date (reports refresh them too).
KPI_EVERY = 60.0


def run_forever(
    engine: Engine,
    *,
    timeout: float,
    concurrency: int,
    interval: float,
    stop: threading.Event | None = None,
    report: Callable[[Summary], None] | None = None,
) -> None:
    """Deliver what is due, then sleep ``interval`` seconds when there was nothing to do; keep
    the campaign figures fresh every ``KPI_EVERY`` seconds on the way."""
    stop = stop or threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    logs.event("worker", "worker started", concurrency=concurrency, interval=interval)
    kept = 0.0
    while not stop.is_set():
        if time.monotonic() - kept >= KPI_EVERY:
            kept = time.monotonic()
            try:
                refreshed = kpi_days.refresh(engine)
            except SQLAlchemyError as error:  # the database is away: deliveries say so too
                logs.event(
                    "worker", "campaign figures not refreshed", logging.WARNING, error=str(error)
                )
            else:
                if refreshed.rows:
                    logs.event("worker", "campaign figures refreshed", rows=refreshed.rows)
        summary = deliver_due(engine, timeout=timeout, concurrency=concurrency)
        if report and summary.attempted:
            report(summary)
        if not summary.attempted:
            stop.wait(interval)
    logs.event("worker", "worker stopped")
