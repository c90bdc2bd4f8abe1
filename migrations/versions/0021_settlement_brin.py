"""settlement's payout index as BRIN on PostgreSQL

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04

A payout run appends a batch's settlement rows together and payout ids only grow, so a BRIN
index finds one payout's (or batch's) rows from the few block ranges its batch wrote, at a
fraction of the cost of keeping a b-tree up to date while settling a million entries. SQLite
keeps its b-tree.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "ix_codecut_settlement_payout_id"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(_INDEX, table_name="codecut_settlement")
    op.create_index(_INDEX, "codecut_settlement", ["payout_id"], postgresql_using="brin")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(_INDEX, table_name="codecut_settlement")
    op.create_index(_INDEX, "codecut_settlement", ["payout_id"])
