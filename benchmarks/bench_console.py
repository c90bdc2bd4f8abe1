"""Server time of the console's overview for a campaign with 10,000 influencers, 1,000,000 ledger
entries and 5,000,000 clicks.

Builds the data on SQLite (and on PostgreSQL when given a URL) straight into the tables, as a
season of traffic leaves them: 10,000 influencers with a code each (imported as the console and
``codecut influencer import`` do), 900,000 paid orders over 180 days with their commissions and
100,000 refunds (1,000,000 entries), and 5,000,000 counted clicks. It then keeps the campaign
figures (a full rebuild, timed) and times, through Flask's test client signed in as marketing:

* ``GET /console/`` (all time) and ``GET /console/?from=..&to=..`` (the last 30 days), p50/p95,
  beside the console's smallest page (its sign-in form) from the same run;
* the refresh a reader pays after a minute of traffic (3,000 clicks, 300 orders, 30 refunds).

    .venv/bin/python benchmarks/bench_console.py [--influencers 10000] [--orders 900000]
        [--clicks 5000000] [--requests 30] [--postgres URL]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text

sys.path[:0] = [str(Path(__file__).resolve().parent.parent / "tests")]

from builders import make_app  # noqa: E402
from report import emit  # noqa: E402

from codecut import db as database  # noqa: E402
from codecut.access import login_links, staff  # noqa: E402
from codecut.db import transaction  # noqa: E402
from codecut.devtools.scratch_db import scratch_postgres  # noqa: E402
from codecut.models import Code, Store  # noqa: E402
from codecut.programme import campaigns, importing, stores  # noqa: E402
from codecut.reads import kpi_days  # noqa: E402
from codecut.state import get_state  # noqa: E402

DAYS = 180
NOW = datetime.now(UTC).replace(microsecond=0)
START = NOW - timedelta(days=DAYS)


def _stamp(moment: datetime, sqlite: bool) -> Any:
    return moment.strftime("%Y-%m-%d %H:%M:%S.000000") if sqlite else moment


def _bulk(engine: Engine, table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> None:
    """COPY on PostgreSQL, executemany in batches on SQLite: the fastest plain load of each."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.execute("BEGIN")  # Codecut's SQLite connections leave transactions to it
            marks = ", ".join("?" * len(columns))
            statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            batch: list[tuple[Any, ...]] = []
            for row in rows:
                batch.append(row)
                if len(batch) == 20_000:
                    cursor.executemany(statement, batch)
                    batch.clear()
            if batch:
                cursor.executemany(statement, batch)
        raw.commit()
    finally:
        raw.close()


