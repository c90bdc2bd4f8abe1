"""Kept figures behind the campaign reports: each influencer's additive figures per store day.

A campaign with 5,000,000 clicks and 1,000,000 ledger entries cannot be summed from its raw rows
while a page waits. :mod:`codecut.reads.kpi_days` keeps these tables up to date from the raw rows
(which stay the truth: a full rebuild gives the same figures); reports read them instead.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel

#: The additive figures of a day (or of all days), in the order the tables keep them.
KEPT_FIGURES = (
    "clicks",
    "unique_clicks",
    "orders",
    "goods",
    "refunded",
    "commission",
    "discount",
)


class KeptFigures(SQLModel):
    """The additive figures every kept row holds (money in the store currency's minor units)."""

    clicks: int = Field(default=0, sa_type=BigInteger)
    unique_clicks: int = Field(default=0, sa_type=BigInteger)
    orders: int = Field(default=0, sa_type=BigInteger)
    goods: int = Field(default=0, sa_type=BigInteger)  # minor units of the store's currency
    refunded: int = Field(default=0, sa_type=BigInteger)
    commission: int = Field(default=0, sa_type=BigInteger)
    discount: int = Field(default=0, sa_type=BigInteger)


class KpiDay(KeptFigures, table=True):
    """One influencer's figures in one campaign on one store day (orders by their placing day,
    clicks by theirs; unique clicks are distinct (day, visitor) pairs of that store day)."""

    __tablename__ = "codecut_kpi_day"
    __table_args__ = (
        Index(None, "campaign_id", "day"),
        # The revenue-to-date lookups read this index alone, never the table.
        Index(
            "ix_codecut_kpi_day_to_date",
            "campaign_id",
            "influencer_id",
            "day",
            "revenue_to_date",
        ),
    )

    campaign_id: int = Field(foreign_key="codecut_campaign.id", primary_key=True)
    influencer_id: int = Field(foreign_key="codecut_influencer.id", primary_key=True)
    day: date = Field(primary_key=True)
    # Revenue (goods - refunded) from the influencer's first day through this one: a period's
    # revenue is two lookups (through its last day, less through the day before its first), so
    # ranking thousands of influencers over any period reads two rows each.
    revenue_to_date: int = Field(default=0, sa_type=BigInteger)


class KpiTotal(KeptFigures, table=True):
    """The sum of an influencer's :class:`KpiDay` rows in a campaign: a report over all time
    reads one row per influencer instead of one per active day."""

    __tablename__ = "codecut_kpi_total"

    campaign_id: int = Field(foreign_key="codecut_campaign.id", primary_key=True)
    influencer_id: int = Field(foreign_key="codecut_influencer.id", primary_key=True)


class KpiCampaignDay(KeptFigures, table=True):
    """A campaign's figures on one store day, every influencer together: the overview's weekly
    chart reads a row a day instead of one per influencer and day."""

    __tablename__ = "codecut_kpi_campaign_day"

    campaign_id: int = Field(foreign_key="codecut_campaign.id", primary_key=True)
    day: date = Field(primary_key=True)


class KpiMark(SQLModel, table=True):
    """How far the kept figures have read the raw rows (one row; none means "rebuild all")."""

    __tablename__ = "codecut_kpi_mark"

    id: int = Field(default=1, primary_key=True)
    click_id: int = Field(default=0, sa_type=BigInteger)
    entry_id: int = Field(default=0, sa_type=BigInteger)
    order_id: int = Field(default=0, sa_type=BigInteger)
    orders_changed_since: datetime
    refreshed_at: datetime
