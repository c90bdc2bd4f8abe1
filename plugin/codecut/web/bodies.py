"""Request bodies read with a limit, whether or not a ``Content-Length`` is sent.

A chunked body has no length to check up front: Werkzeug bounds the stream it reads (gunicorn
marks such input as terminated), and reading one byte past the limit tells a body that fits from
one that does not, so memory never holds more than the limit. Beyond it: 413.
"""

from __future__ import annotations

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge


class BodyTooLarge(RequestEntityTooLarge):
    """The body is larger than the route accepts."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the body is larger than {limit} bytes")
        self.limit = limit


def read_body(limit: int) -> bytes:
    """The whole body, at most ``limit`` bytes; :class:`BodyTooLarge` beyond."""
    length = request.content_length
    if length is not None and length > limit:
        raise BodyTooLarge(limit)
    request.max_content_length = limit  # bounds the stream Werkzeug is about to make
    try:
        stream = request.stream
        body = stream.read(limit)
        if stream.read(1):
            raise BodyTooLarge(limit)
    except RequestEntityTooLarge:
        raise BodyTooLarge(limit) from None
    return body


def limit_request_body(limit: int) -> None:
    """Before every Codecut view: forms and JSON are parsed within ``limit``
    (``CODECUT_MAX_REQUEST_BYTES``; webhook views read their bodies with their own limit)."""
    length = request.content_length
    if length is not None and length > limit:
        raise BodyTooLarge(limit)
    request.max_content_length = limit
