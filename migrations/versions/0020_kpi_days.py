"""campaign figures kept per influencer and store day

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04

``codecut_kpi_day`` and ``codecut_kpi_total`` hold each influencer's additive campaign figures
(clicks, unique clicks, orders, goods, refunded goods, commission, discount) per store day and in
all, and ``codecut_kpi_campaign_day`` a campaign's per store day, so a report or the console's
overview reads thousands of rows instead of millions.
``codecut_kpi_mark`` says how far they have read the raw rows; with no mark the next refresh
builds everything from the raw rows (``codecut kpis refresh``), so no data is moved here. The
index on ``codecut_order.updated_at`` finds orders changed since the last refresh; the partial
index of commissions with a reason finds the codes a leak rule flagged lately (the overview's
leaky codes) without reading a month of commissions.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIGURES = ("clicks", "unique_clicks", "orders", "goods", "refunded", "commission", "discount")


def _figures() -> list[sa.Column]:
    return [sa.Column(name, sa.BigInteger(), nullable=False) for name in FIGURES]


def upgrade() -> None:
    op.create_table(
        "codecut_kpi_day",
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("codecut_campaign.id"), nullable=False),
        sa.Column(
            "influencer_id", sa.Integer(), sa.ForeignKey("codecut_influencer.id"), nullable=False
        ),
        sa.Column("day", sa.Date(), nullable=False),
        *_figures(),
        sa.Column("revenue_to_date", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "influencer_id", "day"),
    )
    op.create_index(
        op.f("ix_codecut_kpi_day_campaign_id_day"), "codecut_kpi_day", ["campaign_id", "day"]
    )
    op.create_index(
        "ix_codecut_kpi_day_to_date",
        "codecut_kpi_day",
        ["campaign_id", "influencer_id", "day", "revenue_to_date"],
    )
    op.create_table(
        "codecut_kpi_total",
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("codecut_campaign.id"), nullable=False),
        sa.Column(
            "influencer_id", sa.Integer(), sa.ForeignKey("codecut_influencer.id"), nullable=False
        ),
        *_figures(),
        sa.PrimaryKeyConstraint("campaign_id", "influencer_id"),
    )
    op.create_table(
        "codecut_kpi_campaign_day",
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("codecut_campaign.id"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *_figures(),
        sa.PrimaryKeyConstraint("campaign_id", "day"),
    )
    op.create_table(
        "codecut_kpi_mark",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("click_id", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("orders_changed_since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("refreshed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    )
    op.create_index(op.f("ix_codecut_order_updated_at"), "codecut_order", ["updated_at"])
    where = sa.text("kind = 'commission' AND reason IS NOT NULL")
    op.create_index(
        "ix_codecut_ledger_entry_with_reason",
        "codecut_ledger_entry",
        ["occurred_at", "code_id", "influencer_id"],
        sqlite_where=where,
        postgresql_where=where,
    )


def downgrade() -> None:
    op.drop_index("ix_codecut_ledger_entry_with_reason", table_name="codecut_ledger_entry")
    op.drop_index(op.f("ix_codecut_order_updated_at"), table_name="codecut_order")
    op.drop_table("codecut_kpi_mark")
    op.drop_table("codecut_kpi_campaign_day")
    op.drop_table("codecut_kpi_total")
    op.drop_index("ix_codecut_kpi_day_to_date", table_name="codecut_kpi_day")
    op.drop_index(op.f("ix_codecut_kpi_day_campaign_id_day"), table_name="codecut_kpi_day")
    op.drop_table("codecut_kpi_day")
