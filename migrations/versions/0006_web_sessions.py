"""server-side browser sessions, so signing out ends the session on the server

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

The portal's cookie used to carry the influencer's id and a nonce shared by all their sessions:
a cookie copied before "Sign out" still worked. Sessions are rows now (the cookie holds a random
token, the table its SHA-256), ended one by one at sign-out, all at once by "sign out
everywhere". Everyone signs in again once after this upgrade.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "codecut_web_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_codecut_web_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_codecut_web_session_token_hash")),
    )
    op.create_index(
        op.f("ix_codecut_web_session_subject_subject_id"),
        "codecut_web_session",
        ["subject", "subject_id"],
        unique=False,
    )
    with op.batch_alter_table("codecut_influencer") as batch_op:
        batch_op.drop_column("session_nonce")


def downgrade() -> None:
    with op.batch_alter_table("codecut_influencer") as batch_op:
        batch_op.add_column(
            sa.Column(
                "session_nonce",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=False,
                server_default="",
            )
        )
    op.drop_index(
        op.f("ix_codecut_web_session_subject_subject_id"), table_name="codecut_web_session"
    )
    op.drop_table("codecut_web_session")
