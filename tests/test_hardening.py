"""Each defect of the hardening review, reproduced through the real endpoints, on both databases.

Unsigned requests are refused before anything is parsed; signed nonsense is stored ``rejected`` and
answered 200 (the sender's fault, so the storefront stops retrying) and books nothing; one bad
payee never stops a payout run; parameters are validated before they reach the database.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import stripe
from builders import DAY, WEBHOOK_SECRET
from payout_support import count, engine_of, entry, influencer, payouts_of
from programme import SECRET, SHOP, body_json, deliveries, entries, make_programme, shopify_post
from storefront_payloads import (
    dumps,
    generic_headers,
    generic_order,
    load_fixture_json,
    woo_order,
    woocommerce_headers,
)

from codecut.db import transaction
from codecut.models import Payout, PayoutBatch, StripeEvent
from codecut.storefronts import limits

ORDER = "shopify_order_code_FAKE30_manual_application"  # FAKE30 is Anna's; one line at 199.00


@pytest.fixture
def client(app, engine):  # type: ignore[no-untyped-def]
    make_programme(engine)
    return app.test_client()


def _money(node: dict[str, Any], field: str, value: str) -> None:
    """Set a Shopify amount and its shop-money twin (which wins when both are there)."""
    node[field] = value
    node.pop(f"{field}_set", None)


def _line(payload: dict[str, Any]) -> dict[str, Any]:
    line: dict[str, Any] = payload["line_items"][0]
    return line


def _slim_line(line_id: int, price: str) -> dict[str, Any]:
    """A line with only what Codecut reads, so that thousands fit in a webhook body."""
    return {"id": line_id, "price": price, "quantity": 1, "discount_allocations": []}


def _taxed(payload: dict[str, Any], tax_lines: object) -> None:
    """Prices include tax, so the line's tax lines are read (and must make sense)."""
    payload["taxes_included"] = True
    _line(payload)["tax_lines"] = tax_lines


def _deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


# -- 1-3: unsigned requests -----------------------------------------------------------------------


def test_nothing_is_parsed_before_the_signature(client, engine, caplog) -> None:  # type: ignore[no-untyped-def]
    deep = _deep(990)
    for headers in (
        {"X-Shopify-Shop-Domain": SHOP, "X-Shopify-Hmac-Sha256": "junk", "X-Shopify-Topic": "x"},
        {},
    ):
        response = client.post("/webhooks/shopify", data=deep, headers=headers)
        assert response.status_code == 401 and response.is_json
    for platform in ("woocommerce", "generic"):
        response = client.post(f"/webhooks/{platform}", data=deep)
        assert response.status_code == 401 and response.is_json
    assert "Traceback" not in caplog.text and "RecursionError" not in caplog.text
    assert deliveries(engine) == [] and entries(engine) == []


def test_signed_deep_nesting_and_bad_utf8_are_stored_rejected(client, engine, caplog) -> None:  # type: ignore[no-untyped-def]
    for body in (_deep(990), _deep(100_000), b'{"id": "\xff"}'):
        response = shopify_post(client, body, "orders/paid")
        assert response.status_code == 200 and body_json(response)["status"] == "rejected"
    assert [status for status, _ in deliveries(engine)] == ["rejected"] * 3
    assert entries(engine) == [] and "Traceback" not in caplog.text


def test_stripe_refuses_junk_before_reading_it(papp, caplog) -> None:  # type: ignore[no-untyped-def]
    for body in (b"\xff", _deep(990)):
        response = papp.test_client().post(
            "/webhooks/stripe", data=body, headers={"Stripe-Signature": "t=1,v1=00"}
        )
        assert response.status_code == 400 and response.is_json
    assert "Traceback" not in caplog.text and count(papp, StripeEvent) == 0


def _stripe_post(client: Any, body: str) -> Any:
    header = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
    return client.post("/webhooks/stripe", data=body, headers={"Stripe-Signature": header})


@pytest.mark.parametrize(
    "body",
    [
        '{"id": "evt_1", "type": "transfer.reversed", "data": [1]}',
        '{"id": "evt_1", "type": "transfer.reversed", "data": {"object": "x"}}',
        '{"id": "evt_1", "type": "transfer.reversed", "data": {"object": {"id": 5}}}',
        '{"id": 7, "type": "transfer.reversed", "data": {}}',
        '{"id": "evt_1", "type": ["x"], "data": {}}',
        "[1, 2]",
        "[" * 5000 + "]" * 5000,
        '{"id": "evt_1", "type": "transfer.reversed", "data": {"object": {"id": "tr_1", '
        '"amount_reversed": "12"}}}',
    ],
)
def test_signed_stripe_events_of_odd_shapes_are_400_not_500(papp, body: str, caplog) -> None:  # type: ignore[no-untyped-def]
    response = _stripe_post(papp.test_client(), body)
    assert response.status_code in (200, 400) and response.is_json, response.get_data()
    assert "Traceback" not in caplog.text
    assert count(papp, StripeEvent) <= 1


