"""``Codecut-Signature: t=<unix>,v1=<hex>``: Stripe's scheme, so receivers know it already.

The MAC is HMAC-SHA256 of ``"<t>.<body>"`` with the endpoint's secret; during a secret rotation a
delivery carries one ``v1`` per secret. A receiver checks that one ``v1`` matches and that ``t`` is
recent (five minutes), which stops a captured delivery being replayed later.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "Codecut-Signature"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), b"%d." % timestamp + body, hashlib.sha256).hexdigest()


def sign(secrets: list[str], timestamp: int, body: bytes) -> str:
    """The header value for ``body`` sent at ``timestamp`` (one ``v1`` per live secret)."""
    return ",".join([f"t={timestamp}", *(f"v1={signature(s, timestamp, body)}" for s in secrets)])


def verify(
    header: str, body: bytes, secret: str, *, now: int, tolerance: int = TOLERANCE_SECONDS
) -> bool:
    """What a receiver does (the README shows the same in a few lines of Python)."""
    parts = [item.split("=", 1) for item in header.split(",") if "=" in item]
    timestamps = [value for key, value in parts if key == "t"]
    if len(timestamps) != 1 or not timestamps[0].isdigit():
        return False
    timestamp = int(timestamps[0])
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, value) for key, value in parts if key == "v1")
