"""A cadre's platform accounts in one table (platform_accounts) instead of one column per
platform on cadres (wecom_userid, dingtalk_userid, dingtalk_staffid).

The ids are read into memory before `cadres` is altered: on SQLite the batch ALTER recreates
the table, and with foreign keys on, dropping the old copy would cascade to platform_accounts.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_COLUMNS = (("wecom_userid", "wecom"), ("dingtalk_userid", "dingtalk"), ("dingtalk_staffid", "dingtalk"))


def upgrade() -> None:
    conn = op.get_bind()
    seen: set[tuple[str, str]] = set()
    rows = []
    for cadre_id, *ids in conn.execute(sa.text(
            "select id, wecom_userid, dingtalk_userid, dingtalk_staffid from cadres order by id")).all():
        for (_, channel), account in zip(_COLUMNS, ids, strict=True):
            if account and (channel, account) not in seen:  # a staffId equal to the userId: one row
                seen.add((channel, account))
                rows.append({"cadre_id": cadre_id, "channel": channel, "account_id": account})
    with op.batch_alter_table("cadres") as batch:
        for column, _ in _COLUMNS:
            batch.drop_column(column)
    op.create_table(
        "platform_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cadre_id", sa.Integer(), sa.ForeignKey("cadres.id", ondelete="CASCADE"), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "account_id", name="uq_platform_accounts_channel_account"),
    )
    op.create_index("ix_platform_accounts_cadre_id", "platform_accounts", ["cadre_id"])
    if rows:
        conn.execute(sa.text("insert into platform_accounts (cadre_id, channel, account_id) "
                             "values (:cadre_id, :channel, :account_id)"), rows)


def downgrade() -> None:
    conn = op.get_bind()
    first: dict[tuple[int, str], str] = {}  # the first account per cadre and channel
    for cadre_id, channel, account in conn.execute(sa.text(
            "select cadre_id, channel, account_id from platform_accounts order by id")).all():
        first.setdefault((cadre_id, channel), account)
    op.drop_index("ix_platform_accounts_cadre_id", table_name="platform_accounts")
    op.drop_table("platform_accounts")
    with op.batch_alter_table("cadres") as batch:
        for column, _ in _COLUMNS:
            batch.add_column(sa.Column(column, sa.String(length=64), nullable=True))
            batch.create_unique_constraint(f"uq_cadres_{column}", [column])
    for (cadre_id, channel), account in first.items():
        column = "wecom_userid" if channel == "wecom" else "dingtalk_userid"
        conn.execute(sa.text(f"update cadres set {column} = :account where id = :id"),
                     {"account": account, "id": cadre_id})
