"""outgoing webhooks: endpoints, an outbox of events, deliveries

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-04

Events are written in the same transaction as the facts they report (``codecut.outbox``), one
delivery row per event and subscribed endpoint; ``codecut worker`` delivers them, claiming rows
by ``(status, next_attempt_at)``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TEXT = sqlmodel.sql.sqltypes.AutoString
_WHEN = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "codecut_webhook_endpoint",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("url", _TEXT(length=2000), nullable=False),
        sa.Column("description", _TEXT(length=500), nullable=True),
        sa.Column("events", _TEXT(length=500), nullable=False),
        sa.Column("secret", _TEXT(length=100), nullable=False),
        sa.Column("previous_secret", _TEXT(length=100), nullable=True),
        sa.Column("previous_secret_expires_at", _WHEN(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("created_at", _WHEN(), nullable=False),
    )
    op.create_table(
        "codecut_outbox_event",
        sa.Column("id", _BIG_ID, primary_key=True),
        sa.Column("public_id", _TEXT(length=40), nullable=False),
        sa.Column("type", _TEXT(length=50), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", _WHEN(), nullable=False),
        sa.UniqueConstraint("public_id", name=op.f("uq_codecut_outbox_event_public_id")),
    )
    op.create_table(
        "codecut_webhook_delivery",
        sa.Column("id", _BIG_ID, primary_key=True),
        sa.Column(
            "event_id", sa.BigInteger(), sa.ForeignKey("codecut_outbox_event.id"), nullable=False
        ),
        sa.Column(
            "endpoint_id",
            sa.Integer(),
            sa.ForeignKey("codecut_webhook_endpoint.id"),
            nullable=False,
        ),
        sa.Column("status", _TEXT(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _WHEN(), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", _TEXT(length=500), nullable=True),
        sa.Column("last_response", _TEXT(length=500), nullable=True),
        sa.Column("last_attempt_at", _WHEN(), nullable=True),
        sa.Column("delivered_at", _WHEN(), nullable=True),
        sa.Column("created_at", _WHEN(), nullable=False),
        sa.UniqueConstraint(
            "event_id", "endpoint_id", name=op.f("uq_codecut_webhook_delivery_event_id_endpoint_id")
        ),
    )
    op.create_index(
        op.f("ix_codecut_webhook_delivery_status_next_attempt_at"),
        "codecut_webhook_delivery",
        ["status", "next_attempt_at"],
    )
    op.create_index(
        op.f("ix_codecut_webhook_delivery_endpoint_id_id"),
        "codecut_webhook_delivery",
        ["endpoint_id", "id"],
    )


def downgrade() -> None:
    op.drop_table("codecut_webhook_delivery")
    op.drop_table("codecut_outbox_event")
    op.drop_table("codecut_webhook_endpoint")
