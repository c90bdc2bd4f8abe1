"""Kill a real ``codecut payouts run`` process mid-run; the next run finishes the job and no
money leaves twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from builders import DAY, STRIPE_KEY
from payout_support import engine_of, entries_of, entry, influencer, payouts_of
from sqlalchemy import select

from codecut.db import transaction
from codecut.models import PayoutBatch

CODECUT = str(Path(sys.executable).parent / "codecut")


@pytest.mark.parametrize(
    ("at", "after_create"), [(3, True), (1, False)], ids=["after-3rd-transfer", "before-1st"]
)
def test_killed_run_is_finished_by_the_next(
    papp,
    pcli,
    stripe_server,
    database_url,
    tmp_path,
    at,
    after_create,
) -> None:
    fake = stripe_server.fake
    fake.fund("usd", 1_000_000)
    with transaction(engine_of(papp)) as s:
        for i in range(5):
            person = influencer(s, f"p{i}@example.com", f"acct_p{i}")
            entry(s, person, 5000 + i * 100)
            entry(s, person, 1000)
    fake.pause_next(after_create=after_create, at=at)
    env = {
        **os.environ,
        "CODECUT_DATABASE_URL": database_url,
        "CODECUT_SECRET_KEY": "test-secret-key",
        "CODECUT_INSTANCE_PATH": str(tmp_path / "instance"),
        "CODECUT_STRIPE_API_KEY": STRIPE_KEY,
        "CODECUT_STRIPE_API_BASE": stripe_server.url,
        "CODECUT_STRIPE_MAX_NETWORK_RETRIES": "1",
    }
    process = subprocess.Popen(
        [CODECUT, "payouts", "run", "--as-of", DAY.isoformat()],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert fake.paused.wait(60), process.stderr.read() if process.poll() is not None else ""
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        process.stdout.close()
        process.stderr.close()
    fake.resume.set()
    assert fake.created == (at if after_create else at - 1)

    # The killed process left its batch running, some payouts sent, one in flight.
    with transaction(engine_of(papp)) as s:
        (batch,) = s.scalars(select(PayoutBatch))
        assert batch.status == "running" and str(process.pid) in (batch.owner or "")
    statuses = [p.status for p in payouts_of(papp)]
    assert statuses.count("processing") == 1 and len(statuses) == 5

    # Its owner is provably gone, so the next run takes the batch over at once and finishes.
    result = pcli("payouts", "run", "--as-of", DAY.isoformat())
    assert result.exit_code == 0, result.stderr
    assert "finished batch left by a stopped run 1" in result.stderr
    made = payouts_of(papp)
    assert [(p.batch_id, p.status) for p in made] == [(1, "paid")] * 5
    assert fake.created == 5
    # Each payout matches exactly one transfer, for its own amount.
    by_id = {t["id"]: t for t in fake.transfers}
    assert sorted(p.reference for p in made) == sorted(by_id)
    for payout in made:
        transfer = by_id[payout.reference]
        assert (transfer["amount"], transfer["metadata"]["payout_id"]) == (
            payout.amount,
            str(payout.id),
        )
    assert {(e.payout_id is not None, e.status) for e in entries_of(papp)} == {(True, "paid")}
    assert pcli("payouts", "verify", "1").exit_code == 0
