"""the brand's console users

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04

``codecut_staff``: who signs in to ``/console`` and with which role (admin, marketing, finance);
their sessions are ``codecut_web_session`` rows with ``subject = 'staff'``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "codecut_staff",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("login_nonce", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.UniqueConstraint("email", name=op.f("uq_codecut_staff_email")),
    )


def downgrade() -> None:
    op.drop_table("codecut_staff")
