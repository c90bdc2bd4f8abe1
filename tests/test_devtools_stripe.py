"""``codecut devtools stripe``: the Stripe stand-in served on its own, its events forwarded signed
to a running Codecut, which books a reversal from them as it would from Stripe."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests
from builders import DAY, cli_for, make_app
from payout_support import engine_of, entries_of, entry, influencer
from servers import free_port, gunicorn

from codecut import db as database
from codecut.db import transaction
from codecut.devtools.fake_stripe import StripeServer

CODECUT = str(Path(sys.executable).with_name("codecut"))


def test_the_command_prints_the_settings_and_serves(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [CODECUT, "devtools", "stripe", "--port", str(port), "--fund", "USD=50.00"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "CODECUT_INSTANCE_PATH": str(tmp_path)},
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _ in range(4)]
        exports = dict(line.removeprefix("export ").split("=", 1) for line in lines[1:])
        assert exports["CODECUT_STRIPE_API_BASE"] == f"http://127.0.0.1:{port}"
        assert exports["CODECUT_STRIPE_WEBHOOK_SECRET"].startswith("whsec_")
        key = exports["CODECUT_STRIPE_API_KEY"]
        made = requests.post(
            f"http://127.0.0.1:{port}/v1/transfers",
            data={"amount": 6000, "currency": "usd", "destination": "acct_x"},
            auth=(key, ""),
            timeout=5,
        )
        assert made.status_code == 400 and made.json()["error"]["code"] == "balance_insufficient"
    finally:
        process.terminate()
        process.wait(timeout=10)
    bad = subprocess.run(
        [CODECUT, "devtools", "stripe", "--fund", "USD=abc"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "USD=abc" in bad.stderr and "Traceback" not in bad.stderr


def test_a_reversal_at_the_stand_in_is_forwarded_and_booked_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'codecut.sqlite3'}"
    database.upgrade(database.create_db_engine(url))
    secret = "whsec_forwarded"
    with StripeServer(webhook_secret=secret) as stripe_server:
        stripe_server.fake.fund("usd", 100_000)
        app = make_app(
            url, tmp_path, stripe_url=stripe_server.url, CODECUT_STRIPE_WEBHOOK_SECRET=secret
        )
        with transaction(engine_of(app)) as session:
            entry(session, influencer(session, "anna@example.com", "acct_anna"), 6000)
        assert cli_for(app)("payouts", "run", "--as-of", DAY.isoformat()).exit_code == 0
        (transfer,) = stripe_server.fake.transfers
        env = {"CODECUT_STRIPE_WEBHOOK_SECRET": secret}
        with gunicorn(url, workers=2, env=env) as base_url:
            stripe_server.fake.forward_to = f"{base_url}/webhooks/stripe"
            reversal = requests.post(
                f"{stripe_server.url}/v1/transfers/{transfer['id']}/reversals",
                data={"amount": 2000},
                headers={"Authorization": "Bearer sk_test_codecut"},
                timeout=10,
            )
            assert reversal.status_code == 200 and reversal.json()["amount"] == 2000
            deadline = time.monotonic() + 10
            while not stripe_server.fake.forwarded and time.monotonic() < deadline:
                time.sleep(0.05)
            assert [status for _id, status in stripe_server.fake.forwarded] == [200]
        owed = [(e.kind, e.amount) for e in entries_of(app) if e.kind == "adjustment"]
        assert owed == [("adjustment", 2000)]  # 20.00 owed to Anna again
