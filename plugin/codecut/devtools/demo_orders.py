"""Sample Shopify orders, refunds and cancellations, signed and sent over HTTP like Shopify.

The demo uses this to put real money into the ledger through the very endpoint a store calls, so
what it shows is what the product does. Payloads follow Shopify's REST Order and Refund resources
(only the fields Codecut reads), signed with base64 HMAC-SHA256 of the raw body.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from ..storefronts import shopify


@dataclass(frozen=True)
class Sent:
    topic: str
    order_id: int
    status: int
    answer: dict[str, Any]


def _money(value: str, currency: str) -> dict[str, Any]:
    return {"shop_money": {"amount": value, "currency_code": currency}}


def shopify_order(
    order_id: int,
    code: str,
    *,
    prices: list[str],
    discount: str = "0.00",
    currency: str = "USD",
    email: str | None = None,
    at: datetime | None = None,
    financial_status: str = "paid",
    referring_site: str | None = None,
) -> dict[str, Any]:
    """A paid order whose code's discount sits on the first line, by its own guest buyer
    (``customer<order id>@example.com`` unless ``email`` is given)."""
    at = at or datetime.now(UTC)
    lines = []
    for index, price in enumerate(prices):
        allocation = discount if index == 0 else "0.00"
        lines.append(
            {
                "id": order_id * 10 + index,
                "price": price,
                "price_set": _money(price, currency),
                "quantity": 1,
                "gift_card": False,
                "discount_allocations": [
                    {"amount": allocation, "amount_set": _money(allocation, currency)}
                ],
            }
        )
    total = str(sum(Decimal(p) for p in prices) - Decimal(discount))
    return {
        "id": order_id,
        "name": f"#{order_id}",
        "email": email or f"customer{order_id}@example.com",
        "referring_site": referring_site,
        "currency": currency,
        "financial_status": financial_status,
        "created_at": at.isoformat(),
        "updated_at": at.isoformat(),
        "discount_codes": [{"code": code, "amount": discount, "type": "fixed_amount"}],
        "line_items": lines,
        "total_price": total,
        "total_price_set": _money(total, currency),
        "refunds": [],
    }


def shopify_refund(order: dict[str, Any], refund_id: int, line_index: int) -> dict[str, Any]:
    """A refund of one line of ``order``, after its discount."""
    line = order["line_items"][line_index]
    allocated = sum(Decimal(a["amount"]) for a in line["discount_allocations"])
    subtotal = str(Decimal(line["price"]) - allocated)
    return {
        "id": refund_id,
        "order_id": order["id"],
        "created_at": datetime.now(UTC).isoformat(),
        "refund_line_items": [
            {
                "line_item_id": line["id"],
                "quantity": 1,
                "subtotal_set": _money(subtotal, order["currency"]),
            }
        ],
        "transactions": [],
    }


def send(base_url: str, domain: str, secret: str, topic: str, payload: dict[str, Any]) -> Sent:
    """POST ``payload`` to ``<base_url>/webhooks/shopify`` signed as Shopify signs it."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    request = urllib.request.Request(
        f"{base_url.rstrip('/')}/webhooks/shopify",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": domain,
            "X-Shopify-Hmac-Sha256": shopify.sign(body, secret),
            "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-Triggered-At": datetime.now(UTC).isoformat(),
        },
    )
    order_id = int(payload.get("order_id") or payload["id"])
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Sent(topic, order_id, response.status, json.loads(response.read() or b"{}"))
    except urllib.error.HTTPError as error:
        return Sent(topic, order_id, error.code, json.loads(error.read() or b"{}"))


def replay_samples(
    base_url: str,
    domain: str,
    secret: str,
    codes: list[str],
    *,
    first_order_id: int = 9_100_000,
    placed: datetime | None = None,
) -> list[Sent]:
    """A small story per code: a paid order; for the second code a partial refund and a duplicate;
    for the third a cancellation. Orders are placed at ``placed`` (default two days ago). Returns
    what the endpoint answered to each delivery."""
    sent: list[Sent] = []
    placed = placed or datetime.now(UTC) - timedelta(days=2)
    for number, code in enumerate(codes):
        order_id = first_order_id + number
        order = shopify_order(
            order_id, code, prices=["120.00", "80.00"], discount="20.00", at=placed
        )
        sent.append(send(base_url, domain, secret, "orders/paid", order))
        if number % 3 == 1:
            refund = shopify_refund(order, order_id * 100 + 1, 1)
            sent.append(send(base_url, domain, secret, "refunds/create", refund))
            sent.append(send(base_url, domain, secret, "refunds/create", refund))  # a duplicate
        if number % 3 == 2:
            cancelled = dict(
                order,
                financial_status="refunded",
                cancelled_at=datetime.now(UTC).isoformat(),
                updated_at=datetime.now(UTC).isoformat(),
            )
            sent.append(send(base_url, domain, secret, "orders/cancelled", cancelled))
    return sent
