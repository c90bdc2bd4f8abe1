"""Absolute links Codecut prints or mails, built from settings (never from a Host header)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from ..config import Settings


def base_url(settings: Settings) -> str:
    """``{CODECUT_PUBLIC_URL}{CODECUT_URL_PREFIX}``."""
    return f"{settings.public_url}{settings.url_prefix}"


def login_url(settings: Settings, token: str) -> str:
    """A portal sign-in link: ``.../portal/login/<token>``."""
    return f"{base_url(settings)}/portal/login/{token}"


def console_login_url(settings: Settings, token: str) -> str:
    """A console sign-in link: ``.../console/login/<token>``."""
    return f"{base_url(settings)}/console/login/{token}"


def payout_setup_url(settings: Settings, token: str) -> str:
    """An operator's payout set-up link: ``.../portal/payouts/start/<token>``."""
    return f"{base_url(settings)}/portal/payouts/start/{token}"


def share_url(settings: Settings, code: str, store_domain: str | None = None) -> str:
    """The link an influencer posts: ``.../r/<code>``, with ``?store=`` when the code exists in
    several stores."""
    url = f"{base_url(settings)}/r/{quote(code, safe='')}"
    if store_domain:
        url += "?" + urlencode({"store": store_domain})
    return url
