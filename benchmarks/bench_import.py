"""Import 10,000 influencers through the real CLI command and report the time and distinct codes.

.venv/bin/python benchmarks/bench_import.py [--rows 10000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time

from report import emit

from codecut.devtools.scratch_db import scratch_postgres

CODECUT = os.path.join(os.path.dirname(sys.executable), "codecut")


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CODECUT, *args], env=env, check=True, capture_output=True, text=True)


def bench(label: str, database_url: str, rows: int, workdir: str) -> None:
    env = {**os.environ, "CODECUT_DATABASE_URL": database_url, "CODECUT_INSTANCE_PATH": workdir}
    run(env, "db", "upgrade")
    run(
        env,
        "store",
        "add",
        "--platform",
        "shopify",
        "--domain",
        "bench.myshopify.com",
        "--secret",
        "s",
        "--currency",
        "USD",
    )
    run(
        env,
        "campaign",
        "add",
        "--store",
        "bench.myshopify.com",
        "--name",
        "Bench",
        "--slug",
        "bench",
    )
    path = os.path.join(workdir, "influencers.csv")
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "name", "handle", "followers", "commission", "code"])
        for i in range(rows):
            writer.writerow([f"creator{i}@example.com", f"Creator Number {i}", f"c{i}", i, "", ""])
    started = time.perf_counter()
    run(env, "campaign", "list")
    startup = time.perf_counter() - started
    started = time.perf_counter()
    run(env, "influencer", "import", path, "--campaign", "bench")
    seconds = time.perf_counter() - started
    codes = run(env, "code", "list", "--campaign", "bench").stdout.split("\n")
    distinct = len({line.split("\t")[0] for line in codes if line})
    print(
        f"{label:<11} {rows} influencers imported in {seconds:.2f} s "
        f"(whole command, incl. start-up); {distinct} distinct codes"
    )
    emit(
        f"import {rows:,} influencers (whole command)",
        label,
        seconds,
        "s",
        "the same command's start-up (campaign list)",
        startup,
        "measured",
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--postgres", default=os.environ.get("CODECUT_TEST_DATABASE_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        bench("SQLite", f"sqlite:///{workdir}/bench.sqlite3", args.rows, workdir)
    if args.postgres:
        with scratch_postgres(args.postgres) as url, tempfile.TemporaryDirectory() as workdir:
            bench("PostgreSQL", url, args.rows, workdir)


if __name__ == "__main__":
    main()
