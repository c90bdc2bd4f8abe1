"""Storefront adapters by platform name: the ``<platform>`` of ``POST /webhooks/<platform>``."""

from __future__ import annotations

from .base import StorefrontAdapter
from .generic import GenericAdapter
from .shopify import ShopifyAdapter
from .woocommerce import WooCommerceAdapter

ADAPTERS: dict[str, StorefrontAdapter] = {
    adapter.platform: adapter
    for adapter in (ShopifyAdapter(), WooCommerceAdapter(), GenericAdapter())
}


def get_adapter(platform: str) -> StorefrontAdapter | None:
    """The adapter for ``platform`` (any letter case), or ``None`` for a platform we do not know."""
    return ADAPTERS.get(platform.strip().lower())
