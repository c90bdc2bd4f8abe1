"""Counted share-link redirects through gunicorn (4 workers), beside the least a counted redirect
does, in the same run.

* ``reference``: a bare Flask ``GET /r/<code>`` that INSERTs one row per request on a pooled
  connection with Codecut's engine set-up, on the driver's cursor as Codecut's redirect does,
  then redirects (benchmarks/ref_click_app.py); the aim is measured against it;
* ``sqlalchemy``: the same through SQLAlchemy's ``execute`` (the reference before Codecut's
  redirect moved to the driver's cursor), for comparison;
* ``codecut``: the real ``GET /r/<code>``: normalise the code, look it up with its store and
  influencer, check it earns, filter bots and prefetches, hash the visitor, append the click,
  commit, redirect.

Every request comes from a browser user agent, so every one is counted. SQLite file and, with
``--postgres URL``, a fresh PostgreSQL database.

The servers run side by side and take turns: ``--rounds`` bursts each, in the order reference,
sqlalchemy, codecut, codecut, sqlalchemy, reference, ... so that whatever else the machine is
doing (a test suite, another benchmark) falls on all alike instead of on whichever happened to
run second. Each figure is
requests over time summed over its rounds; the spread of the per-round ratios is printed too.

    .venv/bin/python benchmarks/bench_redirect.py [--requests 3000] [--rounds 6] [--clients 4]
        [--postgres URL]
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]

from ref_click_app import create_table  # noqa: E402
from report import Round, combined, emit, round_ratios  # noqa: E402
from servers import gunicorn  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from codecut import db  # noqa: E402
from codecut.devtools.scratch_db import scratch_postgres  # noqa: E402
from codecut.models import Click  # noqa: E402
from codecut.programme import campaigns, codes, influencers, stores  # noqa: E402

AGENT = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile"
TARGETS = [
    ("reference", "ref_click_app:create_app()", {}),
    ("sqlalchemy", "ref_click_app:create_app()", {"BENCH_REF_SQLALCHEMY": "1"}),
    ("codecut", "codecut.app:create_app()", {}),
]


def prepare(url: str) -> None:
    engine = db.create_db_engine(url)
    db.upgrade(engine)
    with db.transaction(engine) as session:
        stores.add_store(
            session, platform="shopify", domain="bench.myshopify.com", secret="s", currency="USD"
        )
        campaigns.add_campaign(session, store_domain="bench.myshopify.com", name="B", slug="b")
        influencers.add_influencer(session, email="anna@example.com", name="Anna Berg")
        codes.issue_code(
            session, influencer_email="anna@example.com", campaign_slug="b", code="ANNA15"
        )
    create_table(engine)
    engine.dispose()


def load(base_url: str, requests_: int, clients: int) -> Round:
    parts = urlsplit(base_url)
    latencies: list[float] = []
    bad: list[int] = []
    lock = threading.Lock()

    def worker(count: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine = []
        for _ in range(count):
            started = time.perf_counter()
            connection.request("GET", "/r/ANNA15", headers={"User-Agent": AGENT})
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            if response.status != 302:
                bad.append(response.status)
        with lock:
            latencies.extend(mine)

    threads = [
        threading.Thread(target=worker, args=(requests_ // clients,)) for _ in range(clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {"count": len(latencies), "wall": wall, "latencies": latencies, "errors": len(bad)}


def bench(label: str, url: str, requests_: int, clients: int, rounds: int) -> None:
    prepare(url)
    names = [name for name, _app, _env in TARGETS]
    runs: dict[str, list[Round]] = {name: [] for name in names}
    with ExitStack() as stack:
        bases = {
            name: stack.enter_context(gunicorn(url, app=app, workers=4, env=env))
            for name, app, env in TARGETS
        }
        for name in names:
            load(bases[name], 200, clients)  # warm-up
        per_round = max(clients, requests_ // rounds)
        for turn in range(rounds):
            for name in names if turn % 2 == 0 else names[::-1]:
                runs[name].append(load(bases[name], per_round, clients))
    engine = db.create_db_engine(url)
    with engine.connect() as connection:
        counted = connection.execute(select(func.count()).select_from(Click)).scalar_one()
    engine.dispose()
    results = {name: combined(runs[name]) for name in names}
    print(
        f"\n{label}: {requests_} share-link clicks each, in {rounds} alternating rounds, "
        f"{clients} client threads, 4 workers"
    )
    print(f"{'server':<10}{'redirects/s':>13}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for name, r in results.items():
        print(f"{name:<10}{r['rps']:>13.0f}{r['p50']:>10.1f}{r['p99']:>10.1f}{r['errors']:>8.0f}")
    references = (
        ("reference", "INSERT-and-redirect on the driver's cursor", ">= 0.8x"),
        ("sqlalchemy", "INSERT-and-redirect through SQLAlchemy's execute", "measured"),
    )
    for reference, described, aim in references:
        ratio = results["codecut"]["rps"] / results[reference]["rps"]
        each = round_ratios(runs["codecut"], runs[reference])
        print(
            f"codecut / {reference}: {ratio:.2f}x ({aim}; rounds {each[0]:.2f}x to "
            f"{each[-1]:.2f}x, median {statistics.median(each):.2f}x)"
        )
        emit(
            "share-link redirects, each click counted (gunicorn 4 workers)",
            label,
            results["codecut"]["rps"],
            "redirects/s",
            described,
            results[reference]["rps"],
            aim,
            higher_is_better=True,
        )
    print(f"clicks counted: {counted}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=6, help="alternating bursts per server")
    parser.add_argument("--postgres", default=os.environ.get("CODECUT_TEST_DATABASE_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="codecut-bench-") as workdir:
        bench(
            "SQLite", f"sqlite:///{workdir}/bench.sqlite3", args.requests, args.clients, args.rounds
        )
    if args.postgres:
        with scratch_postgres(args.postgres) as url:
            bench("PostgreSQL", url, args.requests, args.clients, args.rounds)


if __name__ == "__main__":
    main()
