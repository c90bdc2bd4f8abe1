"""Shopify: ``X-Shopify-*`` headers, base64 HMAC-SHA256 of the raw body, REST Order and Refund.

Money is read from ``*_set.shop_money`` when present, else from the plain fields (which Shopify
gives in the shop's currency); presentment money is never read. Rules that are ours, not
Shopify's:

* ``paid`` means ``financial_status`` is ``paid``, ``partially_refunded`` or ``refunded``;
  ``pending``, ``authorized``, ``partially_paid`` and ``voided`` are not paid yet.
* A line's goods are ``price x quantity - sum(discount_allocations)`` on the original
  ``quantity`` (refunds are booked as refunds, so the base never shrinks with them), minus the
  line's tax when ``taxes_included``; gift-card lines are left out. ``total_discount`` is not read.
* ``total`` is ``total_price`` (shop money; the base when absent) and ``shipping`` the shipping
  inside it with its tax, after shipping discounts.
* ``orders/cancelled`` yields one ``OrderEvent`` with ``cancelled=True`` (the full snapshot, its
  refunds included) and no separate ``CancelEvent``; any order topic whose payload has
  ``cancelled_at`` set is cancelled too.
* A refund's goods are the sum of its line subtotals (after discounts, shop money). A refund
  without goods (shipping only, a custom amount typed by the merchant, or a line without its
  subtotal) has ``goods=None`` and
  ``money`` = successful refund transactions in shop money minus refunded shipping, never below
  zero: a shipping-only refund therefore takes nothing back.
"""

from __future__ import annotations

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
from .limits import MAX_AMOUNT, MAX_NUMBER_LENGTH, MAX_QUANTITY, MAX_REFUNDS, MAX_STATUS_LENGTH

ORDER_TOPICS = frozenset({"orders/create", "orders/paid", "orders/updated", "orders/cancelled"})
REFUND_TOPIC = "refunds/create"
PAID_STATUSES = frozenset({"paid", "partially_refunded", "refunded"})


def sign(body: bytes, secret: str) -> str:
    """``X-Shopify-Hmac-Sha256`` for ``body``: base64 HMAC-SHA256 keyed with the app secret."""
    return sign_base64(body, secret)


