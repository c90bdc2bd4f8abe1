"""Ledger export of a million rows on PostgreSQL: rows per second and peak memory, CSV and XLSX.

.venv/bin/python benchmarks/bench_export.py [--rows 1000000]
    [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

Each export runs in its own child process, so its peak resident memory (``ru_maxrss``) is the
export's alone; the same export of a tenth of the rows is run too, to show memory stays flat.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from typing import Any

from sqlalchemy import Engine, insert, literal, select, text

from codecut import db as database
from codecut.devtools.scratch_db import scratch_postgres
from codecut.models import Campaign, Code, Influencer, LedgerEntry, Order, Store
from codecut.reads import exports as reports

INFLUENCERS = 10_000


def _insert_series(
    engine: Engine, model: Any, template: Any, varying: dict[str, str], n: int
) -> None:
    """INSERT ... SELECT over generate_series: ``template`` gives every column's value except
    those in ``varying`` (SQL expressions of ``i``), so columns added later need no edit here."""
    values = template.model_dump(exclude={"id"})
    table = model.__table__
    columns, expressions = [], []
    for name, value in values.items():
        columns.append(table.c[name])
        expressions.append(
            text(varying[name]) if name in varying else literal(value, table.c[name].type)
        )
    series = select(*expressions).select_from(text("generate_series(1, :n) AS i"))
    with engine.begin() as connection:
        connection.execute(insert(table).from_select(columns, series), {"n": n})


def seed(engine: Engine, rows: int) -> None:
    with engine.begin() as connection:
        store = Store(
            platform="shopify", domain="bench.example.com", webhook_secret="s", currency="USD"
        )
        connection.execute(insert(Store).values(**store.model_dump(exclude={"id"})))
        campaign = Campaign(store_id=1, name="Bench", slug="bench", commission_rate_bps=1000)
        connection.execute(insert(Campaign).values(**campaign.model_dump(exclude={"id"})))
    _insert_series(
        engine,
        Influencer,
        Influencer(email="x", name="x"),
        {"email": "'creator' || i || '@example.com'", "name": "'Creator =' || i"},
        INFLUENCERS,
    )
    _insert_series(
        engine,
        Code,
        Code(code="x", store_id=1, campaign_id=1, influencer_id=1),
        {"code": "'CODE' || i", "influencer_id": "i"},
        INFLUENCERS,
    )
    _insert_series(
        engine,
        Order,
        Order(
            store_id=1,
            external_id="x",
            code_id=1,
            influencer_id=1,
            campaign_id=1,
            code_as_entered="x",
            currency="USD",
            base_amount=10_000,
            order_total=11_000,
        ),
        {
            "external_id": "'ext-' || i",
            "order_number": "'#' || (1000 + i)",
            "code_id": f"1 + (i % {INFLUENCERS})",
            "influencer_id": f"1 + (i % {INFLUENCERS})",
            "code_as_entered": f"'code' || (1 + (i % {INFLUENCERS}))",
            "base_amount": "1000 + i % 90000",
        },
        rows,
    )
    _insert_series(
        engine,
        LedgerEntry,
        LedgerEntry(
            influencer_id=1,
            store_id=1,
            campaign_id=1,
            code_id=1,
            order_id=1,
            kind="commission",
            status="approved",
            currency="USD",
            amount=0,
            base_amount=0,
            rate_bps=1000,
            available_on=date(2026, 1, 1),
            memo="-note",
        ),
        {
            "influencer_id": f"1 + (i % {INFLUENCERS})",
            "code_id": f"1 + (i % {INFLUENCERS})",
            "order_id": "i",
            "amount": "(1000 + i % 90000) / 10",
            "base_amount": "1000 + i % 90000",
            "dedupe_key": "'commission:' || i",
        },
        rows,
    )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def child(url: str, fmt: str, limit: int) -> None:
    """One export into a temporary file; prints rows, seconds and peak memory as JSON."""
    engine = database.create_db_engine(url)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, database.transaction(engine) as session:
        path = os.path.join(tmp, f"ledger.{fmt}")
        rows = reports.iter_ledger_rows(session, limit=limit)
        if fmt == "csv":
            with open(path, "w", newline="", encoding="utf-8") as handle:
                count = reports.write_csv(rows, reports.LEDGER_COLUMNS, handle)
        else:
            count = reports.write_xlsx(rows, reports.LEDGER_COLUMNS, path, "ledger")
        size = os.path.getsize(path)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"rows": count, "seconds": seconds, "peak_mb": peak_mb, "bytes": size}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--child", nargs=3, metavar=("URL", "FORMAT", "LIMIT"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return

    with scratch_postgres(args.postgres) as url:
        engine = database.create_db_engine(url)
        try:
            database.upgrade(engine)
            started = time.perf_counter()
            seed(engine, args.rows)
            print(
                f"seeded {args.rows:,} ledger rows (with orders) "
                f"in {time.perf_counter() - started:.1f}s"
            )
            for fmt in ("csv", "xlsx"):
                for limit in (args.rows // 10, args.rows):
                    out = subprocess.run(
                        [sys.executable, __file__, "--child", url, fmt, str(limit)],
                        check=True,
                        capture_output=True,
                        text=True,
                    )
                    r = json.loads(out.stdout)
                    print(
                        f"{fmt:4} {r['rows']:>9,} rows  {r['seconds']:6.1f}s  "
                        f"{r['rows'] / r['seconds']:>8,.0f} rows/s  "
                        f"peak RSS {r['peak_mb']:6.1f} MB  "
                        f"file {r['bytes'] / 2**20:6.1f} MB"
                    )
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
