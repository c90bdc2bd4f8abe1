"""The generic format: Codecut's own JSON events for any storefront that is not built in.

The sender computes the commissionable figures itself, so the format is small. Headers:

* ``X-Codecut-Store``: the store's domain as registered in Codecut (a URL is accepted; its host
  is used).
* ``X-Codecut-Signature``: ``sha256=`` followed by the lowercase hex HMAC-SHA256 of the raw body,
  keyed with the store's webhook secret (the prefix may be left out).
* ``X-Codecut-Topic`` (optional, defaults to ``generic``) and ``X-Codecut-Delivery`` (optional)
  are kept for the event log; the body's ``type`` decides what the event is.

Bodies (amounts are decimal strings in major units with at most the currency's decimals, ids are
strings or integers, timestamps ISO-8601 with an offset):

* ``{"type": "order", "id", "currency", "paid", "lines": [{"id", "quantity", "goods"}], ...}``
  with optional ``number``, ``codes`` (as typed, in the order's own order), ``total``,
  ``shipping``, ``cancelled``, ``test``, ``email``, ``customer_id`` (the store's own, for the
  leak rules), ``landing_site`` and ``referring_site`` (URLs, for the coupon-site rule),
  ``created_at``, ``updated_at`` and ``refunds`` (refund objects without ``type``/``order_id``).
  ``goods`` is what the customer paid for the line after discounts, without shipping, tax,
  duties or tips; gift cards are left out of ``lines``.
* ``{"type": "refund", "id", "order_id", "goods"?, "lines"?: {line id: amount}, "money"?,
  "created_at"?}``: ``goods`` (refunded goods after discounts) or ``money`` (paid back, without
  shipping) or both.
* ``{"type": "cancel", "order_id", "cancelled_at"?}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..money import MoneyError, currency_code, to_minor
from .base import (
    CancelEvent,
    Delivery,
    Event,
    Line,
    OrderEvent,
    RefundEvent,
    Rejected,
    header,
    header_host,
    hmac_sha256,
    optional_list,
    optional_text,
    require_currency,
    required_list,
    signature_matches,
    sources_of,
    text_id,
    timestamp,
    unique_codes,
    within,
)
from .limits import (
    MAX_CODES,
    MAX_ID_LENGTH,
    MAX_LINES,
    MAX_NUMBER_LENGTH,
    MAX_QUANTITY,
    MAX_REFUNDS,
)

TYPES = ("order", "refund", "cancel")


def sign(body: bytes, secret: str) -> str:
    """``X-Codecut-Signature`` for ``body``: ``sha256=`` and the hex HMAC-SHA256."""
    return "sha256=" + hmac_sha256(secret, body).hex()


class GenericAdapter:
    """Codecut's documented format, signed with a hex HMAC-SHA256 of the raw body."""

    platform = "generic"
    store_header = "X-Codecut-Store"
    signature_header = "X-Codecut-Signature"

    def store_domain(self, headers: Mapping[str, str]) -> str | None:
        return header_host(headers, self.store_header)

    def verify(self, body: bytes, headers: Mapping[str, str], secrets: list[str]) -> bool:
        signature = header(headers, self.signature_header) or ""
        if signature.lower().startswith("sha256="):
            signature = signature[len("sha256=") :]
        return signature_matches(signature, body, secrets, encoding="hex")

    def delivery(self, headers: Mapping[str, str]) -> Delivery:
        return Delivery(
            topic=(header(headers, "X-Codecut-Topic") or "generic").lower(),
            delivery_id=header(headers, "X-Codecut-Delivery"),
        )

    def is_ping(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """The generic format has no ping: every delivery is a signed event."""
        return False

    def parse(self, topic: str, payload: object, currency: str) -> list[Event]:
        """The body's ``type`` decides the event; ``topic`` is only the header's label."""
        if not isinstance(payload, dict):
            raise Rejected("generic event is not a JSON object")
        kind = payload.get("type")
        if kind not in TYPES:
            raise Rejected(f"generic event type must be one of {', '.join(TYPES)}, not {kind!r}")
        store_currency = currency_code(currency)
        try:
            if kind == "order":
                return [_order(payload, store_currency)]
            if kind == "refund":
                return [
                    _refund(payload, store_currency, text_id(payload.get("order_id"), "order_id"))
                ]
            return [
                CancelEvent(
                    order_id=text_id(payload.get("order_id"), "order_id"),
                    cancelled_at=timestamp(payload.get("cancelled_at"), "cancelled_at"),
                )
            ]
        except Rejected as exc:
            raise Rejected(f"generic {kind} {exc.reason}") from None


def _order(order: dict[str, Any], currency: str) -> OrderEvent:
    order_id = text_id(order.get("id"), "id")
    require_currency(order.get("currency"), currency)
    paid = order.get("paid")
    if paid is None:
        raise Rejected("missing: paid")
    if not isinstance(paid, bool):
        raise Rejected("malformed: paid (expected true or false)")
    items = required_list(order, "lines", "lines")
    lines = tuple(_line(item, index, currency) for index, item in enumerate(items))
    base = within(sum(line.goods for line in lines), "lines")
    codes = optional_list(order, "codes", "codes", MAX_CODES)
    if not all(isinstance(code, str) for code in codes):
        raise Rejected("malformed: codes (expected a list of strings)")
    refunds = optional_list(order, "refunds", "refunds", MAX_REFUNDS)
    email = order.get("email")
    return OrderEvent(
        order_id=order_id,
        order_number=optional_text(order.get("number"), "number", MAX_NUMBER_LENGTH),
        currency=currency,
        codes=unique_codes(codes, "codes"),
        lines=lines,
        base_amount=base,
        total=_optional_amount(order, "total", currency, default=base),
        paid=paid,
        cancelled=order.get("cancelled") is True,
        test=order.get("test") is True,
        buyer_email=email.strip() if isinstance(email, str) and email.strip() else None,
        placed_at=timestamp(order.get("created_at"), "created_at"),
        updated_at=timestamp(order.get("updated_at"), "updated_at"),
        refunds=tuple(
            _refund(refund, currency, order_id, f"refunds[{index}].")
            for index, refund in enumerate(refunds)
        ),
        shipping=_optional_amount(order, "shipping", currency, default=0),
        sources=sources_of(order.get("landing_site"), order.get("referring_site")),
        customer_id=optional_text(order.get("customer_id"), "customer_id", MAX_ID_LENGTH),
    )


def _line(item: object, index: int, currency: str) -> Line:
    where = f"lines[{index}]"
    if not isinstance(item, dict):
        raise Rejected(f"malformed: {where} (expected an object)")
    quantity = item.get("quantity")
    if quantity is None:
        raise Rejected(f"missing: {where}.quantity")
    if (
        isinstance(quantity, bool)
        or not isinstance(quantity, int)
        or not 0 <= quantity <= MAX_QUANTITY
    ):
        raise Rejected(f"malformed: {where}.quantity")
    goods = _amount(item.get("goods"), currency, f"{where}.goods")
    return Line(line_id=text_id(item.get("id"), f"{where}.id"), goods=goods, quantity=quantity)


def _refund(refund: object, currency: str, order_id: str, path: str = "") -> RefundEvent:
    if not isinstance(refund, dict):
        raise Rejected(f"malformed: {path or 'refund'} (expected an object)")
    refund_id = text_id(refund.get("id"), f"{path}id")
    if all(refund.get(name) is None for name in ("goods", "lines", "money")):
        raise Rejected(f"missing: {path}goods or {path}money")
    goods = (
        None if refund.get("goods") is None else _amount(refund["goods"], currency, f"{path}goods")
    )
    money = (
        None if refund.get("money") is None else _amount(refund["money"], currency, f"{path}money")
    )
    raw_lines = refund.get("lines", {})
    if not isinstance(raw_lines, dict):
        raise Rejected(f"malformed: {path}lines (expected an object of line id to amount)")
    if len(raw_lines) > MAX_LINES:
        raise Rejected(f"malformed: {path}lines (more than {MAX_LINES} lines)")
    lines = {
        text_id(line_id, f"{path}lines"): _amount(value, currency, f"{path}lines.{line_id}")
        for line_id, value in raw_lines.items()
    }
    if goods is None and lines:
        goods = within(sum(lines.values()), f"{path}lines")
    return RefundEvent(
        refund_id=refund_id,
        order_id=order_id,
        goods=goods,
        money=money,
        lines=lines,
        created_at=timestamp(refund.get("created_at"), f"{path}created_at"),
    )


def _amount(value: object, currency: str, path: str) -> int:
    """Exact, non-negative amounts only: the sender computed them, so a fraction of a cent is an
    error; bounded like every storefront amount."""
    if value is None:
        raise Rejected(f"missing: {path}")
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise Rejected(f'malformed: {path} (write amounts as decimal strings, like "12.34")')
    try:
        minor = to_minor(value, currency)
    except MoneyError as exc:
        raise Rejected(f"malformed: {path} ({exc})") from None
    if minor < 0:
        raise Rejected(f"malformed: {path} (amounts are not negative)")
    return within(minor, path)


def _optional_amount(obj: dict[str, Any], name: str, currency: str, *, default: int) -> int:
    return default if obj.get(name) is None else _amount(obj[name], currency, name)