class ShopifyAdapter:
    """Shopify's HTTPS webhook contract (https://shopify.dev/docs/apps/build/webhooks)."""

    platform = "shopify"
    store_header = "X-Shopify-Shop-Domain"
    signature_header = "X-Shopify-Hmac-Sha256"

    def store_domain(self, headers: Mapping[str, str]) -> str | None:
        domain = header(headers, self.store_header)
        return domain.lower() if domain else None

    def verify(self, body: bytes, headers: Mapping[str, str], secrets: list[str]) -> bool:
        return signature_matches(header(headers, self.signature_header), body, secrets)

    def delivery(self, headers: Mapping[str, str]) -> Delivery:
        return Delivery(
            topic=(header(headers, "X-Shopify-Topic") or "").lower(),
            delivery_id=header(headers, "X-Shopify-Webhook-Id"),
            event_id=header(headers, "X-Shopify-Event-Id"),
            triggered_at=header(headers, "X-Shopify-Triggered-At"),
        )

    def is_ping(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """Shopify has no ping: every delivery is signed."""
        return False

    def parse(self, topic: str, payload: object, currency: str) -> list[Event]:
        store_currency = currency_code(currency)
        if topic in ORDER_TOPICS:
            try:
                return [parse_order(_object(payload), store_currency, topic=topic)]
            except Rejected as exc:
                raise Rejected(f"Shopify order {exc.reason}") from None
        if topic == REFUND_TOPIC:
            try:
                return [parse_refund(_object(payload), store_currency)]
            except Rejected as exc:
                raise Rejected(f"Shopify refund {exc.reason}") from None
        return []


def parse_order(
    order: dict[str, Any], currency: str, *, topic: str = "orders/updated"
) -> OrderEvent:
    """An order snapshot in the store's currency; raises :class:`Rejected` naming a bad field."""
    order_id = text_id(order.get("id"), "id")
    require_currency(order.get("currency"), currency)
    status = _required(order, "financial_status", "financial_status")
    if not isinstance(status, str) or len(status) > MAX_STATUS_LENGTH:
        raise Rejected("malformed: financial_status")
    items = required_list(order, "line_items", "line_items")
    taxes_included = order.get("taxes_included") is True
    lines = tuple(
        line
        for index, item in enumerate(items)
        if (line := _line(item, index, currency, taxes_included)) is not None
    )
    base = within(sum(line.goods for line in lines), "line_items")
    total = _money(order, "total_price", currency, "total_price")
    refunds = optional_list(order, "refunds", "refunds", MAX_REFUNDS)
    return OrderEvent(
        order_id=order_id,
        order_number=_order_number(order),
        currency=currency,
        codes=codes_in_order(order.get("discount_codes")),
        discounts=code_discounts(order.get("discount_codes"), "amount", currency, "discount_codes"),
        lines=lines,
        base_amount=base,
        total=base if total is None else total,
        paid=status.strip().lower() in PAID_STATUSES,
        cancelled=topic == "orders/cancelled" or bool(order.get("cancelled_at")),
        test=order.get("test") is True,
        buyer_email=_buyer_email(order),
        financial_status=status.strip().lower(),
        placed_at=timestamp(order.get("created_at"), "created_at"),
        updated_at=timestamp(order.get("updated_at"), "updated_at"),
        refunds=tuple(
            parse_refund(refund, currency, order_id=order_id, path=f"refunds[{index}].")
            for index, refund in enumerate(refunds)
        ),
        taxes_included=taxes_included,
        shipping=_shipping(order, currency, taxes_included),
        sources=sources_of(order.get("landing_site"), order.get("referring_site")),
        customer_id=_customer_id(order),
    )


def parse_refund(
    refund: object, currency: str, *, order_id: str | None = None, path: str = ""
) -> RefundEvent:
    """A refund in shop money. ``order_id`` is given for refunds embedded in their order."""
    if not isinstance(refund, dict):
        raise Rejected(f"malformed: {path or 'refund'} (expected an object)")
    refund_id = text_id(refund.get("id"), f"{path}id")
    if order_id is None or refund.get("order_id") is not None:
        order_id = text_id(refund.get("order_id"), f"{path}order_id")
    items = required_list(refund, "refund_line_items", f"{path}refund_line_items")
    lines: dict[str, int] = {}
    line_tax = 0
    detailed = True  # every refunded line says what its goods were worth
    for index, item in enumerate(items):
        where = f"{path}refund_line_items[{index}]"
        if not isinstance(item, dict):
            raise Rejected(f"malformed: {where}")
        if isinstance(item.get("line_item"), dict) and item["line_item"].get("gift_card") is True:
            continue
        line_id = text_id(item.get("line_item_id", item.get("id")), f"{where}.line_item_id")
        subtotal = _money(item, "subtotal", currency, f"{where}.subtotal")
        if subtotal is None:
            detailed = False
            continue
        lines[line_id] = lines.get(line_id, 0) + subtotal
        line_tax += _money(item, "total_tax", currency, f"{where}.total_tax") or 0
    goods = sum(lines.values()) if detailed else 0
    return RefundEvent(
        refund_id=refund_id,
        order_id=order_id,
        goods=goods if goods > 0 else None,
        money=_refunded_money(refund, currency, path),
        lines=lines if goods > 0 else {},
        created_at=timestamp(
            refund.get("created_at") or refund.get("processed_at"), f"{path}created_at"
        ),
        line_tax=line_tax if goods > 0 else 0,
    )


def _shipping(order: dict[str, Any], currency: str, taxes_included: bool) -> int:
    """Shipping inside ``total_price``: each line's discounted price plus its tax (already in the
    price when taxes are included); ``total_shipping_price_set`` (before shipping discounts) only
    when the payload has no shipping lines."""
    lines = optional_list(order, "shipping_lines", "shipping_lines")
    if not lines:
        return _money(order, "total_shipping_price", currency, "total_shipping_price") or 0
    shipping = 0
    for index, line in enumerate(lines):
        if not isinstance(line, dict):
            continue
        where = f"shipping_lines[{index}]"
        price = _money(line, "discounted_price", currency, f"{where}.discounted_price")
        if price is None:
            price = _money(line, "price", currency, f"{where}.price") or 0
        shipping += price
        if not taxes_included:
            taxes = optional_list(line, "tax_lines", f"{where}.tax_lines")
            for number, tax_line in enumerate(taxes):
                if isinstance(tax_line, dict):
                    here = f"{where}.tax_lines[{number}].price"
                    shipping += _money(tax_line, "price", currency, here) or 0
    return shipping


def _refunded_money(refund: dict[str, Any], currency: str, path: str) -> int | None:
    """Successful refund transactions in shop money, less refunded shipping; ``None`` if unknown.

    Transactions are in the buyer's currency; one whose shop money is not given and whose currency
    is not the shop's cannot be converted here, so the refund's money is then unknown.
    """
    paid_back = 0
    transactions = optional_list(refund, "transactions", f"{path}transactions")
    for index, txn in enumerate(transactions):
        if not isinstance(txn, dict) or txn.get("status") != "success":
            continue
        if txn.get("kind") not in (None, "refund"):
            continue
        where = f"{path}transactions[{index}].amount"
        shop = _shop_money(txn, "amount", currency, where)
        if shop is None:
            txn_currency = str(txn.get("currency") or currency).strip().upper()
            if txn_currency != currency or txn.get("amount") is None:
                return None
            shop = amount(txn.get("amount"), currency, where)
        paid_back += shop
    return max(paid_back - _refunded_shipping(refund, currency, path), 0)


def _refunded_shipping(refund: dict[str, Any], currency: str, path: str) -> int:
    """Shipping given back, with its tax. Newer payloads list it twice (``refund_shipping_lines``
    and a ``shipping_refund`` adjustment): the larger of the two is taken, never their sum."""
    from_lines = 0
    shipping_lines = optional_list(refund, "refund_shipping_lines", f"{path}refund_shipping_lines")
    for index, item in enumerate(shipping_lines):
        if isinstance(item, dict):
            where = f"{path}refund_shipping_lines[{index}]"
            from_lines += _money(item, "subtotal_amount", currency, where) or 0
            from_lines += _money(item, "tax_amount", currency, where) or 0
    from_adjustments = 0
    adjustments = optional_list(refund, "order_adjustments", f"{path}order_adjustments")
    for index, item in enumerate(adjustments):
        if isinstance(item, dict) and item.get("kind") == "shipping_refund":
            # Shopify writes these adjustments as negative amounts.
            where = f"{path}order_adjustments[{index}]"
            from_adjustments -= _money(item, "amount", currency, f"{where}.amount", True) or 0
            from_adjustments -= (
                _money(item, "tax_amount", currency, f"{where}.tax_amount", True) or 0
            )
    return max(from_lines, from_adjustments, 0)


def _line(item: object, index: int, currency: str, taxes_included: bool) -> Line | None:
    where = f"line_items[{index}]"
    if not isinstance(item, dict):
        raise Rejected(f"malformed: {where} (expected an object)")
    price = _money(item, "price", currency, f"{where}.price")
    if price is None:
        raise Rejected(f"missing: {where}.price")
    quantity = _required(item, "quantity", f"{where}.quantity")
    if (
        isinstance(quantity, bool)
        or not isinstance(quantity, int)
        or not 0 <= quantity <= MAX_QUANTITY
    ):
        raise Rejected(f"malformed: {where}.quantity")
    allocations = required_list(item, "discount_allocations", f"{where}.discount_allocations")
    if item.get("gift_card") is True:
        return None
    discount = 0
    for number, allocation in enumerate(allocations):
        here = f"{where}.discount_allocations[{number}]"
        if not isinstance(allocation, dict):
            raise Rejected(f"malformed: {here}")
        value = _money(allocation, "amount", currency, f"{here}.amount")
        if value is None:
            raise Rejected(f"missing: {here}.amount")
        discount += value
    tax = 0
    if taxes_included:
        for number, tax_line in enumerate(optional_list(item, "tax_lines", f"{where}.tax_lines")):
            if isinstance(tax_line, dict):
                here = f"{where}.tax_lines[{number}].price"
                tax += _money(tax_line, "price", currency, here) or 0
    goods = max(price * quantity - discount - tax, 0)
    if goods > MAX_AMOUNT:
        raise Rejected(f"malformed: {where} (price x quantity is out of range)")
    line_id = item.get("id")
    return Line(
        line_id=text_id(line_id, f"{where}.id") if line_id is not None else str(index),
        goods=goods,
        quantity=quantity,
    )


def _money(
    obj: dict[str, Any], name: str, currency: str, path: str, negative: bool = False
) -> int | None:
    """``obj[name + "_set"].shop_money.amount`` if present, else ``obj[name]``, else ``None``;
    never below zero unless ``negative``."""
    shop = _shop_money(obj, name, currency, path, negative)
    if shop is not None:
        return shop
    value = obj.get(name)
    return None if value is None else amount(value, currency, path, negative=negative)


def _shop_money(
    obj: dict[str, Any], name: str, currency: str, path: str, negative: bool = False
) -> int | None:
    money_set = obj.get(f"{name}_set")
    if not isinstance(money_set, dict) or not isinstance(money_set.get("shop_money"), dict):
        return None
    shop = money_set["shop_money"]
    code = shop.get("currency_code") or shop.get("currency")
    if code is not None and str(code).strip().upper() != currency:
        raise Rejected(f"{path}: shop money is in {code}, not the store's currency {currency}")
    return amount(shop.get("amount"), currency, f"{path}_set.shop_money.amount", negative=negative)


def _buyer_email(order: dict[str, Any]) -> str | None:
    customer = order.get("customer")
    candidates = [order.get("email"), order.get("contact_email")]
    if isinstance(customer, dict):
        candidates.append(customer.get("email"))
    return next((c.strip() for c in candidates if isinstance(c, str) and c.strip()), None)


def _customer_id(order: dict[str, Any]) -> str | None:
    """``customer.id``, absent for a guest checkout."""
    customer = order.get("customer")
    if not isinstance(customer, dict) or customer.get("id") in (None, "", 0):
        return None
    return text_id(customer.get("id"), "customer.id")


def _order_number(order: dict[str, Any]) -> str | None:
    """The name the merchant sees (``#1001``), else the bare ``order_number``."""
    name = order.get("name")
    if isinstance(name, str) and name.strip():
        return optional_text(name, "name", MAX_NUMBER_LENGTH)
    return optional_text(order.get("order_number"), "order_number", MAX_NUMBER_LENGTH)


def _required(obj: dict[str, Any], key: str, path: str) -> Any:
    if key not in obj or obj[key] is None:
        raise Rejected(f"missing: {path}")
    return obj[key]


def _object(payload: object) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise Rejected("payload is not a JSON object")
    return payload