def test_the_connect_endpoint_secret_is_accepted_too(database_url, tmp_path, stripe_server) -> None:  # type: ignore[no-untyped-def]
    from builders import make_app

    app = make_app(
        database_url,
        tmp_path,
        stripe_url=stripe_server.url,
        CODECUT_STRIPE_CONNECT_WEBHOOK_SECRET="whsec_connect",
    )
    event = json.dumps({"id": "evt_c", "type": "account.updated", "data": {"object": {}}})
    header = stripe.WebhookSignature.generate_signature_header(event, "whsec_connect")
    response = app.test_client().post(
        "/webhooks/stripe", data=event, headers={"Stripe-Signature": header}
    )
    assert response.status_code == 200
    other = stripe.WebhookSignature.generate_signature_header(event, "whsec_nobody")
    refused = app.test_client().post(
        "/webhooks/stripe", data=event, headers={"Stripe-Signature": other}
    )
    assert refused.status_code == 400


# -- 4-5: signed nonsense is rejected, not booked -----------------------------------------------

_MUTATIONS: dict[str, Callable[[dict[str, Any]], None]] = {
    "amount over the bound": lambda p: _money(_line(p), "price", "10000000000.01"),
    "5,001 lines": lambda p: p.update(line_items=[_slim_line(i, "1.00") for i in range(5_001)]),
    "101 codes": lambda p: p.update(discount_codes=[{"code": f"C{i}"} for i in range(101)]),
    "negative allocation": lambda p: _money(
        _line(p)["discount_allocations"][0], "amount", "-900.00"
    ),
    "negative price": lambda p: _money(_line(p), "price", "-1.00"),
    "negative quantity": lambda p: _line(p).update(quantity=-2),
    "negative tax line": lambda p: _taxed(p, [{"price": "-5.00", "rate": 0.1, "title": "VAT"}]),
    "tax lines not a list": lambda p: _taxed(p, {"price": "1.00"}),
    "far future date": lambda p: p.update(created_at="9999-12-31T23:59:59-23:59"),
    "year one": lambda p: p.update(created_at="0001-01-01T00:00:00+23:59"),
    "lone surrogate in a code": lambda p: p["discount_codes"][0].update(code="FAKE\ud83030"),
    "NUL in the number": lambda p: p.update(name="#10\x0002"),
    "id over the column": lambda p: p.update(id="9" * 65),
    "number over the column": lambda p: p.update(name="#" + "1" * 200),
    "1e30 price": lambda p: _money(_line(p), "price", "1e30"),
}


@pytest.mark.parametrize("mutation", list(_MUTATIONS))
def test_signed_nonsense_is_stored_rejected_and_books_nothing(
    client, engine, mutation: str
) -> None:  # type: ignore[no-untyped-def]
    payload = load_fixture_json(ORDER)
    _MUTATIONS[mutation](payload)
    response = shopify_post(client, dumps(payload), "orders/paid")
    assert response.status_code == 200
    assert body_json(response)["status"] == "rejected", body_json(response)
    assert entries(engine) == []
    # The same order without the nonsense books as it should.
    good = shopify_post(client, load_fixture_json(ORDER), "orders/paid")
    assert body_json(good)["status"] == "processed" and len(entries(engine)) == 1


