"""Stripe Connect onboarding: the influencer's country and what Stripe last said of their account

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-04

``stripe_transfers`` is the connected account's ``transfers`` capability (``active``,
``inactive``, ``pending``); NULL for accounts typed in before this revision, which Stripe has not
reported on and which keep being paid as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("codecut_influencer") as batch:
        batch.add_column(
            sa.Column("country", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True)
        )
        batch.add_column(
            sa.Column("stripe_transfers", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True)
        )
        batch.add_column(
            sa.Column(
                "stripe_details_submitted", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.add_column(
            sa.Column(
                "stripe_payouts_enabled", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.add_column(sa.Column("stripe_requirements", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("stripe_synced_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("codecut_influencer") as batch:
        for name in (
            "stripe_synced_at",
            "stripe_requirements",
            "stripe_payouts_enabled",
            "stripe_details_submitted",
            "stripe_transfers",
            "country",
        ):
            batch.drop_column(name)
