"""Keeping each campaign's figures per influencer and store day, so reports read days, not rows.

The raw rows stay the truth (clicks, orders, ledger entries); :class:`~codecut.models.KpiDay`,
:class:`~codecut.models.KpiTotal` and :class:`~codecut.models.KpiCampaignDay` are what
:func:`refresh` derives from them, and a full
rebuild gives the same figures as any sequence of refreshes (a test). A refresh finds what
changed since the last one -- clicks and entries by id, orders by id and by ``updated_at`` -- and
recomputes only the (campaign, influencer, day) rows those changes touch, from the raw rows.

Rows can become visible out of id order (a PostgreSQL transaction that took a lower id commits
after a higher one), so the marks only move past rows older than :data:`SETTLE`: younger rows
are looked at again by the next refresh, and a row is never skipped unless the transaction that
wrote it outlived ``SETTLE``. Readers call :func:`refresh` first (``codecut report``, the API,
the console); ``codecut worker`` and ``codecut kpis refresh`` keep them fresh in between, so the
refresh a reader pays for is small.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, case, delete, func, insert, literal, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from ..dates import as_utc, day_end, day_start, local_day, stored_day
from ..db import transaction
from ..models import (
    KEPT_FIGURES,
    Campaign,
    Click,
    Code,
    EntryKind,
    KpiCampaignDay,
    KpiDay,
    KpiMark,
    KpiTotal,
    LedgerEntry,
    Order,
    Store,
    id_of,
    table_of,
    utcnow,
)
from .store_days import store_day

#: How long a transaction that appends a click, an entry or an order may take at most.
SETTLE = timedelta(minutes=2)
#: Influencers recomputed per statement (well under SQLite's limit on bound parameters).
BATCH = 2_000
_LOCK = 0x6B7069  # PostgreSQL advisory lock: one refresh at a time

Key = tuple[int, date]  # (influencer id, store day)


@dataclass(frozen=True)
class Refreshed:
    rebuilt: bool  # everything was rebuilt from the raw rows
    rows: int  # (campaign, influencer, day) rows recomputed


def refresh(engine: Engine, *, rebuild: bool = False, now: datetime | None = None) -> Refreshed:
    """Bring the kept figures up to date with the raw rows (everything when ``rebuild``)."""
    now = now or utcnow()
    cutoff = now - SETTLE
    with transaction(engine) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(select(func.pg_advisory_xact_lock(_LOCK)))
        mark = session.get(KpiMark, 1)
        if mark is None or rebuild:
            rows = _rebuild(session)
            _advance(session, mark, cutoff, now, everything=True)
            return Refreshed(rebuilt=True, rows=rows)
        touched = _touched(session, mark)
        if not touched:
            return Refreshed(rebuilt=False, rows=0)
        rows = sum(_recompute(session, cid, days) for cid, days in touched.items())
        _advance(session, mark, cutoff, now, everything=False)
        return Refreshed(rebuilt=False, rows=rows)


def forget(session: Session) -> None:
    """Make the next refresh rebuild everything (a store's time zone moved every day)."""
    session.execute(delete(KpiMark))


def kept(
    campaign_id: int,
    *,
    first: date | None,
    last: date | None,
    influencers: list[int] | None = None,
) -> Any:
    """A query of each influencer's kept figures in a campaign over the store days
    ``first``..``last`` (of some ``influencers`` only, when given): ``influencer_id`` and the
    :data:`KEPT_FIGURES` columns."""
    if first is None and last is None:
        columns = [getattr(KpiTotal, name).label(name) for name in KEPT_FIGURES]
        query = select(col(KpiTotal.influencer_id).label("influencer_id"), *columns).where(
            col(KpiTotal.campaign_id) == campaign_id
        )
        if influencers is not None:
            query = query.where(col(KpiTotal.influencer_id).in_(influencers))
        return query
    sums = [func.sum(getattr(KpiDay, name)).label(name) for name in KEPT_FIGURES]
    query = (
        select(col(KpiDay.influencer_id).label("influencer_id"), *sums)
        .where(col(KpiDay.campaign_id) == campaign_id)
        .group_by(col(KpiDay.influencer_id))
    )
    if influencers is not None:
        query = query.where(col(KpiDay.influencer_id).in_(influencers))
    if first is not None:
        query = query.where(col(KpiDay.day) >= first)
    if last is not None:
        query = query.where(col(KpiDay.day) <= last)
    return query


def revenue_between(
    session: Session, campaign_id: int, *, first: date | None, last: date | None
) -> dict[int, int]:
    """Each influencer's revenue (goods - refunded) over the store days ``first``..``last``:
    two index lookups an influencer, whatever the period's length."""

    def through(day: date) -> Any:
        row = aliased(KpiDay)
        return (
            select(col(row.revenue_to_date))
            .where(
                col(row.campaign_id) == KpiTotal.campaign_id,
                col(row.influencer_id) == KpiTotal.influencer_id,
                col(row.day) <= day,
            )
            .order_by(col(row.day).desc())
            .limit(1)
            .scalar_subquery()
        )

    end = (
        func.coalesce(through(last), 0)
        if last is not None
        else col(KpiTotal.goods) - col(KpiTotal.refunded)
    )
    start = func.coalesce(through(first - timedelta(days=1)), 0) if first is not None else 0
    query = select(col(KpiTotal.influencer_id), end - start).where(
        col(KpiTotal.campaign_id) == campaign_id
    )
    return {int(i): int(r or 0) for i, r in session.connection().execute(query)}


def figures(
    session: Session, campaign_id: int, *, first: date | None, last: date | None
) -> dict[int, dict[str, int]]:
    """Each influencer's kept figures in a campaign over the store days ``first``..``last``."""
    return {
        int(row[0]): _kept(row[1:])
        for row in session.execute(kept(campaign_id, first=first, last=last))
    }


def daily(
    session: Session, campaign_id: int, *, first: date | None, last: date | None
) -> dict[date, dict[str, int]]:
    """The campaign's kept figures per store day (every influencer together), for charts."""
    columns = [getattr(KpiCampaignDay, name) for name in KEPT_FIGURES]
    query = select(col(KpiCampaignDay.day), *columns).where(
        col(KpiCampaignDay.campaign_id) == campaign_id
    )
    if first is not None:
        query = query.where(col(KpiCampaignDay.day) >= first)
    if last is not None:
        query = query.where(col(KpiCampaignDay.day) <= last)
    result = {}
    for row in session.execute(query):
        day = stored_day(row[0])
        assert day is not None
        result[day] = {
            name: int(value or 0) for name, value in zip(KEPT_FIGURES, row[1:], strict=True)
        }
    return result


# -- what changed --------------------------------------------------------------------------------


def _touched(session: Session, mark: KpiMark) -> dict[int, dict[int, set[date]]]:
    """The (campaign, influencer, store day) rows that clicks, entries and orders written since
    the mark fall on, as ``{campaign_id: {influencer_id: {day, ...}}}``."""
    touched: dict[int, dict[int, set[date]]] = defaultdict(lambda: defaultdict(set))
    # By id, the primary key's range (a DISTINCT here makes SQLite scan a whole index instead);
    # the rows since the last refresh are few, and set() drops the repeats.
    clicked = {
        (code_id, day)
        for code_id, day in session.execute(
            select(col(Click.code_id), col(Click.day))
            .where(col(Click.id) > mark.click_id)
            .order_by(col(Click.id))
        )
    }
    if clicked:
        codes = {
            code_id: (campaign_id, influencer_id)
            for code_id, campaign_id, influencer_id in session.execute(
                select(col(Code.id), col(Code.campaign_id), col(Code.influencer_id)).where(
                    col(Code.id).in_({code_id for code_id, _ in clicked})
                )
            )
        }
        for code_id, utc_day in clicked:
            campaign_id, influencer_id = codes[code_id]
            day = stored_day(utc_day)
            assert day is not None
            # A UTC day is part of the store days either side of it (zones are within 14 h).
            touched[campaign_id][influencer_id].update(day + timedelta(days=n) for n in (-1, 0, 1))
    order_ids = {
        order_id
        for order_id in session.scalars(
            select(col(LedgerEntry.order_id))
            .where(col(LedgerEntry.id) > mark.entry_id)
            .order_by(col(LedgerEntry.id))
        )
        if order_id is not None
    }
    changed = select(
        col(Order.campaign_id), col(Order.influencer_id), col(Order.placed_at), col(Store.timezone)
    ).join(Store, col(Store.id) == col(Order.store_id))
    # Two statements, each on its own index (an OR of the two scans the table on SQLite).
    found = list(session.execute(changed.where(col(Order.id) > mark.order_id)))
    found += session.execute(changed.where(col(Order.updated_at) >= mark.orders_changed_since))
    for chunk in _chunks(sorted(order_ids)):
        found += session.execute(changed.where(col(Order.id).in_(chunk)))
    for campaign_id, influencer_id, placed_at, zone in found:
        touched[campaign_id][influencer_id].add(local_day(placed_at, zone))
    return touched


def _advance(
    session: Session, mark: KpiMark | None, cutoff: datetime, now: datetime, *, everything: bool
) -> None:
    """Move the marks past the rows older than ``cutoff`` (younger ones are read again)."""
    mark = mark or KpiMark(orders_changed_since=cutoff, refreshed_at=now)
    since = {} if everything else {"click": mark.click_id, "entry": mark.entry_id}

    def settled(model: Any, moment: Any, after: int | None) -> int | None:
        query = select(func.max(model.id)).where(moment < cutoff)
        if after is not None:
            query = query.where(model.id > after)
        return session.scalar(query)

    mark.click_id = settled(Click, col(Click.clicked_at), since.get("click")) or mark.click_id
    mark.entry_id = (
        settled(LedgerEntry, col(LedgerEntry.created_at), since.get("entry")) or mark.entry_id
    )
    after_order = None if everything else mark.order_id
    mark.order_id = settled(Order, col(Order.created_at), after_order) or mark.order_id
    mark.orders_changed_since = cutoff
    mark.refreshed_at = now
    session.add(mark)


# -- recomputing from the raw rows ---------------------------------------------------------------


def _rebuild(session: Session) -> int:
    session.execute(delete(KpiCampaignDay))
    session.execute(delete(KpiTotal))
    session.execute(delete(KpiDay))
    rows = 0
    for campaign, store in session.execute(
        select(Campaign, Store).join(Store, col(Store.id) == col(Campaign.store_id))
    ):
        computed = _compute(session, campaign, store, None, None, None)
        rows += _write(session, id_of(campaign), computed)
        _running(session, id_of(campaign), None, None)
    _total(session, None, None)
    _campaign_days(session, None, None)
    return rows


def _recompute(session: Session, campaign_id: int, touched: dict[int, set[date]]) -> int:
    """Recompute the touched days of a campaign's influencers, grouped by the span of days each
    needs (today's clicks share one span; a refund of an old order has its own)."""
    campaign = session.get(Campaign, campaign_id)
    store = session.get(Store, campaign.store_id) if campaign else None
    if campaign is None or store is None:
        return 0
    by_span: dict[tuple[date, date], list[int]] = defaultdict(list)
    for influencer_id, days in touched.items():
        by_span[(min(days), max(days))].append(influencer_id)
    rows = 0
    for (first, last), influencers in by_span.items():
        for chunk in _chunks(sorted(influencers)):
            computed = _compute(session, campaign, store, chunk, first, last)
            session.execute(
                delete(KpiDay).where(
                    col(KpiDay.campaign_id) == campaign_id,
                    col(KpiDay.influencer_id).in_(chunk),
                    col(KpiDay.day) >= first,
                    col(KpiDay.day) <= last,
                )
            )
            rows += _write(session, campaign_id, computed)
            _running(session, campaign_id, chunk, first)
    _total(session, campaign_id, list(touched))
    _campaign_days(session, campaign_id, set().union(*touched.values()))
    return rows


def _compute(
    session: Session,
    campaign: Campaign,
    store: Store,
    influencers: list[int] | None,
    first: date | None,
    last: date | None,
) -> dict[Key, list[int]]:
    """The figures of ``influencers`` (all when ``None``) on the store days ``first``..``last``
    (all when ``None``), keyed by (influencer, day), in :data:`KEPT_FIGURES` order."""
    zone = store.timezone
    since = day_start(first, zone) if first else None
    until = day_end(last, zone) if last else None
    result: dict[Key, list[int]] = defaultdict(lambda: [0] * len(KEPT_FIGURES))

    codes = select(col(Code.id)).where(col(Code.campaign_id) == campaign.id)
    if influencers is not None:
        codes = codes.where(col(Code.influencer_id).in_(influencers))
    code_ids = [int(code_id) for code_id in session.scalars(codes) if code_id is not None]
    for chunk in _chunks(code_ids):
        bounds: list[Any] = [col(Click.code_id).in_(chunk)]
        if since is not None:
            bounds.append(col(Click.clicked_at) >= since)
        if until is not None:
            bounds.append(col(Click.clicked_at) < until)
        span = session.execute(
            select(func.min(col(Click.clicked_at)), func.max(col(Click.clicked_at))).where(*bounds)
        ).one()
        if span[0] is None:
            continue
        local = store_day(
            session,
            col(Click.clicked_at),
            literal(zone),
            [zone],
            as_utc(span[0]),
            as_utc(span[1]) + timedelta(seconds=1),
        )
        clicks = (
            select(
                col(Code.influencer_id).label("influencer_id"),
                local.label("local"),
                col(Click.day).label("utc"),
                col(Click.visitor).label("visitor"),
            )
            .join(Code, col(Code.id) == col(Click.code_id))
            .where(*bounds)
        )
        every = clicks.subquery()
        for influencer_id, day, count in session.execute(
            select(every.c.influencer_id, every.c.local, func.count()).group_by(
                every.c.influencer_id, every.c.local
            )
        ):
            result[(influencer_id, _day(day))][0] += int(count)
        distinct = clicks.distinct().subquery()
        for influencer_id, day, count in session.execute(
            select(distinct.c.influencer_id, distinct.c.local, func.count()).group_by(
                distinct.c.influencer_id, distinct.c.local
            )
        ):
            result[(influencer_id, _day(day))][1] += int(count)

    refunds = func.sum(
        case((col(LedgerEntry.kind) == EntryKind.REVERSAL, col(LedgerEntry.base_amount)), else_=0)
    )
    orders = (
        select(
            col(Order.influencer_id),
            col(Order.placed_at),
            col(Order.base_amount),
            col(Order.discount_amount),
            col(Order.cancelled_at),
            func.sum(col(LedgerEntry.amount)),
            refunds,
        )
        .outerjoin(LedgerEntry, col(LedgerEntry.order_id) == col(Order.id))
        .where(
            col(Order.campaign_id) == campaign.id,
            col(Order.paid_at).is_not(None),
            col(Order.test).is_(False),
            col(Order.self_referral).is_(False),
        )
        .group_by(col(Order.id))
    )
    if since is not None:
        orders = orders.where(col(Order.placed_at) >= since)
    if until is not None:
        orders = orders.where(col(Order.placed_at) < until)
    for part in _chunks(influencers) if influencers is not None else [None]:
        query = orders if part is None else orders.where(col(Order.influencer_id).in_(part))
        for (
            influencer_id,
            placed_at,
            base,
            discount,
            cancelled_at,
            commission,
            refunded,
        ) in session.execute(query):
            row = result[(influencer_id, local_day(placed_at, zone))]
            base = int(base or 0)
            row[2] += 1
            row[3] += base
            row[4] += base if cancelled_at is not None else min(base, int(refunded or 0))
            row[5] += int(commission or 0)
            row[6] += int(discount or 0)
    return result


def _write(session: Session, campaign_id: int, computed: dict[Key, list[int]]) -> int:
    """Insert computed day rows; ``revenue_to_date`` is set by :func:`_running` afterwards."""
    rows = [
        {
            "campaign_id": campaign_id,
            "influencer_id": i,
            "day": d,
            **dict(zip(KEPT_FIGURES, v, strict=True)),
            "revenue_to_date": 0,
        }
        for (i, d), v in computed.items()
    ]
    for start in range(0, len(rows), 5_000):
        session.execute(insert(KpiDay), rows[start : start + 5_000])
    return len(rows)


def _running(
    session: Session, campaign_id: int, influencers: list[int] | None, first: date | None
) -> None:
    """Set ``revenue_to_date`` on the influencers' day rows from ``first`` on (all rows when
    ``None``), carrying on from their last row before it."""
    day = col(KpiDay.day)
    base: dict[int, int] = {}
    if first is not None:
        earlier = aliased(KpiDay)
        latest_before = (
            select(func.max(col(earlier.day)))
            .where(
                col(earlier.campaign_id) == KpiDay.campaign_id,
                col(earlier.influencer_id) == KpiDay.influencer_id,
                col(earlier.day) < first,
            )
            .scalar_subquery()
        )
        query = select(col(KpiDay.influencer_id), col(KpiDay.revenue_to_date)).where(
            col(KpiDay.campaign_id) == campaign_id, day == latest_before
        )
        if influencers is not None:
            query = query.where(col(KpiDay.influencer_id).in_(influencers))
        base = {int(i): int(r) for i, r in session.execute(query)}
    rows = select(col(KpiDay.influencer_id), day, col(KpiDay.goods), col(KpiDay.refunded)).where(
        col(KpiDay.campaign_id) == campaign_id
    )
    if influencers is not None:
        rows = rows.where(col(KpiDay.influencer_id).in_(influencers))
    if first is not None:
        rows = rows.where(day >= first)
    updates, running, current = [], 0, None
    for influencer_id, on, goods, refunded in session.execute(
        rows.order_by(col(KpiDay.influencer_id), day)
    ):
        if influencer_id != current:
            current, running = influencer_id, base.get(influencer_id, 0)
        running += int(goods) - int(refunded)
        updates.append({"c": campaign_id, "i": influencer_id, "d": on, "r": running})
    table = table_of(KpiDay)
    statement = (
        update(table)
        .where(
            table.c.campaign_id == bindparam("c"),
            table.c.influencer_id == bindparam("i"),
            table.c.day == bindparam("d"),
        )
        .values(revenue_to_date=bindparam("r"))
    )
    connection = session.connection()
    for start in range(0, len(updates), 10_000):
        connection.execute(statement, updates[start : start + 10_000])


def _total(session: Session, campaign_id: int | None, influencers: list[int] | None) -> None:
    """Recompute :class:`KpiTotal` from the day rows (all of it, or some influencers')."""
    for chunk in _chunks(influencers) if influencers is not None else [None]:
        _resum(session, KpiTotal, "influencer_id", campaign_id, chunk)


def _campaign_days(session: Session, campaign_id: int | None, days: set[date] | None) -> None:
    """Recompute :class:`KpiCampaignDay` from the day rows (all of it, or a campaign's days)."""
    _resum(session, KpiCampaignDay, "day", campaign_id, sorted(days) if days is not None else None)


def _resum(
    session: Session, target: Any, by: str, campaign_id: int | None, only: list[Any] | None
) -> None:
    """Replace ``target``'s rows with the day rows summed per (campaign, ``by``), for one
    campaign and only some values of ``by`` when given."""
    gone = delete(target)
    source = select(
        col(KpiDay.campaign_id),
        getattr(KpiDay, by),
        *(func.sum(getattr(KpiDay, name)) for name in KEPT_FIGURES),
    ).group_by(col(KpiDay.campaign_id), getattr(KpiDay, by))
    if campaign_id is not None:
        gone = gone.where(target.campaign_id == campaign_id)
        source = source.where(col(KpiDay.campaign_id) == campaign_id)
    if only is not None:
        gone = gone.where(getattr(target, by).in_(only))
        source = source.where(getattr(KpiDay, by).in_(only))
    session.execute(gone)
    session.execute(insert(target).from_select(["campaign_id", by, *KEPT_FIGURES], source))


def _kept(values: Any) -> dict[str, int]:
    return {name: int(value or 0) for name, value in zip(KEPT_FIGURES, values, strict=True)}


def _chunks(items: Iterable[int]) -> list[list[int]]:
    items = list(items)
    return [items[start : start + BATCH] for start in range(0, len(items), BATCH)]


def _day(value: object) -> date:
    day = stored_day(value)
    assert day is not None
    return day
