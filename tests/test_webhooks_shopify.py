"""Shopify deliveries through the real endpoint, signed as Shopify signs them.

Figures are worked out by hand in the comments. The TENOFF order: three lines at 199.00 with the
10.00 code spread 3.34/3.33/3.33, so the commissionable base is 587.00 and 10% of it is 58.70.
"""

from __future__ import annotations

import copy
import csv
import io
import itertools
import json

import pytest
from programme import (
    INFLUENCER,
    SECRET,
    SHOP,
    amounts,
    body_json,
    deliveries,
    entries,
    make_programme,
    orders,
    shopify_post,
)
from sqlalchemy.exc import OperationalError
from storefront_payloads import load_fixture_json

from codecut.commissions import posting as ledger
from codecut.db import transaction
from codecut.inbox import replay as inbox
from codecut.programme import stores
from codecut.storefronts import get_adapter

TENOFF = "shopify_order_code_TENOFF_partially_refunded"


@pytest.fixture
def client(app, engine):  # type: ignore[no-untyped-def]
    make_programme(engine)
    return app.test_client()


def test_every_fixture_gives_the_figure_worked_out_by_hand(client, engine, cli) -> None:  # type: ignore[no-untyped-def]
    # The order arrives partially refunded, its refund 509562969 embedded: 391.33 of goods back.
    # Commission 58.70; reversed 58.70 x 391.33 / 587.00 = 39.133 -> 39.13.
    response = shopify_post(client, load_fixture_json(TENOFF), "orders/updated")
    assert response.status_code == 200 and body_json(response)["status"] == "processed"
    # The same refund as its own refunds/create delivery: already booked, nothing changes.
    response = shopify_post(
        client, load_fixture_json("shopify_refund_partial_two_lines"), "refunds/create"
    )
    assert response.status_code == 200 and body_json(response)["status"] == "ignored"
    # Shipping only (a 5.00 order adjustment, no lines): takes nothing back.
    shopify_post(
        client, load_fixture_json("shopify_refund_shipping_only_order_adjustment"), "refunds/create"
    )
    # A custom 41.94 with no goods detail: measured against the 598.94 total (no shipping), added
    # to the goods fraction: 58.70 x (391.33/587.00 + 41.94/598.94) = 43.2434 -> 43.24, so this
    # refund takes 43.24 - 39.13 = 4.11.
    shopify_post(
        client, load_fixture_json("shopify_refund_custom_amount_no_restock"), "refunds/create"
    )
    # Cancelled with a refund of all 587.00 of goods embedded: the rest, 58.70 - 43.24 = 15.46,
    # goes back under that refund; nothing is left for the cancellation itself.
    shopify_post(client, load_fixture_json("shopify_order_cancelled_refunded"), "orders/cancelled")
    # FAKE30: one line at 199.00 with 17.91 off: 181.09, 10% = 18.109 -> 18.11.
    shopify_post(
        client, load_fixture_json("shopify_order_code_FAKE30_manual_application"), "orders/create"
    )
    assert amounts(engine) == {
        "commission:450789469": 5870,
        "refund:509562969": -3913,
        "refund:929361472": -411,
        "refund:929361465": -1546,
        "commission:1073459981": 1811,
    }
    assert [status for status, _ in deliveries(engine)] == [
        "processed",
        "ignored",
        "ignored",
        "processed",
        "processed",
        "processed",
    ]
    # What finance reads back.
    result = cli("export", "ledger")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["order_id"], r["kind"], r["amount"], r["code"]) for r in rows] == [
        ("450789469", "commission", "58.70", "TENOFF"),
        ("450789469", "reversal", "-39.13", "TENOFF"),
        ("450789469", "reversal", "-4.11", "TENOFF"),
        ("450789469", "reversal", "-15.46", "TENOFF"),
        ("1073459981", "commission", "18.11", "FAKE30"),
    ]
    assert {r["influencer_email"] for r in rows} == {INFLUENCER}
    assert rows[0]["base_amount"] == "587.00" and rows[0]["order_number"] == "#1001"
    shown = json.loads(cli("influencer", "show", INFLUENCER, "--json").stdout)
    assert shown["balances"] == [
        {
            "currency": "USD",
            "pending": "18.11",
            "payable": "0.00",
            "held": "0.00",
            "in_payout": "0.00",
            "paid": "0.00",
            "taken_back": "58.70",
        }
    ]


def test_a_bad_signature_or_unknown_store_is_401_and_stores_nothing(client, engine) -> None:  # type: ignore[no-untyped-def]
    payload = load_fixture_json(TENOFF)
    response = shopify_post(client, payload, "orders/paid", secret="wrong")
    assert response.status_code == 401 and body_json(response)["error"]["code"] == "unauthorized"
    response = shopify_post(client, payload, "orders/paid", domain="stranger.myshopify.com")
    assert response.status_code == 401
    response = client.post("/webhooks/shopify", data=b"{}", headers={"X-Shopify-Topic": "x"})
    assert response.status_code == 401
    assert deliveries(engine) == [] and entries(engine) == []


