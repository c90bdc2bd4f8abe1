"""The one place that decides which HTTP status and code answer each domain error."""

from __future__ import annotations

from ..access.login_links import LinkError, LinkExpired, LinkUsed
from ..errors import (
    CodecutError,
    Conflict,
    InvalidInput,
    NotFound,
    RateLimited,
    ServiceUnavailable,
    Unauthorized,
)
from ..payouts.stripe_client import StripeUnavailable

#: Domain error -> (HTTP status, machine-readable code). The most specific class wins.
STATUS: dict[type, tuple[int, str]] = {
    CodecutError: (400, "bad_request"),
    InvalidInput: (400, "invalid"),
    NotFound: (404, "not_found"),
    Conflict: (409, "conflict"),
    Unauthorized: (401, "unauthorized"),
    RateLimited: (429, "rate_limited"),
    ServiceUnavailable: (503, "unavailable"),
    LinkError: (400, "invalid_link"),
    LinkExpired: (410, "expired_link"),
    LinkUsed: (410, "used_link"),
    StripeUnavailable: (503, "stripe_unavailable"),
}


def status_of(error: CodecutError) -> tuple[int, str]:
    """The HTTP status and code for a domain error."""
    for kind in type(error).__mro__:
        answer = STATUS.get(kind)
        if answer is not None:
            return answer
    return STATUS[CodecutError]
