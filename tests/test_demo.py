"""``codecut demo`` as a new user runs it: a real process, a fresh folder, SQLite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CODECUT = str(Path(sys.executable).with_name("codecut"))


def run_demo(folder: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODECUT_")}
    return subprocess.run(
        [CODECUT, "demo", "--no-serve", "--port", "0"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_demo_shows_every_capability_and_can_run_again(tmp_path: Path) -> None:
    first = run_demo(tmp_path)
    assert first.returncode == 0, first.stderr
    out = first.stderr
    assert "Traceback" not in out
    assert "Sent 42 signed Shopify deliveries" in out
    assert "HTTP 200 processed" in out
    # Six rounds of 45-day-old orders: each influencer earns 18.00 + 10.00 + 0.00 twice = 56.00.
    assert "anna@example.com        56.00 USD  stripe  paid" in out
    assert "ben@example.com         56.00 USD  manual  pending" in out
    assert "/portal/login/" in out and "/r/ANNA15" in out
    assert "Followed share links 22 times" in out and "1 time as a search crawler" in out
    assert "Campaign spring-launch so far: 22 clicks (17 unique), 21 orders" in out
    assert (tmp_path / "instance" / "codecut.sqlite3").exists()

    # Outgoing webhooks: what was booked, heard by a local receiver that checks signatures.
    assert "23 commission.created, 14 commission.reversed" in out
    # Store sync: codes pushed to the Shopify stand-in, and the lost order found by reconcile.
    assert "Store sync: 3 codes are in the local Shopify stand-in" in out
    assert "reconcile found it: order #9400000: commission booked" in out
    assert "2 payout.paid, 1 review.flagged" in out
    # Connect: the transfers reconcile, and Ben (paid by hand) gets a payout set-up link.
    assert "reconciled with the stand-in's transfers: all match" in out
    assert "/portal/payouts/start/" in out
    # The brand console, signed in as the demo's admin.
    assert "Brand console (admin admin@brand.example" in out and "/console/login/" in out

    again = run_demo(tmp_path)
    assert again.returncode == 0, again.stderr
    assert "Nothing new to pay" in again.stderr
    assert "all match" in again.stderr and "Traceback" not in again.stderr
    assert "Store sync: 3 codes" in again.stderr

    listed = subprocess.run(
        [CODECUT, "payouts", "list", "--json"], cwd=tmp_path, capture_output=True, text=True
    )
    assert listed.returncode == 0
    assert listed.stdout.count('"influencer_email"') == 3

    # The leak-review step: one order from a coupon site, held (once, though the demo ran twice).
    assert "Leak review: order #9300000" in out and "(HTTP 200)" in out
    held = subprocess.run(
        [CODECUT, "review", "list", "--json"], cwd=tmp_path, capture_output=True, text=True
    )
    assert held.returncode == 0, held.stderr
    assert '"rules": [\n      "coupon_site"\n    ]' in held.stdout
    assert held.stdout.count('"entry_id"') == 1 and '"amount": "6.00"' in held.stdout


def test_every_url_the_demo_prints_opens_as_printed(tmp_path: Path) -> None:
    import re

    import requests
    from servers import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODECUT_")}
    process = subprocess.Popen(
        [CODECUT, "demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stderr is not None
        lines: list[str] = []
        while not any("Serving on" in line for line in lines):
            line = process.stderr.readline()
            assert line, "".join(lines)
            lines.append(line)
        urls = {
            url.rstrip(".,)'")
            for url in re.findall(r"https?://\S+", "".join(lines))
            if "/webhooks/" not in url  # a POST endpoint, named as where deliveries went
        }
        assert len(urls) >= 6
        for url in sorted(urls):
            response = requests.get(url, allow_redirects=False, timeout=10)
            assert response.status_code in (200, 302, 401), (url, response.status_code)
    finally:
        process.terminate()
        process.wait(timeout=15)
