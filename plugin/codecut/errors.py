"""Errors a user can cause and fix. The CLI prints them as one line; the web layer as JSON."""

from __future__ import annotations


class CodecutError(Exception):
    """Bad input or a request that cannot be honoured. Nothing was written when one is raised."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(CodecutError):
    status_code = 400
    code = "invalid"


class NotFound(CodecutError):
    status_code = 404
    code = "not_found"


class Conflict(CodecutError):
    """Something with that natural key exists already, or the state does not allow the change."""

    status_code = 409
    code = "conflict"
