"""leak review: hashed customer key on orders, leaked codes, per-campaign leaked-code policy

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04

``customer_key`` is a SHA-256 of the store's customer id (or, for guests, of the lowercased
buyer email): enough to tell one customer's repeat orders on a code apart, never the email or
id itself. Orders recorded before this revision have none and count for no one.
``codecut_code.leaked_at`` marks a code rotated by ``codecut code rotate``;
``codecut_campaign.leaked_policy`` (``none``, ``full`` or ``rate:5%``; NULL means ``none``) says
what orders that still use a leaked code earn.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("codecut_order") as batch_op:
        batch_op.add_column(
            sa.Column("customer_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_codecut_order_code_id_customer_key"),
            ["code_id", "customer_key"],
            unique=False,
        )
    with op.batch_alter_table("codecut_code") as batch_op:
        batch_op.add_column(
            sa.Column("leaked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    with op.batch_alter_table("codecut_campaign") as batch_op:
        batch_op.add_column(
            sa.Column("leaked_policy", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("codecut_campaign") as batch_op:
        batch_op.drop_column("leaked_policy")
    with op.batch_alter_table("codecut_code") as batch_op:
        batch_op.drop_column("leaked_at")
    with op.batch_alter_table("codecut_order") as batch_op:
        batch_op.drop_index(batch_op.f("ix_codecut_order_code_id_customer_key"))
        batch_op.drop_column("customer_key")
