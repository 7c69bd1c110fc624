"""Index items by (status, created_at) so 本月未办结 reads only this month's open items.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_items_status_created", "items", ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_items_status_created", table_name="items")
