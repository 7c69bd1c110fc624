"""A cadre's platform accounts in one table (platform_accounts) instead of one column per
platform on cadres (wecom_userid, dingtalk_userid, dingtalk_staffid).

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
    conn = op.get_bind()
    seen: set[tuple[str, str]] = set()
    rows = []
    for cadre_id, *ids in conn.execute(sa.text(
            "select id, wecom_userid, dingtalk_userid, dingtalk_staffid from cadres order by id")):
        for (_, channel), account in zip(_COLUMNS, ids, strict=True):
            if account and (channel, account) not in seen:  # staffId equal to userId: one row
                seen.add((channel, account))
                rows.append({"cadre_id": cadre_id, "channel": channel, "account_id": account})
    if rows:
        conn.execute(sa.text("insert into platform_accounts (cadre_id, channel, account_id) "
                             "values (:cadre_id, :channel, :account_id)"), rows)
    with op.batch_alter_table("cadres", recreate="always") as batch:
        for column, _ in _COLUMNS:
            batch.drop_column(column)


def downgrade() -> None:
    with op.batch_alter_table("cadres") as batch:
        for column, _ in _COLUMNS:
            batch.add_column(sa.Column(column, sa.String(length=64), nullable=True))
    conn = op.get_bind()
    for column, channel in _COLUMNS[:2]:  # the first account per channel; staffIds were userIds
        conn.execute(sa.text(
            f"update cadres set {column} = (select min(account_id) from platform_accounts a "
            f"where a.cadre_id = cadres.id and a.channel = :channel)"), {"channel": channel})
    with op.batch_alter_table("cadres") as batch:
        for column, _ in _COLUMNS:
            batch.create_unique_constraint(f"uq_cadres_{column}", [column])
    op.drop_index("ix_platform_accounts_cadre_id", table_name="platform_accounts")
    op.drop_table("platform_accounts")
