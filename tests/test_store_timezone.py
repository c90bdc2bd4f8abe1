"""Days belong to the store: period filters, holds and the portal's chart cut days in the store's
time zone (``store add/update --timezone``), worked by hand around midnight in Stockholm and
across its clock changes."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from programme import SHOP, make_programme, order
from sqlalchemy import select

from codecut.commissions.posting import Posting
from codecut.dates import day_end, day_start, local_day, zone
from codecut.db import transaction
from codecut.errors import InvalidInput
from codecut.models import LedgerEntry
from codecut.programme import stores
from codecut.reads.portal import weekly_earnings
from codecut.state import get_state

STOCKHOLM = "Europe/Stockholm"
# Monday 2026-11-30 23:30 UTC is already Tuesday 2026-12-01 00:30 in Stockholm (UTC+1 in winter).
LATE = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
# 22:30 UTC is 23:30 the same Monday in Stockholm.
EARLIER = datetime(2026, 11, 30, 22, 30, tzinfo=UTC)


def test_a_day_in_a_zone_and_its_clock_changes() -> None:
    assert day_start(date(2026, 12, 1), STOCKHOLM) == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    # Clocks go forward on 2026-03-29: that day is 23 hours long there.
    assert day_start(date(2026, 3, 29), STOCKHOLM) == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert day_end(date(2026, 3, 29), STOCKHOLM) == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    # ... and back on 2026-10-25: 25 hours.
    assert day_start(date(2026, 10, 25), STOCKHOLM) == datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    assert day_end(date(2026, 10, 25), STOCKHOLM) == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)
    assert local_day(LATE, STOCKHOLM) == date(2026, 12, 1)
    assert local_day(LATE, "UTC") == date(2026, 11, 30)
    assert local_day(LATE.replace(tzinfo=None), STOCKHOLM) == date(2026, 12, 1)  # naive is UTC
    for bad in ("Mars/Olympus", "", "../etc/passwd", "Europe/" + "x" * 80):
        with pytest.raises(InvalidInput, match="IANA time zone"):
            zone(bad)


def _shop(app, timezone: str) -> None:  # type: ignore[no-untyped-def]
    engine = get_state(app).engine
    make_programme(engine)
    with transaction(engine) as session:
        stores.update_store(session, stores.get_store(session, SHOP), timezone=timezone)


def _book(app, *events, now: datetime) -> None:  # type: ignore[no-untyped-def]
    with transaction(get_state(app).engine) as session:
        store = stores.get_store(session, SHOP)
        posting = Posting(
            session.connection(),
            store.id,
            store.currency,
            hold_days=30,
            now=now,
            timezone=store.timezone,
        )
        for event in events:
            posting.apply(event)
        posting.settle()


@pytest.mark.parametrize(
    ("timezone", "late_holds_until", "december", "november"),
    [
        # Stockholm: LATE is placed on Dec 1 (holds to Dec 31), EARLIER on Nov 30.
        (STOCKHOLM, date(2026, 12, 31), ["late"], ["earlier"]),
        # UTC: both on Nov 30.
        ("UTC", date(2026, 12, 30), [], ["late", "earlier"]),
    ],
)
def test_periods_and_holds_count_the_stores_days(  # type: ignore[no-untyped-def]
    app, cli, timezone, late_holds_until, december, november
) -> None:
    _shop(app, timezone)
    now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    _book(app, order("late", placed_at=LATE), order("earlier", placed_at=EARLIER), now=now)
    with transaction(get_state(app).engine, readonly=True) as session:
        holds = {e.dedupe_key: e.available_on for e in session.scalars(select(LedgerEntry))}
    assert holds["commission:late"] == late_holds_until

    def orders_in(first: str, last: str) -> list[str]:
        result = cli("export", "ledger", "--by", "order", "--from", first, "--to", last)
        assert result.exit_code == 0, result.stderr
        return [row["order_id"] for row in csv.DictReader(io.StringIO(result.stdout))]

    assert orders_in("2026-12-01", "2026-12-31") == december
    assert sorted(orders_in("2026-11-01", "2026-11-30")) == sorted(november)
    # Recorded on Dec 2 at 09:00 UTC: Dec 2 in both zones.
    recorded = cli("export", "ledger", "--from", "2026-12-02", "--to", "2026-12-02")
    assert len(list(csv.DictReader(io.StringIO(recorded.stdout)))) == 2


def test_the_portal_chart_puts_an_order_in_the_stores_week(app) -> None:  # type: ignore[no-untyped-def]
    _shop(app, STOCKHOLM)
    # Sunday 2026-11-29 23:30 UTC is Monday 00:30 in Stockholm: the week of Nov 30 there.
    sunday_night = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    _book(app, order("o1", base=10000, placed_at=sunday_night), now=sunday_night)
    with transaction(get_state(app).engine, readonly=True) as session:
        influencer_id = session.scalars(select(LedgerEntry)).one().influencer_id
        weeks = weekly_earnings(session, influencer_id, today=date(2026, 12, 2), weeks=2)
    assert [(w.starts_on, w.amount) for w in weeks["USD"]] == [
        (date(2026, 11, 23), 0),
        (date(2026, 11, 30), 1000),  # 10% of 100.00
    ]


def test_store_commands_take_and_check_the_zone(cli) -> None:  # type: ignore[no-untyped-def]
    added = cli(
        "store", "add", "--platform", "shopify", "--domain", "se.myshopify.com", "--secret", "s",
        "--currency", "SEK", "--timezone", STOCKHOLM, "--json",
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    assert '"timezone": "Europe/Stockholm"' in added.stdout
    bad = cli("store", "update", "se.myshopify.com", "--timezone", "Stockholm")
    assert bad.exit_code == 1
    assert "not an IANA time zone name" in bad.stderr
    moved = cli("store", "update", "se.myshopify.com", "--timezone", "America/New_York")
    assert moved.exit_code == 0
    assert "America/New_York" in cli("store", "list").stdout


def test_offset_spans_cut_at_the_clock_changes() -> None:
    from codecut.dates import offset_spans

    march = offset_spans(
        STOCKHOLM, datetime(2026, 3, 28, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC)
    )
    change = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 02:00 CET becomes 03:00 CEST
    assert march == [
        (datetime(2026, 3, 28, tzinfo=UTC), change, 60),
        (change, datetime(2026, 3, 31, tzinfo=UTC), 120),
    ]
    kolkata = offset_spans("Asia/Kolkata", datetime(2026, 1, 1, tzinfo=UTC), LATE)
    assert [offset for _start, _end, offset in kolkata] == [330]  # +05:30 all year
