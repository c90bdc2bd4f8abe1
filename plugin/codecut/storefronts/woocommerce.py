"""WooCommerce: ``X-WC-Webhook-*`` headers, base64 HMAC-SHA256, REST API v3 order payloads.

WooCommerce has no paid or refund topic: payment shows as a status (or ``date_paid``) on
``order.updated``, refunds as entries in the order's ``refunds[]`` and cancellation as status.
Rules that are ours:

* A line's goods are its ``total``: after discounts and before tax, whether or not prices
  include tax (WooCommerce keeps the tax in ``total_tax``). ``subtotal`` is before discounts and
  is not read. No shipping, fees or tax.
* ``paid`` is status ``processing`` or ``completed``, or a ``date_paid(_gmt)`` set (so a later
  ``refunded`` or ``cancelled`` order that had been paid still shows it was).
* ``refunds[]`` carries only negative totals, tax and shipping included. Such a refund is
  ``RefundEvent(goods=None, money=abs(total))`` and the engine reverses commission x cumulative
  refunded money / order total; ``OrderEvent.shipping`` is left at 0 so that the denominator
  is the whole total, shipping included like the refunds. A refund entry that carries line
  detail (``line_items[]``, as the refunds endpoint or a payload filter adds) is booked on goods.
* The store is the host of ``X-WC-Webhook-Source`` (the site's home URL).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..money import currency_code
from .base import (
    Delivery,
    Event,
    Line,
    OrderEvent,
    RefundEvent,
    Rejected,
    amount,
    code_discounts,
    codes_in_order,
    header,
    header_host,
    optional_list,
    optional_text,
    require_currency,
    required_list,
    sign_base64,
    signature_matches,
    sources_of,
    text_id,
    timestamp,
    within,
)
from .limits import MAX_LINES, MAX_NUMBER_LENGTH, MAX_QUANTITY, MAX_REFUNDS, MAX_STATUS_LENGTH

ORDER_TOPICS = frozenset({"order.created", "order.updated"})
PAID_STATUSES = frozenset({"processing", "completed"})
_PING = re.compile(rb"webhook_id=\d+\s*")

# wp_specialchars_decode($secret, ENT_QUOTES): zero-padded numeric entities are normalised
# first, then one left-to-right pass replaces each entity (PHP strtr), so "&amp;lt;" is "&lt;".
_PADDED = [
    (re.compile(r"&#0*39;"), "&#039;"),
    (re.compile(r"&#x0*27;", re.IGNORECASE), "&#x27;"),
    (re.compile(r"&#0*34;"), "&#034;"),
    (re.compile(r"&#x0*22;", re.IGNORECASE), "&#x22;"),
    (re.compile(r"&#0*60;"), "&#060;"),
    (re.compile(r"&#0*62;"), "&#062;"),
    (re.compile(r"&#0*38;"), "&#038;"),
    (re.compile(r"&#x0*26;", re.IGNORECASE), "&#x26;"),
]
_ENTITIES = {
    "&#039;": "'",
    "&#x27;": "'",
    "&quot;": '"',
    "&#034;": '"',
    "&#x22;": '"',
    "&lt;": "<",
    "&#060;": "<",
    "&gt;": ">",
    "&#062;": ">",
    "&amp;": "&",
    "&#038;": "&",
    "&#x26;": "&",
}
_ENTITY = re.compile("|".join(re.escape(entity) for entity in _ENTITIES))


def wordpress_secret(secret: str) -> str:
    """The key WooCommerce really signs with: HTML entities in the stored secret decoded."""
    if "&" not in secret:
        return secret
    for pattern, replacement in _PADDED:
        secret = pattern.sub(replacement, secret)
    return _ENTITY.sub(lambda match: _ENTITIES[match.group(0)], secret)


def sign(body: bytes, secret: str) -> str:
    """``X-WC-Webhook-Signature`` for ``body``, keyed as WooCommerce keys it."""
    return sign_base64(body, wordpress_secret(secret))


class WooCommerceAdapter:
    """WooCommerce's webhook contract (``WC_Webhook::deliver()``)."""

    platform = "woocommerce"
    store_header = "X-WC-Webhook-Source"
    signature_header = "X-WC-Webhook-Signature"

    def store_domain(self, headers: Mapping[str, str]) -> str | None:
        return header_host(headers, self.store_header)

    def verify(self, body: bytes, headers: Mapping[str, str], secrets: list[str]) -> bool:
        keys = [wordpress_secret(secret) for secret in secrets]
        return signature_matches(header(headers, self.signature_header), body, keys)

    def delivery(self, headers: Mapping[str, str]) -> Delivery:
        """WooCommerce sends no event id or timestamp; its delivery id is new on every send."""
        return Delivery(
            topic=(header(headers, "X-WC-Webhook-Topic") or "").lower(),
            delivery_id=header(headers, "X-WC-Webhook-Delivery-ID"),
        )

    def is_ping(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """The form-encoded ``webhook_id=N`` sent when a hook is created: no X-WC-* at all."""
        names = headers.keys()  # not iter(headers): Werkzeug's Headers iterates over pairs
        if any(str(name).lower().startswith("x-wc-") for name in names):
            return False
        return _PING.fullmatch(body) is not None

    def parse(self, topic: str, payload: object, currency: str) -> list[Event]:
        if topic not in ORDER_TOPICS:
            return []
        if not isinstance(payload, dict):
            raise Rejected("WooCommerce order payload is not a JSON object")
        try:
            return [parse_order(payload, currency_code(currency))]
        except Rejected as exc:
            raise Rejected(f"WooCommerce order {exc.reason}") from None


def parse_order(order: dict[str, Any], currency: str) -> OrderEvent:
    """A REST v3 order in the store's currency; raises :class:`Rejected` naming a bad field."""
    order_id = text_id(order.get("id"), "id")
    require_currency(order.get("currency"), currency)
    status = order.get("status")
    if status is None:
        raise Rejected("missing: status")
    if not isinstance(status, str):
        raise Rejected("malformed: status")
    if len(status) > MAX_STATUS_LENGTH:
        raise Rejected("malformed: status")
    status = status.strip().lower().removeprefix("wc-")
    items = required_list(order, "line_items", "line_items")
    lines = tuple(_line(item, index, currency) for index, item in enumerate(items))
    base = within(sum(line.goods for line in lines), "line_items")
    total = order.get("total")
    refunds = optional_list(order, "refunds", "refunds", MAX_REFUNDS)
    # Paid once a real payment date is set (a "no" or any other non-date is not one).
    paid_at = timestamp(order.get("date_paid_gmt") or order.get("date_paid"), "date_paid")
    billing = order.get("billing")
    email = billing.get("email") if isinstance(billing, dict) else None
    return OrderEvent(
        order_id=order_id,
        order_number=optional_text(order.get("number"), "number", MAX_NUMBER_LENGTH),
        currency=currency,
        codes=codes_in_order(order.get("coupon_lines")),
        discounts=code_discounts(order.get("coupon_lines"), "discount", currency, "coupon_lines"),
        lines=lines,
        base_amount=base,
        total=base if total is None else amount(total, currency, "total"),
        paid=status in PAID_STATUSES or paid_at is not None,
        cancelled=status == "cancelled",
        buyer_email=email.strip() if isinstance(email, str) and email.strip() else None,
        financial_status=status,
        placed_at=timestamp(
            order.get("date_created_gmt") or order.get("date_created"), "date_created"
        ),
        updated_at=timestamp(
            order.get("date_modified_gmt") or order.get("date_modified"), "date_modified"
        ),
        refunds=tuple(
            _refund(entry, index, order_id, currency) for index, entry in enumerate(refunds)
        ),
        taxes_included=order.get("prices_include_tax") is True,
        sources=sources_of(*_attribution(order)),
        # 0 is a guest checkout.
        customer_id=None
        if order.get("customer_id") in (None, 0, "0", "")
        else text_id(order.get("customer_id"), "customer_id"),
    )


#: WooCommerce's order attribution meta (8.5+) that says where the buyer came from.
ATTRIBUTION_KEYS = (
    "_wc_order_attribution_referrer",
    "_wc_order_attribution_session_entry",
    "_wc_order_attribution_utm_source",
)


def _attribution(order: dict[str, Any]) -> list[object]:
    """The attribution meta values, where the store records them (absent: none)."""
    meta = order.get("meta_data")
    if not isinstance(meta, list):
        return []
    return [
        entry.get("value")
        for entry in meta[:MAX_LINES]
        if isinstance(entry, dict) and entry.get("key") in ATTRIBUTION_KEYS
    ]


def _line(item: object, index: int, currency: str) -> Line:
    where = f"line_items[{index}]"
    if not isinstance(item, dict):
        raise Rejected(f"malformed: {where} (expected an object)")
    if item.get("total") is None:
        raise Rejected(f"missing: {where}.total")
    quantity = item.get("quantity")
    if quantity is None:
        raise Rejected(f"missing: {where}.quantity")
    if (
        isinstance(quantity, bool)
        or not isinstance(quantity, int)
        or not 0 <= quantity <= MAX_QUANTITY
    ):
        raise Rejected(f"malformed: {where}.quantity")
    line_id = item.get("id")
    return Line(
        line_id=text_id(line_id, f"{where}.id") if line_id is not None else str(index),
        goods=amount(item["total"], currency, f"{where}.total"),
        quantity=quantity,
    )


def _refund(entry: object, index: int, order_id: str, currency: str) -> RefundEvent:
    where = f"refunds[{index}]"
    if not isinstance(entry, dict):
        raise Rejected(f"malformed: {where} (expected an object)")
    refund_id = text_id(entry.get("id"), f"{where}.id")
    if entry.get("total") is None:
        raise Rejected(f"missing: {where}.total")
    # WooCommerce writes refunds as negative amounts.
    money = abs(amount(entry["total"], currency, f"{where}.total", negative=True))
    lines: dict[str, int] = {}
    for number, item in enumerate(optional_list(entry, "line_items", f"{where}.line_items")):
        here = f"{where}.line_items[{number}]"
        if not isinstance(item, dict) or item.get("total") is None:
            raise Rejected(f"missing: {here}.total")
        line_id = _refunded_item_id(item, here)
        key = text_id(line_id, f"{here}.id") if line_id is not None else str(number)
        refunded = abs(amount(item["total"], currency, f"{here}.total", negative=True))
        lines[key] = lines.get(key, 0) + refunded
    goods = within(sum(lines.values()), f"{where}.line_items")
    return RefundEvent(
        refund_id=refund_id,
        order_id=order_id,
        goods=goods if goods > 0 else None,
        money=money,
        lines=lines if goods > 0 else {},
        created_at=timestamp(
            entry.get("date_created_gmt") or entry.get("date_created"), f"{where}.date_created"
        ),
    )


def _refunded_item_id(item: dict[str, Any], path: str) -> object:
    """The order line a refund line gives back (WooCommerce keeps it in ``_refunded_item_id``)."""
    for meta in optional_list(item, "meta_data", f"{path}.meta_data"):
        if isinstance(meta, dict) and meta.get("key") == "_refunded_item_id":
            return meta.get("value")
    return item.get("refunded_item_id", item.get("id"))
