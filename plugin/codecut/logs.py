"""Codecut's log lines: readable text, or one JSON object per line for a log pipeline.

Everything logs to the ``codecut`` logger. A line that describes an event passes its fields as
``extra={"fields": {...}}``; the JSON format puts them beside ``ts``, ``level``, ``event`` and
``message``. Fields are chosen by the code that logs them, never dumped from a request: no secret,
token, signature, raw email or address ever reaches a log line.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

log = logging.getLogger("codecut")


def timestamp(created: float) -> str:
    """``created`` (seconds since the epoch) as ISO 8601 in UTC to the millisecond, as
    ``datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")`` writes it
    (``2026-12-04T05:35:04.123+00:00``), with the date and time of day made once a second: every
    request logs a line."""
    whole = int(created // 1)
    micros = round((created - whole) * 1_000_000)  # rounded, then cut to ms, as datetime does
    if micros >= 1_000_000:
        whole, micros = whole + 1, micros - 1_000_000
    return f"{_second(whole)}.{micros // 1000:03d}+00:00"


def _second(whole: int) -> str:
    global _last_second
    second, text = _last_second  # one tuple: threads never see one second's text for another's
    if second != whole:
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
        _last_second = (whole, text)
    return text


_last_second: tuple[int, str] = (-1, "")


class JSONFormatter(logging.Formatter):
    """``{"ts", "level", "event", "message", ...fields}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = dict(getattr(record, "fields", None) or {})
        line: dict[str, Any] = {
            "ts": timestamp(record.created),
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
