"""A payout run over 1,000,000 approved entries for 10,000 influencers on PostgreSQL, beside the
raw SQL GROUP BY that computes the same balances, in the same database and the same run.

.venv/bin/python benchmarks/bench_payouts.py [--entries 1000000] [--influencers 10000]
    [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

Creates (and drops) its own database. The run is the real ``payouts.run`` (approval, the lock,
settlement); influencers have no Stripe account, so no transfer is sent and what is measured is
the settlement itself.
"""

from __future__ import annotations

import argparse
import time
from datetime import date

from sqlalchemy import event, insert, text

from codecut import db as database
from codecut.devtools.scratch_db import scratch_postgres
from codecut.models import Influencer
from codecut.payouts import run as payouts

GROUP_BY = text(
    "SELECT influencer_id, currency, SUM(amount), COUNT(*) FROM codecut_ledger_entry "
    "WHERE status = 'approved' AND payout_id IS NULL GROUP BY influencer_id, currency"
)


def seed(engine, entries: int, influencers: int) -> None:  # type: ignore[no-untyped-def]
    people = [
        Influencer(email=f"creator{i}@example.com", name=f"Creator {i}").model_dump(exclude={"id"})
        for i in range(1, influencers + 1)
    ]
    with engine.begin() as connection:
        connection.execute(insert(Influencer), people)
        # Amounts 1.00 .. 30.00, one in ten a negative reversal; two currencies.
        connection.execute(
            text(
                "INSERT INTO codecut_ledger_entry (influencer_id, kind, status, currency, amount,"
                " available_on, created_at, approved_at)"
                " SELECT 1 + (i % :n),"
                "  CASE WHEN i % 10 = 0 THEN 'reversal' ELSE 'commission' END, 'approved',"
                "  CASE WHEN i % 7 = 0 THEN 'EUR' ELSE 'USD' END,"
                "  CASE WHEN i % 10 = 0 THEN -(100 + i % 1000) ELSE 100 + i % 2900 END,"
                "  DATE '2026-01-01', now(), now()"
                " FROM generate_series(1, :m) AS i"
            ),
            {"n": influencers, "m": entries},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--influencers", type=int, default=10_000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()

    with scratch_postgres(args.postgres) as url:
        engine = database.create_db_engine(url)
        try:
            database.upgrade(engine)
            started = time.perf_counter()
            seed(engine, args.entries, args.influencers)
            print(
                f"seeded {args.entries:,} entries for {args.influencers:,} influencers "
                f"in {time.perf_counter() - started:.1f}s"
            )

            timings = []
            for _ in range(3):
                started = time.perf_counter()
                with engine.connect() as connection:
                    balances = connection.execute(GROUP_BY).all()
                timings.append(time.perf_counter() - started)
            group_by = min(timings)
            minimum = payouts.Minimum("50.00")
            expected = {(i, c): int(s) for i, c, s, _n in balances if minimum.reached(int(s), c)}
            print(f"raw GROUP BY: {len(balances):,} balances in {group_by:.3f}s (best of 3)")

            statements: list[tuple[float, str]] = []

            @event.listens_for(engine, "before_cursor_execute")
            def _before(conn, cursor, statement, params, context, many):  # type: ignore[no-untyped-def]
                conn.info["started"] = time.perf_counter()

            @event.listens_for(engine, "after_cursor_execute")
            def _after(conn, cursor, statement, params, context, many):  # type: ignore[no-untyped-def]
                statements.append((time.perf_counter() - conn.info["started"], statement))

            started = time.perf_counter()
            reports = payouts.run(engine, as_of=date(2026, 2, 1), minimum=minimum, actor="bench")
            run = time.perf_counter() - started
            print(
                f"payout run:   {reports[0].payouts:,} payouts in {run:.3f}s "
                f"({run / group_by:.1f}x the GROUP BY)"
            )
            link = max(statements)
            print(
                f"  of which the one UPDATE linking entries to payouts: {link[0]:.3f}s "
                f"({link[1].split(' SET ')[0]})"
            )
            print(
                f"  everything else (lock, approval, sums, inserts, recount): {run - link[0]:.3f}s"
            )

            with engine.connect() as connection:
                made = {
                    (i, c): a
                    for i, c, a in connection.execute(
                        text("SELECT influencer_id, currency, amount FROM codecut_payout")
                    )
                }
                settled = connection.execute(
                    text("SELECT COUNT(*) FROM codecut_ledger_entry WHERE payout_id IS NOT NULL")
                ).scalar_one()
            assert made == expected, "the run's payouts differ from the GROUP BY's balances"
            print(f"check: payouts equal the GROUP BY balances; {settled:,} entries settled")
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
