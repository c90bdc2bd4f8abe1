"""Errors a user can cause and fix, raised by the core with a message meant for that user.

The core never decides how an error is shown: the CLI prints it as one ``Error: ...`` line and
exits 1, and :mod:`codecut.web.errors` maps each class to an HTTP status. Nothing was written
when one of these is raised: the caller's transaction rolls back.
"""

from __future__ import annotations


class CodecutError(Exception):
    """Bad input or a request that cannot be honoured."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(CodecutError):
    """A value that does not parse or breaks a rule (a negative amount, an unknown currency)."""


class NotFound(CodecutError):
    """Nothing has that natural key (an email, a slug, a domain, an id)."""


class Conflict(CodecutError):
    """Something with that natural key exists already, or the state does not allow the change."""


class Unauthorized(CodecutError):
    """The caller cannot be identified: an unknown store, a signature that does not match."""


class RateLimited(CodecutError):
    """Too many attempts; ``retry_after`` says in how many seconds to try again."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServiceUnavailable(CodecutError):
    """A service Codecut depends on (Stripe, a store's API) cannot be used right now."""
