"""The normalized events every storefront adapter produces, and the adapter interface.

An adapter knows one platform's delivery contract: which header names the store, how the body is
signed, and how its order and refund payloads map onto these events. The commission engine only
ever sees these events, so Shopify, WooCommerce and the generic format are booked by one code path.

All money here is in integer minor units of the **shop's** currency (never the buyer's presentment
currency).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class Rejected(Exception):
    """The payload lacks what Codecut needs. Stored as ``rejected`` and answered 2xx with why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Line:
    """One order line as commission sees it."""

    line_id: str
    #: ``price x quantity - sum(discount allocations)``, tax taken out when prices include tax.
    #: Gift-card lines are never here.
    goods: int
    quantity: int


@dataclass(frozen=True)
class RefundEvent:
    """Money given back on an order. One per storefront refund id, which makes it idempotent."""

    refund_id: str
    order_id: str
    #: Refunded goods after discounts (sum of the refund lines' subtotals, shop money), or
    #: ``None`` when the storefront gives no goods detail for this refund.
    goods: int | None
    #: Money returned for goods, excluding refunded shipping (positive), when known: used with
    #: the order total when there is no goods detail (WooCommerce totals, custom-amount refunds).
    money: int | None = None
    #: Refunded goods per line id, when known.
    lines: Mapping[str, int] = field(default_factory=dict)
    created_at: datetime | None = None


@dataclass(frozen=True)
class CancelEvent:
    """The order was cancelled: whatever commission is left on it is reversed."""

    order_id: str
    cancelled_at: datetime | None = None


@dataclass(frozen=True)
class OrderEvent:
    """A snapshot of an order, as of ``updated_at``."""

    order_id: str  # the storefront's id, as text (ids exceed 2^53)
    order_number: str | None
    currency: str
    #: Discount codes as the customer typed them, in the order's own order.
    codes: tuple[str, ...]
    lines: tuple[Line, ...]
    #: The commissionable base: sum of ``lines[].goods``. No shipping, tax, duties or tips.
    base_amount: int
    #: What the customer was charged in all (shop money), for reports and money-only refunds.
    total: int
    #: Payment has been captured (Shopify ``paid`` and later statuses; WooCommerce processing,
    #: completed, or a ``date_paid``). Commission is booked only once this is true.
    paid: bool
    cancelled: bool = False
    test: bool = False
    buyer_email: str | None = None
    financial_status: str | None = None
    placed_at: datetime | None = None
    #: The storefront's own modification stamp; newer snapshots win, older ones are ignored.
    updated_at: datetime | None = None
    #: Refunds embedded in the order (Shopify ``refunds[]``, WooCommerce ``refunds[]``).
    refunds: tuple[RefundEvent, ...] = ()


Event = OrderEvent | RefundEvent | CancelEvent


@dataclass(frozen=True)
class Delivery:
    """What the headers of one delivery say, before the body is trusted."""

    topic: str
    delivery_id: str | None = None
    event_id: str | None = None
    triggered_at: str | None = None


class StorefrontAdapter(Protocol):
    """One platform's webhook contract."""

    #: ``shopify``, ``woocommerce`` or ``generic``: the URL segment and ``Store.platform``.
    platform: str

    def store_domain(self, headers: Mapping[str, str]) -> str | None:
        """The store the delivery claims to come from (verified by the signature next)."""
        ...

    def verify(self, body: bytes, headers: Mapping[str, str], secrets: list[str]) -> bool:
        """True if the body is signed with any of ``secrets`` (constant-time comparison)."""
        ...

    def delivery(self, headers: Mapping[str, str]) -> Delivery:
        """Topic and delivery metadata from the headers (optional ones may be missing)."""
        ...

    def parse(self, topic: str, payload: object, currency: str) -> list[Event]:
        """Turn a verified JSON payload into events; ``[]`` for topics Codecut does not use.

        Raises :class:`Rejected` when a field Codecut needs is missing or malformed.
        """
        ...
