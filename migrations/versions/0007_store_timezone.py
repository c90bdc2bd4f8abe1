"""stores keep their days in a time zone of their own

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

Every day boundary (period filters, the portal's chart, holds, campaign dates) is taken in the
store's IANA time zone. Existing stores keep UTC, which is what those boundaries were until now.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("codecut_store") as batch:
        batch.add_column(
            sa.Column(
                "timezone",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=False,
                server_default="UTC",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("codecut_store") as batch:
        batch.drop_column("timezone")
