"""indexes for the leak rules' reads on each booking

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04

Every booked commission asks whether its customer self-referred with the influencer before and
how often the customer used the code lately. The first read walked all of the influencer's
orders (50,000 for a big one) on each booking; a partial index of the few self-referral orders
answers it at once. The second now finds the window's orders in the index itself, placed_at
being its last column.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_codecut_order_self_referral",
        "codecut_order",
        ["influencer_id", "customer_key"],
        sqlite_where=sa.text("self_referral IS 1"),
        postgresql_where=sa.text("self_referral IS true"),
    )
    op.create_index(
        op.f("ix_codecut_order_code_id_customer_key_placed_at"),
        "codecut_order",
        ["code_id", "customer_key", "placed_at"],
    )
    op.drop_index(op.f("ix_codecut_order_code_id_customer_key"), table_name="codecut_order")


def downgrade() -> None:
    op.create_index(
        op.f("ix_codecut_order_code_id_customer_key"), "codecut_order", ["code_id", "customer_key"]
    )
    op.drop_index(
        op.f("ix_codecut_order_code_id_customer_key_placed_at"), table_name="codecut_order"
    )
    op.drop_index("ix_codecut_order_self_referral", table_name="codecut_order")