def test_the_previous_secret_is_accepted_while_a_rotation_is_under_way(client, engine) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        stores.rotate_store_secret(session, stores.get_store(session, SHOP), "brand-new")
    for secret in (SECRET, "brand-new"):
        assert (
            shopify_post(
                client, load_fixture_json(TENOFF), "orders/paid", secret=secret
            ).status_code
            == 200
        )


def test_a_body_over_one_mebibyte_is_413(client, engine) -> None:  # type: ignore[no-untyped-def]
    body = b" " * (1024 * 1024 + 1)
    response = shopify_post(client, body, "orders/paid")
    assert response.status_code == 413 and body_json(response)["error"]["code"] == "too_large"
    assert deliveries(engine) == []


def test_a_signed_body_that_is_not_json_is_stored_rejected_and_answered_2xx(client, engine) -> None:  # type: ignore[no-untyped-def]
    """The sender's fault: answered 200 with why, so the storefront stops retrying it."""
    response = shopify_post(client, b'{"id": 1, "truncat', "orders/paid")
    assert response.status_code == 200 and body_json(response)["status"] == "rejected"
    assert deliveries(engine) == [("rejected", "the body is not JSON")]


def test_json_lacking_what_codecut_needs_is_stored_rejected_with_a_2xx(client, engine) -> None:  # type: ignore[no-untyped-def]
    payload = load_fixture_json(TENOFF)
    del payload["line_items"]
    response = shopify_post(client, payload, "orders/paid")
    assert response.status_code == 200
    assert (
        body_json(response)["status"] == "rejected"
        and "line_items" in body_json(response)["reason"]
    )
    assert [status for status, _ in deliveries(engine)] == ["rejected"]
    assert orders(engine) == []


