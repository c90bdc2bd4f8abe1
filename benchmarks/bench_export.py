"""Ledger export of a million rows on PostgreSQL, beside its reference in the same run.

.venv/bin/python benchmarks/bench_export.py [--rows 1000000]
    [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

* ``csv``: ``codecut export ledger``'s code (``COPY`` of the formatting query) into a file;
* ``copy``: the reference, ``COPY (the same ledger query) TO STDOUT`` of the raw columns, the least
  work that reads the same rows;
* ``xlsx``: the XLSX export.

Each export runs in its own child process, so its peak resident memory (``ru_maxrss``) is the
export's alone; the same exports of a tenth of the rows (the first days, through the ``--to``
filter) are run too, to show memory stays flat.
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
from datetime import date, timedelta
from typing import Any

from report import emit
from sqlalchemy import Engine, insert, literal, select, text

from codecut import db as database
from codecut.commissions.approval import approved_through
from codecut.devtools.scratch_db import scratch_postgres
from codecut.models import Campaign, Code, Influencer, LedgerEntry, Order, Store
from codecut.reads import exports as reports

INFLUENCERS = 10_000


def _insert_series(
    engine: Engine, model: Any, template: Any, varying: dict[str, str], n: int
) -> None:
    """INSERT ... SELECT over a series of ``i`` (generate_series on PostgreSQL, a recursive CTE
    on SQLite): ``template`` gives every column's value except those in ``varying`` (SQL
    expressions of ``i``), so columns added later need no edit here."""
    values = template.model_dump(exclude={"id"})
    table = model.__table__
    columns, expressions = [], []
    for name, value in values.items():
        columns.append(table.c[name])
        expressions.append(
            text(varying[name]) if name in varying else literal(value, table.c[name].type)
        )
    if engine.dialect.name == "sqlite":
        source = "(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :n) "
        source += "SELECT i FROM s) AS series"
    else:
        source = "generate_series(1, :n) AS i"
    series = select(*expressions).select_from(text(source))
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
            "created_at": (
                "datetime('2026-01-01 12:00:00', '+' || (i % 100) || ' days')"
                if engine.dialect.name == "sqlite"
                else "TIMESTAMPTZ '2026-01-01 12:00:00+00' + (i % 100) * INTERVAL '1 day'"
            ),
            "occurred_at": (
                "datetime('2026-01-01 12:00:00', '+' || (i % 100) || ' days')"
                if engine.dialect.name == "sqlite"
                else "TIMESTAMPTZ '2026-01-01 12:00:00+00' + (i % 100) * INTERVAL '1 day'"
            ),
        },
        rows,
    )
    analyze = "ANALYZE" if engine.dialect.name == "sqlite" else "VACUUM ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(analyze))


#: Entries are spread evenly over 100 days from this one: ``--to`` its tenth day is a tenth.
FIRST_DAY = date(2026, 1, 1)


def child(url: str, fmt: str, fraction: int) -> None:
    """One export into a temporary file; prints rows, seconds and peak memory as JSON."""
    engine = database.create_db_engine(url)
    date_to = FIRST_DAY + timedelta(days=100 // fraction - 1) if fraction > 1 else None
    export = reports.ledger_export(reports.LedgerFilter(date_to=date_to))
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory() as tmp,
        database.transaction(engine, readonly=True) as session,
    ):
        path = os.path.join(tmp, f"ledger.{fmt}")
        with open(path, "wb") as handle:
            if fmt == "copy":
                query = reports.ledger_query(approved_through(session), date_to=date_to)
                raw: Any = session.connection().connection.dbapi_connection
                sql = query.compile(
                    dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
                )
                with raw.cursor() as cursor:
                    with cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
                        for chunk in copy:
                            handle.write(chunk)
                    count = cursor.rowcount
            else:
                count = export.write(session, fmt, handle)
        size = os.path.getsize(path)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"rows": count, "seconds": seconds, "peak_mb": peak_mb, "bytes": size}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--child", nargs=3, metavar=("URL", "FORMAT", "FRACTION"))
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
            results: dict[tuple[str, int], dict[str, Any]] = {}
            for fmt in ("copy", "csv", "xlsx"):
                for fraction in (10, 1):
                    out = subprocess.run(
                        [sys.executable, __file__, "--child", url, fmt, str(fraction)],
                        check=True,
                        capture_output=True,
                        text=True,
                    )
                    r = results[(fmt, fraction)] = json.loads(out.stdout)
                    print(
                        f"{fmt:4} {r['rows']:>9,} rows  {r['seconds']:6.1f}s  "
                        f"{r['rows'] / r['seconds']:>8,.0f} rows/s  "
                        f"peak RSS {r['peak_mb']:6.1f} MB  "
                        f"file {r['bytes'] / 2**20:6.1f} MB"
                    )
            ratio = results[("csv", 1)]["seconds"] / results[("copy", 1)]["seconds"]
            print(f"csv export / raw COPY at {args.rows:,} rows: {ratio:.2f}x")
            full = {fmt: results[(fmt, 1)] for fmt in ("copy", "csv", "xlsx")}
            emit(
                f"ledger CSV export, {args.rows:,} rows",
                "PostgreSQL",
                full["csv"]["seconds"],
                "s",
                "raw COPY",
                full["copy"]["seconds"],
                "<= 3x",
            )
            emit(
                "ledger CSV export, peak memory (all rows vs a tenth)",
                "PostgreSQL",
                full["csv"]["peak_mb"],
                "MB",
                "a tenth of the rows",
                results[("csv", 10)]["peak_mb"],
                "flat (~1x)",
            )
            emit(
                f"ledger XLSX export, {args.rows:,} rows",
                "PostgreSQL",
                full["xlsx"]["rows"] / full["xlsx"]["seconds"],
                "rows/s",
                "raw COPY",
                full["copy"]["rows"] / full["copy"]["seconds"],
                ">= 8,000 rows/s",
                higher_is_better=True,
            )
            print(json.dumps({f"{fmt}_{fraction}": r for (fmt, fraction), r in results.items()}))
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
