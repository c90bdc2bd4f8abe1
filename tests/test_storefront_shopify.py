"""The Shopify adapter: signatures as Shopify signs them, and every fixture's figures by hand."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from storefront_payloads import dumps, load_fixture, load_fixture_json, shopify_headers
from werkzeug.datastructures import Headers

from codecut.storefronts import get_adapter
from codecut.storefronts.base import OrderEvent, RefundEvent, Rejected
from codecut.storefronts.shopify import ShopifyAdapter

ADAPTER = ShopifyAdapter()
SHOP = "codecut-demo.myshopify.com"
SECRET = "shpss_current"
OLD_SECRET = "shpss_previous"


def order(name: str, topic: str = "orders/updated", currency: str = "USD") -> OrderEvent:
    (event,) = ADAPTER.parse(topic, load_fixture_json(name), currency)
    assert isinstance(event, OrderEvent)
    return event


def refund(payload: dict[str, Any], currency: str = "USD") -> RefundEvent:
    (event,) = ADAPTER.parse("refunds/create", payload, currency)
    assert isinstance(event, RefundEvent)
    return event


# -- the registry -------------------------------------------------------------------------------


def test_registry_finds_shopify_in_any_case_and_nothing_else() -> None:
    assert get_adapter("shopify") is get_adapter("Shopify")
    assert get_adapter("shopify").platform == "shopify"
    assert get_adapter("magento") is None


# -- the fixtures, worked by hand ----------------------------------------------------------------


def test_tenoff_order_base_is_goods_after_allocated_discount() -> None:
    event = order("shopify_order_code_TENOFF_partially_refunded")
    # Three lines of 199.00 x 1; TENOFF's 10.00 is allocated 3.34 / 3.33 / 3.33:
    #   199.00 - 3.34 = 195.66, 199.00 - 3.33 = 195.67, 199.00 - 3.33 = 195.67 -> 587.00.
    # total_discount on each line is "0.00" and must not be what we read.
    assert [(line.line_id, line.goods) for line in event.lines] == [
        ("466157049", 19566),
        ("518995019", 19567),
        ("703073504", 19567),
    ]
    assert event.base_amount == 58700
    # total_price 598.94 = 587.00 of goods + 3 x 3.98 tax; shipping is free.
    assert event.total == 59894
    assert event.shipping == 0
    assert event.codes == ("TENOFF",)
    assert event.currency == "USD"
    assert event.paid is True  # partially_refunded was paid first
    assert event.cancelled is False
    assert event.test is False
    assert event.order_number == "#1001"
    assert event.buyer_email == "bob.norman@mail.example.com"
    assert event.financial_status == "partially_refunded"
    # 2008-01-10T11:00:00-05:00 is 16:00 UTC.
    assert event.updated_at == datetime(2008, 1, 10, 16, 0, tzinfo=UTC)
    assert event.placed_at == datetime(2008, 1, 10, 16, 0, tzinfo=UTC)


def test_tenoff_order_carries_its_embedded_refund() -> None:
    (embedded,) = order("shopify_order_code_TENOFF_partially_refunded").refunds
    # Refund 509562969: line 703073504 subtotal 195.66 + line 466157049 subtotal 195.67.
    assert embedded.refund_id == "509562969"
    assert embedded.order_id == "450789469"
    assert embedded.goods == 39133
    assert dict(embedded.lines) == {"703073504": 19566, "466157049": 19567}
    assert embedded.money == 20900  # the one successful 209.00 refund transaction


def test_partial_refund_of_two_lines() -> None:
    event = refund(load_fixture_json("shopify_refund_partial_two_lines"))
    # subtotal_set.shop_money: 195.66 + 195.67 = 391.33 of goods after discount.
    assert event.refund_id == "509562969"
    assert event.order_id == "450789469"
    assert event.goods == 39133
    assert dict(event.lines) == {"703073504": 19566, "466157049": 19567}
    # 3.98 tax on each refunded line (kept aside for taxes-included stores).
    assert event.line_tax == 796
    assert event.money == 20900
    assert event.created_at is not None and event.created_at.tzinfo is not None


def test_shipping_only_refund_takes_nothing_back() -> None:
    event = refund(load_fixture_json("shopify_refund_shipping_only_order_adjustment"))
    # No refund lines: no goods. The 5.00 transaction is all shipping (listed both as a
    # refund_shipping_line of 5.00 and a shipping_refund adjustment of -5.00, counted once):
    # 5.00 - 5.00 = 0 of money for goods.
    assert event.goods is None
    assert event.money == 0
    assert dict(event.lines) == {}


def test_custom_amount_refund_is_money_only() -> None:
    event = refund(load_fixture_json("shopify_refund_custom_amount_no_restock"))
    # One line refunded with a 0.00 subtotal, but 41.94 actually paid back: no goods detail,
    # so the engine's money rule applies to 41.94.
    assert event.goods is None
    assert event.money == 4194


def test_refund_line_without_subtotal_falls_back_to_money() -> None:
    payload = load_fixture_json("shopify_refund_partial_two_lines")
    del payload["refund_line_items"][1]["subtotal"]
    del payload["refund_line_items"][1]["subtotal_set"]
    event = refund(payload)
    # Only half the goods are known, so none are claimed: the 209.00 paid back decides.
    assert (event.goods, event.money) == (None, 20900)


def test_fake30_manual_application_is_attributed_by_discount_codes() -> None:
    event = order("shopify_order_code_FAKE30_manual_application", "orders/paid")
    # The application is "manual" with no code key and a value of 9%: the code comes from
    # discount_codes, the money from the allocation: 199.00 - 17.91 = 181.09.
    assert event.codes == ("FAKE30",)
    assert event.base_amount == 18109
    assert event.total == 18109
    assert event.paid is True
    assert event.order_id == "1073459981"


def test_cancelled_order_is_one_order_event_marked_cancelled() -> None:
    events = ADAPTER.parse(
        "orders/cancelled", load_fixture_json("shopify_order_cancelled_refunded"), "USD"
    )
    assert len(events) == 1
    (event,) = events
    assert isinstance(event, OrderEvent)
    assert event.cancelled is True
    assert event.financial_status == "refunded"
    assert event.base_amount == 58700
    (embedded,) = event.refunds
    # The cancellation refunded all three lines: 195.66 + 195.67 + 195.67 = 587.00.
    assert embedded.goods == 58700
    assert embedded.money == 1000


def test_cancelled_at_marks_any_order_topic_cancelled() -> None:
    payload = load_fixture_json("shopify_order_cancelled_refunded")
    (event,) = ADAPTER.parse("orders/updated", payload, "USD")
    assert event.cancelled is True


# -- money rules -------------------------------------------------------------------------------


def _scale_presentment(node: object) -> None:
    """Turn every presentment_money into COP at 4000 COP per USD, leaving shop money alone."""
    if isinstance(node, dict):
        pm = node.get("presentment_money")
        if isinstance(pm, dict) and "amount" in pm:
            pm["amount"] = str(Decimal(str(pm["amount"])) * 4000)
            pm["currency_code"] = "COP"
        for value in node.values():
            _scale_presentment(value)
    elif isinstance(node, list):
        for value in node:
            _scale_presentment(value)


def test_presentment_currency_is_ignored() -> None:
    payload = load_fixture_json("shopify_order_code_TENOFF_partially_refunded")
    payload["presentment_currency"] = "COP"
    _scale_presentment(payload)
    assert payload["line_items"][0]["price_set"]["presentment_money"]["amount"] == "796000.00"
    (event,) = ADAPTER.parse("orders/updated", payload, "USD")
    assert event.currency == "USD"
    assert event.base_amount == 58700
    assert event.total == 59894
    assert event.refunds[0].goods == 39133


def test_shop_money_wins_over_the_plain_fields() -> None:
    payload = load_fixture_json("shopify_order_code_FAKE30_manual_application")
    line = payload["line_items"][0]
    del line["price"]
    line["discount_allocations"][0]["amount"] = "999.99"  # only amount_set.shop_money counts
    (event,) = ADAPTER.parse("orders/paid", payload, "USD")
    assert event.base_amount == 18109


def test_plain_fields_are_used_without_money_sets() -> None:
    payload = load_fixture_json("shopify_order_code_FAKE30_manual_application")
    line = payload["line_items"][0]
    del line["price_set"]
    for allocation in line["discount_allocations"]:
        del allocation["amount_set"]
    del payload["total_price_set"]
    (event,) = ADAPTER.parse("orders/paid", payload, "USD")
    assert event.base_amount == 18109
    assert event.total == 18109


def test_taxes_included_takes_the_line_tax_out() -> None:
    payload = load_fixture_json("shopify_order_code_FAKE30_manual_application")
    payload["taxes_included"] = True
    payload["line_items"][0]["tax_lines"] = [
        {
            "price": "30.18",
            "rate": 0.2,
            "title": "VAT",
            "price_set": {
                "shop_money": {"amount": "30.18", "currency_code": "USD"},
                "presentment_money": {"amount": "30.18", "currency_code": "USD"},
            },
        }
    ]
    (event,) = ADAPTER.parse("orders/paid", payload, "USD")
    # 199.00 incl. 20% VAT - 17.91 discount = 181.09 paid; its VAT 181.09 / 6 = 30.18;
    # goods 181.09 - 30.18 = 150.91.
    assert event.base_amount == 15091
    assert event.taxes_included is True


def test_refund_goods_for_a_taxes_included_order_leave_tax_out() -> None:
    event = refund(load_fixture_json("shopify_refund_partial_two_lines"))
    assert event.goods_net_of_tax(False) == 39133
    assert event.goods_net_of_tax(True) == 39133 - 796  # 391.33 - 2 x 3.98 = 383.37


def test_gift_card_lines_are_not_goods() -> None:
    payload = load_fixture_json("shopify_order_code_FAKE30_manual_application")
    gift = copy.deepcopy(payload["line_items"][0])
    gift.update(id=42, gift_card=True, price="50.00", discount_allocations=[], tax_lines=[])
    gift["price_set"]["shop_money"]["amount"] = "50.00"
    payload["line_items"].append(gift)
    (event,) = ADAPTER.parse("orders/paid", payload, "USD")
    assert [line.line_id for line in event.lines] == ["1071823193"]
    assert event.base_amount == 18109


def test_shipping_is_not_goods_but_is_reported() -> None:
    payload = load_fixture_json("shopify_order_code_FAKE30_manual_application")
    payload["total_shipping_price_set"] = {
        "shop_money": {"amount": "7.50", "currency_code": "USD"},
        "presentment_money": {"amount": "7.50", "currency_code": "USD"},
    }
    (event,) = ADAPTER.parse("orders/paid", payload, "USD")
    assert event.base_amount == 18109
    assert event.shipping == 750


def _shop(value: str) -> dict[str, Any]:
    return {"shop_money": {"amount": value, "currency_code": "USD"}}


def test_shipping_lines_after_discount_with_their_tax() -> None:
    payload = load_fixture_json("shopify_order_code_FAKE30_manual_application")
    payload["total_shipping_price_set"] = _shop("10.00")  # before the shipping discount
    payload["shipping_lines"] = [
        {
            "price": "10.00",
            "price_set": _shop("10.00"),
            "discounted_price": "4.00",
            "discounted_price_set": _shop("4.00"),
            "tax_lines": [{"price": "0.24", "price_set": _shop("0.24")}],
        }
    ]
    (event,) = ADAPTER.parse("orders/paid", payload, "USD")
    assert event.shipping == 424  # 4.00 after the discount + 0.24 tax on it
    payload["taxes_included"] = True  # then the 4.00 already holds its tax
    (event,) = ADAPTER.parse("orders/paid", payload, "USD")
    assert event.shipping == 400


def test_quantity_multiplies_the_price_before_discounts() -> None:
    payload = load_fixture_json("shopify_order_code_FAKE30_manual_application")
    payload["line_items"][0]["quantity"] = 3
    (event,) = ADAPTER.parse("orders/paid", payload, "USD")
    assert event.base_amount == 3 * 19900 - 1791  # 597.00 - 17.91 = 579.09


def test_order_in_another_shop_currency_is_rejected() -> None:
    payload = load_fixture_json("shopify_order_code_FAKE30_manual_application")
    with pytest.raises(Rejected, match=r"USD differs from the store's currency EUR"):
        ADAPTER.parse("orders/paid", payload, "EUR")


def test_shop_money_in_another_currency_is_rejected() -> None:
    payload = load_fixture_json("shopify_order_code_FAKE30_manual_application")
    payload["line_items"][0]["price_set"]["shop_money"]["currency_code"] = "CAD"
    with pytest.raises(Rejected, match=r"line_items\[0\]\.price.*CAD"):
        ADAPTER.parse("orders/paid", payload, "USD")


def test_several_codes_keep_the_orders_own_order() -> None:
    payload = load_fixture_json("shopify_order_code_FAKE30_manual_application")
    payload["discount_codes"] = [
        {"code": " WELCOME5 ", "amount": "5.00", "type": "fixed_amount"},
        {"code": "FAKE30", "amount": "17.91", "type": "percentage"},
        {"code": "", "amount": "0.00", "type": "fixed_amount"},
    ]
    (event,) = ADAPTER.parse("orders/paid", payload, "USD")
    assert event.codes == ("WELCOME5", "FAKE30")


def test_no_codes_is_an_empty_tuple() -> None:
    payload = load_fixture_json("shopify_order_code_FAKE30_manual_application")
    del payload["discount_codes"]
    (event,) = ADAPTER.parse("orders/paid", payload, "USD")
    assert event.codes == ()


@pytest.mark.parametrize(
    ("status", "paid"),
    [
        ("paid", True),
        ("partially_refunded", True),
        ("refunded", True),
        ("pending", False),
        ("authorized", False),
        ("partially_paid", False),
        ("voided", False),
    ],
)
def test_paid_means_money_was_captured(status: str, paid: bool) -> None:
    payload = load_fixture_json("shopify_order_code_FAKE30_manual_application")
    payload["financial_status"] = status
    (event,) = ADAPTER.parse("orders/create", payload, "USD")
    assert event.paid is paid


def test_test_orders_and_missing_emails() -> None:
    payload = load_fixture_json("shopify_order_code_FAKE30_manual_application")
    payload.update(test=True, email=None, contact_email=None)
    payload["customer"]["email"] = "Fallback@Example.com"
    (event,) = ADAPTER.parse("orders/create", payload, "USD")
    assert event.test is True
    assert event.buyer_email == "Fallback@Example.com"
    payload["customer"] = None
    (event,) = ADAPTER.parse("orders/create", payload, "USD")
    assert event.buyer_email is None


def test_other_topics_book_nothing() -> None:
    payload = load_fixture_json("shopify_order_code_FAKE30_manual_application")
    assert ADAPTER.parse("orders/fulfilled", payload, "USD") == []
    assert ADAPTER.parse("products/update", {"id": 1}, "USD") == []


# -- ids ----------------------------------------------------------------------------------------


def test_ids_above_two_to_the_53_stay_exact() -> None:
    big = 2**53 + 1  # 9007199254740993: a float would turn it into ...992
    text = load_fixture("shopify_refund_partial_two_lines").decode()
    text = text.replace("509562969", str(big)).replace("450789469", str(big + 2))
    text = text.replace("703073504", str(big + 4))
    event = refund(json.loads(text))
    assert event.refund_id == "9007199254740993"
    assert event.order_id == "9007199254740995"
    assert "9007199254740997" in event.lines
    payload = load_fixture_json("shopify_order_code_FAKE30_manual_application")
    payload["id"] = big
    payload["line_items"][0]["id"] = 2**63 + 5
    (order_event,) = ADAPTER.parse("orders/paid", json.loads(dumps(payload)), "USD")
    assert order_event.order_id == "9007199254740993"
    assert order_event.lines[0].line_id == "9223372036854775813"


# -- what must be there -------------------------------------------------------------------------


def _without(payload: dict[str, Any], path: str) -> dict[str, Any]:
    payload = copy.deepcopy(payload)
    *parents, last = path.split(".")
    node: Any = payload
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    del node[last]
    if last == "price":
        del node["price_set"]
    return payload


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("id", "missing: id"),
        ("currency", "missing: currency"),
        ("financial_status", "missing: financial_status"),
        ("line_items", "missing: line_items"),
        ("line_items.0.price", "missing: line_items[0].price"),
        ("line_items.0.quantity", "missing: line_items[0].quantity"),
        ("line_items.0.discount_allocations", "missing: line_items[0].discount_allocations"),
    ],
)
def test_order_without_a_required_field_is_rejected_naming_it(path: str, named: str) -> None:
    payload = _without(load_fixture_json("shopify_order_code_FAKE30_manual_application"), path)
    with pytest.raises(Rejected) as caught:
        ADAPTER.parse("orders/paid", payload, "USD")
    assert caught.value.reason == f"Shopify order {named}"


@pytest.mark.parametrize("path", ["id", "order_id", "refund_line_items"])
def test_refund_without_a_required_field_is_rejected_naming_it(path: str) -> None:
    payload = _without(load_fixture_json("shopify_refund_partial_two_lines"), path)
    with pytest.raises(Rejected) as caught:
        ADAPTER.parse("refunds/create", payload, "USD")
    assert caught.value.reason == f"Shopify refund missing: {path}"


@pytest.mark.parametrize(
    ("mutate", "named"),
    [
        (lambda p: p.update(line_items={}), "malformed: line_items"),
        (lambda p: p["line_items"][0].update(quantity="1"), "malformed: line_items[0].quantity"),
        (lambda p: p["line_items"][0].update(quantity=True), "malformed: line_items[0].quantity"),
        (lambda p: p.update(id=1.5), "malformed: id"),
        (
            lambda p: p["line_items"][0]["price_set"]["shop_money"].update(amount="abc"),
            "malformed: line_items[0].price_set.shop_money.amount",
        ),
    ],
)
def test_malformed_fields_are_rejected_naming_them(mutate: Any, named: str) -> None:
    payload = load_fixture_json("shopify_order_code_FAKE30_manual_application")
    mutate(payload)
    with pytest.raises(Rejected, match=named.replace("[", r"\[").replace("]", r"\]")):
        ADAPTER.parse("orders/paid", payload, "USD")


def test_a_payload_that_is_not_an_object_is_rejected() -> None:
    with pytest.raises(Rejected, match="not a JSON object"):
        ADAPTER.parse("orders/paid", [1, 2], "USD")


def test_embedded_refund_errors_name_their_place() -> None:
    payload = load_fixture_json("shopify_order_code_TENOFF_partially_refunded")
    del payload["refunds"][0]["refund_line_items"]
    with pytest.raises(Rejected, match=r"missing: refunds\[0\]\.refund_line_items"):
        ADAPTER.parse("orders/updated", payload, "USD")


# -- signatures and headers ----------------------------------------------------------------------


def test_signature_made_as_shopify_makes_it_verifies() -> None:
    body = load_fixture("shopify_order_code_FAKE30_manual_application")
    headers = shopify_headers(body, SECRET, "orders/paid", SHOP)
    assert ADAPTER.verify(body, headers, [SECRET]) is True


def test_wrong_secret_fails() -> None:
    body = load_fixture("shopify_order_code_FAKE30_manual_application")
    headers = shopify_headers(body, "someone-else", "orders/paid", SHOP)
    assert ADAPTER.verify(body, headers, [SECRET]) is False


def test_previous_secret_still_verifies_during_rotation() -> None:
    body = load_fixture("shopify_order_code_FAKE30_manual_application")
    headers = shopify_headers(body, OLD_SECRET, "orders/paid", SHOP)
    assert ADAPTER.verify(body, headers, [SECRET, OLD_SECRET]) is True
    assert ADAPTER.verify(body, headers, [SECRET]) is False


def test_tampered_body_fails() -> None:
    body = load_fixture("shopify_order_code_FAKE30_manual_application")
    headers = shopify_headers(body, SECRET, "orders/paid", SHOP)
    tampered = body.replace(b'"17.91"', b'"0.00"', 1)
    assert tampered != body
    assert ADAPTER.verify(tampered, headers, [SECRET]) is False


def test_missing_signature_or_no_secret_fails() -> None:
    body = load_fixture("shopify_order_code_FAKE30_manual_application")
    headers = shopify_headers(body, SECRET, "orders/paid", SHOP)
    del headers["X-Shopify-Hmac-Sha256"]
    assert ADAPTER.verify(body, headers, [SECRET]) is False
    signed = shopify_headers(body, SECRET, "orders/paid", SHOP)
    assert ADAPTER.verify(body, signed, []) is False
    assert ADAPTER.verify(body, signed, [""]) is False


def test_headers_are_case_insensitive() -> None:
    body = b'{"id": 1}'
    raw = shopify_headers(body, SECRET, "orders/paid", "Codecut-Demo.MyShopify.com")
    lowered = {name.lower(): value for name, value in raw.items()}
    for headers in (raw, lowered, Headers(raw)):
        assert ADAPTER.verify(body, headers, [SECRET]) is True
        assert ADAPTER.store_domain(headers) == "codecut-demo.myshopify.com"
        assert ADAPTER.delivery(headers).topic == "orders/paid"


def test_delivery_keeps_optional_headers_only_when_sent() -> None:
    body = b"{}"
    bare = ADAPTER.delivery(shopify_headers(body, SECRET, "refunds/create", SHOP, webhook_id="w1"))
    assert (bare.topic, bare.delivery_id, bare.event_id, bare.triggered_at) == (
        "refunds/create",
        "w1",
        None,
        None,
    )
    full = ADAPTER.delivery(
        shopify_headers(
            body,
            SECRET,
            "refunds/create",
            SHOP,
            webhook_id="w2",
            event_id="e9",
            triggered_at="2025-07-02T16:38:34.123Z",
        )
    )
    assert (full.delivery_id, full.event_id, full.triggered_at) == (
        "w2",
        "e9",
        "2025-07-02T16:38:34.123Z",
    )


def test_missing_shop_domain_is_none_and_shopify_never_pings() -> None:
    assert ADAPTER.store_domain({}) is None
    assert ADAPTER.delivery({}).topic == ""
    assert ADAPTER.is_ping(b"webhook_id=1", {}) is False


# -- properties ---------------------------------------------------------------------------------

cents = st.integers(min_value=0, max_value=10**7)


@st.composite
def line_items(draw: st.DrawFn) -> dict[str, Any]:
    price = draw(cents)
    quantity = draw(st.integers(min_value=0, max_value=20))
    allocations = draw(st.lists(cents, max_size=3))
    return {
        "id": draw(st.integers(min_value=1, max_value=2**64)),
        "price": str(Decimal(price).scaleb(-2)),
        "quantity": quantity,
        "gift_card": draw(st.booleans()),
        "discount_allocations": [{"amount": str(Decimal(a).scaleb(-2))} for a in allocations],
    }


@given(st.lists(line_items(), max_size=6))
def test_line_goods_are_never_negative_and_sum_to_the_base(items: list[dict[str, Any]]) -> None:
    payload = {"id": 1, "currency": "USD", "financial_status": "paid", "line_items": items}
    (event,) = ADAPTER.parse("orders/paid", payload, "USD")
    assert all(line.goods >= 0 for line in event.lines)
    assert event.base_amount == sum(line.goods for line in event.lines)
    kept = [item for item in items if not item["gift_card"]]
    assert len(event.lines) == len(kept)
    for line, item in zip(event.lines, kept, strict=True):
        gross = int(Decimal(item["price"]) * 100) * item["quantity"]
        off = sum(int(Decimal(a["amount"]) * 100) for a in item["discount_allocations"])
        assert line.goods == max(gross - off, 0)


@pytest.mark.parametrize(
    ("field", "value"), [("price", "1e9999"), ("price", "9999999999999999"), ("quantity", 10**7)]
)
def test_amounts_beyond_any_real_order_are_rejected_not_overflowed(field, value) -> None:  # type: ignore[no-untyped-def]
    order = {
        "id": 1,
        "currency": "USD",
        "financial_status": "paid",
        "line_items": [{"price": "10.00", "quantity": 1, "discount_allocations": []}],
    }
    order["line_items"][0][field] = value
    with pytest.raises(Rejected, match="line_items\\[0\\]"):
        ADAPTER.parse("orders/paid", order, "USD")
