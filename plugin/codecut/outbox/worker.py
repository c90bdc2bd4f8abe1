"""``codecut worker``: the process that delivers outgoing webhooks.

It runs beside gunicorn and shares nothing with it but the database, so a slow or dead receiver
never slows webhook ingestion. SIGTERM and SIGINT let the current batch finish, then it exits.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType

from sqlalchemy import Engine

from .. import logs
from .delivery import Summary, deliver_due


def run_forever(
    engine: Engine,
    *,
    timeout: float,
    concurrency: int,
    interval: float,
    stop: threading.Event | None = None,
    report: Callable[[Summary], None] | None = None,
) -> None:
    """Deliver what is due, then sleep ``interval`` seconds when there was nothing to do."""
    stop = stop or threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    logs.event("worker", "worker started", concurrency=concurrency, interval=interval)
    while not stop.is_set():
        summary = deliver_due(engine, timeout=timeout, concurrency=concurrency)
        if report and summary.attempted:
            report(summary)
        if not summary.attempted:
            stop.wait(interval)
    logs.event("worker", "worker stopped")
