"""The WooCommerce adapter, on payloads built from the REST API v3 order schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from storefront_payloads import (
    dumps,
    woo_line,
    woo_order,
    woocommerce_headers,
    woocommerce_ping,
)
from werkzeug.datastructures import Headers

from codecut.storefronts import get_adapter
from codecut.storefronts.base import OrderEvent, Rejected
from codecut.storefronts.woocommerce import WooCommerceAdapter, wordpress_secret

ADAPTER = WooCommerceAdapter()
SOURCE = "https://Shop.Example.com/"
SECRET = "wc-secret-current"


def parse(payload: dict, topic: str = "order.updated", currency: str = "USD") -> OrderEvent:
    (event,) = ADAPTER.parse(topic, json.loads(dumps(payload)), currency)
    assert isinstance(event, OrderEvent)
    return event


def test_registered_under_its_platform_name() -> None:
    assert get_adapter("woocommerce") is not None
    assert get_adapter("WooCommerce").platform == "woocommerce"


# -- orders ----------------------------------------------------------------------------------


def test_processing_order_with_a_coupon() -> None:
    payload = woo_order(
        727,
        lines=[woo_line(1, "100.00", "85.00"), woo_line(2, "40.00", "34.00", quantity=2)],
        coupons=["anna15"],
        shipping_total="5.00",
        total_tax="11.90",
        number="WC-727",
    )
    event = parse(payload, "order.created")
    # Line totals are after the coupon and before tax: 85.00 + 34.00 = 119.00.
    # Subtotals (100.00, 40.00) are before the coupon and are not the base.
    assert [(line.line_id, line.goods, line.quantity) for line in event.lines] == [
        ("1", 8500, 1),
        ("2", 3400, 2),
    ]
    assert event.base_amount == 11900
    # total = 119.00 goods + 5.00 shipping + 11.90 tax = 135.90, as WooCommerce reports it.
    assert event.total == 13590
    # Refund totals include shipping, so the money rule is measured against the whole total.
    assert event.shipping == 0
    assert event.codes == ("anna15",)
    assert event.paid is True
    assert event.cancelled is False
    assert event.test is False
    assert event.order_id == "727"
    assert event.order_number == "WC-727"
    assert event.buyer_email == "buyer@example.com"
    assert event.financial_status == "processing"
    assert event.placed_at == datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    assert event.updated_at == datetime(2025, 3, 1, 10, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "date_paid", "paid"),
    [
        ("pending", None, False),
        ("on-hold", None, False),
        ("failed", None, False),
        ("processing", None, True),
        ("completed", None, True),
        ("on-hold", "2025-03-01T10:01:00", True),
        ("refunded", "2025-03-01T10:01:00", True),
        ("cancelled", None, False),
    ],
)
def test_paid_follows_status_or_date_paid(status: str, date_paid: str | None, paid: bool) -> None:
    event = parse(woo_order(status=status, date_paid_gmt=date_paid))
    assert event.paid is paid
    assert event.cancelled is (status == "cancelled")


def test_status_transition_pending_then_processing_then_cancelled() -> None:
    pending = parse(woo_order(status="pending", date_paid_gmt=None), "order.created")
    paid = parse(woo_order(status="processing", date_modified_gmt="2025-03-01T10:06:00"))
    cancelled = parse(woo_order(status="cancelled", date_modified_gmt="2025-03-02T09:00:00"))
    assert (pending.paid, paid.paid, cancelled.paid) == (False, True, True)
    assert (pending.cancelled, paid.cancelled, cancelled.cancelled) == (False, False, True)
    assert pending.updated_at < paid.updated_at < cancelled.updated_at


def test_refunds_are_money_only_totals() -> None:
    payload = woo_order(refunds=[(801, "-16.20"), (802, "-8.10")], total="90.00")
    event = parse(payload)
    # WooCommerce lists refunds as negative totals, tax and shipping included, no lines.
    assert [(r.refund_id, r.order_id, r.goods, r.money) for r in event.refunds] == [
        ("801", "727", None, 1620),
        ("802", "727", None, 810),
    ]
    assert event.total == 9000


def test_refund_with_line_detail_is_booked_on_goods() -> None:
    payload = woo_order()
    payload["refunds"] = [
        {
            "id": 803,
            "reason": "damaged",
            "total": "-21.25",
            "line_items": [
                {
                    "id": 55,
                    "total": "-17.00",
                    "total_tax": "-4.25",
                    "meta_data": [{"id": 9, "key": "_refunded_item_id", "value": "1"}],
                }
            ],
        }
    ]
    (refund,) = parse(payload).refunds
    # Goods are the refunded line's total before tax; money is the whole 21.25.
    assert refund.goods == 1700
    assert dict(refund.lines) == {"1": 1700}
    assert refund.money == 2125


def test_prices_include_tax_keeps_line_totals_before_tax() -> None:
    # 100.00 incl. 20% VAT: WooCommerce stores the line as 83.33 + 16.67 tax.
    line = woo_line(1, "83.33", "83.33", subtotal_tax="16.67", total_tax="16.67")
    event = parse(woo_order(lines=[line], coupons=[], total_tax="16.67", prices_include_tax=True))
    assert event.base_amount == 8333
    assert event.total == 10000
    assert event.taxes_included is True
    assert event.codes == ()


def test_several_coupons_keep_the_orders_own_order() -> None:
    event = parse(woo_order(coupons=["30$off", "anna15", "30$off", " "]))
    assert event.codes == ("30$off", "anna15")


def test_full_discount_is_a_zero_base() -> None:
    event = parse(woo_order(lines=[woo_line(1, "50.00", "0.00")], total="0.00"))
    assert event.base_amount == 0
    assert event.total == 0


def test_other_topics_book_nothing() -> None:
    assert ADAPTER.parse("order.deleted", {"id": 727}, "USD") == []
    assert ADAPTER.parse("product.updated", {"id": 3}, "USD") == []
    assert ADAPTER.parse("coupon.created", {"id": 3, "code": "anna15"}, "USD") == []


def test_another_currency_is_rejected() -> None:
    with pytest.raises(Rejected, match="EUR differs from the store's currency USD"):
        parse(woo_order(currency="EUR"))


def test_ids_above_two_to_the_53_stay_exact() -> None:
    big = 2**53 + 1
    payload = woo_order(big, lines=[woo_line(1, "10.00", "10.00")], refunds=[(big + 2, "-1.00")])
    payload["line_items"][0]["id"] = big + 4
    event = parse(payload)
    assert event.order_id == "9007199254740993"
    assert event.lines[0].line_id == "9007199254740997"
    assert event.refunds[0].refund_id == "9007199254740995"


@pytest.mark.parametrize(
    ("remove", "named"),
    [
        (("id",), "missing: id"),
        (("currency",), "missing: currency"),
        (("status",), "missing: status"),
        (("line_items",), "missing: line_items"),
        (("line_items", 0, "total"), "missing: line_items[0].total"),
        (("line_items", 0, "quantity"), "missing: line_items[0].quantity"),
        (("refunds", 0, "total"), "missing: refunds[0].total"),
        (("refunds", 0, "id"), "missing: refunds[0].id"),
    ],
)
def test_missing_fields_are_rejected_naming_them(remove: tuple, named: str) -> None:
    payload = woo_order(refunds=[(801, "-5.00")])
    node = payload
    for key in remove[:-1]:
        node = node[key]
    del node[remove[-1]]
    with pytest.raises(Rejected) as caught:
        ADAPTER.parse("order.updated", payload, "USD")
    assert caught.value.reason == f"WooCommerce order {named}"


def test_malformed_amount_is_rejected_naming_it() -> None:
    payload = woo_order()
    payload["line_items"][0]["total"] = "eighty"
    with pytest.raises(Rejected, match=r"malformed: line_items\[0\]\.total"):
        ADAPTER.parse("order.updated", payload, "USD")
    with pytest.raises(Rejected, match="not a JSON object"):
        ADAPTER.parse("order.updated", "webhook_id=1", "USD")


# -- signatures, headers, ping ---------------------------------------------------------------


def test_signature_made_as_woocommerce_makes_it_verifies() -> None:
    body = dumps(woo_order())
    headers = woocommerce_headers(body, SECRET, "order.updated", SOURCE)
    assert ADAPTER.verify(body, headers, [SECRET]) is True
    assert ADAPTER.verify(body, headers, ["other"]) is False
    assert ADAPTER.verify(body + b" ", headers, [SECRET]) is False


def test_previous_secret_verifies_during_rotation() -> None:
    body = dumps(woo_order())
    headers = woocommerce_headers(body, "old-secret", "order.updated", SOURCE)
    assert ADAPTER.verify(body, headers, [SECRET, "old-secret"]) is True


def test_missing_signature_fails() -> None:
    body = dumps(woo_order())
    headers = woocommerce_headers(body, SECRET, "order.updated", SOURCE)
    del headers["X-WC-Webhook-Signature"]
    assert ADAPTER.verify(body, headers, [SECRET]) is False


def test_html_entities_in_the_stored_secret_are_decoded_as_wordpress_does() -> None:
    # The admin typed  a&b<"c'  ; WordPress stored it escaped and signs with it decoded.
    stored = "a&amp;b&lt;&quot;c&#039;"
    body = dumps(woo_order())
    headers = woocommerce_headers(body, stored, "order.updated", SOURCE)
    assert ADAPTER.verify(body, headers, [stored]) is True
    assert ADAPTER.verify(body, headers, ["a&b<\"c'"]) is True
    assert ADAPTER.verify(body, headers, ["a&amp;b"]) is False


@pytest.mark.parametrize(
    ("stored", "key"),
    [
        ("plain", "plain"),
        ("&amp;lt;", "&lt;"),  # one pass, like PHP's strtr
        ("&#38;&#0039;&#X26;&#x00027;", "&'&'"),  # zero padding and hex case normalised
        ("&nbsp;&copy;", "&nbsp;&copy;"),  # only the special characters are decoded
    ],
)
def test_wordpress_secret_decoding(stored: str, key: str) -> None:
    assert wordpress_secret(stored) == key


def test_store_is_the_host_of_the_source_url() -> None:
    assert ADAPTER.store_domain({"X-WC-Webhook-Source": SOURCE}) == "shop.example.com"
    assert ADAPTER.store_domain({"x-wc-webhook-source": "http://shop.example.com:8080/blog/"}) == (
        "shop.example.com"
    )
    assert ADAPTER.store_domain({"X-WC-Webhook-Source": "shop.example.com"}) == "shop.example.com"
    assert ADAPTER.store_domain({}) is None


def test_delivery_headers() -> None:
    body = dumps(woo_order())
    headers = Headers(woocommerce_headers(body, SECRET, "order.updated", SOURCE, delivery_id="d1"))
    delivery = ADAPTER.delivery(headers)
    assert (delivery.topic, delivery.delivery_id, delivery.event_id, delivery.triggered_at) == (
        "order.updated",
        "d1",
        None,
        None,
    )


def test_ping_is_recognised_and_nothing_else_is() -> None:
    body, headers = woocommerce_ping(webhook_id=12)
    assert ADAPTER.is_ping(body, headers) is True
    assert ADAPTER.is_ping(body, Headers(headers)) is True
    signed = dumps(woo_order())
    assert ADAPTER.is_ping(
        signed, woocommerce_headers(signed, SECRET, "order.updated", SOURCE)
    ) is (False)
    assert ADAPTER.is_ping(body, {**headers, "X-WC-Webhook-Topic": "order.updated"}) is False
    assert ADAPTER.is_ping(body, Headers({**headers, "X-WC-Webhook-ID": "12"})) is False
    assert ADAPTER.is_ping(b"webhook_id=abc", headers) is False
    assert ADAPTER.is_ping(b"webhook_id=1&x=2", headers) is False


# -- properties ---------------------------------------------------------------------------------

cents = st.integers(min_value=0, max_value=10**7)


def _money(value: int) -> str:
    return str(Decimal(value).scaleb(-2))


@given(
    st.lists(st.tuples(cents, cents, st.integers(1, 9)), max_size=6),
    st.lists(cents, max_size=4),
)
def test_base_is_the_sum_of_line_totals_and_refunds_are_positive_money(
    lines: list[tuple[int, int, int]], refunds: list[int]
) -> None:
    payload = woo_order(
        lines=[
            woo_line(index + 1, _money(max(a, b)), _money(min(a, b)), quantity=qty)
            for index, (a, b, qty) in enumerate(lines)
        ],
        refunds=[(900 + index, "-" + _money(value)) for index, value in enumerate(refunds)],
        total=_money(sum(min(a, b) for a, b, _ in lines)),
    )
    event = parse(payload)
    assert all(line.goods >= 0 for line in event.lines)
    assert event.base_amount == sum(line.goods for line in event.lines)
    assert event.base_amount == sum(min(a, b) for a, b, _ in lines)
    assert [refund.money for refund in event.refunds] == refunds
    assert all(refund.goods is None for refund in event.refunds)