def test_at_the_bound_accepted_one_above_rejected(client, engine) -> None:  # type: ignore[no-untyped-def]
    def order(order_id: int, price_cents: int, lines: int, codes: int) -> dict[str, Any]:
        payload = load_fixture_json(ORDER)
        payload["id"] = order_id
        price = f"{price_cents // 100}.{price_cents % 100:02d}"
        payload["line_items"] = [_slim_line(i + 1, price) for i in range(lines)]
        extra = [{"code": f"X{i}"} for i in range(codes - 1)]
        payload["discount_codes"] = [payload["discount_codes"][0], *extra]
        return payload

    at = order(1, limits.MAX_AMOUNT // 1, 1, limits.MAX_CODES)
    assert body_json(shopify_post(client, at, "orders/paid"))["status"] == "processed"
    many = order(2, 100, limits.MAX_LINES, 1)
    assert body_json(shopify_post(client, many, "orders/paid"))["status"] == "processed"
    for too_much in (
        order(3, limits.MAX_AMOUNT + 1, 1, 1),
        order(4, 100, limits.MAX_LINES + 1, 1),
        order(5, 100, 1, limits.MAX_CODES + 1),
    ):
        assert body_json(shopify_post(client, too_much, "orders/paid"))["status"] == "rejected"
    booked = {key: amount for key, _k, _s, amount, _b, _r in entries(engine)}
    # 10% of 10^12 minor units, and of 5,000 lines at 1.00.
    assert sorted(booked.values()) == [50_000, 10**11]


def test_fifty_thousand_codes_are_rejected_at_once(client, engine) -> None:  # type: ignore[no-untyped-def]
    payload = load_fixture_json(ORDER)
    payload["discount_codes"] = [{"code": f"C{i}"} for i in range(50_000)]
    started = time.perf_counter()
    response = shopify_post(client, dumps(payload), "orders/paid")
    assert body_json(response)["status"] == "rejected"
    assert "codes" in body_json(response)["reason"]
    assert time.perf_counter() - started < 5  # was 20-24 s, holding the write lock


@pytest.mark.parametrize(
    "goods",
    ["\uff11\uff10\uff10", "\u0661\u0660\u0660", "1_000", "1e30", str(2**70), "NaN", "Infinity"],
)
def test_generic_amounts_take_ascii_digits_only(app, engine, goods: str) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine, platform="generic", domain="generic.example", codes=("ANNA15",))
    payload = generic_order(codes=["ANNA15"], currency="USD")
    payload["lines"] = [{"id": "l1", "goods": goods}]
    body = dumps(payload)
    response = app.test_client().post(
        "/webhooks/generic",
        data=body,
        headers=generic_headers(body, SECRET, "generic.example"),
    )
    assert response.status_code == 200
    assert body_json(response)["status"] == "rejected"
    assert entries(engine) == []


def test_woocommerce_date_paid_that_is_no_date_is_not_paid(app, engine) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine, platform="woocommerce", domain="woo.example", codes=("ANNA15",))
    payload = woo_order(status="on-hold", coupons=["anna15"])
    payload["date_paid"] = "no"
    payload["date_paid_gmt"] = "no"
    body = dumps(payload)
    response = app.test_client().post(
        "/webhooks/woocommerce",
        data=body,
        headers=woocommerce_headers(body, SECRET, "order.updated", "https://woo.example"),
    )
    assert response.status_code == 200 and entries(engine) == []


def test_woocommerce_refund_lines_of_the_wrong_type_are_rejected(app, engine) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine, platform="woocommerce", domain="woo.example", codes=("ANNA15",))
    payload = woo_order(status="processing", coupons=["anna15"])
    payload["refunds"] = [{"id": 5, "total": "-1.00", "line_items": "all"}]
    body = dumps(payload)
    response = app.test_client().post(
        "/webhooks/woocommerce",
        data=body,
        headers=woocommerce_headers(body, SECRET, "order.updated", "https://woo.example"),
    )
    assert response.status_code == 200


# -- 6: look-alike codes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "books"),
    [
        ("\uff26\uff21\uff2b\uff2530", True),  # full-width letters are the same letters
        (" fake30 ", True),
        ("FAKE\u200b30", False),  # zero-width space
        ("F\u0410KE30", False),  # Cyrillic A
        ("fake\u0131", False),  # dotless i never becomes I
    ],
)
def test_look_alike_codes(client, engine, typed: str, books: bool) -> None:  # type: ignore[no-untyped-def]
    payload = load_fixture_json(ORDER)
    payload["discount_codes"][0]["code"] = typed
    response = shopify_post(client, dumps(payload), "orders/paid")
    assert response.status_code == 200
    assert (len(entries(engine)) == 1) is books


# -- 8-9: the finance API and the payout run ----------------------------------------------------


def _admin_key(app: Any) -> str:
    from builders import cli_for

    result = cli_for(app)("apikey", "create", "--name", "ops", "--scope", "admin")
    assert result.exit_code == 0, result.output
    return str(result.stdout.strip().split()[-1])


