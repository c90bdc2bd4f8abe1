"""One line per measured figure, beside its reference from the same run, for ``run_all.py``.

Every benchmark prints its own readable output and, for each figure it measures, one
``BENCH {json}`` line made by :func:`emit`; ``run_all.py`` collects those lines from every script
into one table.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from typing import Any

PREFIX = "BENCH "

#: One burst of requests against one server: ``count`` requests in ``wall`` seconds, each
#: request's latency in seconds, and how many were answered wrong.
Round = dict[str, Any]


def combined(rounds: Sequence[Round]) -> dict[str, float]:
    """One server's alternating rounds as one figure: all its requests over all its time, p50 and
    p99 (milliseconds) over all its requests."""
    latencies = sorted(latency for r in rounds for latency in r["latencies"])
    return {
        "rps": sum(r["count"] for r in rounds) / sum(r["wall"] for r in rounds),
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "errors": sum(r["errors"] for r in rounds),
    }


def round_ratios(rounds: Sequence[Round], references: Sequence[Round]) -> list[float]:
    """Throughput of each round over its reference's round of the same turn, sorted."""
    return sorted(
        (r["count"] / r["wall"]) / (ref["count"] / ref["wall"])
        for r, ref in zip(rounds, references, strict=True)
    )


def emit(
    work: str,
    database: str,
    figure: float,
    unit: str,
    reference: str,
    reference_figure: float,
    aim: str,
    *,
    higher_is_better: bool = False,
) -> None:
    """Print one figure; ``ratio`` is figure / reference (for speeds, a ratio above 1 is faster)."""
    ratio = figure / reference_figure if reference_figure else None
    line = {
        "work": work,
        "database": database,
        "figure": figure,
        "unit": unit,
        "reference": reference,
        "reference_figure": reference_figure,
        "ratio": ratio,
        "aim": aim,
        "higher_is_better": higher_is_better,
    }
    print(PREFIX + json.dumps(line), flush=True)
