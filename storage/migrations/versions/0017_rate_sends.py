"""Platform rate limits counted in the database, so they hold across instances.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rate_sends_key_at", "rate_sends", ["key", "at"])


def downgrade() -> None:
    op.drop_index("ix_rate_sends_key_at", table_name="rate_sends")
    op.drop_table("rate_sends")
