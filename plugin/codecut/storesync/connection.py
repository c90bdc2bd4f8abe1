"""From a store row to its API client, and ``codecut store connect``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from ..config import Settings
from ..errors import InvalidInput
from ..http_urls import is_http_url
from ..models import Platform, Store
from . import credentials
from .http import HttpClient
from .shopify_admin import SCOPES, ShopifyAdmin
from .woocommerce_rest import WooCommerceRest

StoreApi = ShopifyAdmin | WooCommerceRest


@dataclass(frozen=True)
class Keys:
    """What seals and unseals credentials for one app."""

    key: str | None
    development: bool
    secret_key: str | None


def credentials_for(platform: str, values: dict[str, str | None]) -> dict[str, str]:
    """The credentials a platform needs, checked: a Shopify token, or a WooCommerce key pair."""
    if platform == Platform.SHOPIFY:
        token = (values.get("admin_token") or "").strip()
        if not token:
            raise InvalidInput("a Shopify store connects with --admin-token (its Admin API token)")
        return {"admin_token": token}
    if platform == Platform.WOOCOMMERCE:
        key = (values.get("consumer_key") or "").strip()
        secret = (values.get("consumer_secret") or "").strip()
        if not key or not secret:
            raise InvalidInput(
                "a WooCommerce store connects with --consumer-key and --consumer-secret"
            )
        return {"consumer_key": key, "consumer_secret": secret}
    raise InvalidInput(
        f"{platform} stores have no Admin API Codecut can use: only Shopify and WooCommerce"
    )


def api_for(
    store: Store,
    values: dict[str, Any],
    settings: Settings,
    http: HttpClient,
    api_base: str | None = None,
) -> StoreApi:
    base = api_base if api_base is not None else store.api_base
    if store.platform == Platform.SHOPIFY:
        return ShopifyAdmin(
            store.domain, values["admin_token"], base, settings.shopify_api_version, http
        )
    return WooCommerceRest(
        store.domain, values["consumer_key"], values["consumer_secret"], base, http
    )


def open_api(store: Store, settings: Settings, keys: Keys, http: HttpClient) -> StoreApi:
    """The API of a connected store; a clear error for a store that has no credentials."""
    if not store.admin_credentials:
        raise InvalidInput(
            f"store {store.domain} has no Admin API credentials: run `codecut store connect "
            f"--domain {store.domain} ...` first"
        )
    values = credentials.unseal(
        store.admin_credentials, keys.key, development=keys.development, secret_key=keys.secret_key
    )
    return api_for(store, values, settings, http)


def check_api(api: StoreApi) -> None:
    """One cheap call; a refused token or missing scopes become one clear error."""
    missing = api.check()
    if missing:
        needs = "; ".join(f"{scope} (to {SCOPES[scope]})" for scope in missing)
        raise InvalidInput(f"the access token lacks the scopes {needs}")


def connect(
    session: Session,
    store: Store,
    values: dict[str, str | None],
    *,
    api_base: str | None,
    settings: Settings,
    keys: Keys,
    http: HttpClient,
) -> Store:
    """Check the credentials against the store, then keep them encrypted (nothing is written if
    the check fails)."""
    checked = credentials_for(store.platform, values)
    base = (api_base or "").strip().rstrip("/") or None
    if base is not None and not is_http_url(base):
        raise InvalidInput(f"--api-base must be an http(s) URL, not {api_base!r}")
    check_api(api_for(store, checked, settings, http, api_base=base or ""))
    store.admin_credentials = credentials.seal(
        checked, keys.key, development=keys.development, secret_key=keys.secret_key
    )
    store.api_base = base
    session.add(store)
    return store


def api_factory(
    settings: Settings, keys: Keys, http: HttpClient | None = None
) -> Callable[[Store], StoreApi]:
    """``store -> its API client``, for push and reconcile (one HTTP client: counts add up)."""
    client = http or HttpClient()

    def build(store: Store) -> StoreApi:
        return open_api(store, settings, keys, client)

    return build
