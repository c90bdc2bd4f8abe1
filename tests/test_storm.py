"""The storm of ``benchmarks/storm.py`` at 1,000 orders, on PostgreSQL: two app nodes, duplicated
and shuffled deliveries, killed workers, a restarted node and cut connections; the ledger equals
the independently worked-out totals and a payout run killed midway pays everyone once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

STORM = Path(__file__).resolve().parent.parent / "benchmarks" / "storm.py"


@pytest.mark.postgres
def test_a_thousand_order_storm_holds() -> None:
    admin_url = os.environ.get("CODECUT_TEST_DATABASE_URL")
    if not admin_url:
        pytest.skip("the storm needs PostgreSQL: set CODECUT_TEST_DATABASE_URL")
    done = subprocess.run(
        [sys.executable, str(STORM), "--postgres", admin_url, "--orders", "1000"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 influencers differ" in done.stdout
    assert "0 paid twice, 0 paid a wrong amount" in done.stdout
    assert "STORM HELD" in done.stdout
