"""Who is worth it: a campaign's figures per influencer and in total, over a period of order dates.

One definition of every measure, used by ``codecut report``, the admin API and the console.
Clicks and orders are read from the figures :mod:`codecut.reads.kpi_days` keeps per influencer
and store day; :func:`refreshed` brings those up to date and opens the snapshot a report reads.
Days are the store's (:mod:`codecut.dates`); money is in the store's currency (a campaign belongs
to one store, so nothing is summed across currencies) and shown as a decimal string with the
currency's decimals; ratios are fractions (0.25, not 25) and ``None`` when their
denominator is 0.

The measures (``MEASURES``):

* ``clicks``: counted share-link clicks; ``unique_clicks``: distinct (day, visitor) pairs, counted
  per store day;
* ``orders``: paid, non-test orders using the influencer's code in this campaign, placed in the
  period (self-referrals left out; refunded and cancelled orders in); ``conversion_rate``:
  orders / unique clicks;
* ``revenue``: the commissionable base (goods after discounts) net of refunds (a cancelled order
  brings none); ``average_order_value``: revenue / orders; ``refund_rate``: refunded goods /
  goods;
* ``commission_cost`` (net of reversals), ``discount_cost`` (what the codes took off the orders),
  ``seeding_cost`` (products gifted in the period), ``fees`` (paid for posts in the period);
  ``spend``: their sum; ``roas``: revenue / spend; ``roi``: (revenue - spend) / spend; ``epc``:
  commission per click;
* ``posts``, ``reach`` (posts in the period), ``engagement_rate``: (likes + comments + shares +
  saves) / reach, or / followers for posts with no reach (``engagement_basis`` says which);
* ``followers`` and ``tier``: nano (< 1,000), micro (1,000 to 100,000), macro (> 100,000).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from ..dates import local_day
from ..db import transaction
from ..models import (
    KEPT_FIGURES,
    Campaign,
    Code,
    Influencer,
    Post,
    Seeding,
    Store,
)
from ..money import format_minor
from ..programme.campaigns import get_campaign
from . import kpi_days
from .portal import week_start

#: Every measure of a report row, in the order reports show them.
MEASURES = (
    "clicks",
    "unique_clicks",
    "orders",
    "conversion_rate",
    "revenue",
    "average_order_value",
    "refund_rate",
    "commission_cost",
    "discount_cost",
    "seeding_cost",
    "fees",
    "spend",
    "roas",
    "roi",
    "epc",
    "posts",
    "reach",
    "engagement_rate",
    "engagement_basis",
    "followers",
    "tier",
)
MONEY = {
    "revenue",
    "average_order_value",
    "commission_cost",
    "discount_cost",
    "seeding_cost",
    "fees",
    "spend",
    "epc",
}
#: Measures a leaderboard can rank by (the numeric ones).
RANKABLE = tuple(m for m in MEASURES if m not in ("engagement_basis", "tier"))

NANO_BELOW = 1_000
MACRO_ABOVE = 100_000


TIERS = ("nano", "micro", "macro")


def tier(followers: int | None) -> str | None:
    if followers is None:
        return None
    if followers < NANO_BELOW:
        return "nano"
    return "micro" if followers <= MACRO_ABOVE else "macro"


def tier_clause(followers: Any, name: str) -> Any:
    """:func:`tier` as SQL over a followers column, for filters."""
    if name == "nano":
        return followers < NANO_BELOW
    if name == "micro":
        return (followers >= NANO_BELOW) & (followers <= MACRO_ABOVE)
    return followers > MACRO_ABOVE


@dataclass
class Tally:
    """The additive figures of a row (ratios are derived from them, never summed)."""

    clicks: int = 0
    unique_clicks: int = 0
    orders: int = 0
    goods: int = 0
    refunded: int = 0
    commission: int = 0
    discount: int = 0
    seeding: int = 0
    fees: int = 0
    posts: int = 0
    reach: int = 0
    engaged_on_reach: int = 0
    engaged_on_followers: int = 0
    followers_base: int = 0
    followers: int | None = None

    def add(self, other: Tally) -> None:
        for name in self.__dataclass_fields__:
            if name == "followers":
                if other.followers is not None:
                    self.followers = (self.followers or 0) + other.followers
                continue
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def revenue(self) -> int:
        return self.goods - self.refunded

    @property
    def spend(self) -> int:
        return self.commission + self.discount + self.seeding + self.fees


def _ratio(numerator: int, denominator: int) -> float | None:
    if not denominator:
        return None
    return float((Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001")))


def _per(total: int, count: int) -> int | None:
    """A money amount per unit, rounded half-up to the minor unit."""
    if not count:
        return None
    return int((Decimal(total) / Decimal(count)).to_integral_value(rounding=ROUND_HALF_UP))


def measures(t: Tally, currency: str, *, followers_tier: bool = True) -> dict[str, Any]:
    """Every measure of one row, formatted: money as strings, ratios as fractions or ``None``."""

    def money(minor: int | None) -> str | None:
        return None if minor is None else format_minor(minor, currency)

    engaged = t.engaged_on_reach + t.engaged_on_followers
    basis = (
        None
        if not (t.reach or t.followers_base)
        else "reach"
        if not t.followers_base
        else "followers"
        if not t.reach
        else "reach and followers"
    )
    return {
        "clicks": t.clicks,
        "unique_clicks": t.unique_clicks,
        "orders": t.orders,
        "conversion_rate": _ratio(t.orders, t.unique_clicks),
        "revenue": money(t.revenue),
        "average_order_value": money(_per(t.revenue, t.orders)),
        "refund_rate": _ratio(t.refunded, t.goods),
        "commission_cost": money(t.commission),
        "discount_cost": money(t.discount),
        "seeding_cost": money(t.seeding),
        "fees": money(t.fees),
        "spend": money(t.spend),
        "roas": _ratio(t.revenue, t.spend),
        "roi": _ratio(t.revenue - t.spend, t.spend),
        "epc": money(_per(t.commission, t.clicks)),
        "posts": t.posts,
        "reach": t.reach,
        "engagement_rate": _ratio(engaged, t.reach + t.followers_base),
        "engagement_basis": basis,
        "followers": t.followers,
        "tier": tier(t.followers) if followers_tier else None,
    }


@dataclass
class Report:
    campaign: dict[str, Any]
    influencers: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"campaign": self.campaign, "influencers": self.influencers}


@contextmanager
def refreshed(engine: Engine) -> Iterator[Session]:
    """A read-only snapshot of up-to-date figures: every report starts here."""
    kpi_days.refresh(engine)
    with transaction(engine, readonly=True, snapshot=True) as session:
        yield session


def campaign_report(
    session: Session, slug: str, *, first: date | None = None, last: date | None = None
) -> Report:
    """The campaign's figures over the order dates ``first``..``last`` (the store's days), as
    of the last refresh (open ``session`` with :func:`refreshed`)."""
    campaign = get_campaign(session, slug)
    store = session.get(Store, campaign.store_id)
    assert store is not None  # a foreign key
    tallies = _tallies(session, campaign, store, first, last)
    people = {
        p.id: p
        for p in session.scalars(select(Influencer).where(col(Influencer.id).in_(list(tallies))))
    }
    rows = []
    for influencer_id, t in tallies.items():
        person = people[influencer_id]
        t.followers = person.followers
        rows.append({"email": person.email, "name": person.name, **measures(t, store.currency)})
    rows.sort(key=lambda row: row["email"])
    return Report(campaign=_totals(campaign, store, tallies, first, last), influencers=rows)


def _totals(
    campaign: Campaign,
    store: Store,
    tallies: dict[int, Tally],
    first: date | None,
    last: date | None,
) -> dict[str, Any]:
    """The campaign's row: the sums of the influencers' figures (``followers`` set on them)."""
    total = Tally()
    for t in tallies.values():
        total.add(t)
    return _campaign_row(campaign, store, total, len(tallies), first, last)


def _campaign_row(
    campaign: Campaign,
    store: Store,
    total: Tally,
    influencers: int,
    first: date | None,
    last: date | None,
) -> dict[str, Any]:
    return {
        "slug": campaign.slug,
        "name": campaign.name,
        "store": store.domain,
        "currency": store.currency,
        "from": first.isoformat() if first else None,
        "to": last.isoformat() if last else None,
        "influencers": influencers,
        **measures(total, store.currency, followers_tier=False),
    }


@dataclass(frozen=True)
class WeekFigures:
    starts_on: date  # a Monday
    orders: int
    revenue: int  # minor units of the store's currency
    commission: int


@dataclass
class Overview:
    """What the console's overview shows of a campaign: the report's totals, its best and
    weakest influencers by revenue, and its weeks by order date."""

    campaign: dict[str, Any]
    top: list[dict[str, Any]]
    bottom: list[dict[str, Any]]
    weeks: list[WeekFigures]


def campaign_overview(
    session: Session,
    slug: str,
    *,
    first: date | None = None,
    last: date | None = None,
    shown: int = 5,
    weeks: int = 26,
) -> Overview:
    """The report's totals (equal to :func:`campaign_report`'s), its ``shown`` best and 3 weakest
    influencers by revenue, and its weeks. A campaign has thousands of influencers: the totals
    are summed by the database and only the few shown are formatted."""
    campaign = get_campaign(session, slug)
    store = session.get(Store, campaign.store_id)
    assert store is not None and campaign.id is not None
    extras = _extras(session, campaign.id, first, last)
    # The totals from the campaign's days (a row a day), the ranking from one read of each
    # influencer's revenue; Core rows, not the ORM's: there are thousands of influencers.
    core = session.connection()
    total = Tally()
    for figures in kpi_days.daily(session, campaign.id, first=first, last=last).values():
        for name, value in figures.items():
            setattr(total, name, getattr(total, name) + value)
    for t in extras.values():
        total.add(t)
    everyone = set(core.execute(_coded(campaign.id)).scalars()) | set(extras)
    revenue = kpi_days.revenue_between(session, campaign.id, first=first, last=last)
    everyone |= set(revenue)
    followers, counted = core.execute(
        select(func.sum(col(Influencer.followers)), func.count(col(Influencer.followers))).where(
            col(Influencer.id).in_(_coded(campaign.id)) | col(Influencer.id).in_(list(extras))
        )
    ).one()
    total.followers = int(followers or 0) if counted else None

    ranked = sorted(everyone, key=lambda i: (-revenue.get(i, 0), i))
    top = ranked[:shown]
    bottom = [i for i in ranked[::-1][: min(shown, 3)] if i not in top]
    people = {
        p.id: p
        for p in session.scalars(select(Influencer).where(col(Influencer.id).in_(top + bottom)))
    }
    rows = {
        int(row[0]): row[1:]
        for row in core.execute(
            kpi_days.kept(campaign.id, first=first, last=last, influencers=top + bottom)
        )
    }

    def row(influencer_id: int) -> dict[str, Any]:
        person = people[influencer_id]
        t = extras.get(influencer_id) or Tally()
        for name, value in zip(KEPT_FIGURES, rows.get(influencer_id) or (), strict=False):
            setattr(t, name, int(value or 0))
        t.followers = person.followers
        return {"email": person.email, "name": person.name, **measures(t, store.currency)}

    end = last or local_day(datetime.now(UTC), store.timezone)
    start = week_start(end) - timedelta(weeks=weeks - 1)
    if first is not None:
        start = max(week_start(first), start)
    by_week: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for day, figures in kpi_days.daily(session, campaign.id, first=start, last=end).items():
        week = by_week[week_start(day)]
        week[0] += figures["orders"]
        week[1] += figures["goods"] - figures["refunded"]
        week[2] += figures["commission"]
    starts = [start + timedelta(weeks=n) for n in range((week_start(end) - start).days // 7 + 1)]
    return Overview(
        campaign=_campaign_row(campaign, store, total, len(everyone), first, last),
        top=[row(i) for i in top],
        bottom=[row(i) for i in bottom],
        weeks=[WeekFigures(s, *by_week.get(s, [0, 0, 0])) for s in starts],
    )


def _tallies(
    session: Session, campaign: Campaign, store: Store, first: date | None, last: date | None
) -> dict[int, Tally]:
    """Each influencer's additive figures: clicks and orders from the kept days
    (:mod:`codecut.reads.kpi_days`, refreshed by the caller), posts and seeding from their own
    few rows. Everyone with a code in the campaign has a row."""
    campaign_id = campaign.id
    assert campaign_id is not None
    tallies = _extras(session, campaign_id, first, last)
    for influencer_id in session.scalars(_coded(campaign_id)):
        tallies[influencer_id]
    for influencer_id, kept in kpi_days.figures(
        session, campaign_id, first=first, last=last
    ).items():
        t = tallies[influencer_id]
        for name, value in kept.items():
            setattr(t, name, value)
    return tallies


def _coded(campaign_id: int) -> Any:
    """The influencers with a code in the campaign, as a query."""
    return select(col(Code.influencer_id)).where(col(Code.campaign_id) == campaign_id).distinct()


def _extras(
    session: Session, campaign_id: int, first: date | None, last: date | None
) -> defaultdict[int, Tally]:
    """Seeding, posts and fees per influencer in the period: a few rows, read as they are."""
    tallies: defaultdict[int, Tally] = defaultdict(Tally)

    def days(column: Any) -> list[Any]:
        bounds = []
        if first is not None:
            bounds.append(column >= first)
        if last is not None:
            bounds.append(column <= last)
        return bounds

    for influencer_id, cost in session.execute(
        select(col(Seeding.influencer_id), func.sum(col(Seeding.cost)))
        .where(col(Seeding.campaign_id) == campaign_id, *days(col(Seeding.sent_on)))
        .group_by(col(Seeding.influencer_id))
    ):
        tallies[influencer_id].seeding += int(cost or 0)

    followers = dict(
        session.execute(
            select(col(Influencer.id), col(Influencer.followers)).where(
                col(Influencer.id).in_(
                    select(col(Post.influencer_id)).where(col(Post.campaign_id) == campaign_id)
                )
            )
        ).all()
    )
    for post in session.scalars(
        select(Post).where(col(Post.campaign_id) == campaign_id, *days(col(Post.posted_on)))
    ):
        t = tallies[post.influencer_id]
        t.posts += 1
        t.fees += post.fee
        engaged = sum(n or 0 for n in (post.likes, post.comments, post.shares, post.saves))
        if post.reach:
            t.reach += post.reach
            t.engaged_on_reach += engaged
        elif followers.get(post.influencer_id):
            t.followers_base += int(followers[post.influencer_id])
            t.engaged_on_followers += engaged
    return tallies


def leaderboard(
    session: Session,
    *,
    by: str,
    slug: str | None = None,
    limit: int = 10,
    min_orders: int = 0,
    first: date | None = None,
    last: date | None = None,
) -> list[dict[str, Any]]:
    """Influencers ranked by one measure (highest first; rows without it last), in one campaign
    or in each campaign (a row per influencer and campaign: currencies are never mixed)."""
    from ..errors import InvalidInput

    if by not in RANKABLE:
        raise InvalidInput(f"--by must be one of {', '.join(RANKABLE)}, not {by!r}")
    if limit < 1:
        raise InvalidInput("--limit must be at least 1")
    slugs = [slug] if slug else [c.slug for c in session.scalars(select(Campaign))]
    rows = []
    for one in slugs:
        report = campaign_report(session, one, first=first, last=last)
        for row in report.influencers:
            if row["orders"] >= min_orders:
                rows.append({"campaign": one, "currency": report.campaign["currency"], **row})

    def key(row: dict[str, Any]) -> tuple[int, Decimal]:
        value = row[by]
        return (0, Decimal(0)) if value is None else (1, Decimal(str(value)))

    rows.sort(key=key, reverse=True)
    return rows[:limit]
