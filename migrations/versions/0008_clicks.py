"""counted share-link clicks

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04

One appended row per counted click of ``/r/<code>``: time, code, day and a daily-salted visitor
hash (no address or user agent is stored). Indexed by code and time for the reports.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "codecut_click",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
        ),
        sa.Column("code_id", sa.Integer(), sa.ForeignKey("codecut_code.id"), nullable=False),
        sa.Column("clicked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("visitor", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    )
    op.create_index(
        op.f("ix_codecut_click_code_id_clicked_at"), "codecut_click", ["code_id", "clicked_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_codecut_click_code_id_clicked_at"), table_name="codecut_click")
    op.drop_table("codecut_click")
