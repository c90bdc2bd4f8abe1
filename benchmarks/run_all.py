"""Run every benchmark and print one table: each figure beside its reference from the same run.

    .venv/bin/python benchmarks/run_all.py [--quick] [--postgres URL] [--only NAME ...]

``--quick`` runs each benchmark at a small size (a smoke test of the whole suite in a few
minutes); without it, the sizes the README's performance section reports. Each script runs in its
own process; the figures come from the ``BENCH`` lines it prints (``benchmarks/report.py``). The
table is Markdown, so it can be pasted into the README as it is.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from report import PREFIX

HERE = Path(__file__).resolve().parent

#: (script, full-size arguments, quick arguments); ``--postgres URL`` is added to each.
SUITE: list[tuple[str, list[str], list[str]]] = [
    ("bench_webhooks.py", ["--requests", "2000"], ["--requests", "300", "--warmup", "30"]),
    ("bench_redirect.py", ["--requests", "3000"], ["--requests", "400"]),
    ("bench_payouts.py", ["--entries", "1000000"], ["--entries", "50000", "--influencers", "1000"]),
    ("bench_export.py", ["--rows", "1000000"], ["--rows", "50000"]),
    ("bench_portal.py", ["--orders", "50000"], ["--orders", "5000", "--requests", "50"]),
    (
        "bench_console.py",
        ["--requests", "20"],
        ["--influencers", "1000", "--orders", "50000", "--clicks", "200000", "--requests", "5"],
    ),
    ("bench_import.py", ["--rows", "10000"], ["--rows", "1000"]),
    (
        "bench_store_sync.py",
        ["--codes", "10000", "--orders", "10000"],
        ["--codes", "600", "--orders", "300"],
    ),
]


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "CODECUT_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--only", nargs="*", help="run only these scripts (e.g. bench_webhooks)")
    args = parser.parse_args()
    lines: list[dict[str, object]] = []
    failed: list[str] = []
    for script, full, quick in SUITE:
        if args.only and Path(script).stem not in args.only and script not in args.only:
            continue
        command = [sys.executable, str(HERE / script), *(quick if args.quick else full)]
        command += ["--postgres", args.postgres]
        started = time.perf_counter()
        print(f"running {script} ...", file=sys.stderr, flush=True)
        done = subprocess.run(command, capture_output=True, text=True, cwd=HERE.parent)
        seconds = time.perf_counter() - started
        found = [
            json.loads(line[len(PREFIX) :])
            for line in done.stdout.splitlines()
            if line.startswith(PREFIX)
        ]
        if done.returncode != 0 or not found:
            failed.append(script)
            print(done.stdout[-2000:] + done.stderr[-2000:], file=sys.stderr)
        print(f"  {len(found)} figures in {seconds:.0f}s", file=sys.stderr)
        lines += found

    print(
        f"\nMachine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}; {'quick' if args.quick else 'full'} sizes.\n"
    )
    print("| work | database | figure | reference | ratio | aim |")
    print("| --- | --- | ---: | ---: | ---: | --- |")
    for line in lines:
        ratio = line["ratio"]
        print(
            f"| {line['work']} | {line['database']} "
            f"| {_number(float(line['figure']))} {line['unit']} "  # type: ignore[arg-type]
            f"| {line['reference']}: {_number(float(line['reference_figure']))} {line['unit']} "  # type: ignore[arg-type]
            f"| {'-' if ratio is None else f'{ratio:.2f}x'} | {line['aim']} |"
        )
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
