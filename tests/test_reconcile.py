"""``codecut reconcile``: orders whose webhooks were missed, pulled from the Shopify and
WooCommerce stand-ins over real HTTP and booked by the webhook's own code path: a missed order
is booked, one booked already changes nothing, in either order."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

from programme import shopify_post
from sqlmodel import Session, select
from store_sync_support import SHOP, WOO, ok, shopify_programme, woo_programme
from storefront_payloads import load_fixture_json, woo_line, woo_order

from codecut.devtools.fake_shopify import graphql_order
from codecut.models import LedgerEntry, Store, WebhookEvent
from codecut.state import get_state

FIXTURE = "shopify_order_code_TENOFF_partially_refunded"


def _ledger(app, store: str = SHOP) -> list[tuple[str, str, int]]:  # type: ignore[no-untyped-def]
    with Session(get_state(app).engine) as session:
        store_id = session.exec(select(Store.id).where(Store.domain == store)).one()
        rows = session.exec(
            select(LedgerEntry).where(LedgerEntry.store_id == store_id).order_by(LedgerEntry.id)
        )
        return [(e.dedupe_key or "", e.kind, e.amount) for e in rows]


def _tenoff(cli, shop) -> None:  # type: ignore[no-untyped-def]
    shopify_programme(cli, shop, influencers=1)
    ok(
        cli(
            "code",
            "issue",
            "--influencer",
            "creator0@example.com",
            "--campaign",
            "launch",
            "--code",
            "TENOFF",
        )
    )


def _reconcile(cli, *args: str) -> dict:  # type: ignore[no-untyped-def]
    result = cli("reconcile", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_missed_shopify_order_is_booked_once(sapp, scli, shop) -> None:
    _tenoff(scli, shop)
    shop.fake.add_order(graphql_order(load_fixture_json(FIXTURE)))
    text = scli("reconcile", "--store", SHOP, "--since", "2008-01-01")
    assert text.exit_code == 0, text.output
    assert f"{SHOP}\torder #1001: commission booked, 1 refund(s) reversed" in text.output
    assert "booked 1 missed commission(s), 1 refund(s), 0 cancellation(s)" in text.output
    booked = _ledger(sapp)
    assert [key for key, _, _ in booked] == ["commission:450789469", "refund:509562969"]
    # The pulled order is in the event log as the webhook would have carried it.
    listed = json.loads(ok(scli("events", "list", "--json")).stdout)
    assert (listed[0]["source"], listed[0]["via"], listed[0]["topic"]) == (
        "shopify",
        "reconcile",
        "orders/updated",
    )
    assert "\tshopify\treconcile\torders/updated\tprocessed" in ok(scli("events", "list")).output
    # Again: the high-water mark starts the next run where this one ended; nothing new is booked.
    again = _reconcile(scli, "--store", SHOP)
    assert again["since"].startswith("2008-01-10T16:00:00")
    assert (again["commissions_booked"], again["refunds_reversed"]) == (0, 0)
    assert _ledger(sapp) == booked
    # The replay of a pulled order works like a delivery's.
    assert ok(scli("events", "replay", str(listed[0]["id"]))).exit_code == 0
    assert _ledger(sapp) == booked


def test_webhook_and_reconcile_book_the_same_in_either_order(sapp, scli, shop) -> None:
    """Two stores, the same order: one hears the webhook first, the other reconciles first."""
    _tenoff(scli, shop)
    other = "other-shop.myshopify.com"
    ok(
        scli(
            "store",
            "add",
            "--platform",
            "shopify",
            "--domain",
            other,
            "--secret",
            "s2",
            "--currency",
            "USD",
        )
    )
    ok(
        scli(
            "store",
            "connect",
            "--domain",
            other,
            "--admin-token",
            shop.fake.token,
            "--api-base",
            shop.url,
        )
    )
    ok(
        scli(
            "campaign",
            "add",
            "--store",
            other,
            "--name",
            "Other",
            "--slug",
            "other",
            "--commission",
            "10%",
        )
    )
    ok(
        scli(
            "code",
            "issue",
            "--influencer",
            "creator0@example.com",
            "--campaign",
            "other",
            "--code",
            "TENOFF",
        )
    )
    order = load_fixture_json(FIXTURE)
    shop.fake.add_order(graphql_order(order))
    client = sapp.test_client()
    # Store one: the webhook, then reconcile.
    assert (
        shopify_post(client, order, "orders/updated", secret="whsec", domain=SHOP).status_code
        == 200
    )
    webhook_first = _ledger(sapp, SHOP)
    _reconcile(scli, "--store", SHOP, "--since", "2008-01-01")
    assert _ledger(sapp, SHOP) == webhook_first
    # Store two: reconcile, then the webhook arrives late.
    _reconcile(scli, "--store", other, "--since", "2008-01-01")
    reconcile_first = _ledger(sapp, other)
    assert (
        shopify_post(client, order, "orders/updated", secret="s2", domain=other).status_code == 200
    )
    assert _ledger(sapp, other) == reconcile_first
    assert reconcile_first == webhook_first  # the same entries, to the minor unit


def test_shopify_pages_throttling_and_a_500_midway(sapp, scli, shop) -> None:
    _tenoff(scli, shop)
    template = load_fixture_json(FIXTURE)
    start = datetime.now(UTC) - timedelta(days=2)
    for n in range(120):  # three pages of 50
        order = copy.deepcopy(template)
        order.update(id=1000 + n, name=f"#{1000 + n}", refunds=[], financial_status="paid")
        order["updated_at"] = order["created_at"] = (start + timedelta(minutes=n)).isoformat()
        shop.fake.add_order(graphql_order(order))
    shop.fake.throttle_next()
    shop.fake.restore_rate = 1000.0
    shop.fake.fail_next(500)
    report = _reconcile(scli, "--store", SHOP)
    assert (report["orders"], report["commissions_booked"]) == (120, 120)
    assert shop.fake.operations.count("orders") >= 3
    assert report["high_water"].startswith((start + timedelta(minutes=119)).isoformat()[:16])
    assert len(_ledger(sapp)) == 120


def test_a_run_that_fails_midway_keeps_the_pages_it_finished(sapp, scli, shop) -> None:
    _tenoff(scli, shop)
    template = load_fixture_json(FIXTURE)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for n in range(60):
        order = copy.deepcopy(template)
        order.update(id=2000 + n, name=f"#{2000 + n}", refunds=[], financial_status="paid")
        order["updated_at"] = (start + timedelta(hours=n)).isoformat()
        shop.fake.add_order(graphql_order(order))
    real = shop.fake._op_orders
    calls = []

    def second_page_down(variables):  # type: ignore[no-untyped-def]
        calls.append(variables.get("after"))
        if len(calls) >= 2:
            raise RuntimeError("the shop's database is down")
        return real(variables)

    shop.fake._op_orders = second_page_down  # type: ignore[method-assign]
    failed = scli("reconcile", "--store", SHOP, "--since", "2026-11-01")
    assert failed.exit_code != 0
    with Session(get_state(sapp).engine) as session:
        mark = session.exec(select(Store).where(Store.domain == SHOP)).one().orders_synced_through
    assert mark is not None and mark.replace(tzinfo=UTC) == start + timedelta(hours=49)
    shop.fake._op_orders = real  # type: ignore[method-assign]
    report = _reconcile(scli, "--store", SHOP)
    assert report["commissions_booked"] == 10 and len(_ledger(sapp)) == 60


def test_a_missed_woocommerce_order_with_its_refund(sapp, scli, woo) -> None:
    codes = woo_programme(scli, woo, influencers=1)
    line = woo_line(1, "100.00", "100.00")
    for n in range(150):  # two pages of 100
        order = woo_order(
            3000 + n,
            coupons=(codes[0].lower(),),
            lines=[line],
            date_modified_gmt=(datetime(2026, 11, 2) + timedelta(minutes=n)).isoformat(),
        )
        refunds = []
        if n == 0:
            refunds = [
                {
                    "id": 91,
                    "date_created_gmt": "2026-11-03T09:00:00",
                    "amount": "40.00",
                    "reason": "",
                    "line_items": [
                        {
                            "id": 5,
                            "total": "-40.00",
                            "meta_data": [{"key": "_refunded_item_id", "value": str(line["id"])}],
                        }
                    ],
                }
            ]
        woo.fake.add_order(order, refunds)
    woo.fake.rate_limit_next(retry_after=0.1)
    report = _reconcile(scli, "--store", WOO, "--since", "2026-11-01")
    assert (report["orders"], report["commissions_booked"], report["refunds_reversed"]) == (
        150,
        150,
        1,
    )
    booked = dict(((k, a) for k, _, a in _ledger(sapp, WOO)))
    assert booked["commission:3000"] == 1000 and booked["refund:91"] == -400
    assert report["high_water"].startswith("2026-11-02T02:29")
    assert _reconcile(scli, "--store", WOO)["commissions_booked"] == 0


def test_dry_run_books_nothing_and_keeps_the_mark(sapp, scli, shop) -> None:
    _tenoff(scli, shop)
    shop.fake.add_order(graphql_order(load_fixture_json(FIXTURE)))
    report = _reconcile(scli, "--store", SHOP, "--since", "2008-01-01", "--dry-run")
    assert (report["dry_run"], report["commissions_booked"]) == (True, 1)
    assert (
        "would book 1 missed"
        in scli("reconcile", "--store", SHOP, "--since", "2008-01-01", "--dry-run").output
    )
    assert _ledger(sapp) == []
    with Session(get_state(sapp).engine) as session:
        assert session.exec(select(WebhookEvent)).all() == []
        assert session.exec(select(Store)).one().orders_synced_through is None


def test_all_and_bad_input(sapp, scli, shop, woo) -> None:
    _tenoff(scli, shop)
    woo_programme(scli, woo, influencers=1)
    ok(
        scli(
            "store",
            "add",
            "--platform",
            "generic",
            "--domain",
            "plain.example.com",
            "--secret",
            "g",
            "--currency",
            "USD",
        )
    )
    ok(
        scli(
            "store",
            "add",
            "--platform",
            "shopify",
            "--domain",
            "bare.myshopify.com",
            "--secret",
            "b",
            "--currency",
            "USD",
        )
    )
    everything = json.loads(ok(scli("reconcile", "--all", "--json")).stdout)
    assert [r["store"] for r in everything] == [SHOP, WOO]
    for args, message in [
        (("--store", "nope.example.com"), "no store with domain nope.example.com"),
        (("--store", "plain.example.com"), "generic stores have no Admin API to reconcile with"),
        (("--store", "bare.myshopify.com"), "has no Admin API credentials"),
        ((), "name one store with --store DOMAIN, or use --all"),
    ]:
        result = scli("reconcile", *args)
        assert result.exit_code in (1, 2) and message in result.output, result.output
        assert "Traceback" not in result.output
    shop.fake.token = "rotated-by-the-merchant"
    refused = scli("reconcile", "--store", SHOP)
    assert refused.exit_code == 1 and "refused the credentials (HTTP 401" in refused.output
