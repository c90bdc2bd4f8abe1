"""The generic format, exactly as the README documents it for any other storefront."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from storefront_payloads import (
    dumps,
    generic_cancel,
    generic_headers,
    generic_order,
    generic_refund,
)
from werkzeug.datastructures import Headers

from codecut.storefronts import get_adapter
from codecut.storefronts.base import CancelEvent, OrderEvent, RefundEvent, Rejected
from codecut.storefronts.generic import GenericAdapter

ADAPTER = GenericAdapter()
STORE = "shop.example.org"
SECRET = "generic-secret"


def parse_one(payload: dict, currency: str = "EUR") -> object:
    events = ADAPTER.parse("generic", json.loads(dumps(payload)), currency)
    assert len(events) == 1
    return events[0]


def test_registered_under_its_platform_name() -> None:
    assert get_adapter("generic").platform == "generic"


def test_order_event() -> None:
    payload = generic_order(
        "A-1001",
        codes=["ANNA15", "welcome"],
        lines=[
            {"id": "sku-1", "quantity": 2, "goods": "80.00"},
            {"id": 2, "quantity": 1, "goods": "19.99"},
        ],
        total="119.99",
        shipping="4.90",
        number="#1001",
        email="buyer@example.org",
        created_at="2025-05-01T12:00:00+02:00",
        updated_at="2025-05-01T12:30:00+02:00",
    )
    event = parse_one(payload)
    assert isinstance(event, OrderEvent)
    assert event.order_id == "A-1001"
    assert event.order_number == "#1001"
    assert event.codes == ("ANNA15", "welcome")
    assert [(line.line_id, line.goods, line.quantity) for line in event.lines] == [
        ("sku-1", 8000, 2),
        ("2", 1999, 1),
    ]
    assert event.base_amount == 9999  # 80.00 + 19.99
    assert event.total == 11999
    assert event.shipping == 490
    assert event.paid is True
    assert event.cancelled is False
    assert event.buyer_email == "buyer@example.org"
    assert event.placed_at == datetime(2025, 5, 1, 10, 0, tzinfo=UTC)
    assert event.updated_at == datetime(2025, 5, 1, 10, 30, tzinfo=UTC)


def test_order_defaults() -> None:
    event = parse_one(generic_order(total=None, codes=[]))
    assert isinstance(event, OrderEvent)
    assert event.total == event.base_amount == 10000
    assert (event.codes, event.shipping, event.test, event.cancelled) == ((), 0, False, False)
    assert event.buyer_email is None and event.updated_at is None


def test_order_with_embedded_refunds_and_cancelled_flag() -> None:
    payload = generic_order(cancelled=True, test=True, refunds=[{"id": "r1", "goods": "25.00"}])
    event = parse_one(payload)
    assert isinstance(event, OrderEvent)
    assert event.cancelled is True and event.test is True
    (refund,) = event.refunds
    assert (refund.refund_id, refund.order_id, refund.goods, refund.money) == (
        "r1",
        "1001",
        2500,
        None,
    )


def test_refund_with_goods_and_lines() -> None:
    event = parse_one(generic_refund("r2", "1001", lines={"1": "30.00", "2": "12.50"}))
    assert isinstance(event, RefundEvent)
    assert event.goods == 4250  # lines add up when goods is not given
    assert dict(event.lines) == {"1": 3000, "2": 1250}


def test_money_only_refund() -> None:
    event = parse_one(generic_refund("r3", 1001, money="41.94", created_at="2025-05-02T08:00:00Z"))
    assert isinstance(event, RefundEvent)
    assert (event.order_id, event.goods, event.money) == ("1001", None, 4194)
    assert event.created_at == datetime(2025, 5, 2, 8, 0, tzinfo=UTC)


def test_cancel_event() -> None:
    event = parse_one(generic_cancel("1001", cancelled_at="2025-05-03T00:00:00Z"))
    assert event == CancelEvent(order_id="1001", cancelled_at=datetime(2025, 5, 3, tzinfo=UTC))


def test_zero_decimal_currency() -> None:
    event = parse_one(
        generic_order(currency="JPY", lines=[{"id": "1", "quantity": 1, "goods": "1500"}]),
        currency="JPY",
    )
    assert isinstance(event, OrderEvent)
    assert event.base_amount == 1500


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"type": "invoice"}, "generic event type must be one of order, refund, cancel"),
        ({k: v for k, v in generic_order().items() if k != "id"}, "generic order missing: id"),
        (
            {k: v for k, v in generic_order().items() if k != "currency"},
            "generic order missing: currency",
        ),
        ({k: v for k, v in generic_order().items() if k != "paid"}, "generic order missing: paid"),
        (
            {k: v for k, v in generic_order().items() if k != "lines"},
            "generic order missing: lines",
        ),
        (
            generic_order(lines=[{"id": "1", "quantity": 1}]),
            "generic order missing: lines[0].goods",
        ),
        (
            generic_order(lines=[{"id": "1", "goods": "1.00"}]),
            "generic order missing: lines[0].quantity",
        ),
        (
            generic_order(lines=[{"quantity": 1, "goods": "1.00"}]),
            "generic order missing: lines[0].id",
        ),
        (
            generic_order(lines=[{"id": "1", "quantity": 1, "goods": "1.005"}]),
            "generic order malformed: lines[0].goods",
        ),
        (
            generic_order(lines=[{"id": "1", "quantity": 1, "goods": 1.5}]),
            "generic order malformed: lines[0].goods",
        ),
        (generic_order(paid="yes"), "generic order malformed: paid"),
        (generic_order(currency="USD"), "differs from the store's currency EUR"),
        (generic_refund("r1", "1001"), "generic refund missing: goods or money"),
        (
            generic_refund("r1", money="-3.00"),
            "generic refund malformed: money (amounts are not negative)",
        ),
        ({"type": "refund", "id": "r1", "money": "1.00"}, "generic refund missing: order_id"),
        ({"type": "cancel"}, "generic cancel missing: order_id"),
    ],
)
def test_bad_events_are_rejected_naming_the_field(payload: dict, reason: str) -> None:
    with pytest.raises(Rejected) as caught:
        ADAPTER.parse("generic", payload, "EUR")
    assert caught.value.reason.startswith(reason) or reason in caught.value.reason


def test_not_an_object_is_rejected() -> None:
    with pytest.raises(Rejected, match="not a JSON object"):
        ADAPTER.parse("generic", [], "EUR")


def test_ids_above_two_to_the_53_stay_exact() -> None:
    event = parse_one(generic_refund(2**53 + 1, 2**64 + 3, money="1.00"))
    assert isinstance(event, RefundEvent)
    assert (event.refund_id, event.order_id) == ("9007199254740993", "18446744073709551619")


# -- signature and headers -------------------------------------------------------------------


def test_signature_is_hex_hmac_of_the_raw_body() -> None:
    body = dumps(generic_order())
    headers = generic_headers(body, SECRET, STORE)
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Codecut-Signature"] == f"sha256={expected}"
    assert ADAPTER.verify(body, headers, [SECRET]) is True
    # The prefix may be left out and the hex may be upper case.
    assert ADAPTER.verify(body, {"X-Codecut-Signature": expected.upper()}, [SECRET]) is True


def test_bad_signatures_fail() -> None:
    body = dumps(generic_order())
    headers = generic_headers(body, SECRET, STORE)
    assert ADAPTER.verify(body, headers, ["wrong"]) is False
    assert ADAPTER.verify(body.replace(b"100.00", b"900.00"), headers, [SECRET]) is False
    assert ADAPTER.verify(body, {"X-Codecut-Store": STORE}, [SECRET]) is False
    assert ADAPTER.verify(body, {"X-Codecut-Signature": "sha256="}, [SECRET]) is False


def test_previous_secret_verifies_during_rotation() -> None:
    body = dumps(generic_order())
    headers = generic_headers(body, "old", STORE)
    assert ADAPTER.verify(body, headers, [SECRET, "old"]) is True


def test_store_topic_and_delivery_headers() -> None:
    body = b"{}"
    headers = Headers(generic_headers(body, SECRET, "Shop.Example.org", topic="Order"))
    assert ADAPTER.store_domain(headers) == "shop.example.org"
    assert ADAPTER.store_domain({"x-codecut-store": "https://shop.example.org/"}) == (
        "shop.example.org"
    )
    assert ADAPTER.store_domain({}) is None
    assert ADAPTER.delivery(headers).topic == "order"
    bare = ADAPTER.delivery(generic_headers(body, SECRET, STORE, delivery_id="d-9"))
    assert (bare.topic, bare.delivery_id) == ("generic", "d-9")
    assert ADAPTER.is_ping(b"webhook_id=1", {}) is False


@given(st.lists(st.integers(min_value=0, max_value=10**9), max_size=8))
def test_base_is_the_sum_of_line_goods(goods: list[int]) -> None:
    lines = [
        {"id": str(i), "quantity": 1, "goods": f"{g // 100}.{g % 100:02d}"}
        for i, g in enumerate(goods)
    ]
    event = parse_one(generic_order(lines=lines, total=None))
    assert isinstance(event, OrderEvent)
    assert [line.goods for line in event.lines] == goods
    assert event.base_amount == sum(goods) == event.total
