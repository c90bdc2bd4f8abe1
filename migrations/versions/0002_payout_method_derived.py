"""influencer.payout_method is derived from the connected account, not stored

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03

How an influencer is paid has one rule (codecut.payouts.methods): through Stripe when they have
a connected account, else by hand. The stored column only echoed it and could disagree.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("codecut_influencer") as batch_op:
        batch_op.drop_column("payout_method")


def downgrade() -> None:
    with op.batch_alter_table("codecut_influencer") as batch_op:
        batch_op.add_column(
            sa.Column("payout_method", sa.String(length=20), nullable=False, server_default="manual")
        )
    op.execute(
        "UPDATE codecut_influencer SET payout_method = 'stripe' "
        "WHERE stripe_account_id IS NOT NULL"
    )
