"""The kept campaign figures: whatever happens between refreshes (new clicks and orders, a refund
of an old order, a cancellation, a store moving its time zone), a refresh leaves exactly what a
rebuild from the raw rows gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from programme import book, make_programme, order
from sqlalchemy import select
from test_kpis import SLUG, _click

from codecut.db import transaction
from codecut.models import KEPT_FIGURES, KpiCampaignDay, KpiDay, KpiTotal, utcnow
from codecut.programme import stores
from codecut.reads import kpi_days
from codecut.reads.kpis import campaign_report, refreshed
from codecut.storefronts.base import CancelEvent, RefundEvent

DAY1 = datetime(2025, 3, 1, 23, 30, tzinfo=UTC)  # late: the day differs east of UTC


def _kept(engine: Any) -> tuple[dict[Any, tuple[int, ...]], ...]:
    with transaction(engine, readonly=True) as s:
        days = {
            (r.campaign_id, r.influencer_id, r.day): (
                *(getattr(r, n) for n in KEPT_FIGURES),
                r.revenue_to_date,
            )
            for r in s.scalars(select(KpiDay))
        }
        totals = {
            (r.campaign_id, r.influencer_id): tuple(getattr(r, n) for n in KEPT_FIGURES)
            for r in s.scalars(select(KpiTotal))
        }
        campaign_days = {
            (r.campaign_id, r.day): tuple(getattr(r, n) for n in KEPT_FIGURES)
            for r in s.scalars(select(KpiCampaignDay))
        }
    return days, totals, campaign_days


def _same_as_a_rebuild(engine: Any) -> None:
    kpi_days.refresh(engine)
    refreshed_figures = _kept(engine)
    kpi_days.refresh(engine, rebuild=True)
    assert _kept(engine) == refreshed_figures


def test_a_refresh_recomputes_what_changed_since_the_last(engine) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine, codes=("TENOFF",))
    book(engine, order("1", base=10000, codes=("TENOFF",), placed_at=DAY1))
    _click(engine, "TENOFF", DAY1, "A")
    first = kpi_days.refresh(engine)
    assert first.rebuilt and first.rows == 1
    # Rows younger than SETTLE are read again by the next refresh (one may still commit below
    # them); once they are older, a refresh with nothing new recomputes nothing.
    assert kpi_days.refresh(engine).rows == 1
    later = utcnow() + kpi_days.SETTLE
    assert kpi_days.refresh(engine, now=later).rows == 1
    assert kpi_days.refresh(engine, now=later).rows == 0
    # Weeks later: a refund of that order, a new order and a click.
    book(
        engine,
        RefundEvent("r1", "1", goods=2500, created_at=DAY1 + timedelta(days=20)),
        order("2", base=4000, codes=("TENOFF",), placed_at=DAY1 + timedelta(days=20)),
    )
    _click(engine, "TENOFF", DAY1 + timedelta(days=20), "B")
    again = kpi_days.refresh(engine)
    assert not again.rebuilt and again.rows >= 2
    with refreshed(engine) as s:
        report = campaign_report(s, SLUG)
        day_one = campaign_report(s, SLUG, first=DAY1.date(), last=DAY1.date())
    assert (report.campaign["orders"], report.campaign["revenue"]) == (2, "115.00")
    assert (report.campaign["clicks"], report.campaign["unique_clicks"]) == (2, 2)
    assert (day_one.campaign["orders"], day_one.campaign["revenue"]) == (1, "75.00")
    with transaction(engine, readonly=True) as s:
        campaign_id = s.scalars(select(KpiDay.campaign_id)).first()
        later = DAY1.date() + timedelta(days=20)
        # Revenue over a period from the running totals: 100 - 25 refunded on day one, 40 later.
        assert kpi_days.revenue_between(s, campaign_id, first=None, last=None) == {1: 11500}
        assert kpi_days.revenue_between(s, campaign_id, first=DAY1.date(), last=DAY1.date()) == {
            1: 7500
        }
        assert kpi_days.revenue_between(s, campaign_id, first=later, last=later) == {1: 4000}
        assert kpi_days.revenue_between(
            s, campaign_id, first=later + timedelta(days=1), last=None
        ) == {1: 0}
    _same_as_a_rebuild(engine)


def test_a_cancellation_and_an_order_edited_without_an_entry_are_seen(engine) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine, codes=("TENOFF",))
    book(engine, order("1", base=10000, codes=("TENOFF",), placed_at=DAY1))
    kpi_days.refresh(engine)
    book(engine, CancelEvent("1", cancelled_at=DAY1 + timedelta(days=3)))
    with refreshed(engine) as s:
        assert campaign_report(s, SLUG).campaign["revenue"] == "0.00"
    _same_as_a_rebuild(engine)


def test_a_store_moving_its_time_zone_cuts_the_days_again(engine) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine, codes=("TENOFF",))
    book(engine, order("1", base=10000, codes=("TENOFF",), placed_at=DAY1))
    with refreshed(engine) as s:
        utc = campaign_report(s, SLUG, first=DAY1.date(), last=DAY1.date())
    assert utc.campaign["orders"] == 1
    with transaction(engine) as s:
        store = stores.list_stores(s)[0]
        stores.update_store(s, store, timezone="Europe/Stockholm")  # 00:30 the next day there
    with refreshed(engine) as s:
        same_day = campaign_report(s, SLUG, first=DAY1.date(), last=DAY1.date())
        next_day = campaign_report(s, SLUG, first=DAY1.date() + timedelta(days=1))
    assert (same_day.campaign["orders"], next_day.campaign["orders"]) == (0, 1)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("order"), st.integers(0, 30), st.integers(0, 20_000)),
            st.tuples(st.just("refund"), st.integers(0, 30), st.integers(1, 20_000)),
            st.tuples(st.just("click"), st.integers(0, 30), st.integers(0, 3)),
            st.tuples(st.just("refresh"), st.just(0), st.just(0)),
        ),
        max_size=12,
    )
)
def test_any_history_refreshed_along_the_way_equals_a_rebuild(engine, steps) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as connection:
        for table in ("codecut_kpi_mark", "codecut_click", "codecut_ledger_entry", "codecut_order"):
            connection.exec_driver_sql(f"DELETE FROM {table}")
    with transaction(engine, readonly=True) as s:
        ready = bool(stores.list_stores(s))
    if not ready:
        make_programme(engine, codes=("TENOFF",))
    orders: list[str] = []
    for number, (kind, days, amount) in enumerate(steps):
        at = DAY1 + timedelta(days=days)
        if kind == "order":
            orders.append(f"h{number}")
            book(engine, order(f"h{number}", base=amount, codes=("TENOFF",), placed_at=at))
        elif kind == "refund" and orders:
            target = orders[amount % len(orders)]
            book(engine, RefundEvent(f"hr{number}", target, goods=amount // 4, created_at=at))
        elif kind == "click":
            _click(engine, "TENOFF", at, str(amount))
        elif kind == "refresh":
            kpi_days.refresh(engine)
    _same_as_a_rebuild(engine)
