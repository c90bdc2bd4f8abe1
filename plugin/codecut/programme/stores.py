"""Storefronts whose signed webhooks Codecut accepts, and their webhook secrets."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select
from sqlmodel import Session, col

from ..dates import zone
from ..errors import Conflict, InvalidInput, NotFound
from ..http_urls import is_http_url
from ..models import Platform, Store
from ..money import MoneyError, currency_code
from ..reads import kpi_days

PLATFORMS = tuple(p.value for p in Platform)


def normalize_domain(value: str) -> str:
    """``https://Shop.Example.com/`` -> ``shop.example.com``: how stores are looked up by host."""
    text = value.strip()
    try:
        host = urlsplit(text if "://" in text else f"//{text}").hostname or ""
    except ValueError:  # an unbalanced bracket ("Invalid IPv6 URL")
        host = ""
    if not host or "." not in host:
        raise InvalidInput(f"{value!r} is not a store domain (expected e.g. shop.myshopify.com)")
    return host.lower()


def add_store(
    session: Session,
    *,
    platform: str,
    domain: str,
    secret: str,
    currency: str,
    url: str | None = None,
    timezone: str = "UTC",
) -> Store:
    if platform not in PLATFORMS:
        raise InvalidInput(f"platform must be one of {', '.join(PLATFORMS)}, not {platform!r}")
    if not secret or not secret.strip():
        raise InvalidInput("the webhook secret must not be empty")
    try:
        currency = currency_code(currency)
    except MoneyError as error:
        raise InvalidInput(str(error)) from None
    timezone = zone(timezone).key
    domain = normalize_domain(domain)
    if session.scalars(select(col(Store.id)).where(col(Store.domain) == domain)).first():
        raise Conflict(f"a store with domain {domain} exists already")
    store = Store(
        platform=platform,
        domain=domain,
        webhook_secret=secret,
        currency=currency,
        url=_store_url(url),
        timezone=timezone,
    )
    session.add(store)
    session.flush()
    return store


def get_store(session: Session, domain: str) -> Store:
    store = session.scalars(
        select(Store).where(col(Store.domain) == normalize_domain(domain))
    ).first()
    if store is None:
        raise NotFound(f"no store with domain {domain}")
    return store


def list_stores(session: Session) -> list[Store]:
    return list(session.scalars(select(Store).order_by(col(Store.id))))


def update_store(
    session: Session, store: Store, *, timezone: str | None = None, url: str | None = None
) -> Store:
    """Change a store's time zone (days from now on are cut in it) or its public URL."""
    if timezone is not None and zone(timezone).key != store.timezone:
        store.timezone = zone(timezone).key
        kpi_days.forget(session)  # every kept day of its campaigns is cut differently now
    if url is not None:
        store.url = _store_url(url)
    session.add(store)
    session.flush()
    return store


def rotate_store_secret(session: Session, store: Store, new_secret: str) -> Store:
    """Start a rotation: the old secret stays valid beside the new one until the next rotation."""
    if not new_secret.strip():
        raise InvalidInput("the webhook secret must not be empty")
    store.previous_webhook_secret = store.webhook_secret
    store.webhook_secret = new_secret
    session.add(store)
    session.flush()
    return store


def _store_url(url: str | None) -> str | None:
    """The store's public address (share links send followers there): an http(s) URL or none."""
    url = (url or "").strip()
    if not url:
        return None
    if not is_http_url(url) or len(url) > 500:
        raise InvalidInput(
            f"the store URL must be an http:// or https:// address, not {url[:100]!r}"
        )
    return url
