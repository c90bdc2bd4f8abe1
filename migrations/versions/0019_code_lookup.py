"""codes looked up by the code alone

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04

A share link (``/r/<code>``) names the code, not its store; the unique key (store, code) does not
serve that lookup, so with thousands of codes each click scanned the table.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_codecut_code_code"), "codecut_code", ["code"])


def downgrade() -> None:
    op.drop_index(op.f("ix_codecut_code_code"), table_name="codecut_code")
