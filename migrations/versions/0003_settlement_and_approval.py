"""settlement and approval without rewriting the ledger

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03

A payout run used to write ``payout_id`` (and approval ``status``) into every entry it touched:
about 42 microseconds a row through five indexes and a foreign key. Settlement now inserts one
narrow row per entry into ``codecut_settlement`` (the entry is its key: settled once at most),
approval is one row in ``codecut_approval`` (every hold ending by its day is approved), and
``paid`` is derived from the payout's status. Entries keep ``pending``/``approved`` as booked and
``held``/``void`` from review; existing ``paid`` entries become ``approved`` (their payout says
they are paid). The settlement table has no foreign keys: their per-row checks cost more than the
rest of settling a million entries; ``codecut verify`` checks for orphans instead.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COVERING_OLD = ["influencer_id", "status", "kind", "currency", "amount", "available_on", "payout_id"]
_COVERING_NEW = _COVERING_OLD[:-1]


def upgrade() -> None:
    op.create_table(
        "codecut_settlement",
        sa.Column("entry_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("payout_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_codecut_settlement")),
    )
    op.create_index(
        op.f("ix_codecut_settlement_payout_id"), "codecut_settlement", ["payout_id"], unique=False
    )
    op.create_table(
        "codecut_approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("approved_through", sa.Date(), nullable=False),
        sa.Column("approved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_codecut_approval")),
    )
    op.create_index(
        op.f("ix_codecut_approval_approved_through"),
        "codecut_approval",
        ["approved_through"],
        unique=False,
    )
    op.execute(
        "INSERT INTO codecut_settlement (entry_id, payout_id) "
        "SELECT id, payout_id FROM codecut_ledger_entry WHERE payout_id IS NOT NULL"
    )
    op.execute("UPDATE codecut_ledger_entry SET status = 'approved' WHERE status = 'paid'")
    with op.batch_alter_table("codecut_ledger_entry") as batch_op:
        batch_op.drop_index("ix_codecut_ledger_entry_influencer_status")
        batch_op.drop_index("ix_codecut_ledger_entry_payout_id")
        batch_op.drop_constraint(
            "fk_codecut_ledger_entry_payout_id_codecut_payout", type_="foreignkey"
        )
        batch_op.drop_column("payout_id")
        batch_op.drop_column("approved_at")
        batch_op.create_index("ix_codecut_ledger_entry_influencer_status", _COVERING_NEW)


def downgrade() -> None:
    with op.batch_alter_table("codecut_ledger_entry") as batch_op:
        batch_op.drop_index("ix_codecut_ledger_entry_influencer_status")
        batch_op.add_column(
            sa.Column("approved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("payout_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_codecut_ledger_entry_payout_id_codecut_payout",
            "codecut_payout",
            ["payout_id"],
            ["id"],
        )
        batch_op.create_index("ix_codecut_ledger_entry_payout_id", ["payout_id"])
        batch_op.create_index("ix_codecut_ledger_entry_influencer_status", _COVERING_OLD)
    op.execute(
        "UPDATE codecut_ledger_entry SET payout_id = (SELECT s.payout_id FROM codecut_settlement s "
        "WHERE s.entry_id = codecut_ledger_entry.id)"
    )
    op.execute(
        "UPDATE codecut_ledger_entry SET status = 'paid' WHERE payout_id IN "
        "(SELECT id FROM codecut_payout WHERE status = 'paid')"
    )
    op.execute(
        "UPDATE codecut_ledger_entry SET status = 'approved' WHERE status = 'pending' AND "
        "available_on <= (SELECT MAX(approved_through) FROM codecut_approval)"
    )
    op.drop_index(op.f("ix_codecut_approval_approved_through"), table_name="codecut_approval")
    op.drop_table("codecut_approval")
    op.drop_index(op.f("ix_codecut_settlement_payout_id"), table_name="codecut_settlement")
    op.drop_table("codecut_settlement")
