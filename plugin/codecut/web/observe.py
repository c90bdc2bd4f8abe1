"""Per request: an id (``X-Request-Id`` when the proxy sends a sane one, else a new one), echoed
in the response and attached to every log line of the request, and one ``request`` log line.

The logged route is the URL rule (``/portal/login/<token>``), never the path, so a sign-in token
in a URL never reaches the log.

Both ends run on every Codecut request, the share-link redirect (the hottest route) included,
so they do as little as they can: the id is read straight from the WSGI environ, a new one is
16 random bytes in hex, and the log line's fields are only gathered when the ``codecut`` logger
will write an ``INFO`` line at all.
"""

from __future__ import annotations

import logging
import os
import re
import time

from flask import Flask, Response, g, has_request_context, request

from ..logs import event, log

_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_sane_id = _SANE_ID.fullmatch


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = g.get("codecut_request_id")
        return True


def start_request() -> None:
    """Before a Codecut view (called by :func:`codecut.web.register_web`'s one hook, which
    leaves a host app's own routes alone): the request's id and start time."""
    sent = request.environ.get("HTTP_X_REQUEST_ID")  # what request.headers would read
    g.codecut_request_id = sent if sent and _sane_id(sent) else os.urandom(16).hex()
    g.codecut_started = time.perf_counter()


def _finish(response: Response) -> Response:
    request_id = g.get("codecut_request_id")
    if request_id is None:  # a request Codecut did not see begin
        return response
    response.headers["X-Request-Id"] = request_id
    if not log.isEnabledFor(logging.INFO):  # the text format logs warnings and errors only
        return response
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
    """Give every request :func:`start_request` began a log line and its id in the response."""
    app.after_request(_finish)
    if not any(isinstance(f, _RequestIdFilter) for f in log.filters):
        log.addFilter(_RequestIdFilter())
