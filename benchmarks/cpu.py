"""CPU time spent by the processes of a benchmark's parts, read from Linux's ``/proc``.

Throughput on a machine whose cores are all busy is set by the CPU each request costs summed over
every process that serves it: the client, the app's server and the database's. Reading each part's
share beside the figures says where a receiver's time goes; off Linux every figure is 0.
"""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _processes() -> list[Path]:
    try:
        return [entry for entry in PROC.iterdir() if entry.name.isdigit()]
    except OSError:
        return []


def _cpu_seconds(process: Path) -> float:
    """User + system time of one live process (its exited children are not counted)."""
    try:
        stat = (process / "stat").read_text()
    except OSError:  # exited meanwhile
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def serving(address: str) -> float:
    """CPU seconds of every process started with ``address`` (``host:port``) on its command line:
    a gunicorn master and its forked workers."""
    needle = address.encode()
    total = 0.0
    for process in _processes():
        try:
            command = (process / "cmdline").read_bytes()
        except OSError:
            continue
        if needle in command:
            total += _cpu_seconds(process)
    return total


def postgres() -> float:
    """CPU seconds of every PostgreSQL server process on this machine (backends, WAL writer,
    checkpointer): the database's own work, whoever asked for it."""
    total = 0.0
    for process in _processes():
        try:
            name = (process / "comm").read_text().strip()
        except OSError:
            continue
        if name == "postgres":
            total += _cpu_seconds(process)
    return total


def this_process() -> float:
    """CPU seconds of this process, all its threads (the benchmark's clients)."""
    return float(sum(os.times()[:2]))
