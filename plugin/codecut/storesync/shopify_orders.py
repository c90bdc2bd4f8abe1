"""A Shopify order from the Admin GraphQL API, in the shape of the ``orders/updated`` webhook.

Reconcile stores what it pulled as the webhook would have carried it and runs it through the
webhook's own adapter (:mod:`codecut.storefronts.shopify`), so one order booked by webhook and by
reconcile is the same order, booked once, by the same rules -- and ``codecut events replay``
works on it. Ids become the numeric ``legacyResourceId`` the webhooks use.

Field by field (GraphQL -> REST): ``displayFinancialStatus`` -> ``financial_status``
(lowercased), ``*Set.shopMoney.amount`` -> ``*_set.shop_money.amount``, line
``discountAllocations`` -> ``discount_allocations``, ``discountCodes`` with the amount each code
took (the sum of the allocations made by that code) -> ``discount_codes``, refunds with their
lines and transactions, and ``customerJourneySummary.lastVisit`` -> ``landing_site`` and
``referring_site``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def legacy_id(gid: Any) -> Any:
    """``gid://shopify/LineItem/123`` -> 123 (the REST id); anything else is kept as it is."""
    if isinstance(gid, str) and gid.startswith("gid://"):
        tail = gid.rsplit("/", 1)[-1]
        return int(tail) if tail.isdigit() else tail
    return gid


def _money(node: Any, name: str) -> str | None:
    money = ((node or {}).get(name) or {}).get("shopMoney") or {}
    return money.get("amount")


def _set(amount: str | None, currency: str) -> dict[str, Any] | None:
    if amount is None:
        return None
    return {"shop_money": {"amount": amount, "currency_code": currency}}


def _nodes(connection: Any) -> list[dict[str, Any]]:
    if isinstance(connection, dict):
        return [n for n in connection.get("nodes") or [] if isinstance(n, dict)]
    if isinstance(connection, list):
        return [n for n in connection if isinstance(n, dict)]
    return []


def to_webhook_payload(order: dict[str, Any]) -> dict[str, Any]:
    """The REST/webhook shape of one GraphQL ``Order`` node."""
    currency = str(
        ((order.get("totalPriceSet") or {}).get("shopMoney") or {}).get("currencyCode")
        or order.get("currencyCode")
        or ""
    )
    by_code: dict[str, Decimal] = {}
    lines = []
    for item in _nodes(order.get("lineItems")):
        allocations = []
        for allocation in item.get("discountAllocations") or []:
            amount = _money(allocation, "allocatedAmountSet") or "0"
            allocations.append({"amount": amount, "amount_set": _set(amount, currency)})
            code = (allocation.get("discountApplication") or {}).get("code")
            if code:
                by_code[code] = by_code.get(code, Decimal(0)) + Decimal(amount)
        lines.append(
            {
                "id": legacy_id(item.get("id")),
                "quantity": item.get("quantity"),
                "gift_card": item.get("isGiftCard") is True,
                "price": _money(item, "originalUnitPriceSet"),
                "price_set": _set(_money(item, "originalUnitPriceSet"), currency),
                "discount_allocations": allocations,
                "tax_lines": [
                    {
                        "price": _money(tax, "priceSet"),
                        "price_set": _set(_money(tax, "priceSet"), currency),
                    }
                    for tax in item.get("taxLines") or []
                ],
            }
        )
    customer = order.get("customer") or None
    visit = (order.get("customerJourneySummary") or {}).get("lastVisit") or {}
    return {
        "id": legacy_id(order.get("legacyResourceId") or order.get("id")),
        "admin_graphql_api_id": order.get("id"),
        "name": order.get("name"),
        "email": order.get("email"),
        "currency": currency,
        "created_at": order.get("createdAt"),
        "updated_at": order.get("updatedAt"),
        "cancelled_at": order.get("cancelledAt"),
        "test": order.get("test") is True,
        "taxes_included": order.get("taxesIncluded") is True,
        "financial_status": str(order.get("displayFinancialStatus") or "").lower(),
        "total_price": _money(order, "totalPriceSet"),
        "total_price_set": _set(_money(order, "totalPriceSet"), currency),
        "total_shipping_price_set": _set(_money(order, "totalShippingPriceSet"), currency),
        "shipping_lines": [
            {
                "discounted_price": _money(line, "discountedPriceSet"),
                "discounted_price_set": _set(_money(line, "discountedPriceSet"), currency),
                "tax_lines": [
                    {
                        "price": _money(tax, "priceSet"),
                        "price_set": _set(_money(tax, "priceSet"), currency),
                    }
                    for tax in line.get("taxLines") or []
                ],
            }
            for line in _nodes(order.get("shippingLines"))
        ],
        "discount_codes": [
            {"code": code, "amount": str(by_code.get(code, Decimal(0))), "type": "percentage"}
            for code in order.get("discountCodes") or []
        ],
        "line_items": lines,
        "customer": (
            {
                "id": legacy_id(customer.get("legacyResourceId") or customer.get("id")),
                "email": customer.get("email"),
            }
            if isinstance(customer, dict)
            else None
        ),
        "refunds": [_refund(refund, currency) for refund in order.get("refunds") or []],
        "landing_site": visit.get("landingPage"),
        "referring_site": visit.get("referrerUrl"),
    }


def _refund(refund: dict[str, Any], currency: str) -> dict[str, Any]:
    return {
        "id": legacy_id(refund.get("id")),
        "created_at": refund.get("createdAt"),
        "refund_line_items": [
            {
                "line_item_id": legacy_id((item.get("lineItem") or {}).get("id")),
                "line_item": {"gift_card": (item.get("lineItem") or {}).get("isGiftCard") is True},
                "quantity": item.get("quantity"),
                "subtotal": _money(item, "subtotalSet"),
                "subtotal_set": _set(_money(item, "subtotalSet"), currency),
                "total_tax": _money(item, "totalTaxSet"),
                "total_tax_set": _set(_money(item, "totalTaxSet"), currency),
            }
            for item in _nodes(refund.get("refundLineItems"))
        ],
        "transactions": [
            {
                "kind": str(txn.get("kind") or "").lower(),
                "status": str(txn.get("status") or "").lower(),
                "amount": _money(txn, "amountSet"),
                "currency": currency,
            }
            for txn in _nodes(refund.get("transactions"))
        ],
    }
