"""Server time of the portal's dashboard for an influencer with 50,000 orders.

Builds the data on SQLite (and on PostgreSQL when given a URL): the influencer's 50,000 orders
spread over about three years with their ledger entries (every 20th refunded) and monthly payouts,
beside 20 other influencers with 5,000 orders each. Then it times ``GET /portal/`` through Flask's
test client, signed in, and prints p50/p95/max in milliseconds.

    .venv/bin/python benchmarks/bench_portal.py [--orders 50000] [--requests 200] [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import portal_factory as factory
from builders import make_app
from report import emit

from codecut import db as database
from codecut.db import transaction
from codecut.devtools.scratch_db import scratch_postgres
from codecut.state import get_state


def build(url: str, orders: int, others: int) -> None:
    engine = database.create_db_engine(url)
    database.upgrade(engine)
    now = datetime.now(UTC)
    spacing = timedelta(days=3 * 365) / orders
    with transaction(engine) as session:
        star = factory.seller(session)
        for month in range(36):
            factory.payout(
                session,
                star,
                amount=150_000,
                reference=f"tr_{month}",
                created=now - timedelta(days=30 * month + 31),
            )
        for n in range(others):
            other = factory.seller(
                session, email=f"other{n}@example.com", name=f"Other {n}", code=f"OTHER{n}"
            )
            factory.bulk_orders(session, other, count=5000, newest=now, spacing=timedelta(hours=5))
        factory.bulk_orders(session, star, count=orders, newest=now, spacing=spacing)
    # What autovacuum does on a live database: statistics, and PostgreSQL's visibility map (which
    # lets index-only scans skip the table).
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(
            text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE")
        )
    engine.dispose()


def bench(label: str, url: str, orders: int, others: int, requests: int, workdir: str) -> None:
    started = time.perf_counter()
    build(url, orders, others)
    built = time.perf_counter() - started
    app = make_app(url, Path(workdir))
    app.config["TESTING"] = False
    client = factory.signed_in_client(app)
    for path in ("/portal/", "/portal/orders?page=1000", "/portal/orders?page=1"):
        assert client.get(path).status_code == 200
    reference = []
    for _ in range(requests):
        begin = time.perf_counter()
        client.get("/portal/login", headers={"Accept-Language": "en-US"})
        reference.append((time.perf_counter() - begin) * 1000)
    reference.sort()
    reference_p95 = reference[int(len(reference) * 0.95) - 1]
    for path in ("/portal/", "/portal/orders?page=1000"):
        times, cpu = [], []
        for _ in range(requests):
            begin, begin_cpu = time.perf_counter(), time.process_time()
            response = client.get(path, headers={"Accept-Language": "en-US"})
            times.append((time.perf_counter() - begin) * 1000)
            cpu.append((time.process_time() - begin_cpu) * 1000)
            assert response.status_code == 200
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        print(
            f"{label:<10} {path:<25} {orders} orders: p50 {statistics.median(times):.1f} ms, "
            f"p95 {p95:.1f} ms, max {times[-1]:.1f} ms over {requests} requests; "
            f"CPU of this process p50 {statistics.median(cpu):.1f} ms "
            f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; "
            f"data built in {built:.0f} s)"
        )
        emit(
            f"portal {path} of an influencer with {orders:,} orders, p95",
            label,
            p95,
            "ms",
            "the app's smallest page",
            reference_p95,
            "< 200 ms",
        )
    get_state(app).engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument(
        "--others", type=int, default=20, help="other influencers, 5,000 orders each"
    )
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--postgres", default=os.environ.get("CODECUT_TEST_DATABASE_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite:///{workdir}/bench.sqlite3"
        bench("SQLite", url, args.orders, args.others, args.requests, workdir)
        if args.postgres:
            with scratch_postgres(args.postgres) as pg:
                bench("PostgreSQL", pg, args.orders, args.others, args.requests, workdir)


if __name__ == "__main__":
    main()
