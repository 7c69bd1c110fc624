"""The one outbound model: every address survives the outbox columns, and one `enqueue`
queues one notice or many with the same rows (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from storage import outbox
from storage.models import Outbox
from storage.notice import (
    BadAddress,
    CadreAddress,
    ConsoleAddress,
    DingTalkSession,
    GroupAddress,
    Notice,
    PlatformAddress,
    address_of,
    columns,
    user_address,
)

NOW = datetime(2026, 11, 18, 9, 0)

ADDRESSES = [
    (CadreAddress(7), ("auto", "cadre", "7")),
    (GroupAddress(3), ("auto", "group", "3")),
    (PlatformAddress("wecom", "user", "zhangsan"), ("wecom", "user", "zhangsan")),
    (
        PlatformAddress("dingtalk", "webhook", "https://oapi.dingtalk.com/robot/send?access_token=T"),
        ("dingtalk", "webhook", "https://oapi.dingtalk.com/robot/send?access_token=T"),
    ),
    (
        DingTalkSession("https://oapi.dingtalk.com/robot/sendBySession?session=S", 1763427600000, "s1", "cid1"),
        (
            "dingtalk",
            "session",
            '{"url":"https://oapi.dingtalk.com/robot/sendBySession?session=S",'
            '"expires_ms":1763427600000,"user":"s1","chat":"cid1"}',
        ),
    ),
    (ConsoleAddress("刘处长"), ("console", "user", "刘处长")),
]


@pytest.mark.parametrize(("address", "row"), ADDRESSES)
def test_an_address_is_its_outbox_columns_and_back(address, row):
    assert columns(address) == row
    assert address_of(*row) == address


def test_rows_of_older_releases_still_read():
    assert address_of("auto", "wecom_user", "u1") == PlatformAddress("wecom", "user", "u1")
    assert address_of("auto", "dingtalk_session", '{"url":"https://x","user":"s1"}') == DingTalkSession(
        "https://x", None, "s1", None
    )


@pytest.mark.parametrize(
    "row",
    [
        ("auto", "cadre", "张三"),
        ("auto", "user", "u1"),
        ("feishu", "chat", "u1"),
        ("dingtalk", "session", "{not json"),
        ("dingtalk", "session", '{"url":"x"}'),
    ],
)
def test_columns_that_name_nobody_are_refused(row):
    with pytest.raises(BadAddress):
        address_of(*row)


def test_any_platform_package_has_platform_addresses():
    # which platforms exist is bot/'s business (bot.platform_registry): a row for one that is not
    # installed fails when routed (tests/bot/test_platform_package.py)
    assert address_of("feishu", "user", "u1") == PlatformAddress("feishu", "user", "u1")


def test_a_sender_is_addressed_on_their_channel():
    assert user_address("wecom", "u1") == PlatformAddress("wecom", "user", "u1")
    assert user_address("console", "zhang") == ConsoleAddress("zhang")


async def _rows(db):
    async with db.session() as s:
        return [
            (o.channel, o.target_kind, o.target, o.msg_type, o.body, o.dedupe_key, o.next_attempt_at, o.subject)
            for o in await s.scalars(select(Outbox).order_by(Outbox.id))
        ]


BATCH = [
    Notice(CadreAddress(1), "一", "k1"),
    Notice(
        GroupAddress(2),
        "## 周报",
        "k2",
        kind="markdown",
        not_before=datetime(2026, 11, 18, 10, 0),
        subject={"job": "weekly_digest", "part": 1, "parts": 1},
    ),
    Notice(ConsoleAddress("刘处长"), '{"file": "ledger"}', "k3", kind="file"),
]


async def test_one_at_a_time_and_all_at_once_write_the_same_rows(db, tmp_path):
    async with db.write() as s:
        many = await outbox.enqueue(s, BATCH, NOW)  # one statement
    batched = await _rows(db)
    async with db.write() as s:
        await s.execute(Outbox.__table__.delete())
        single = [(await outbox.enqueue(s, n, NOW))[0] for n in BATCH]
    assert all(isinstance(i, int) for i in many + single)
    assert await _rows(db) == batched
    assert batched == [
        ("auto", "cadre", "1", "text", "一", "k1", NOW, None),
        (
            "auto",
            "group",
            "2",
            "markdown",
            "## 周报",
            "k2",
            datetime(2026, 11, 18, 10, 0),
            {"job": "weekly_digest", "part": 1, "parts": 1},
        ),
        ("console", "user", "刘处长", "file", '{"file": "ledger"}', "k3", NOW, None),
    ]


async def test_a_queued_key_is_skipped_and_reported_as_none(db):
    async with db.write() as s:
        (first,) = await outbox.enqueue(s, BATCH[0], NOW)
        again = await outbox.enqueue(s, [Notice(CadreAddress(1), "一（重发）", "k1"), BATCH[1]], NOW)
        unkeyed = await outbox.enqueue(s, [Notice(CadreAddress(1), "甲"), Notice(CadreAddress(1), "乙")], NOW)
    assert first is not None and again[0] is None and isinstance(again[1], int)
    assert None not in unkeyed and unkeyed[0] < unkeyed[1]  # in order, never deduplicated
    assert [r[4] for r in await _rows(db)] == ["一", "## 周报", "甲", "乙"]


def test_storage_outbox_is_the_only_writer_of_new_rows():
    root = Path(__file__).resolve().parents[2]
    writers = []
    for path in sorted(p for d in ("bot", "handlers", "scheduler", "storage") for p in (root / d).rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "migrations" not in path.parts and re.search(
            r"INSERT INTO outbox|insert\(Outbox\b|(?<!class )\bOutbox\(", text
        ):
            writers.append(path.relative_to(root).as_posix())
    assert writers == ["storage/outbox.py"]
