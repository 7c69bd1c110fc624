"""One-time sign-in links to the web console (「后台」 in chat); items indexed by resolved_at
(the 效果清单 of a month, the console's dashboard).

Revision ID: 0014
Revises: 0012
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_links",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("cadre_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["cadre_id"], ["cadres.id"]),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_items_resolved", "items", ["resolved_at"])


def downgrade() -> None:
    op.drop_index("ix_items_resolved", table_name="items")
    op.drop_table("console_links")
