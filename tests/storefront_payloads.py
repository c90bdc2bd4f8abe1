"""Storefront webhook payloads and headers for tests, signed exactly as each platform signs them.

Shopify payloads come from the fixtures in ``tests/fixtures/storefront/`` (MIT, see the licence
there); WooCommerce payloads are built from its REST API v3 order schema; generic payloads follow
the format documented in the README. Money in builders is given as decimal strings, as the
platforms send it.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from codecut.storefronts import generic, shopify
from codecut.storefronts.base import sign_base64

FIXTURES = Path(__file__).parent / "fixtures" / "storefront"


def load_fixture(name: str) -> bytes:
    """The raw bytes of a fixture (``shopify_refund_partial_two_lines`` or with ``.json``)."""
    filename = name if name.endswith(".json") else f"{name}.json"
    return (FIXTURES / filename).read_bytes()


def load_fixture_json(name: str) -> dict[str, Any]:
    return json.loads(load_fixture(name))


def dumps(payload: object) -> bytes:
    """Compact JSON bytes, the way a storefront sends a body."""
    return json.dumps(payload, separators=(",", ":")).encode("utf-8")


def shopify_headers(
    body: bytes,
    secret: str,
    topic: str,
    shop_domain: str,
    *,
    webhook_id: str | None = None,
    event_id: str | None = None,
    triggered_at: str | None = None,
    api_version: str = "2025-07",
    content_type: str = "application/json",
) -> dict[str, str]:
    """Headers of a Shopify HTTPS delivery: base64 HMAC-SHA256 of the raw body with the secret.

    ``X-Shopify-Event-Id`` and ``X-Shopify-Triggered-At`` are sent only when given, as Shopify
    sends them only sometimes; the webhook id defaults to a fresh one per call, like a new delivery.
    """
    headers = {
        "Content-Type": content_type,
        "X-Shopify-Hmac-Sha256": shopify.sign(body, secret),
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop_domain,
        "X-Shopify-API-Version": api_version,
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
    }
    if event_id is not None:
        headers["X-Shopify-Event-Id"] = event_id
    if triggered_at is not None:
        headers["X-Shopify-Triggered-At"] = triggered_at
    return headers


def wordpress_decode(secret: str) -> str:
    """What WooCommerce signs with: the stored secret with ``&amp;`` and friends decoded."""
    return (
        secret.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&#039;", "'")
        .replace("&amp;", "&")
    )


def woocommerce_headers(
    body: bytes,
    secret: str,
    topic: str,
    source_url: str,
    *,
    webhook_id: int = 7,
    delivery_id: str | None = None,
) -> dict[str, str]:
    """Headers WooCommerce's ``WC_Webhook::deliver()`` sends: a base64 HMAC-SHA256 of the body,
    keyed with ``wp_specialchars_decode(secret)``; a new delivery id on every send."""
    resource, _, event = topic.partition(".")
    return {
        "Content-Type": "application/json",
        "User-Agent": "WooCommerce/9.4.0 Hookshot (WordPress/6.7.1)",
        "X-WC-Webhook-Source": source_url,
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": sign_base64(body, wordpress_decode(secret)),
        "X-WC-Webhook-ID": str(webhook_id),
        "X-WC-Webhook-Delivery-ID": delivery_id or uuid.uuid4().hex,
    }


def woocommerce_ping(webhook_id: int = 7) -> tuple[bytes, dict[str, str]]:
    """The ping WooCommerce posts when a hook is created: form-encoded, unsigned, no X-WC-*."""
    return (
        f"webhook_id={webhook_id}".encode(),
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "WooCommerce/9.4.0 Hookshot (WordPress/6.7.1)",
        },
    )


def generic_headers(
    body: bytes,
    secret: str,
    store: str,
    *,
    topic: str | None = None,
    delivery_id: str | None = None,
) -> dict[str, str]:
    """Headers of the generic format: ``X-Codecut-Signature: sha256=<hex HMAC of the body>``."""
    headers = {
        "Content-Type": "application/json",
        "X-Codecut-Store": store,
        "X-Codecut-Signature": generic.sign(body, secret),
    }
    if topic is not None:
        headers["X-Codecut-Topic"] = topic
    if delivery_id is not None:
        headers["X-Codecut-Delivery"] = delivery_id
    return headers


# -- WooCommerce REST v3 orders -----------------------------------------------------------------


def woo_line(
    line_id: int,
    subtotal: str,
    total: str,
    *,
    quantity: int = 1,
    subtotal_tax: str = "0.00",
    total_tax: str = "0.00",
    name: str = "Watch",
) -> dict[str, Any]:
    """A ``line_items[]`` entry: ``subtotal`` before discounts, ``total`` after (both ex tax)."""
    price = str((Decimal(total) / quantity).quantize(Decimal("0.01"))) if quantity else "0.00"
    return {
        "id": line_id,
        "name": name,
        "product_id": 90 + line_id,
        "variation_id": 0,
        "quantity": quantity,
        "tax_class": "",
        "subtotal": subtotal,
        "subtotal_tax": subtotal_tax,
        "total": total,
        "total_tax": total_tax,
        "taxes": [],
        "meta_data": [],
        "sku": f"SKU-{line_id}",
        "price": price,
    }


def woo_order(
    order_id: int = 727,
    *,
    status: str = "processing",
    currency: str = "USD",
    lines: list[dict[str, Any]] | None = None,
    coupons: list[str] | tuple[str, ...] = ("anna15",),
    refunds: list[tuple[int, str]] | None = None,
    total: str | None = None,
    shipping_total: str = "0.00",
    total_tax: str = "0.00",
    prices_include_tax: bool = False,
    email: str | None = "buyer@example.com",
    date_created_gmt: str = "2025-03-01T10:00:00",
    date_modified_gmt: str = "2025-03-01T10:05:00",
    date_paid_gmt: str | None = "2025-03-01T10:01:00",
    number: str | None = None,
) -> dict[str, Any]:
    """An order as ``GET /wp-json/wc/v3/orders/<id>`` (and so the webhook) returns it.

    ``refunds`` are ``(id, total)`` pairs with negative totals, as WooCommerce lists them.
    """
    if lines is None:
        lines = [woo_line(1, "100.00", "85.00")]
    goods = sum(Decimal(line["total"]) for line in lines)
    order_total = total or str(goods + Decimal(shipping_total) + Decimal(total_tax))
    subtotal = sum(Decimal(line["subtotal"]) for line in lines)
    return {
        "id": order_id,
        "parent_id": 0,
        "number": number or str(order_id),
        "order_key": f"wc_order_{order_id}",
        "created_via": "checkout",
        "version": "9.4.0",
        "status": status,
        "currency": currency,
        "date_created": date_created_gmt,
        "date_created_gmt": date_created_gmt,
        "date_modified": date_modified_gmt,
        "date_modified_gmt": date_modified_gmt,
        "discount_total": str(subtotal - goods),
        "discount_tax": "0.00",
        "shipping_total": shipping_total,
        "shipping_tax": "0.00",
        "cart_tax": total_tax,
        "total": order_total,
        "total_tax": total_tax,
        "prices_include_tax": prices_include_tax,
        "customer_id": 12,
        "billing": {"first_name": "Ada", "last_name": "Buyer", "email": email},
        "shipping": {"first_name": "Ada", "last_name": "Buyer"},
        "payment_method": "stripe",
        "payment_method_title": "Card",
        "transaction_id": "",
        "date_paid": date_paid_gmt,
        "date_paid_gmt": date_paid_gmt,
        "date_completed": None,
        "date_completed_gmt": None,
        "meta_data": [],
        "line_items": lines,
        "tax_lines": [],
        "shipping_lines": [],
        "fee_lines": [],
        "coupon_lines": [
            {"id": 300 + index, "code": code, "discount": "0.00", "discount_tax": "0.00"}
            for index, code in enumerate(coupons)
        ],
        "refunds": [
            {"id": refund_id, "reason": "", "total": refund_total}
            for refund_id, refund_total in (refunds or [])
        ],
    }


# -- the generic format ---------------------------------------------------------------------------


def generic_order(
    order_id: str | int = "1001",
    *,
    currency: str = "EUR",
    paid: bool = True,
    codes: list[str] | tuple[str, ...] = ("ANNA15",),
    lines: list[dict[str, Any]] | None = None,
    total: str | None = "110.00",
    **fields: Any,
) -> dict[str, Any]:
    """A generic ``order`` event; extra keyword fields (``updated_at``, ``email``...) are added."""
    payload: dict[str, Any] = {
        "type": "order",
        "id": order_id,
        "currency": currency,
        "paid": paid,
        "codes": list(codes),
        "lines": lines if lines is not None else [{"id": "1", "quantity": 2, "goods": "100.00"}],
    }
    if total is not None:
        payload["total"] = total
    payload.update(fields)
    return payload


def generic_refund(
    refund_id: str | int = "r1", order_id: str | int = "1001", **fields: Any
) -> dict[str, Any]:
    """A generic ``refund`` event: give ``goods`` (and ``lines``) or ``money``."""
    return {"type": "refund", "id": refund_id, "order_id": order_id, **fields}


def generic_cancel(order_id: str | int = "1001", **fields: Any) -> dict[str, Any]:
    return {"type": "cancel", "order_id": order_id, **fields}
