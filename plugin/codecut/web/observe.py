"""Per request: an id (``X-Request-Id`` when the proxy sends a sane one, else a new one), echoed
in the response and attached to every log line of the request, and one ``request`` log line.

The logged route is the URL rule (``/portal/login/<token>``), never the path, so a sign-in token
in a URL never reaches the log.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, has_request_context, request

from ..logs import event, log

_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = g.get("codecut_request_id")
        return True


def _start() -> None:
    if not (request.blueprint or "").startswith("codecut"):
        return  # a host app's own route: its logging is its own
    sent = request.headers.get("X-Request-Id", "")
    g.codecut_request_id = sent if _SANE_ID.fullmatch(sent) else uuid.uuid4().hex
    g.codecut_started = time.perf_counter()


def _finish(response: Response) -> Response:
    request_id = g.get("codecut_request_id")
    if request_id is None:  # a request Codecut did not see begin
        return response
    response.headers["X-Request-Id"] = request_id
    rule = request.url_rule.rule if request.url_rule is not None else "(no route)"
    event(
        "request",
        f"{request.method} {rule} {response.status_code}",
        method=request.method,
        route=rule,
        status=response.status_code,
        duration_ms=round((time.perf_counter() - g.codecut_started) * 1000, 2),
    )
    return response


def observe_requests(app: Flask) -> None:
    """Give every request an id and a log line."""
    app.before_request(_start)
    app.after_request(_finish)
    if not any(isinstance(f, _RequestIdFilter) for f in log.filters):
        log.addFilter(_RequestIdFilter())
