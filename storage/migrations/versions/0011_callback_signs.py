"""DingTalk (timestamp, sign) pairs bound to the first body that used them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callback_signs",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_callback_signs_at", "callback_signs", ["at"])


def downgrade() -> None:
    op.drop_index("ix_callback_signs_at", table_name="callback_signs")
    op.drop_table("callback_signs")
