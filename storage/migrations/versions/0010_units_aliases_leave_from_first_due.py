"""Unit aliases (roster column), the first day of a leave, and the deadline an item was
first due by (按期办结 is measured against it).

Revision ID: 0010
Revises: 0002
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("units") as b:
        b.add_column(sa.Column("aliases", sa.JSON(), nullable=True))
    with op.batch_alter_table("cadres") as b:
        b.add_column(sa.Column("leave_from", sa.Date(), nullable=True))
    with op.batch_alter_table("items") as b:
        b.add_column(sa.Column("first_due", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("items") as b:
        b.drop_column("first_due")
    with op.batch_alter_table("cadres") as b:
        b.drop_column("leave_from")
    with op.batch_alter_table("units") as b:
        b.drop_column("aliases")
