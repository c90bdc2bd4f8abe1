"""Signed Shopify deliveries of distinct orders through gunicorn (4 workers), beside two references.

For each database (SQLite file; PostgreSQL when ``--postgres URL`` is given, in a fresh database
created there and dropped afterwards) three receivers run in turn under the same gunicorn and the
same client load, each on a freshly started server:

* ``hmac``    -- a bare Flask endpoint that only checks the signature (benchmarks/ref_hmac_app.py);
* ``durable`` -- checks it and stores the raw body: INSERT + COMMIT (benchmarks/ref_durable_app.py);
* ``codecut`` -- the real ``POST /webhooks/shopify``: verify, store raw, attribute, book.

Every delivery is a distinct ``orders/paid`` order that uses an influencer's code, so Codecut runs
its full booking path. Client threads on loopback; deliveries/second and p50/p99 latency.

.venv/bin/python benchmarks/bench_webhooks.py [--requests 2000] [--clients 4] [--postgres URL]
"""

from __future__ import annotations

import argparse
import copy
import http.client
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]

from ref_durable_app import create_table  # noqa: E402
from report import emit  # noqa: E402
from servers import gunicorn  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlmodel import Session  # noqa: E402
from storefront_payloads import dumps, load_fixture_json, shopify_headers  # noqa: E402

from codecut import db  # noqa: E402
from codecut.devtools.scratch_db import scratch_postgres  # noqa: E402
from codecut.models import LedgerEntry  # noqa: E402
from codecut.programme import campaigns, codes, influencers, stores  # noqa: E402

SHOP = "bench.myshopify.com"
SECRET = "bench-webhook-secret"
TARGETS = [
    ("hmac", "ref_hmac_app:create_app()", {}),
    ("durable", "ref_durable_app:create_app()", {}),
    ("codecut", "codecut.app:create_app()", {}),
]
#: On SQLite, what durability costs: the durable reference again with ``synchronous=NORMAL``
#: (a commit can be lost in a power cut), which Codecut never uses.
SQLITE_ONLY = [
    ("normal", "ref_durable_app:create_app()", {"BENCH_SQLITE_SYNCHRONOUS": "NORMAL"}),
]


def prepare(url: str) -> None:
    engine = db.create_db_engine(url)
    db.upgrade(engine)
    with db.transaction(engine) as session:
        stores.add_store(session, platform="shopify", domain=SHOP, secret=SECRET, currency="USD")
        campaigns.add_campaign(session, store_domain=SHOP, name="Bench", slug="bench")
        influencers.add_influencer(session, email="anna@example.com", name="Anna Berg")
        codes.issue_code(
            session, influencer_email="anna@example.com", campaign_slug="bench", code="TENOFF"
        )
    create_table(engine)
    engine.dispose()


def deliveries(count: int, first_id: int) -> list[tuple[bytes, dict[str, str]]]:
    template = load_fixture_json("shopify_order_code_TENOFF_partially_refunded")
    template.update(financial_status="paid", refunds=[])
    signed = []
    for order_id in range(first_id, first_id + count):
        payload = copy.deepcopy(template)
        payload["id"] = order_id
        body = dumps(payload)
        signed.append((body, shopify_headers(body, SECRET, "orders/paid", SHOP)))
    return signed


def load(base_url: str, items: list[tuple[bytes, dict[str, str]]], clients: int) -> dict:
    """Send ``items`` from ``clients`` threads; latency per request, throughput over the wall."""
    parts = urlsplit(base_url)
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()

    def worker(chunk: list[tuple[bytes, dict[str, str]]]) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine, bad = [], []
        for body, headers in chunk:
            started = time.perf_counter()
            connection.request("POST", "/webhooks/shopify", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            if response.status != 200:
                bad.append(response.status)
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
        with lock:
            latencies.extend(mine)
            failures.extend(bad)

    threads = [threading.Thread(target=worker, args=(items[i::clients],)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(items) / wall,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "errors": len(failures),
    }


def bench(label: str, url: str, requests_: int, clients: int, warmup: int) -> None:
    prepare(url)
    next_id = 1
    results = {}
    targets = TARGETS + (SQLITE_ONLY if url.startswith("sqlite") else [])
    for name, app, env in targets:
        with gunicorn(url, app=app, workers=4, env={"BENCH_WEBHOOK_SECRET": SECRET, **env}) as base:
            load(base, deliveries(warmup, next_id), clients)
            next_id += warmup
            results[name] = load(base, deliveries(requests_, next_id), clients)
            next_id += requests_
    engine = db.create_db_engine(url)
    with Session(engine) as session:
        booked = session.scalar(select(func.count()).select_from(LedgerEntry))
    engine.dispose()
    print(
        f"\n{label}: {requests_} signed orders/paid deliveries, {clients} client threads, 4 workers"
    )
    print(f"{'receiver':<10}{'deliveries/s':>14}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for name, result in results.items():
        print(
            f"{name:<10}{result['rps']:>14.0f}{result['p50']:>10.1f}{result['p99']:>10.1f}"
            f"{result['errors']:>8}"
        )
    durable, codecut = results["durable"], results["codecut"]
    print(
        f"codecut / durable: throughput {codecut['rps'] / durable['rps']:.2f}x (aim >= 0.7x), "
        f"p99 {codecut['p99'] / durable['p99']:.2f}x (aim <= 2x); "
        f"commissions booked: {booked} of {requests_ + warmup}"
    )
    emit(
        "webhooks: signed deliveries through gunicorn (4 workers)",
        label,
        codecut["rps"],
        "deliveries/s",
        "durable receiver",
        durable["rps"],
        ">= 0.7x",
        higher_is_better=True,
    )
    emit(
        "webhooks: p99 latency",
        label,
        codecut["p99"],
        "ms",
        "durable receiver",
        durable["p99"],
        "<= 2x",
    )
    if "normal" in results:
        normal = results["normal"]
        print(
            f"durability (synchronous=FULL vs NORMAL, durable reference): throughput "
            f"{durable['rps'] / normal['rps']:.2f}x, p99 {durable['p99'] / normal['p99']:.2f}x"
        )
        emit(
            "durable receiver with synchronous=FULL (what durability costs)",
            label,
            durable["rps"],
            "deliveries/s",
            "synchronous=NORMAL",
            normal["rps"],
            "measured",
            higher_is_better=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--postgres", default=os.environ.get("CODECUT_TEST_DATABASE_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="codecut-bench-") as workdir:
        bench(
            "SQLite", f"sqlite:///{workdir}/bench.sqlite3", args.requests, args.clients, args.warmup
        )
    if args.postgres:
        with scratch_postgres(args.postgres) as url:
            bench("PostgreSQL", url, args.requests, args.clients, args.warmup)


if __name__ == "__main__":
    main()
