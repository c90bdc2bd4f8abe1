"""Days as people type them (``2026-11-30``): the one parser for every command and route.

Only days that every later step can handle are accepted: a day's end, a time zone's offset and
the next day must all exist, so the range stops well inside what ``datetime`` can represent.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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


# -- days belong to the store ---------------------------------------------------------------------
# Brands close their months in their own zone: every day boundary (period filters, the portal's
# chart, holds, campaign dates) is taken in the store's IANA time zone, default UTC.

DEFAULT_ZONE = "UTC"


@cache
def zone(name: str | None) -> ZoneInfo:
    """The IANA zone ``name`` (``Europe/Stockholm``); :class:`InvalidInput` if there is none."""
    text = DEFAULT_ZONE if name is None else name.strip()
    try:
        if not text or len(text) > 64 or text.startswith(("/", ".")) or ".." in text:
            raise ValueError
        return ZoneInfo(text)
    except (ValueError, ZoneInfoNotFoundError):
        raise InvalidInput(
            f"time zone {name!r} is not an IANA time zone name (e.g. Europe/Stockholm, UTC)"
        ) from None


def day_start(day: date, zone_name: str | None = DEFAULT_ZONE) -> datetime:
    """The moment (UTC) a day begins in a zone: a day there is [day_start(d), day_start(d+1)),
    23 or 25 hours long when the clocks change."""
    return datetime.combine(day, time.min, tzinfo=zone(zone_name)).astimezone(UTC)


def day_end(day: date, zone_name: str | None = DEFAULT_ZONE) -> datetime:
    """The moment (UTC) the next day begins: the exclusive end of ``day``."""
    return day_start(day + timedelta(days=1), zone_name)


def as_utc(moment: datetime) -> datetime:
    """A moment as an aware datetime: SQLite hands them back naive, and they were kept as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def local_day(moment: datetime, zone_name: str | None = DEFAULT_ZONE) -> date:
    """The day a moment falls on in a zone (a naive moment is UTC, as the database keeps it)."""
    return as_utc(moment).astimezone(zone(zone_name)).date()


def offset_spans(
    zone_name: str, start: datetime, end: datetime
) -> list[tuple[datetime, datetime, int]]:
    """``[start, end)`` cut where the zone's UTC offset changes: (from, to, offset in minutes).

    Within a span, a moment's day in the zone is its UTC moment shifted by the offset: what lets
    a database without time zones (SQLite) count days in one. Offsets are looked up hourly,
    which finds every change (they happen on the hour or half hour, days apart).
    """
    place = zone(zone_name)
    spans: list[tuple[datetime, datetime, int]] = []
    at = start
    offset = _minutes(start, place)
    step = timedelta(hours=1)
    probe = start + step
    while probe < end:
        here = _minutes(probe, place)
        if here != offset:
            change = probe - step
            while _minutes(change, place) == offset:  # to the minute within the hour
                change += timedelta(minutes=1)
            spans.append((at, change, offset))
            at, offset = change, here
        probe += step
    spans.append((at, end, offset))
    return spans


def _minutes(moment: datetime, place: ZoneInfo) -> int:
    delta = moment.astimezone(place).utcoffset()
    return int(delta.total_seconds() // 60) if delta is not None else 0


def stored_day(value: object) -> date | None:
    """A day read back from the database: PostgreSQL gives a date, SQLite's aggregates give text."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
