"""The spike rule: a code's day far above its own trailing baseline.

Once a code's first order is at least :data:`MIN_AGE_DAYS` (14) days older than the day in
question, that day is a spike when its orders number more than
``max(MIN_ORDERS, FACTOR x median)`` -- defaults ``max(10, 5 x median)`` -- where the median is
taken over the code's daily order counts on the :data:`BASELINE_DAYS` (28) days before it, days
without orders counting as zero. Days are UTC order dates. The orders past the threshold (the
11th and later on a quiet code) are flagged; those before it are not. A new influencer's launch
day is never a spike: the code has no history yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from statistics import median

from sqlalchemy import Connection, Select, bindparam, func, select

from ..order_state import ORDERS

NAME = "spike"
MIN_AGE_DAYS = 14
BASELINE_DAYS = 28
MIN_ORDERS = 10
FACTOR = 5


def threshold(
    daily_counts: list[int], *, min_orders: int = MIN_ORDERS, factor: int = FACTOR
) -> float:
    """How many orders a day may carry before it is a spike, given the baseline days' counts."""
    return max(min_orders, factor * median(daily_counts)) if daily_counts else min_orders


def is_spike(
    first_day: date,
    day: date,
    counts: Mapping[date, int],
    *,
    min_age_days: int = MIN_AGE_DAYS,
    baseline_days: int = BASELINE_DAYS,
    min_orders: int = MIN_ORDERS,
    factor: int = FACTOR,
) -> bool:
    """Whether ``day`` (its count in ``counts``, this order included) is a spike for a code
    whose first order fell on ``first_day``."""
    if (day - first_day).days < min_age_days:
        return False
    baseline = [counts.get(day - timedelta(days=n), 0) for n in range(1, baseline_days + 1)]
    return counts.get(day, 0) > threshold(baseline, min_orders=min_orders, factor=factor)


_MINE = (
    ORDERS.c.influencer_id == bindparam("influencer_id"),
    ORDERS.c.code_id == bindparam("code_id"),
)
#: When the code's first order was placed: read by :func:`codecut.commissions.leaks.rules_for`
#: in the same statement as the other rules' counts (one round trip for all of them). Written as
#: the first row by time, not ``min()``: that is the first entry of the code's time index however
#: stale the planner's statistics (PostgreSQL aggregated every order of the code for ``min()``).
FIRST_ORDER = (
    select(ORDERS.c.placed_at).where(*_MINE).order_by(ORDERS.c.placed_at).limit(1).scalar_subquery()
)


@lru_cache(maxsize=8)
def _daily_counts(days: int) -> Select[*tuple[int, ...]]:
    """The code's orders on each of ``days`` consecutive UTC days, counted by the database: day
    ``n`` runs from bound ``bn`` to ``b(n+1)``, one count of the code's time index each. A leaked
    code's flood of orders is exactly when this runs on every booking: reading the orders
    themselves, or testing each against every day, would grow with the flood many times over."""
    placed_at = ORDERS.c.placed_at
    return select(
        *(
            select(func.count())
            .where(*_MINE, placed_at >= bindparam(f"b{n}"), placed_at < bindparam(f"b{n + 1}"))
            .scalar_subquery()
            .label(f"day{n}")
            for n in range(days)
        )
    )


def fires(
    connection: Connection,
    *,
    influencer_id: int,
    code_id: int,
    placed_at: datetime,
    first: datetime | None,
    min_age_days: int = MIN_AGE_DAYS,
    baseline_days: int = BASELINE_DAYS,
    min_orders: int = MIN_ORDERS,
    factor: int = FACTOR,
) -> bool:
    """Judge the day of ``placed_at`` given the code's ``first`` order (:data:`FIRST_ORDER`);
    the baseline's orders are read only once the code is old enough to have one."""
    day = _day(placed_at)
    if first is None or (day - _day(first)).days < min_age_days:
        return False
    days = [day - timedelta(days=baseline_days - n) for n in range(baseline_days + 2)]
    bounds = {f"b{n}": datetime.combine(d, time.min, tzinfo=UTC) for n, d in enumerate(days)}
    row = connection.execute(
        _daily_counts(baseline_days + 1),
        {"influencer_id": influencer_id, "code_id": code_id, **bounds},
    ).one()
    counts = dict(zip(days[:-1], row, strict=True))  # the last bound ends the day itself
    return is_spike(
        _day(first),
        day,
        counts,
        min_age_days=min_age_days,
        baseline_days=baseline_days,
        min_orders=min_orders,
        factor=factor,
    )


def _day(moment: datetime) -> date:
    """The UTC day of a stored moment (SQLite returns them naive, in UTC)."""
    return moment.astimezone(UTC).date() if moment.tzinfo else moment.date()
