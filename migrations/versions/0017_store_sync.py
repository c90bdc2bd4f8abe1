"""store sync: Admin API credentials, pushed codes, the reconcile high-water mark, ``via``

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04

``codecut_store.admin_credentials`` is encrypted with ``CODECUT_CREDENTIALS_KEY``;
``codecut_code_push`` holds one row per code pushed to its store (``codecut code push`` resumes
from it); ``codecut_webhook_event.via`` says whether a stored order came by webhook or was pulled
by ``codecut reconcile`` (existing rows: ``webhook``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_WHEN = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("codecut_store") as batch:
        batch.add_column(sa.Column("api_base", _TEXT(length=500), nullable=True))
        batch.add_column(sa.Column("admin_credentials", sa.Text(), nullable=True))
        batch.add_column(sa.Column("orders_synced_through", _WHEN(), nullable=True))
    with op.batch_alter_table("codecut_campaign") as batch:
        batch.add_column(sa.Column("customer_discount", _TEXT(length=40), nullable=True))
        batch.add_column(
            sa.Column("once_per_customer", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("combines_with", _TEXT(length=40), nullable=True))
        batch.add_column(sa.Column("shop_discount_id", _TEXT(length=255), nullable=True))
    with op.batch_alter_table("codecut_webhook_event") as batch:
        batch.add_column(
            sa.Column("via", _TEXT(length=20), nullable=False, server_default="webhook")
        )
    op.create_table(
        "codecut_code_push",
        sa.Column(
            "code_id", sa.Integer(), sa.ForeignKey("codecut_code.id"), primary_key=True
        ),
        sa.Column("state", _TEXT(length=20), nullable=False),
        sa.Column("job_id", _TEXT(length=255), nullable=True),
        sa.Column("external_id", _TEXT(length=255), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("updated_at", _WHEN(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("codecut_code_push")
    with op.batch_alter_table("codecut_webhook_event") as batch:
        batch.drop_column("via")
    with op.batch_alter_table("codecut_campaign") as batch:
        for name in ("shop_discount_id", "combines_with", "once_per_customer", "customer_discount"):
            batch.drop_column(name)
    with op.batch_alter_table("codecut_store") as batch:
        for name in ("orders_synced_through", "admin_credentials", "api_base"):
            batch.drop_column(name)
