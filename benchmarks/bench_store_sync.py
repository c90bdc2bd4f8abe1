"""Store sync against the local Shopify stand-in, with Shopify's real limits (250 codes a call,
an asynchronous job to poll, the cost bucket), beside references from the same run:

* ``code push`` of N codes: seconds, calls, and the share of the time spent waiting on the
  store; reference: the same bulk-add and poll calls made straight to the stand-in with no
  bookkeeping (the least work that creates the codes).
* ``reconcile`` of N missed orders: seconds, calls, waiting share; reference: pulling the same
  pages without processing them (the least work that reads them).

.venv/bin/python benchmarks/bench_store_sync.py [--codes 10000] [--orders 10000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]

from report import emit  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlmodel import col  # noqa: E402
from storefront_payloads import load_fixture_json  # noqa: E402

from codecut import db  # noqa: E402
from codecut.config import Settings, apply_defaults  # noqa: E402
from codecut.devtools.fake_shopify import ShopifyServer, graphql_order  # noqa: E402
from codecut.devtools.scratch_db import scratch_postgres  # noqa: E402
from codecut.models import Code, Influencer  # noqa: E402
from codecut.programme import campaigns, influencers, stores  # noqa: E402
from codecut.storesync import pull, push  # noqa: E402
from codecut.storesync.connection import Keys, connect, open_api  # noqa: E402
from codecut.storesync.http import HttpClient  # noqa: E402
from codecut.storesync.shopify_admin import BULK_LIMIT, ShopifyAdmin  # noqa: E402

SHOP = "bench-sync.myshopify.com"
KEYS = Keys(None, True, "bench-secret")


def settings(url: str) -> Settings:
    config: dict[str, object] = {"CODECUT_DATABASE_URL": url}
    apply_defaults(config)
    return Settings.from_config(config, instance_path=tempfile.gettempdir())


def prepare(url: str, codes: int, shop: ShopifyServer, config: Settings) -> None:
    engine = db.create_db_engine(url)
    db.upgrade(engine)
    with db.transaction(engine) as session:
        stores.add_store(session, platform="shopify", domain=SHOP, secret="s", currency="USD")
        campaign = campaigns.add_campaign(
            session, store_domain=SHOP, name="Bench", slug="bench", commission="10%"
        )
        campaign.customer_discount = "15%"
        influencers.add_influencer(session, email="anna@example.com", name="Anna Berg")
        anna = influencers.get_influencer(session, "anna@example.com")
        session.add_all(
            Influencer(email=f"creator{n}@example.com", name=f"Creator {n}") for n in range(codes)
        )
        session.flush()
        ids = list(session.scalars(select(col(Influencer.id)).order_by(col(Influencer.id))))
        session.add_all(
            Code(
                code=f"BENCH{n:06d}",
                store_id=campaign.store_id,
                campaign_id=campaign.id,
                influencer_id=influencer_id,
            )
            for n, influencer_id in enumerate(ids[1:])
        )
        session.add(
            Code(
                code="TENOFF",
                store_id=campaign.store_id,
                campaign_id=campaign.id,
                influencer_id=anna.id,
            )
        )
        connect(
            session,
            stores.get_store(session, SHOP),
            {"admin_token": shop.fake.token},
            api_base=shop.url,
            settings=config,
            keys=KEYS,
            http=HttpClient(),
        )
    engine.dispose()


def reference_push(shop: ShopifyServer, codes: list[str]) -> tuple[float, int, float]:
    http = HttpClient()
    api = ShopifyAdmin(SHOP, shop.fake.token, shop.url, "2025-10", http)
    started = time.perf_counter()
    from codecut.storesync.terms import DiscountTerms

    terms = DiscountTerms("ref", 1500, None, "USD", False, frozenset(), datetime.now(UTC))
    discount, _ = api.create_discount(terms, codes[0])
    for start in range(1, len(codes), BULK_LIMIT):
        job = api.bulk_add(discount, codes[start : start + BULK_LIMIT])
        while api.bulk_results(job) is None:
            http.wait(0.5, "bulk job running")
    return time.perf_counter() - started, http.calls, http.waited


def run(url: str, label: str, codes: int, orders: int) -> None:
    config = settings(url)
    with ShopifyServer(restore_rate=100.0) as shop:
        prepare(url, codes, shop, config)
        engine = db.create_db_engine(url)
        http = HttpClient()

        def api_for(store: object) -> ShopifyAdmin:
            return open_api(store, config, KEYS, http)  # type: ignore[arg-type,return-value]

        report = push.push_codes(engine, "bench", api_for, poll_interval=0.5)
        assert len(report.pushed) == codes + 1 and not report.failed, report.as_record()
        share = report.waited / report.seconds
        print(
            f"{label}: pushed {codes + 1:,} codes in {report.seconds:.1f} s, {report.calls} calls, "
            f"{share:.0%} of the time waiting on the store"
        )
    with ShopifyServer(restore_rate=100.0) as shop:
        ref_seconds, ref_calls, ref_waited = reference_push(
            shop, [f"REF{n:06d}" for n in range(codes + 1)]
        )
        print(f"{label}: reference push {ref_seconds:.1f} s, {ref_calls} calls")
    emit(
        f"code push, {codes + 1:,} codes to the Shopify stand-in (250 a job)",
        label,
        report.seconds,
        "s",
        "the same calls, no bookkeeping",
        ref_seconds,
        "measured",
    )
    emit(
        "code push: share of time waiting on the store",
        label,
        share,
        "share",
        "reference's share",
        ref_waited / ref_seconds,
        "measured",
        higher_is_better=True,
    )

    template = load_fixture_json("shopify_order_code_TENOFF_partially_refunded")
    start = datetime.now(UTC) - timedelta(days=1)
    with ShopifyServer(restore_rate=1000.0) as shop:
        for n in range(orders):
            order = copy.deepcopy(template)
            order.update(id=10_000_000 + n, name=f"#{n}", financial_status="paid", refunds=[])
            order["updated_at"] = (start + timedelta(seconds=n)).isoformat()
            shop.fake.orders.append(graphql_order(order))
        with db.transaction(engine) as session:
            store = stores.get_store(session, SHOP)
            store.api_base = shop.url
        http = HttpClient()
        pulled = pull.reconcile_store(
            engine, SHOP, api_for, hold_days=30, since=start - timedelta(minutes=1)
        )
        assert pulled.commissions == orders, pulled.as_record()
        share = pulled.waited / pulled.seconds
        print(
            f"{label}: reconciled {orders:,} missed orders in {pulled.seconds:.1f} s, "
            f"{pulled.calls} calls, {share:.0%} of the time waiting on the store"
        )
        ref_http = HttpClient()
        reference = ShopifyAdmin(SHOP, shop.fake.token, shop.url, "2025-10", ref_http)
        began = time.perf_counter()
        read = sum(len(page) for page in reference.orders_since(start - timedelta(minutes=1)))
        ref_seconds = time.perf_counter() - began
        assert read == orders
        print(f"{label}: reference pull {ref_seconds:.1f} s, {ref_http.calls} calls")
    emit(
        f"reconcile {orders:,} missed orders from the Shopify stand-in (50 a page)",
        label,
        pulled.seconds,
        "s",
        "pulling the same pages, no processing",
        ref_seconds,
        "measured",
    )
    emit(
        "reconcile: orders booked per second",
        label,
        orders / pulled.seconds,
        "orders/s",
        "pages read per second x 50",
        read / ref_seconds,
        "measured",
        higher_is_better=True,
    )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--postgres", default=os.environ.get("CODECUT_TEST_DATABASE_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{folder}/bench.sqlite3", "SQLite", args.codes, args.orders)
    if args.postgres:
        with scratch_postgres(args.postgres) as url:
            run(url, "PostgreSQL", args.codes, args.orders)


if __name__ == "__main__":
    main()
