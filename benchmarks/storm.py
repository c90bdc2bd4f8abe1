"""A storm with crashes: two app nodes on one PostgreSQL, duplicated and shuffled deliveries, killed
workers, a restarted node, cut database connections; then the ledger is checked against totals
worked out independently, and a payout run killed midway is rerun and pays everyone once.

    .venv/bin/python benchmarks/storm.py [--postgres URL] [--orders 10000] [--influencers 500]

* two gunicorn masters with 4 workers each, on two ports, sharing a fresh database on ``URL``;
* ``--orders`` Shopify orders (one line, 10.00-300.00, each using one of the influencers' codes),
  30% refunded (partly or fully), 5% cancelled; every delivery sent 1-3 times, all shuffled (so
  refunds often come before their orders) and sent by 16 senders that retry like Shopify on any
  non-2xx answer or timeout, to either node;
* during the run: one worker of each node SIGKILLed, one node's master stopped and started again,
  every database connection cut with ``pg_terminate_backend``;
* afterwards: each influencer's ledger equals the figure computed here from the generated orders
  (10% half-up; a refund takes back the commission times refunded/base, half-up; a cancellation
  all of it), no delivery failed or still waiting, ``codecut verify`` passes; then ``codecut
  payouts run`` against the Stripe stand-in is SIGKILLed while a transfer is in flight and run
  again, and every influencer owed money has exactly one transfer of exactly that amount.

Exit status 0 when everything held. ``tests/test_storm.py`` runs a 1,000-order storm in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests")]

from servers import free_port  # noqa: E402
from storefront_payloads import dumps, shopify_headers  # noqa: E402

from codecut import db as database  # noqa: E402
from codecut.devtools.fake_stripe import StripeServer  # noqa: E402
from codecut.devtools.scratch_db import scratch_postgres  # noqa: E402
from codecut.models import Campaign, Code, Influencer, Store  # noqa: E402

BIN = Path(sys.executable).parent
SHOP = "storm.myshopify.com"
SECRET = "storm-webhook-secret"
WORKERS = 4
SENDERS = 16


def half_up(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


@dataclass
class Plan:
    """The generated orders and what each influencer must end up with, worked out here."""

    deliveries: list[tuple[str, bytes]] = field(default_factory=list)  # (topic, body)
    expected: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # influencer -> net
    refunds: int = 0
    cancellations: int = 0


def make_plan(orders: int, influencers: int, rng: random.Random) -> Plan:
    plan = Plan()
    placed = "2026-11-20T10:00:00+00:00"
    for number in range(1, orders + 1):
        who = number % influencers + 1
        base = rng.randint(1000, 30000)  # 10.00 to 300.00
        commission = half_up(Decimal(base) * 10 / 100)
        price = f"{base // 100}.{base % 100:02d}"
        order = {
            "id": number,
            "name": f"#{1000 + number}",
            "currency": "USD",
            "financial_status": "paid",
            "created_at": placed,
            "updated_at": placed,
            "test": False,
            "email": f"buyer{number}@example.com",
            "total_price": price,
            "line_items": [
                {"id": number * 10, "price": price, "quantity": 1, "discount_allocations": []}
            ],
            "discount_codes": [{"code": f"STORM{who}", "amount": "0.00", "type": "fixed_amount"}],
            "cancelled_at": None,
        }
        plan.deliveries.append(("orders/paid", dumps(order)))
        roll = rng.random()
        if roll < 0.05:  # cancelled: whatever arrives first, nothing is earned in the end
            plan.cancellations += 1
            cancelled = {
                **order,
                "financial_status": "voided",
                "cancelled_at": "2026-11-21T09:00:00+00:00",
                "updated_at": "2026-11-21T09:00:00+00:00",
            }
            plan.deliveries.append(("orders/cancelled", dumps(cancelled)))
            continue
        net = commission
        if roll < 0.35:  # refunded, partly (2 in 3) or fully
            plan.refunds += 1
            goods = base if rng.random() < 1 / 3 else rng.randint(1, base - 1)
            net -= half_up(Decimal(commission) * goods / base)
            refund = {
                "id": 500_000 + number,
                "order_id": number,
                "created_at": "2026-11-22T12:00:00+00:00",
                "refund_line_items": [
                    {
                        "line_item_id": number * 10,
                        "quantity": 1,
                        "subtotal": f"{goods // 100}.{goods % 100:02d}",
                    }
                ],
                "transactions": [],
            }
            plan.deliveries.append(("refunds/create", dumps(refund)))
        plan.expected[who] += net
    return plan


# -- the two nodes -------------------------------------------------------------------------------


class Node:
    """One gunicorn master with its workers, on its own port."""

    def __init__(self, name: str, url: str, workdir: Path) -> None:
        self.name, self.url, self.workdir = name, url, workdir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            **os.environ,
            "CODECUT_DATABASE_URL": self.url,
            "CODECUT_SECRET_KEY": "storm",
            "CODECUT_MAIL_SERVER": "127.0.0.1",
            "CODECUT_INSTANCE_PATH": str(self.workdir),
        }
        log = open(self.workdir / f"{self.name}.log", "ab")  # noqa: SIM115 (kept by the child)
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--workers",
                str(WORKERS),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "30",
                "--log-level",
                "warning",
                "codecut.app:create_app()",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"node {self.name} did not start")

    def workers(self) -> list[int]:
        assert self.process is not None
        found = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                fields = dict(
                    line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
                )
            except OSError:
                continue
            if int(fields.get("PPid", "0")) == self.process.pid:
                found.append(int(status.parent.name))
        return found

    def kill_a_worker(self) -> int:
        pid = random.choice(self.workers())
        os.kill(pid, signal.SIGKILL)
        return pid

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# -- the senders ---------------------------------------------------------------------------------


@dataclass
class Tally:
    sent: int = 0
    retried: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def sender(work: queue.Queue[tuple[str, bytes, str]], nodes: list[Node], tally: Tally) -> None:
    """Send until the queue is empty, retrying each delivery like Shopify until a 2xx."""
    session = requests.Session()
    while True:
        try:
            topic, body, webhook_id = work.get_nowait()
        except queue.Empty:
            return
        headers = shopify_headers(body, SECRET, topic, SHOP, webhook_id=webhook_id)
        for attempt in range(60):
            node = random.choice(nodes)
            try:
                answer = session.post(
                    node.base + "/webhooks/shopify", data=body, headers=headers, timeout=10
                )
                outcome = str(answer.status_code)
                if answer.status_code == 200:
                    outcome = answer.json()["status"]
            except requests.RequestException as error:
                outcome = type(error).__name__
            with tally.lock:
                tally.sent += 1
                tally.statuses[outcome] += 1
                if attempt:
                    tally.retried += 1
            if not outcome.isdigit() and outcome[0].islower():  # a 2xx outcome
                break
            time.sleep(min(0.05 * (attempt + 1), 1.0))
        else:
            raise RuntimeError(f"a {topic} delivery was never acknowledged")


def seed(url: str, influencers: int) -> None:
    engine = database.create_db_engine(url)
    database.upgrade(engine)
    with database.transaction(engine) as session:
        store = Store(platform="shopify", domain=SHOP, webhook_secret=SECRET, currency="USD")
        session.add(store)
        session.flush()
        campaign = Campaign(
            store_id=store.id, name="Storm", slug="storm", commission_rate_bps=1000, hold_days=0
        )
        session.add(campaign)
        session.flush()
        for n in range(1, influencers + 1):
            person = Influencer(
                email=f"creator{n}@example.com", name=f"Creator {n}", stripe_account_id=f"acct_s{n}"
            )
            session.add(person)
            session.flush()
            session.add(
                Code(
                    code=f"STORM{n}",
                    store_id=store.id,
                    campaign_id=campaign.id,
                    influencer_id=person.id,
                )
            )
    engine.dispose()


def cut_connections(url: str) -> int:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        cut = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    engine.dispose()
    return int(cut)


def codecut(url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(BIN / "codecut"), *args],
        env={**os.environ, "CODECUT_DATABASE_URL": url, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def storm(url: str, orders: int, influencers: int, seed_value: int) -> bool:
    rng = random.Random(seed_value)
    plan = make_plan(orders, influencers, rng)
    seed(url, influencers)
    copies = []
    for topic, body in plan.deliveries:
        webhook_id = f"wh-{rng.getrandbits(64):x}"
        copies += [(topic, body, webhook_id)] * rng.randint(1, 3)
    rng.shuffle(copies)
    work: queue.Queue[tuple[str, bytes, str]] = queue.Queue()
    for item in copies:
        work.put(item)
    print(
        f"generated {orders} orders for {influencers} influencers: {plan.refunds} refunds, "
        f"{plan.cancellations} cancellations; {len(plan.deliveries)} deliveries sent "
        f"{len(copies)} times in all ({len(copies) - len(plan.deliveries)} duplicates), shuffled"
    )

    import tempfile

    chaos: list[str] = []
    with tempfile.TemporaryDirectory(prefix="codecut-storm-") as folder:
        nodes = [Node(name, url, Path(folder)) for name in ("a", "b")]
        for node in nodes:
            node.start()
        tally = Tally()
        threads = [
            threading.Thread(target=sender, args=(work, nodes, tally)) for _ in range(SENDERS)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        total = len(copies)

        def when(fraction: float) -> None:
            while work.qsize() > total * (1 - fraction) and any(t.is_alive() for t in threads):
                time.sleep(0.05)

        when(0.2)
        for node in nodes:
            chaos.append(f"SIGKILL worker {node.kill_a_worker()} of node {node.name}")
        when(0.4)
        nodes[1].stop()
        chaos.append("stopped node b's master")
        time.sleep(1.0)
        nodes[1].start()
        chaos.append("started node b again")
        when(0.6)
        chaos.append(f"cut {cut_connections(url)} database connections (pg_terminate_backend)")
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        for node in nodes:
            node.stop()
    print(
        f"sent {tally.sent} requests in {seconds:.1f} s ({tally.retried} retries): "
        + ", ".join(f"{n} {s}" for s, n in tally.statuses.most_common())
    )
    for event in chaos:
        print(f"  chaos: {event}")

    ok = True
    engine = create_engine(url)
    with engine.connect() as connection:
        booked = dict(
            connection.execute(
                text(
                    "SELECT influencer_id, SUM(amount) FROM codecut_ledger_entry "
                    "GROUP BY influencer_id"
                )
            ).all()
        )
        stuck = dict(
            connection.execute(
                text(
                    "SELECT status, count(*) FROM codecut_webhook_event "
                    "WHERE status IN ('failed', 'waiting') GROUP BY status"
                )
            ).all()
        )
    engine.dispose()
    wrong = {
        who: (int(booked.get(who, 0)), plan.expected.get(who, 0))
        for who in range(1, influencers + 1)
        if int(booked.get(who, 0)) != plan.expected.get(who, 0)
    }
    total_expected = sum(plan.expected.values())
    print(
        f"ledger: {sum(int(v) for v in booked.values())} minor units booked net, "
        f"{total_expected} worked out independently; {len(wrong)} influencers differ"
    )
    if wrong or stuck:
        ok = False
        print(f"  MISMATCH: {dict(list(wrong.items())[:10])}; stuck events: {stuck}")
    verified = codecut(url, "verify")
    _out, err = verified.communicate(timeout=120)
    print(f"codecut verify: exit {verified.returncode}: {err.strip().splitlines()[-1]}")
    ok = ok and verified.returncode == 0
    return pay_twice_killed(url, plan, influencers) and ok


def pay_twice_killed(url: str, plan: Plan, influencers: int) -> bool:
    """A payout run SIGKILLed while a transfer is in flight, then run again: one transfer each."""
    owed = {who: amount for who, amount in plan.expected.items() if amount > 0}
    with StripeServer() as stripe:
        stripe.fake.fund("usd", 10**12)
        stripe.fake.pause_next(at=max(1, len(owed) // 2))
        env = {
            "CODECUT_STRIPE_API_KEY": "sk_test_storm",
            "CODECUT_STRIPE_API_BASE": stripe.url,
            "CODECUT_PAYOUT_MINIMUM": "0.01",
        }
        first = codecut(url, "payouts", "run", env=env)
        if not stripe.fake.paused.wait(timeout=300):
            print("the payout run never reached the paused transfer")
            first.kill()
            return False
        first.send_signal(signal.SIGKILL)
        first.wait()
        stripe.fake.resume.set()
        made_before = stripe.fake.created
        second = codecut(url, "payouts", "run", env=env)
        _out, err = second.communicate(timeout=600)
        transfers = list(stripe.fake.transfers)
    per_account = Counter(t["destination"] for t in transfers)
    paid = {int(t["destination"].removeprefix("acct_s")): t["amount"] for t in transfers}
    twice = [account for account, n in per_account.items() if n > 1]
    wrong = {
        who: (paid.get(who), amount) for who, amount in owed.items() if paid.get(who) != amount
    }
    print(
        f"payouts: run SIGKILLed after {made_before} transfers (one in flight), rerun exit "
        f"{second.returncode}; {len(transfers)} transfers for {len(owed)} influencers owed money; "
        f"{len(twice)} paid twice, {len(wrong)} paid a wrong amount"
    )
    if second.returncode != 0:
        print(err[-2000:])
    return second.returncode == 0 and not twice and not wrong


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "CODECUT_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--influencers", type=int, default=500)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    with scratch_postgres(args.postgres, prefix="codecut_storm") as url:
        ok = storm(url, args.orders, args.influencers, args.seed)
    print("STORM HELD" if ok else "STORM FAILED")
    print(json.dumps({"ok": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
