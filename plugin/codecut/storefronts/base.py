"""The normalized events every storefront adapter produces, and the adapter interface.

An adapter knows one platform's delivery contract: which header names the store, how the body is
signed, and how its order and refund payloads map onto these events. The commission engine only
ever sees these events, so Shopify, WooCommerce and the generic format are booked by one code path.

All money here is in integer minor units of the **shop's** currency (never the buyer's presentment
currency).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from ..models.base import storable
from ..money import MoneyError, to_minor
from .limits import (
    EARLIEST,
    LATEST,
    MAX_AMOUNT,
    MAX_CODE_LENGTH,
    MAX_CODES,
    MAX_ID_LENGTH,
    MAX_LINES,
)


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
    #: Tax on the refunded lines (shop money). Shopify's refund line subtotals include it when the
    #: order's prices include tax, which a refund payload alone does not say: see
    #: ``goods_net_of_tax``.
    line_tax: int = 0

    def goods_net_of_tax(self, taxes_included: bool) -> int | None:
        """Refunded goods comparable with the order's ``base_amount``.

        Pass the order's ``taxes_included``: when prices include tax, the refund lines' tax is
        taken out, as it was from the base.
        """
        if self.goods is None or not taxes_included:
            return self.goods
        return max(self.goods - self.line_tax, 0)


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
    #: Prices include tax (Shopify ``taxes_included``, WooCommerce ``prices_include_tax``).
    taxes_included: bool = False
    #: Shipping charged (shop money, after shipping discounts): ``total - shipping`` is what a
    #: money-only refund (which excludes refunded shipping) is measured against.
    shipping: int = 0
    #: What each code took off the order (shop money), as typed: the discount cost in reports.
    discounts: tuple[tuple[str, int], ...] = ()
    #: Where the buyer came from, for the coupon-site rule: the hosts of the landing and
    #: referring URLs and their ``utm_source``/``ref`` values, lowercase (:func:`sources_of`).
    #: Nothing else of those URLs is kept.
    sources: tuple[str, ...] = ()
    #: The store's own customer id (guests: none), for the repeat-buyer and self-referral rules;
    #: booking keeps only a hash of it.
    customer_id: str | None = None


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
    #: The headers that name the store and carry the signature (named when one is missing).
    store_header: str
    signature_header: str

    def store_domain(self, headers: Mapping[str, str]) -> str | None:
        """The store the delivery claims to come from (verified by the signature next)."""
        ...

    def verify(self, body: bytes, headers: Mapping[str, str], secrets: list[str]) -> bool:
        """True if the body is signed with any of ``secrets`` (constant-time comparison)."""
        ...

    def delivery(self, headers: Mapping[str, str]) -> Delivery:
        """Topic and delivery metadata from the headers (optional ones may be missing)."""
        ...

    def is_ping(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """True for a platform's unsigned "hook created" ping, answered 200 and never booked."""
        ...

    def parse(self, topic: str, payload: object, currency: str) -> list[Event]:
        """Turn a verified JSON payload into events; ``[]`` for topics Codecut does not use.

        Raises :class:`Rejected` when a field Codecut needs is missing or malformed.
        """
        ...


