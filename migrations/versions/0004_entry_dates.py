"""when each ledger entry's fact happened: occurred_at, and refunded_at for reversals

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

Reports by order date need the day the order was placed (commissions) or refunded (reversals),
not the day Codecut recorded the entry, which a backfill, a replay or a late webhook moves. The
refund's date was parsed from each delivery and then dropped; existing reversals get it back from
the raw deliveries the inbox kept (the refund objects they hold), cancellations from their order,
and anything not found keeps its recording time.
"""

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_TIME_INDEX = ["influencer_id", "created_at", "currency", "status", "amount"]
_NEW_TIME_INDEX = ["influencer_id", "occurred_at", "currency", "status", "amount"]


def upgrade() -> None:
    with op.batch_alter_table("codecut_ledger_entry") as batch_op:
        batch_op.add_column(
            sa.Column("occurred_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("refunded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    connection = op.get_bind()
    _backfill_refund_dates(connection)
    op.execute(
        "UPDATE codecut_ledger_entry SET refunded_at = (SELECT o.cancelled_at FROM codecut_order o "
        "WHERE o.id = codecut_ledger_entry.order_id) "
        "WHERE kind = 'reversal' AND reason = 'cancellation' AND refunded_at IS NULL"
    )
    op.execute(
        "UPDATE codecut_ledger_entry SET occurred_at = (SELECT o.placed_at FROM codecut_order o "
        "WHERE o.id = codecut_ledger_entry.order_id) WHERE kind = 'commission'"
    )
    op.execute("UPDATE codecut_ledger_entry SET occurred_at = refunded_at WHERE kind = 'reversal'")
    op.execute("UPDATE codecut_ledger_entry SET occurred_at = created_at WHERE occurred_at IS NULL")
    with op.batch_alter_table("codecut_ledger_entry") as batch_op:
        batch_op.alter_column(
            "occurred_at", existing_type=sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False
        )
        batch_op.drop_index("ix_codecut_ledger_entry_influencer_time")
        batch_op.create_index("ix_codecut_ledger_entry_influencer_time", _NEW_TIME_INDEX)


def downgrade() -> None:
    with op.batch_alter_table("codecut_ledger_entry") as batch_op:
        batch_op.drop_index("ix_codecut_ledger_entry_influencer_time")
        batch_op.create_index("ix_codecut_ledger_entry_influencer_time", _OLD_TIME_INDEX)
        batch_op.drop_column("refunded_at")
        batch_op.drop_column("occurred_at")


# -- refund dates from the raw deliveries -------------------------------------------------------


def _backfill_refund_dates(connection: Any) -> None:
    """Give each refund reversal (``dedupe_key`` ``refund:<id>``) the date of its refund, read
    from the stored deliveries of its store, whatever their platform."""
    wanted = {
        (store_id, key.removeprefix("refund:")): entry_id
        for entry_id, store_id, key in connection.execute(
            sa.text(
                "SELECT id, store_id, dedupe_key FROM codecut_ledger_entry "
                "WHERE kind = 'reversal' AND dedupe_key LIKE 'refund:%'"
            )
        )
    }
    if not wanted:
        return
    found: dict[int, datetime] = {}
    rows = connection.execute(
        sa.text(
            "SELECT store_id, body FROM codecut_webhook_event WHERE store_id IS NOT NULL"
        ).execution_options(yield_per=500)
    )
    for store_id, body in rows:
        try:
            payload = json.loads(body)
        except (TypeError, ValueError, RecursionError):
            continue
        for refund_id, when in _refunds(payload):
            entry_id = wanted.get((store_id, refund_id))
            if entry_id is not None and entry_id not in found:
                found[entry_id] = when
    for entry_id, when in found.items():
        connection.execute(
            sa.text("UPDATE codecut_ledger_entry SET refunded_at = :when WHERE id = :id"),
            {"when": when, "id": entry_id},
        )


def _refunds(payload: Any) -> Iterator[tuple[str, datetime]]:
    """(refund id, time) of the refunds a payload describes: a Shopify refund, the refunds
    embedded in a Shopify or WooCommerce order, a generic refund event."""
    candidates = []
    if isinstance(payload, dict):
        if "order_id" in payload and "id" in payload:
            candidates.append(payload)
        refunds = payload.get("refunds")
        if isinstance(refunds, list):
            candidates.extend(refunds)
    for refund in candidates:
        if not isinstance(refund, dict):
            continue
        refund_id = refund.get("id")
        stamp = next(
            (
                refund.get(name)
                for name in ("created_at", "processed_at", "date_created_gmt", "date_created")
                if isinstance(refund.get(name), str)
            ),
            None,
        )
        if isinstance(refund_id, bool) or not isinstance(refund_id, int | str) or not stamp:
            continue
        try:
            when = datetime.fromisoformat(stamp.strip().replace("Z", "+00:00"))
        except ValueError:
            continue
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        yield str(refund_id).strip(), when.astimezone(UTC)
