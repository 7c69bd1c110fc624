"""回访链接 for the people served (rating_links) and the source of each 回访 (followups.source).

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rating_links",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("items.id"), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("cadre_id", sa.Integer(), sa.ForeignKey("cadres.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_rating_links_item_id", "rating_links", ["item_id"])
    with op.batch_alter_table("followups") as batch:
        batch.add_column(sa.Column("source", sa.String(length=8), nullable=False, server_default="干部"))


def downgrade() -> None:
    with op.batch_alter_table("followups") as batch:
        batch.drop_column("source")
    op.drop_index("ix_rating_links_item_id", table_name="rating_links")
    op.drop_table("rating_links")
