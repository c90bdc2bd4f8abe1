"""Approval and a payout run over 1,000,000 entries for 10,000 influencers on PostgreSQL, each
beside its reference in the same database and the same run:

* ``commissions approve`` (the real ``approval.approve``) beside a plain ``SELECT count(*)`` of the
  entries it approves;
* a payout run (the real ``payouts.run``: the lock, approval, settlement) beside the raw SQL
  ``GROUP BY`` that computes the same balances;
* the settlement's floor beside the same ``GROUP BY``: writing the run's (entry, payout) pairs,
  one row per settled entry, into a bare table whose only index is the unique key that makes
  "an entry is settled by at most one payout" a database constraint (and, printed beside it, the
  same rows with no index at all). No run that records each settled entry under that key can be
  faster than the ``GROUP BY`` plus this floor.

.venv/bin/python benchmarks/bench_payouts.py [--entries 1000000] [--influencers 10000]
    [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

Creates (and drops) its own database. Influencers have no Stripe account, so no transfer is sent
and what is measured is approval and settlement themselves.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date
from typing import Any

from report import emit
from sqlalchemy import event, insert, text

from codecut import db as database
from codecut.commissions.approval import approve
from codecut.devtools.scratch_db import scratch_postgres
from codecut.models import Influencer
from codecut.payouts.minimum import PayoutMinimum
from codecut.payouts.run import run

AS_OF = date(2026, 2, 1)
GROUP_BY = text(
    "SELECT influencer_id, currency, SUM(amount), COUNT(*) FROM codecut_ledger_entry "
    "WHERE status IN ('pending', 'approved') AND available_on <= :d "
    "GROUP BY influencer_id, currency"
)
COUNT = text(
    "SELECT count(*) FROM codecut_ledger_entry WHERE status = 'pending' AND available_on <= :d"
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
                " available_on, created_at, occurred_at)"
                " SELECT 1 + (i % :n),"
                "  CASE WHEN i % 10 = 0 THEN 'reversal' ELSE 'commission' END, 'pending',"
                "  CASE WHEN i % 7 = 0 THEN 'EUR' ELSE 'USD' END,"
                "  CASE WHEN i % 10 = 0 THEN -(100 + i % 1000) ELSE 100 + i % 2900 END,"
                "  DATE '2026-01-01', now(), now()"
                " FROM generate_series(1, :m) AS i"
            ),
            {"n": influencers, "m": entries},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


FLOOR_INSERT = text("INSERT INTO bench_floor SELECT entry_id, payout_id FROM codecut_settlement")
FLOOR_TABLES = {
    "key": "CREATE TABLE bench_floor (entry_id integer PRIMARY KEY, payout_id integer NOT NULL)",
    "heap": "CREATE TABLE bench_floor (entry_id integer NOT NULL, payout_id integer NOT NULL)",
}


def settlement_floor(engine) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Best of three inserts of the run's settlement rows into a bare logged table, with its
    unique key and without any index; each in a transaction rolled back afterwards."""
    best: dict[str, float] = {}
    for _ in range(3):
        for name, ddl in FLOOR_TABLES.items():
            with engine.connect() as connection:
                connection.execute(text(ddl))
                started = time.perf_counter()
                connection.execute(FLOOR_INSERT)
                seconds = time.perf_counter() - started
                connection.rollback()
            best[name] = min(seconds, best.get(name, seconds))
    return best["key"], best["heap"]


def settled_count(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT COUNT(*) FROM codecut_settlement")).scalar_one())


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

            def best(statement: Any) -> tuple[float, Any]:
                timings, rows = [], None
                for _ in range(3):
                    started = time.perf_counter()
                    with engine.connect() as connection:
                        rows = connection.execute(statement, {"d": AS_OF}).all()
                    timings.append(time.perf_counter() - started)
                return min(timings), rows

            counted, _ = best(COUNT)
            with database.transaction(engine) as session:
                started = time.perf_counter()
                approved = approve(session, AS_OF, actor="bench")
                approving = time.perf_counter() - started
            print(
                f"approve:      {approved:,} entries in {approving:.3f}s beside "
                f"count(*) {counted:.3f}s ({approving / counted:.2f}x)"
            )
            emit(
                f"approve {approved:,} entries",
                "PostgreSQL",
                approving,
                "s",
                "SELECT count(*)",
                counted,
                "<= 3x",
            )
            with database.transaction(engine) as session:  # back to unapproved for the run
                session.execute(text("DELETE FROM codecut_approval"))

            group_by, balances = best(GROUP_BY)
            minimum = PayoutMinimum.parse("50.00")
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
            reports = run(engine, as_of=AS_OF, minimum=minimum, actor="bench")
            ran = time.perf_counter() - started
            print(
                f"payout run:   {reports[0].payouts:,} payouts in {ran:.3f}s "
                f"({ran / group_by:.1f}x the GROUP BY)"
            )
            emit(
                f"payout run over {args.entries:,} entries",
                "PostgreSQL",
                ran,
                "s",
                "raw GROUP BY",
                group_by,
                "<= 3x",
            )
            for seconds, statement in sorted(statements, reverse=True)[:4]:
                print(f"  {seconds:.3f}s  {' '.join(statement.split())[:90]}")

            floor, heap = settlement_floor(engine)
            print(
                f"settlement floor: the same {settled_count(engine):,} rows under a unique key "
                f"alone {floor:.3f}s, with no index {heap:.3f}s (best of 3; the GROUP BY plus "
                f"the floor: {(group_by + floor) / group_by:.1f}x the GROUP BY)"
            )
            emit(
                "settlement floor: one row per settled entry, its unique key alone",
                "PostgreSQL",
                floor,
                "s",
                "raw GROUP BY",
                group_by,
                "measured",
            )

            with engine.connect() as connection:
                made = {
                    (i, c): a
                    for i, c, a in connection.execute(
                        text("SELECT influencer_id, currency, amount FROM codecut_payout")
                    )
                }
                settled = connection.execute(
                    text("SELECT COUNT(*) FROM codecut_settlement")
                ).scalar_one()
            assert made == expected, "the run's payouts differ from the GROUP BY's balances"
            print(f"check: payouts equal the GROUP BY balances; {settled:,} entries settled")
            print(
                json.dumps(
                    {
                        "approve_s": approving,
                        "count_s": counted,
                        "run_s": ran,
                        "group_by_s": group_by,
                        "floor_s": floor,
                        "heap_s": heap,
                    }
                )
            )
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
