"""WooCommerce and the generic format booked end to end through their endpoints, and Shopify
stores whose prices include tax. Figures worked out by hand in the comments."""

from __future__ import annotations

import pytest
from programme import amounts, body_json, deliveries, make_programme, shopify_post
from storefront_payloads import (
    dumps,
    generic_cancel,
    generic_headers,
    generic_order,
    generic_refund,
    woo_order,
    woocommerce_headers,
    woocommerce_ping,
)

WOO = "shop.example.com"
WOO_SECRET = "wc&amp;secret"  # as WordPress stores it; WooCommerce signs with "wc&secret"
GENERIC = "shop.example.org"
GENERIC_SECRET = "generic-secret"


def woo_post(client, payload, topic="order.updated"):  # type: ignore[no-untyped-def]
    body = dumps(payload)
    headers = woocommerce_headers(body, WOO_SECRET, topic, f"https://{WOO.upper()}/")
    return client.post("/webhooks/woocommerce", data=body, headers=headers)


def generic_post(client, payload):  # type: ignore[no-untyped-def]
    body = dumps(payload)
    return client.post(
        "/webhooks/generic", data=body, headers=generic_headers(body, GENERIC_SECRET, GENERIC)
    )


@pytest.fixture
def woo(app, engine):  # type: ignore[no-untyped-def]
    make_programme(engine, platform="woocommerce", domain=WOO, secret=WOO_SECRET, codes=("ANNA15",))
    return app.test_client()


def test_woocommerce_order_lifecycle(woo, engine) -> None:  # type: ignore[no-untyped-def]
    # Created unpaid: the order is recorded, nothing is earned yet.
    pending = woo_order(727, status="pending", date_paid_gmt=None)
    response = woo_post(woo, pending, "order.created")
    assert response.status_code == 200, response.get_data()
    assert amounts(engine) == {}

    # Paid: one line 100.00 with 15.00 off (coupon typed "anna15") -> goods 85.00; 10% = 8.50.
    paid = woo_order(727, status="processing", date_modified_gmt="2025-03-01T10:06:00")
    assert woo_post(woo, paid).status_code == 200
    assert amounts(engine) == {"commission:727": 850}

    # WooCommerce sends the same state again with a new delivery id: nothing changes.
    assert body_json(woo_post(woo, paid))["status"] == "ignored"

    # A refund of 20.00 of the 85.00 total: 8.50 x 20 / 85 = 2.00 back.
    refunded = woo_order(
        727, status="processing", refunds=[(901, "-20.00")], date_modified_gmt="2025-03-02T09:00:00"
    )
    woo_post(woo, refunded)
    # Later a second refund of 17.00 arrives, both listed: cumulative 37/85 -> 3.70, so 1.70.
    twice = woo_order(
        727,
        status="processing",
        refunds=[(902, "-17.00"), (901, "-20.00")],
        date_modified_gmt="2025-03-03T09:00:00",
    )
    woo_post(woo, twice)
    # Cancelled: the 4.80 left goes back.
    cancelled = woo_order(
        727,
        status="cancelled",
        refunds=[(902, "-17.00"), (901, "-20.00")],
        date_modified_gmt="2025-03-04T09:00:00",
    )
    woo_post(woo, cancelled)
    assert amounts(engine) == {
        "commission:727": 850,
        "refund:901": -200,
        "refund:902": -170,
        "cancel:727": -480,
    }
    assert sum(amounts(engine).values()) == 0


def test_woocommerce_totals_include_shipping(woo, engine) -> None:  # type: ignore[no-untyped-def]
    # Goods 85.00 + shipping 15.00 = total 100.00; commission 8.50 on the goods. A refund of the
    # whole 100.00 (WooCommerce refund totals include shipping) reverses the whole 8.50.
    order = woo_order(728, shipping_total="15.00")
    woo_post(woo, order)
    refunded = woo_order(
        728,
        shipping_total="15.00",
        refunds=[(903, "-100.00")],
        date_modified_gmt="2025-03-05T00:00:00",
    )
    woo_post(woo, refunded)
    assert amounts(engine) == {"commission:728": 850, "refund:903": -850}


def test_woocommerce_ping_and_bad_signature(woo, engine) -> None:  # type: ignore[no-untyped-def]
    body, headers = woocommerce_ping()
    response = woo.post("/webhooks/woocommerce", data=body, headers=headers)
    assert response.status_code == 200
    forged = dumps(woo_order(729))
    headers = woocommerce_headers(forged, "not-the-secret", "order.created", f"https://{WOO}/")
    response = woo.post("/webhooks/woocommerce", data=forged, headers=headers)
    assert response.status_code == 401
    assert deliveries(engine) == [] and amounts(engine) == {}


def test_woocommerce_coupon_of_someone_else_books_nothing(woo, engine) -> None:  # type: ignore[no-untyped-def]
    response = woo_post(woo, woo_order(730, coupons=("summer-sale",)), "order.created")
    assert response.status_code == 200 and body_json(response)["status"] == "ignored"
    assert amounts(engine) == {}


