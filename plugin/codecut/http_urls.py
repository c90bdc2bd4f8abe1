"""What counts as a web address Codecut sends requests or people to: one check for all of them."""

from __future__ import annotations

from urllib.parse import urlsplit


def is_http_url(text: str) -> bool:
    """An ``http://`` or ``https://`` URL whose host and port parse (``http://[::1`` and
    ``https://shop.example:99999`` do not; ``javascript:`` and ``ftp://`` are no web address)."""
    try:
        parts = urlsplit(text)
        _ = parts.port  # a port that is no number, or out of range, raises
    except ValueError:  # an unbalanced IPv6 bracket, a bad port
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)
