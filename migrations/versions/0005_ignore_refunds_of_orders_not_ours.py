"""refunds and cancellations of orders that carry no code of ours are ignored, not waiting

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

A refund that arrived after its code-less order used to wait forever for an order that had come
and been ignored. Such deliveries are ignored with the same reason now, and the ones stored so
far are fixed here. Nothing is undone on downgrade: they were never going to be applied.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOT_OURS = "the order uses no code of ours"


def upgrade() -> None:
    op.execute(
        f"UPDATE codecut_webhook_event SET status = 'ignored', reason = '{NOT_OURS}' "
        "WHERE status = 'waiting' AND EXISTS (SELECT 1 FROM codecut_webhook_event AS seen "
        "WHERE seen.store_id = codecut_webhook_event.store_id "
        "AND seen.order_external_id = codecut_webhook_event.order_external_id "
        f"AND seen.status = 'ignored' AND seen.reason = '{NOT_OURS}')"
    )


def downgrade() -> None:
    pass