@pytest.mark.parametrize(
    "path",
    [
        "/api/exports/ledger.csv?to=9999-12-31",
        "/api/exports/ledger.xlsx?to=9999-12-31",
        "/api/exports/ledger.csv?from=0001-01-01",
        "/api/payouts?batch=99999999999999999999",
        "/api/payouts?batch=-1",
        "/api/exports/payouts.csv?batch=1e3",
        "/api/exports/balances.csv?as_of=10000-01-01",
    ],
)
def test_api_parameters_are_validated(papp, path: str) -> None:  # type: ignore[no-untyped-def]
    key = _admin_key(papp)
    response = papp.test_client().get(path, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code in (400, 404), (path, response.status_code)
    assert response.get_json()["error"]["message"]


def test_a_run_with_a_stripe_payout_and_no_key_writes_nothing(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from builders import cli_for, make_app

    app = make_app(database_url, tmp_path, CODECUT_STRIPE_API_KEY="")
    with transaction(engine_of(app)) as s:
        entry(s, influencer(s, "anna@example.com", "acct_anna"), 6000)
        entry(s, influencer(s, "ben@example.com"), 7000)
    result = cli_for(app)("payouts", "run", "--as-of", DAY.isoformat())
    assert result.exit_code == 1 and "CODECUT_STRIPE_API_KEY is not set" in result.stderr
    assert count(app, PayoutBatch) == count(app, Payout) == 0
    manual = cli_for(app)("payouts", "run", "--as-of", DAY.isoformat(), "--method", "manual")
    assert manual.exit_code == 0, manual.stderr
    assert [(p.amount, p.method) for p in payouts_of(app)] == [(7000, "manual")]
    retry = cli_for(app)("payouts", "retry", str(payouts_of(app)[0].id))
    assert retry.exit_code == 1
    assert (
        "only a failed Stripe payout can be retried" in retry.stderr
        and "STRIPE_API_KEY" not in retry.stderr
    )


def test_one_payee_stripe_refuses_does_not_stop_the_run(papp, pcli, stripe_server) -> None:  # type: ignore[no-untyped-def]
    stripe_server.fake.fund("usd", 1_000_000)
    with transaction(engine_of(papp)) as s:
        entry(s, influencer(s, "anna@example.com", "acct_gone"), 6000)
        entry(s, influencer(s, "ben@example.com", "acct_ben"), 12000)
    stripe_server.fake.mark_account("acct_gone", "invalid")
    result = pcli("payouts", "run", "--as-of", DAY.isoformat())
    assert "Traceback" not in result.output + result.stderr
    statuses = sorted((p.amount, p.status) for p in payouts_of(papp))
    assert statuses == [(6000, "failed"), (12000, "paid")]


# -- 12: refunds and cancellations of orders that carry none of our codes ----------------------


def test_refunds_of_an_order_without_our_code_are_ignored_at_once(client, engine) -> None:  # type: ignore[no-untyped-def]
    refund = load_fixture_json("shopify_refund_partial_two_lines")
    order = load_fixture_json("shopify_order_code_TENOFF_partially_refunded")
    order["id"] = refund["order_id"]
    order["discount_codes"] = [{"code": "SOMEONE-ELSE", "amount": "10.00", "type": "fixed_amount"}]
    order["refunds"] = []
    assert body_json(shopify_post(client, order, "orders/paid"))["status"] == "ignored"
    later = body_json(shopify_post(client, refund, "refunds/create"))
    assert later["status"] == "ignored" and "no code of ours" in later["reason"]
    cancelled = dict(order, cancelled_at="2025-07-03T10:00:00-05:00", cancel_reason="customer")
    assert body_json(shopify_post(client, cancelled, "orders/cancelled"))["status"] == "ignored"
    assert [status for status, _ in deliveries(engine)] == ["ignored"] * 3
    assert entries(engine) == []


@pytest.mark.parametrize(
    ("platform", "headers", "missing"),
    [
        ("shopify", {"X-Shopify-Hmac-Sha256": "x"}, "X-Shopify-Shop-Domain"),
        ("shopify", {"X-Shopify-Shop-Domain": SHOP}, "X-Shopify-Hmac-Sha256"),
        ("woocommerce", {"X-WC-Webhook-Signature": "x"}, "X-WC-Webhook-Source"),
        ("generic", {"X-Codecut-Store": "x.example"}, "X-Codecut-Signature"),
    ],
)
def test_a_missing_header_is_named(client, platform: str, headers: dict, missing: str) -> None:  # type: ignore[no-untyped-def]
    response = client.post(f"/webhooks/{platform}", data=b"{}", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["message"] == f"missing header {missing}"
