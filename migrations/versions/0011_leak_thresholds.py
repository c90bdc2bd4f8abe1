"""a campaign's own leak-rule thresholds

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

``codecut_campaign.leak_thresholds`` holds, as JSON, the thresholds where a campaign differs from
the documented defaults (``codecut.commissions.leaks.Thresholds``); NULL means the defaults.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("codecut_campaign") as batch:
        batch.add_column(
            sa.Column("leak_thresholds", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("codecut_campaign") as batch:
        batch.drop_column("leak_thresholds")