def build(url: str, influencers: int, orders: int, clicks: int) -> dict[str, float]:
    timings: dict[str, float] = {}
    engine = database.create_db_engine(url)
    database.upgrade(engine)
    sqlite = engine.dialect.name == "sqlite"
    started = time.perf_counter()
    with transaction(engine) as session:
        stores.add_store(
            session, platform="shopify", domain="big.myshopify.com", secret="s", currency="USD"
        )
        campaigns.add_campaign(session, store_domain="big.myshopify.com", name="Big", slug="big")
        roster = io.StringIO()
        roster.write("email,name,followers\n")
        for n in range(influencers):
            roster.write(f"creator{n}@example.com,Creator {n},{(n * 7919) % 250_000}\n")
        roster.seek(0)
        importing.import_influencers(session, roster, campaign_slug="big")
        store_id = session.scalars(select(Store.id)).one()
        codes = list(session.execute(select(Code.id, Code.influencer_id, Code.campaign_id)))
    code_of = [
        (code_id, influencer_id, campaign_id) for code_id, influencer_id, campaign_id in codes
    ]

    order_columns = [
        "store_id", "external_id", "order_number", "code_id", "influencer_id", "campaign_id",
        "code_as_entered", "currency", "base_amount", "order_total", "discount_amount",
        "shipping_amount", "test", "taxes_included", "self_referral", "paid_at", "placed_at",
        "created_at", "updated_at",
    ]  # fmt: skip

    def order_rows() -> Iterator[tuple[Any, ...]]:
        for n in range(orders):
            code_id, influencer_id, campaign_id = code_of[(n * 7919) % len(code_of)]
            placed = START + timedelta(seconds=(n * DAYS * 86_400) // orders)
            base = 2_000 + (n * 37) % 18_000
            stamp = _stamp(placed, sqlite)
            yield (
                store_id, str(n), f"#{n}", code_id, influencer_id, campaign_id, "CODE", "USD",
                base, base + 500, base // 10, 500, False, False, False, stamp, stamp, stamp, stamp,
            )  # fmt: skip

    _bulk(engine, "codecut_order", order_columns, order_rows())
    with engine.connect() as connection:
        first_order = connection.execute(text("SELECT min(id) FROM codecut_order")).scalar_one()
    entry_columns = [
        "influencer_id", "store_id", "campaign_id", "code_id", "order_id", "kind", "status",
        "currency", "amount", "base_amount", "rate_bps", "available_on", "dedupe_key",
        "occurred_at", "created_at", "reason",
    ]  # fmt: skip
    reversals = orders // 9  # 100,000 of 1,000,000 entries

    def entry_rows() -> Iterator[tuple[Any, ...]]:
        for n in range(orders):
            code_id, influencer_id, campaign_id = code_of[(n * 7919) % len(code_of)]
            placed = START + timedelta(seconds=(n * DAYS * 86_400) // orders)
            base = 2_000 + (n * 37) % 18_000
            available = (placed + timedelta(days=30)).date()
            yield (
                influencer_id, store_id, campaign_id, code_id, first_order + n, "commission",
                "pending", "USD", base // 10, base, 1000, available, f"commission:{n}",
                _stamp(placed, sqlite), _stamp(placed, sqlite),
                "coupon_site" if n % 400 == 0 else None,  # a leak rule flagged 1 in 400
            )  # fmt: skip
            if n % 9 == 0 and n // 9 < reversals:
                refunded = placed + timedelta(days=5)
                yield (
                    influencer_id, store_id, campaign_id, code_id, first_order + n, "reversal",
                    "pending", "USD", -(base // 20), base // 2, 1000, available, f"refund:{n}",
                    _stamp(refunded, sqlite), _stamp(refunded, sqlite), "refund",
                )  # fmt: skip

    _bulk(engine, "codecut_ledger_entry", entry_columns, entry_rows())

    def click_rows() -> Iterator[tuple[Any, ...]]:
        for n in range(clicks):
            code_id = code_of[(n * 104_729) % len(code_of)][0]
            at = START + timedelta(seconds=(n * DAYS * 86_400) // clicks)
            visitor = hashlib.blake2b(str(n % (clicks // 3)).encode(), digest_size=16).hexdigest()
            yield code_id, _stamp(at, sqlite), at.date(), visitor

    _bulk(engine, "codecut_click", ["code_id", "clicked_at", "day", "visitor"], click_rows())
    timings["load"] = time.perf_counter() - started
    began = time.perf_counter()
    kpi_days.refresh(engine, rebuild=True)
    timings["rebuild"] = time.perf_counter() - began
    # What autovacuum does on a live database: statistics and the visibility map.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE" if not sqlite else "ANALYZE"))
    engine.dispose()
    return timings


def _traffic(engine: Engine) -> float:
    """A minute of traffic, then the refresh a reader pays for it."""
    sqlite = engine.dialect.name == "sqlite"
    with transaction(engine, readonly=True) as session:
        codes = list(session.execute(select(Code.id, Code.influencer_id, Code.campaign_id)))
        store_id = session.scalars(select(Store.id)).one()
    now = datetime.now(UTC)
    _bulk(
        engine,
        "codecut_click",
        ["code_id", "clicked_at", "day", "visitor"],
        (
            (codes[n * 31 % len(codes)][0], _stamp(now, sqlite), now.date(), f"{n:032x}")
            for n in range(3_000)
        ),
    )
    _bulk(
        engine,
        "codecut_order",
        ["store_id", "external_id", "code_id", "influencer_id", "campaign_id", "code_as_entered",
         "currency", "base_amount", "order_total", "discount_amount", "shipping_amount", "test",
         "taxes_included", "self_referral", "paid_at", "placed_at", "created_at", "updated_at"],
        (
            (store_id, f"new{n}", *codes[n * 17 % len(codes)], "CODE", "USD", 5_000, 5_500, 500,
             500, False, False, False, *[_stamp(now, sqlite)] * 4)
            for n in range(300)
        ),
    )  # fmt: skip
    with engine.begin() as connection:  # 30 refunds of orders from months ago
        connection.execute(
            text(
                "INSERT INTO codecut_ledger_entry (influencer_id, store_id, campaign_id, code_id,"
                " order_id, kind, status, currency, amount, base_amount, available_on,"
                " dedupe_key, occurred_at, created_at) SELECT influencer_id, store_id,"
                " campaign_id, code_id, id, 'reversal', 'pending', 'USD', -100, 1000,"
                " :today, 'late:' || external_id, :now, :now FROM codecut_order"
                " WHERE id % 29989 = 7"
            ),
            {"today": now.date(), "now": _stamp(now, sqlite)},
        )
    began = time.perf_counter()
    kpi_days.refresh(engine)
    return time.perf_counter() - began


def _timed(client: Any, path: str, requests: int) -> list[float]:
    times = []
    for _ in range(requests):
        begin = time.perf_counter()
        response = client.get(path, headers={"Accept-Language": "en-US"})
        times.append((time.perf_counter() - begin) * 1000)
        assert response.status_code == 200, response.status_code
    return sorted(times)


def _p95(times: list[float]) -> float:
    return times[max(0, int(len(times) * 0.95) - 1)]


def bench(label: str, url: str, args: argparse.Namespace, workdir: str) -> None:
    timings = build(url, args.influencers, args.orders, args.clicks)
    app = make_app(url, Path(workdir))
    app.config["TESTING"] = False
    engine = get_state(app).engine
    with transaction(engine) as session:
        member = staff.add_staff(session, email="mia@brand.example", role="marketing")
        token = staff.issue_token(
            session, member, login_links.signing_key(get_state(app).settings, app.secret_key)
        )
    client = app.test_client()
    assert client.post(f"/console/login/{token}").status_code == 303
    reference = _timed(app.test_client(), "/console/login", args.requests)
    last = NOW.date()
    month = f"/console/?from={(last - timedelta(days=29)).isoformat()}&to={last.isoformat()}"
    for what, path in (("all time", "/console/"), ("the last 30 days", month)):
        _timed(client, path, 3)  # warm
        times = _timed(client, path, args.requests)
        print(
            f"{label:<10} overview, {what}: p50 {statistics.median(times):.1f} ms, "
            f"p95 {_p95(times):.1f} ms over {args.requests} requests "
            f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
        )
        emit(
            f"console overview ({what}), {args.influencers:,} influencers, 1M entries, "
            f"{args.clicks / 1e6:g}M clicks, p95",
            label,
            _p95(times),
            "ms",
            "the console's smallest page",
            _p95(reference),
            "< 200 ms",
        )
    refresh = _traffic(engine)
    print(
        f"{label:<10} data loaded in {timings['load']:.0f} s; figures rebuilt in "
        f"{timings['rebuild']:.1f} s; a minute of traffic refreshed in {refresh * 1000:.0f} ms"
    )
    emit(
        "kept campaign figures: full rebuild",
        label,
        timings["rebuild"],
        "s",
        "loading the raw rows",
        timings["load"],
        "measured",
    )
    emit(
        "kept campaign figures: refresh after a minute of traffic",
        label,
        refresh * 1000,
        "ms",
        "the overview's p95",
        _p95(times),
        "measured",
    )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--influencers", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=900_000)
    parser.add_argument("--clicks", type=int, default=5_000_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--postgres", default=os.environ.get("CODECUT_TEST_DATABASE_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        bench("SQLite", f"sqlite:///{workdir}/bench.sqlite3", args, workdir)
        if args.postgres:
            with scratch_postgres(args.postgres) as pg:
                bench("PostgreSQL", pg, args, workdir)


if __name__ == "__main__":
    main()
