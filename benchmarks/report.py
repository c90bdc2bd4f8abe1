"""One line per measured figure, beside its reference from the same run, for ``run_all.py``.

Every benchmark prints its own readable output and, for each figure it measures, one
``BENCH {json}`` line made by :func:`emit`; ``run_all.py`` collects those lines from every script
into one table.
"""

from __future__ import annotations

import json

PREFIX = "BENCH "


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
