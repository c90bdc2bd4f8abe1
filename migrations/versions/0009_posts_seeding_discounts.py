"""posts, seeding, and what a code took off its order

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

Campaign reports need, besides orders: posts (reach and engagement, the fee paid), products
gifted (seeding cost), and the discount each order's code gave (the discount cost). Orders booked
before this upgrade have a discount of 0: their payloads are in the inbox, and a replay of those
deliveries fills it in.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("codecut_order") as batch:
        batch.add_column(
            sa.Column("discount_amount", sa.BigInteger(), nullable=False, server_default="0")
        )
    op.create_table(
        "codecut_post",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column(
            "influencer_id", sa.Integer(), sa.ForeignKey("codecut_influencer.id"), nullable=False
        ),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("codecut_campaign.id"), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("reach", sa.BigInteger(), nullable=True),
        sa.Column("likes", sa.BigInteger(), nullable=True),
        sa.Column("comments", sa.BigInteger(), nullable=True),
        sa.Column("shares", sa.BigInteger(), nullable=True),
        sa.Column("saves", sa.BigInteger(), nullable=True),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.UniqueConstraint("url"),
    )
    op.create_index(op.f("ix_codecut_post_influencer_id"), "codecut_post", ["influencer_id"])
    op.create_index(op.f("ix_codecut_post_campaign_id"), "codecut_post", ["campaign_id"])
    op.create_table(
        "codecut_seeding",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "influencer_id", sa.Integer(), sa.ForeignKey("codecut_influencer.id"), nullable=False
        ),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("codecut_campaign.id"), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    )
    op.create_index(op.f("ix_codecut_seeding_influencer_id"), "codecut_seeding", ["influencer_id"])
    op.create_index(op.f("ix_codecut_seeding_campaign_id"), "codecut_seeding", ["campaign_id"])


def downgrade() -> None:
    op.drop_table("codecut_seeding")
    op.drop_table("codecut_post")
    with op.batch_alter_table("codecut_order") as batch:
        batch.drop_column("discount_amount")