@pytest.fixture
def generic(app, engine):  # type: ignore[no-untyped-def]
    make_programme(
        engine,
        platform="generic",
        domain=GENERIC,
        secret=GENERIC_SECRET,
        currency="EUR",
        codes=("ANNA15",),
        commission="12.5%",
    )
    return app.test_client()


def test_generic_format_lifecycle(generic, engine) -> None:  # type: ignore[no-untyped-def]
    # A refund before its order waits for it.
    assert (
        body_json(generic_post(generic, generic_refund("r1", "1001", goods="40.00")))["status"]
        == "waiting"
    )
    # Goods 100.00 at 12.5% = 12.50; the waiting refund of 40.00 takes 5.00 back.
    response = generic_post(generic, generic_order("1001", codes=[" anna15 "]))
    assert response.status_code == 200
    assert amounts(engine) == {"commission:1001": 1250, "refund:r1": -500}
    # Cancelled: the 7.50 left.
    generic_post(generic, generic_cancel("1001"))
    assert amounts(engine) == {"commission:1001": 1250, "refund:r1": -500, "cancel:1001": -750}
    assert [status for status, _ in deliveries(engine)] == ["processed", "processed", "processed"]


def test_a_refund_of_an_unpaid_order_waits_and_is_applied_when_it_is_paid(generic, engine) -> None:  # type: ignore[no-untyped-def]
    # The order is recorded unpaid; its refund waits for the payment, in the store's order.
    unpaid = generic_order("1002", paid=False, updated_at="2026-03-01T10:00:00Z")
    assert body_json(generic_post(generic, unpaid))["status"] == "processed"
    refund = generic_refund("r2", "1002", goods="40.00")
    assert body_json(generic_post(generic, refund))["status"] == "waiting"
    assert amounts(engine) == {}
    # Paid: goods 100.00 at 12.5% = 12.50 booked, and the refund of 40.00 takes 5.00 back.
    paid = generic_order("1002", updated_at="2026-03-01T11:00:00Z")
    assert body_json(generic_post(generic, paid))["status"] == "processed"
    assert amounts(engine) == {"commission:1002": 1250, "refund:r2": -500}
    assert [status for status, _ in deliveries(engine)] == ["processed", "processed", "processed"]


def test_a_paid_order_with_nothing_waiting_books_only_its_commission(generic, engine) -> None:  # type: ignore[no-untyped-def]
    # Another order's waiting refund is not this order's.
    assert (
        body_json(generic_post(generic, generic_refund("r9", "9999", goods="1.00")))["status"]
        == "waiting"
    )
    generic_post(generic, generic_order("1003"))
    assert amounts(engine) == {"commission:1003": 1250}
    assert [status for status, _ in deliveries(engine)] == ["waiting", "processed"]


def test_generic_rejects_what_it_cannot_use(generic, engine) -> None:  # type: ignore[no-untyped-def]
    response = generic_post(generic, {"type": "order", "id": "9"})
    assert response.status_code == 200
    assert body_json(response)["status"] == "rejected" and body_json(response)["reason"]
    response = generic.post(
        "/webhooks/generic", data=b"{", headers=generic_headers(b"{", GENERIC_SECRET, GENERIC)
    )
    assert response.status_code == 200 and body_json(response)["status"] == "rejected"
    assert amounts(engine) == {}


def test_shopify_refund_in_a_taxes_included_store(app, engine) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    client = app.test_client()
    money = {"shop_money": {"amount": "121.00", "currency_code": "USD"}}
    tax = {"shop_money": {"amount": "21.00", "currency_code": "USD"}}
    order = {
        "id": 5001,
        "name": "#5001",
        "currency": "USD",
        "financial_status": "paid",
        "taxes_included": True,
        "total_price": "121.00",
        "discount_codes": [{"code": "TENOFF", "amount": "0.00", "type": "fixed_amount"}],
        "line_items": [
            {
                "id": 1,
                "price": "121.00",
                "price_set": money,
                "quantity": 1,
                "discount_allocations": [],
                "tax_lines": [{"price": "21.00", "price_set": tax, "rate": 0.21}],
            }
        ],
    }
    # 121.00 with 21.00 VAT inside: base 100.00, 10% = 10.00.
    shopify_post(client, order, "orders/paid")
    refund = {
        "id": 7001,
        "order_id": 5001,
        "refund_line_items": [
            {
                "line_item_id": 1,
                "quantity": 1,
                "subtotal": 121.0,
                "subtotal_set": money,
                "total_tax": 21.0,
                "total_tax_set": tax,
            }
        ],
        "transactions": [],
    }
    # The refund line's 121.00 carries the 21.00 VAT too: 100.00 of goods, so all 10.00 goes back.
    shopify_post(client, refund, "refunds/create")
    assert amounts(engine) == {"commission:5001": 1000, "refund:7001": -1000}
