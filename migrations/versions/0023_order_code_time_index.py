"""the code's orders by time, for the spike rule's reads on each booking

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04

Every booked commission asks when its code's first order was placed (and, for a code old enough,
how many orders it had each day of the baseline). With no index of the influencer's code and then
the time, PostgreSQL walked every order of the code to find the first: 50,000 index entries on
each booking for a popular code. This index answers both from its first entries (it leads with
the influencer so that the repeat-buyer count, which names no influencer, keeps its own index
even before the planner has statistics).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_codecut_order_influencer_id_code_id_placed_at"),
        "codecut_order",
        ["influencer_id", "code_id", "placed_at"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_codecut_order_influencer_id_code_id_placed_at"), table_name="codecut_order"
    )
