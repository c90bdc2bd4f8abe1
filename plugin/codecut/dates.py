"""Days as people type them (``2026-11-30``): the one parser for every command and route.

Only days that every later step can handle are accepted: a day's end, a time zone's offset and
the next day must all exist, so the range stops well inside what ``datetime`` can represent.
"""

from __future__ import annotations

import re
from datetime import date

from .errors import InvalidInput

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9998, 12, 31)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def parse_day(text: str, what: str = "date") -> date:
    """``YYYY-MM-DD`` -> a date; :class:`InvalidInput` naming ``what`` otherwise."""
    value = str(text).strip()
    try:
        if not _ISO_DAY.fullmatch(value):
            raise ValueError
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{what} {text!r} is not a date (YYYY-MM-DD)") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput(f"{what} {value} is out of range ({FIRST_DAY} to {LAST_DAY})")
    return day


def check_period(first: date | None, last: date | None) -> None:
    """A period's first day must not come after its last."""
    if first is not None and last is not None and first > last:
        raise InvalidInput(f"the period starts ({first}) after it ends ({last})")


def stored_day(value: object) -> date | None:
    """A day read back from the database: PostgreSQL gives a date, SQLite's aggregates give text."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
