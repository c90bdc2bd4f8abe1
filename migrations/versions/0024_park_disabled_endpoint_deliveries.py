"""park the pending deliveries of disabled webhook endpoints

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04

A disabled endpoint's pending deliveries now wait beyond any due time until it is enabled
(``codecut.outbox.endpoints.PARKED``), so the delivery loop's claim never walks a dead
receiver's backlog. Endpoints disabled before this revision get the same: their pending
deliveries are parked; enabling one sends them from then on, as before.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARKED = datetime(9999, 12, 31, tzinfo=UTC)  # codecut.outbox.endpoints.PARKED, frozen here

deliveries = sa.table(
    "codecut_webhook_delivery",
    sa.column("endpoint_id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("next_attempt_at", sa.DateTime(timezone=True)),
)
endpoints = sa.table(
    "codecut_webhook_endpoint", sa.column("id", sa.Integer), sa.column("enabled", sa.Boolean)
)
disabled_pending = (
    deliveries.c.status == "pending",
    deliveries.c.endpoint_id.in_(sa.select(endpoints.c.id).where(endpoints.c.enabled.is_(False))),
)


def upgrade() -> None:
    op.execute(sa.update(deliveries).where(*disabled_pending).values(next_attempt_at=PARKED))


def downgrade() -> None:
    op.execute(
        sa.update(deliveries)
        .where(*disabled_pending)
        .values(next_attempt_at=datetime.now(UTC).replace(microsecond=0))
    )