def test_an_unknown_platform_is_404_json(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/webhooks/magento", data=b"{}")
    assert response.status_code == 404 and body_json(response)["error"]["code"] == "not_found"


def test_a_topic_codecut_does_not_use_is_stored_and_ignored(client, engine) -> None:  # type: ignore[no-untyped-def]
    response = shopify_post(client, {"id": 1}, "products/update")
    assert response.status_code == 200 and body_json(response)["status"] == "ignored"
    assert len(deliveries(engine)) == 1 and entries(engine) == []


def test_woocommerce_ping_gets_200_and_nothing_is_stored(client, engine) -> None:  # type: ignore[no-untyped-def]
    if get_adapter("woocommerce") is None:
        pytest.fail("the WooCommerce adapter is not registered")
    response = client.post(
        "/webhooks/woocommerce",
        data=b"webhook_id=7",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert deliveries(engine) == []


def test_a_duplicate_answers_2xx_and_changes_nothing(client, engine) -> None:  # type: ignore[no-untyped-def]
    payload = _paid_order()
    for _ in range(3):
        assert shopify_post(client, payload, "orders/paid", webhook_id="same").status_code == 200
    assert amounts(engine) == {"commission:450789469": 5870}
    assert [status for status, _ in deliveries(engine)] == ["processed", "ignored", "ignored"]


def test_an_order_without_our_code_is_acknowledged_and_not_booked(client, engine) -> None:  # type: ignore[no-untyped-def]
    refund = load_fixture_json("shopify_refund_partial_two_lines")
    assert body_json(shopify_post(client, refund, "refunds/create"))["status"] == "waiting"
    payload = _paid_order()
    payload["discount_codes"] = [
        {"code": "SOMEONE-ELSE", "amount": "10.00", "type": "fixed_amount"}
    ]
    assert body_json(shopify_post(client, payload, "orders/paid"))["status"] == "ignored"
    assert orders(engine) == [] and entries(engine) == []
    # The refund that waited for it is resolved too.
    assert [status for status, _ in deliveries(engine)] == ["ignored", "ignored"]


def test_a_crash_is_stored_failed_answered_2xx_and_replayed_once_fixed(
    client,
    engine,
    monkeypatch,
    caplog,  # type: ignore[no-untyped-def]
) -> None:
    def broken(self, event):  # type: ignore[no-untyped-def]
        raise RuntimeError("bug in booking")

    monkeypatch.setattr(ledger.Posting, "apply_order", broken)
    response = shopify_post(client, _paid_order(), "orders/paid")
    assert response.status_code == 200 and body_json(response)["status"] == "failed"
    assert deliveries(engine) == [("failed", "RuntimeError: bug in booking")]
    assert orders(engine) == [] and entries(engine) == []
    assert "webhook processing failed" in caplog.text
    monkeypatch.undo()
    adapters = get_adapter
    (receipt,) = inbox.replay_failed(engine, adapters, hold_days=30)
    assert receipt.status == "processed"
    assert inbox.replay(engine, receipt.event_id, adapters, hold_days=30).status == "ignored"
    assert amounts(engine) == {"commission:450789469": 5870}


def test_a_locked_or_unavailable_database_is_503_and_nothing_is_half_written(
    client,
    engine,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    def unavailable(self):  # type: ignore[no-untyped-def]
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(ledger.Posting, "settle", unavailable)
    response = shopify_post(client, _paid_order(), "orders/paid")
    assert response.status_code == 503 and body_json(response)["error"]["code"] == "unavailable"
    assert deliveries(engine) == [] and orders(engine) == [] and entries(engine) == []


# -- arrival order -------------------------------------------------------------------------------


def _paid_order(order_id: int = 450789469, *, exact: bool = False) -> dict:
    """The TENOFF order as ``orders/paid`` sends it, before any refund."""
    payload = copy.deepcopy(load_fixture_json(TENOFF))
    payload.update(
        id=order_id,
        financial_status="paid",
        refunds=[],
        updated_at="2025-07-01T10:00:00-05:00",
    )
    if exact:  # 100.00 a line and no discount: every share is a whole cent
        for item in payload["line_items"]:
            item["price"] = "100.00"
            item["price_set"] = {"shop_money": {"amount": "100.00", "currency_code": "USD"}}
            item["discount_allocations"] = []
    return payload


def _refund(order_id: int, refund_id: int, line_index: int, *, exact: bool) -> dict:
    refund = copy.deepcopy(load_fixture_json("shopify_refund_partial_two_lines"))
    item = copy.deepcopy(refund["refund_line_items"][line_index])
    if exact:
        item["subtotal"] = 100.0
        item["subtotal_set"] = {"shop_money": {"amount": "100.00", "currency_code": "USD"}}
    refund.update(id=refund_id, order_id=order_id, refund_line_items=[item])
    return refund


def _cancelled(order_id: int, refunds: list[dict], *, exact: bool) -> dict:
    payload = _paid_order(order_id, exact=exact)
    payload.update(
        financial_status="partially_refunded",
        cancelled_at="2025-07-04T10:00:00-05:00",
        cancel_reason="customer",
        updated_at="2025-07-04T10:00:00-05:00",
        refunds=refunds,
    )
    return payload


@pytest.mark.parametrize("exact", [True, False], ids=["whole-cents", "with-rounding"])
def test_every_arrival_order_gives_the_same_final_ledger(client, engine, exact: bool) -> None:  # type: ignore[no-untyped-def]
    """Order, two partial refunds and a cancellation, in all 24 arrival orders.

    Whole cents: base 300.00, commission 30.00; each refund of one 100.00 line takes 10.00 back and
    the cancellation the last 10.00 -- the very same entries every time. With the TENOFF figures
    (refunds of 195.66 and 195.67), which refund absorbs the rounding cent depends on which
    arrived first, but the commission, the total reversed and every balance are identical.
    """
    finals = set()
    for number, arrival in enumerate(itertools.permutations(range(4))):
        order_id = 7_000_000 + number
        r1 = _refund(order_id, order_id * 10 + 1, 0, exact=exact)
        r2 = _refund(order_id, order_id * 10 + 2, 1, exact=exact)
        deliveries_ = [
            (_paid_order(order_id, exact=exact), "orders/paid"),
            (r1, "refunds/create"),
            (r2, "refunds/create"),
            (_cancelled(order_id, [r1, r2], exact=exact), "orders/cancelled"),
        ]
        for payload, topic in deliveries_:
            if topic != "refunds/create":  # one customer per order: no repeat buyer
                payload["customer"] = {**payload.get("customer", {}), "id": order_id}
        for index in arrival:
            payload, topic = deliveries_[index]
            assert shopify_post(client, payload, topic).status_code == 200
        booked = {
            key.replace(str(order_id), "ORDER"): (kind, status, amount)
            for key, kind, status, amount, _base, _reason in entries(engine)
            if (key.startswith(("commission:", "cancel:")) and key.endswith(str(order_id)))
            or key.startswith(f"refund:{order_id}")
        }
        if exact:
            finals.add(tuple(sorted(booked.items())))
        else:
            finals.add(
                (
                    booked["commission:ORDER"],
                    sum(amount for kind, _s, amount in booked.values() if kind == "reversal"),
                    tuple(sorted(booked)),
                )
            )
    assert len(finals) == 1, finals
    (final,) = finals
    if exact:
        assert dict(final) == {
            "commission:ORDER": ("commission", "pending", 3000),
            "refund:ORDER1": ("reversal", "pending", -1000),
            "refund:ORDER2": ("reversal", "pending", -1000),
            "cancel:ORDER": ("reversal", "pending", -1000),
        }
    else:
        assert final[:2] == (("commission", "pending", 5870), -5870)
    assert "waiting" not in {status for status, _ in deliveries(engine)}
