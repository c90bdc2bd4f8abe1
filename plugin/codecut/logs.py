"""Codecut's log lines: readable text, or one JSON object per line for a log pipeline.

Everything logs to the ``codecut`` logger. A line that describes an event passes its fields as
``extra={"fields": {...}}``; the JSON format puts them beside ``ts``, ``level``, ``event`` and
``message``. Fields are chosen by the code that logs them, never dumped from a request: no secret,
token, signature, raw email or address ever reaches a log line.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("codecut")


class JSONFormatter(logging.Formatter):
    """``{"ts", "level", "event", "message", ...fields}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = dict(getattr(record, "fields", None) or {})
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "event": fields.pop("event", "log"),
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            line["request_id"] = request_id
        line.update(fields)
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure(log_format: str) -> None:
    """Send the ``codecut`` logger to stderr in ``log_format`` (``text`` or ``json``), once.

    The standalone service calls this; inside a host app, the host's logging decides.
    """
    if any(getattr(h, "_codecut", False) for h in log.handlers):
        return
    handler = logging.StreamHandler()
    handler._codecut = True  # type: ignore[attr-defined]
    if log_format == "json":
        # Every request, webhook and payout, for the pipeline to count and search.
        handler.setFormatter(JSONFormatter())
        log.setLevel(logging.INFO)
    else:
        # For people: warnings and errors (the server's access log already lists requests).
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.setLevel(logging.WARNING)
    log.addHandler(handler)


def event(name: str, message: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one event with its fields (``event("payout", "payout 7 paid", batch=3, ...)``)."""
    log.log(level, message, extra={"fields": {"event": name, **fields}})
