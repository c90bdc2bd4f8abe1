"""SQLite: the hot writers (webhook deliveries, pulled orders, share-link clicks) wait their turn
on an OS file lock before ``BEGIN IMMEDIATE``.

Correctness needs none of this (SQLite's own lock serializes writers); it is about speed. A writer
that finds SQLite's lock taken sleeps in the busy handler's back-off (1, 2, 5, 10... ms) however
soon the lock frees, which collapses throughput when several gunicorn workers take turns; a blocked
``flock`` wakes the moment the previous writer commits.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

try:
    import fcntl
except ImportError:  # Windows: SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]

_queues: dict[str, tuple[threading.Lock, int]] = {}


@contextmanager
def writer_queue(engine: Engine) -> Iterator[None]:
    """Hold the file lock of ``engine``'s SQLite database for the block (nothing elsewhere)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or fcntl is None:
        yield
        return
    path = os.path.abspath(database) + ".codecut-webhooks.lock"
    if path not in _queues:
        _queues[path] = (threading.Lock(), os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    thread_lock, descriptor = _queues[path]
    with thread_lock:  # flock does not exclude threads sharing one descriptor
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
