"""Signed Shopify deliveries of distinct orders through gunicorn (4 workers), beside two references.

For each database (SQLite file; PostgreSQL when ``--postgres URL`` is given, in a fresh database
created there and dropped afterwards) three receivers run in turn under the same gunicorn and the
same client load, each on a freshly started server:

* ``hmac``    -- a bare Flask endpoint that only checks the signature (benchmarks/ref_hmac_app.py);
* ``durable`` -- checks it and stores the raw body: INSERT + COMMIT (benchmarks/ref_durable_app.py);
* ``codecut`` -- the real ``POST /webhooks/shopify``: verify, store raw, attribute, book.

The servers run side by side and take turns: ``--rounds`` bursts each, in the order reference,
codecut, codecut, reference, ... (hmac and, on SQLite, the ``synchronous=NORMAL`` receiver take
their turns too), so load from anything else on the machine falls on all of them alike. Each
figure is the server's requests over its time summed over its rounds; p50 and p99 are taken over
all its requests; the spread of the per-round ratios is printed too.

Every delivery is a distinct ``orders/paid`` order, by a distinct buyer, that uses an influencer's
code, so Codecut runs its full booking path. Client threads on loopback; deliveries/second, p50/p99
latency, and the CPU a delivery costs in the receiver's processes, PostgreSQL's and the client's
(``cpu.py``).

.venv/bin/python benchmarks/bench_webhooks.py [--requests 2000] [--rounds 6] [--clients 4]
    [--postgres URL]
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import http.client
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]

import cpu  # noqa: E402
from ref_durable_app import create_table  # noqa: E402
from report import Round, combined, emit, round_ratios  # noqa: E402
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
        # A distinct buyer each, as in a campaign's traffic: one customer's thousands of orders
        # with one code would each be held as a repeat buyer after counting all the others.
        buyer = f"buyer{order_id}@example.com"
        payload.update(email=buyer, contact_email=buyer)
        payload["customer"].update(id=1_000_000_000 + order_id, email=buyer)
        body = dumps(payload)
        signed.append((body, shopify_headers(body, SECRET, "orders/paid", SHOP)))
    return signed


def load(base_url: str, items: list[tuple[bytes, dict[str, str]]], clients: int) -> Round:
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
    address = parts.netloc
    before = (cpu.serving(address), cpu.postgres(), cpu.this_process())
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    after = (cpu.serving(address), cpu.postgres(), cpu.this_process())
    return {
        "count": len(items),
        "wall": wall,
        "latencies": latencies,
        "errors": len(failures),
        "cpu": {part: after[i] - before[i] for i, part in enumerate(CPU_PARTS)},
    }


#: Where a delivery's CPU goes: the receiver's gunicorn processes, PostgreSQL's server processes
#: (nothing on SQLite: its work is in the receiver's), the benchmark's client threads.
CPU_PARTS = ("app", "database", "client")


def cpu_per_delivery(rounds: list[Round]) -> dict[str, float]:
    """Milliseconds of CPU a delivery cost in each part, over all of a receiver's rounds."""
    count = sum(r["count"] for r in rounds)
    return {part: 1000 * sum(r["cpu"][part] for r in rounds) / count for part in CPU_PARTS}


def bench(label: str, url: str, requests_: int, clients: int, warmup: int, rounds: int) -> None:
    prepare(url)
    targets = TARGETS + (SQLITE_ONLY if url.startswith("sqlite") else [])
    next_id = 1
    runs: dict[str, list[Round]] = {name: [] for name, _, _ in targets}
    per_round = max(clients, requests_ // rounds)
    with contextlib.ExitStack() as servers:
        bases = {
            name: servers.enter_context(
                gunicorn(url, app=app, workers=4, env={"BENCH_WEBHOOK_SECRET": SECRET, **env})
            )
            for name, app, env in targets
        }
        for name in bases:
            load(bases[name], deliveries(warmup, next_id), clients)
            next_id += warmup
        names = list(bases)
        for turn in range(rounds):
            for name in names if turn % 2 == 0 else reversed(names):
                runs[name].append(load(bases[name], deliveries(per_round, next_id), clients))
                next_id += per_round
    results = {name: combined(rounds_) for name, rounds_ in runs.items()}
    engine = db.create_db_engine(url)
    with Session(engine) as session:
        booked = session.scalar(select(func.count()).select_from(LedgerEntry))
    engine.dispose()
    each = round_ratios(runs["codecut"], runs["durable"])
    print(
        f"\n{label}: {per_round * rounds} signed orders/paid deliveries each, in {rounds} "
        f"alternating rounds, {clients} client threads, 4 workers"
    )
    print(f"{'receiver':<10}{'deliveries/s':>14}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for name, result in results.items():
        print(
            f"{name:<10}{result['rps']:>14.0f}{result['p50']:>10.1f}{result['p99']:>10.1f}"
            f"{result['errors']:>8}"
        )
    cpus = {name: cpu_per_delivery(rounds_) for name, rounds_ in runs.items()}
    print(f"\nCPU a delivery cost, ms: {'  '.join(f'{part:>9}' for part in CPU_PARTS)}      total")
    for name, parts in cpus.items():
        figures = "  ".join(f"{parts[part]:>9.2f}" for part in CPU_PARTS)
        print(f"{name:<24}{figures}  {sum(parts.values()):>9.2f}")
    durable, codecut = results["durable"], results["codecut"]
    print(
        f"codecut / durable: throughput {codecut['rps'] / durable['rps']:.2f}x (aim >= 0.7x; "
        f"rounds {each[0]:.2f}x to {each[-1]:.2f}x), "
        f"p99 {codecut['p99'] / durable['p99']:.2f}x (aim <= 2x); "
        f"commissions booked: {booked} of {warmup + sum(r['count'] for r in runs['codecut'])}"
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
    if label == "PostgreSQL":
        # With every core busy, throughput goes as the CPU a delivery costs in all processes.
        # Were Codecut's app as cheap as the durable receiver's, the database's work alone would
        # still leave it this fraction of the durable receiver's throughput.
        ours, theirs = cpus["codecut"], cpus["durable"]
        ceiling = sum(theirs.values()) / (
            sum(theirs.values()) - theirs["database"] + ours["database"]
        )
        print(
            f"PostgreSQL's own CPU a delivery: codecut {ours['database']:.2f} ms, durable "
            f"{theirs['database']:.2f} ms; with the durable receiver's app and client costs, "
            f"Codecut's database work alone would allow at most {ceiling:.2f}x"
        )
        emit(
            "webhooks: the database server's CPU a delivery",
            label,
            ours["database"],
            "ms",
            "durable receiver",
            theirs["database"],
            "measured",
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
    parser.add_argument("--rounds", type=int, default=6, help="alternating bursts per server")
    parser.add_argument("--postgres", default=os.environ.get("CODECUT_TEST_DATABASE_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="codecut-bench-") as workdir:
        bench(
            "SQLite",
            f"sqlite:///{workdir}/bench.sqlite3",
            args.requests,
            args.clients,
            args.warmup,
            args.rounds,
        )
    if args.postgres:
        with scratch_postgres(args.postgres) as url:
            bench("PostgreSQL", url, args.requests, args.clients, args.warmup, args.rounds)


if __name__ == "__main__":
    main()