# -- helpers shared by the adapters ------------------------------------------------------------


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value, looked up case-insensitively in any mapping (Werkzeug or a plain dict)."""
    value = headers.get(name)
    if value is None:
        wanted = name.lower()
        value = next((v for k, v in headers.items() if str(k).lower() == wanted), None)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def header_host(headers: Mapping[str, str], name: str) -> str | None:
    """The lowercase host named by a header holding a URL (``https://Shop.example.com/``) or a
    bare host (``shop.example.com``): how WooCommerce and the generic format name the store."""
    value = header(headers, name)
    if not value:
        return None
    try:
        host = urlsplit(value if "://" in value else f"//{value}").hostname
    except ValueError:  # "http://[" and the like: no host can be read from it
        return None
    return host.lower() if host else None


def hmac_sha256(secret: str, body: bytes) -> bytes:
    """HMAC-SHA256 of the raw body keyed with the secret's UTF-8 bytes."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()


def sign_base64(body: bytes, secret: str) -> str:
    """The base64 HMAC-SHA256 Shopify and WooCommerce send (for senders: demo, tests, tools)."""
    return base64.b64encode(hmac_sha256(secret, body)).decode("ascii")


def signature_matches(
    received: str | None, body: bytes, secrets: list[str], *, encoding: str = "base64"
) -> bool:
    """Constant-time check of ``received`` against the body signed with each secret in turn.

    Every secret is tried (current and previous during a rotation); empty secrets never match.
    """
    if not received:
        return False
    got = received.strip()
    if encoding == "hex":
        got = got.lower()
    got_bytes = got.encode("utf-8")
    matched = False
    for secret in secrets:
        if not secret:
            continue
        digest = hmac_sha256(secret, body)
        expected = digest.hex() if encoding == "hex" else sign_base64(body, secret)
        matched |= hmac.compare_digest(expected.encode("ascii"), got_bytes)
    return matched


def clean_text(value: str, path: str, max_length: int) -> str:
    """Text a database stores as it came: trimmed, at most ``max_length`` characters, no NUL and
    no lone surrogate (neither can be stored as UTF-8)."""
    text = value.strip()
    if len(text) > max_length:
        raise Rejected(f"malformed: {path} (longer than {max_length} characters)")
    if not storable(text):
        raise Rejected(f"malformed: {path} (holds characters that are not text)")
    return text


def text_id(value: object, path: str, max_length: int = MAX_ID_LENGTH) -> str:
    """A storefront id as exact text: JSON integers above 2^53 must never pass through a float."""
    if value is None:
        raise Rejected(f"missing: {path}")
    if isinstance(value, bool):
        raise Rejected(f"malformed: {path}")
    if isinstance(value, int):
        return clean_text(str(value), path, max_length)
    if isinstance(value, str) and value.strip():
        return clean_text(value, path, max_length)
    raise Rejected(f"malformed: {path} (expected an integer or a string id)")


def optional_text(value: object, path: str, max_length: int) -> str | None:
    """A short text field, ``None`` when absent or blank; anything but text or a number refused."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise Rejected(f"malformed: {path} (expected text)")
    return clean_text(value, path, max_length) or None


def required_list(
    obj: Mapping[str, Any], key: str, path: str, max_items: int = MAX_LINES
) -> list[Any]:
    """``obj[key]``, which must be present and a JSON list of at most ``max_items``."""
    value = obj.get(key)
    if value is None:
        raise Rejected(f"missing: {path}")
    return _bounded(value, path, max_items)


def optional_list(
    obj: Mapping[str, Any], key: str, path: str, max_items: int = MAX_LINES
) -> list[Any]:
    """``obj[key]`` as a list, empty when absent or empty; anything else but a list is refused."""
    return _bounded(obj.get(key) or [], path, max_items)


def _bounded(value: object, path: str, max_items: int) -> list[Any]:
    if not isinstance(value, list):
        raise Rejected(f"malformed: {path} (expected a list)")
    if len(value) > max_items:
        raise Rejected(f"malformed: {path} (more than {max_items} items)")
    return value


def require_currency(value: object, currency: str) -> None:
    """An order must be in the store's own currency: that is the only money commission reads."""
    if value is None:
        raise Rejected("missing: currency")
    if not isinstance(value, str) or not value.strip():
        raise Rejected("malformed: currency")
    if value.strip().upper() != currency:
        raise Rejected(
            f"currency {value.strip().upper()} differs from the store's currency {currency}: "
            "shop money cannot be read"
        )


def amount(value: object, currency: str, path: str, *, negative: bool = False) -> int:
    """Minor units of a JSON amount, string or number (numbers go through ``str`` to stay exact);
    at most :data:`~.limits.MAX_AMOUNT` either way, and not below zero unless ``negative``."""
    if value is None:
        raise Rejected(f"missing: {path}")
    if isinstance(value, bool):
        raise Rejected(f"malformed: {path}")
    if isinstance(value, float):
        value = Decimal(str(value))
    if not isinstance(value, str | int | Decimal):
        raise Rejected(f"malformed: {path}")
    try:
        minor = to_minor(value, currency, round_half_up=True)
    except MoneyError:
        raise Rejected(f"malformed: {path} ({value!r} is not an amount)") from None
    if abs(minor) > MAX_AMOUNT:
        raise Rejected(f"malformed: {path} ({value!r} is out of range)")
    if minor < 0 and not negative:
        raise Rejected(f"malformed: {path} ({value!r} must not be negative)")
    return minor


def within(total: int, path: str) -> int:
    """A sum (an order's base or total) within :data:`~.limits.MAX_AMOUNT`."""
    if abs(total) > MAX_AMOUNT:
        raise Rejected(f"malformed: {path} (the sum is out of range)")
    return total


def timestamp(value: object, path: str = "a date") -> datetime | None:
    """An ISO-8601 stamp as an aware UTC datetime; ``None`` when absent or unreadable.

    A stamp without an offset is taken as UTC (WooCommerce's ``*_gmt`` fields carry none). A
    readable stamp outside :data:`~.limits.EARLIEST` .. :data:`~.limits.LATEST` is no real
    order's: :class:`Rejected`.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        moment = parsed.astimezone(UTC)
    except OverflowError:
        raise Rejected(f"malformed: {path} ({value!r} is out of range)") from None
    if not EARLIEST <= moment < LATEST:
        raise Rejected(f"malformed: {path} ({value!r} is out of range)")
    return moment


def codes_in_order(entries: object) -> tuple[str, ...]:
    """The ``code`` of each entry, trimmed, in the order's own order, blanks and repeats dropped.

    The order matters: when several of a store's codes are on one order, the engine credits the
    first one that is ours.
    """
    listed = entries if isinstance(entries, list) else []
    return unique_codes(
        (entry.get("code") if isinstance(entry, dict) else None for entry in listed), "codes"
    )


def code_discounts(
    entries: object, field: str, currency: str, path: str
) -> tuple[tuple[str, int], ...]:
    """(code as typed, what it took off the order) for each code entry that names an amount in
    ``field``; a code listed twice counts once, as in :func:`codes_in_order`."""
    found: dict[str, int] = {}
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict):
            continue
        code = entry.get("code")
        if isinstance(code, str) and code.strip():
            typed = clean_text(code, f"{path}[{index}].code", MAX_CODE_LENGTH)
            value = entry.get(field)
            off = 0 if value is None else amount(value, currency, f"{path}[{index}].{field}")
            found.setdefault(typed, off)
    return tuple(found.items())


def unique_codes(typed: Iterable[object], path: str) -> tuple[str, ...]:
    """Codes as typed, trimmed, blanks and repeats dropped, first occurrence first (a dict keeps
    the order in linear time); at most :data:`~.limits.MAX_CODES`."""
    codes: dict[str, None] = {}
    for code in typed:
        if isinstance(code, str) and code.strip():
            codes[clean_text(code, path, MAX_CODE_LENGTH)] = None
            if len(codes) > MAX_CODES:
                raise Rejected(f"malformed: {path} (more than {MAX_CODES} codes)")
    return tuple(codes)


#: Longest landing or referring URL read; a longer one is cut (it is a hint, never money).
MAX_SOURCE_URL = 2048
_SOURCE_PARAMS = ("utm_source", "ref")


def sources_of(*urls: object) -> tuple[str, ...]:
    """Hosts (without ``www.``) and ``utm_source``/``ref`` values of landing and referring URLs,
    lowercase and de-duplicated. Absent, malformed or non-text values add nothing: they are
    hints for the leak rules, so a bad one never rejects an order."""
    found: dict[str, None] = {}
    for url in urls:
        if not isinstance(url, str) or not url.strip():
            continue
        text = url.strip()[:MAX_SOURCE_URL]
        if "://" not in text and not text.startswith(("/", "?")):
            text = f"//{text}"  # a bare host such as "www.retailmenot.com"
        try:
            parts = urlsplit(text)
            host = (parts.hostname or "").removeprefix("www.")
            params = parse_qs(parts.query)
        except ValueError:
            continue
        if host:
            found[host] = None
        for name in _SOURCE_PARAMS:
            for value in params.get(name, []):
                if value.strip():
                    found[value.strip().lower()[:255]] = None
    return tuple(found)
