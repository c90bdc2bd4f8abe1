"""A moment's day in its store's time zone, computed by the database.

Reports group by the store's day over many rows, so the database does the grouping: PostgreSQL
converts each moment to the store's zone itself; SQLite knows no time zones, so each moment is
shifted by its zone's offset, span by span between the zone's clock changes
(:func:`codecut.dates.offset_spans`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Date, and_, case, cast, func
from sqlmodel import Session

from ..dates import offset_spans


def store_day(
    session: Session,
    column: Any,
    zone_of: Any,
    zones: Sequence[str],
    since: datetime,
    until: datetime,
) -> Any:
    """The day (in its store's zone) a moment in ``[since, until)`` falls on, as SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(zone_of, column), Date)
    spans = {name: offset_spans(name, since, until) for name in zones}
    if all(offset == 0 for each in spans.values() for _start, _end, offset in each):
        # UTC days (the common case): SQLite keeps UTC as "YYYY-MM-DD HH:MM:SS" text, and its
        # first ten characters are the day, several times faster than date() over many rows.
        return func.substr(column, 1, 10)
    branches = [
        (
            and_(zone_of == name, column >= start, column < end),
            func.date(column, f"{offset:+d} minutes"),
        )
        for name, each in spans.items()
        for start, end, offset in each
    ]
    return case(*branches, else_=func.date(column))
