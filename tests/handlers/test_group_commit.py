"""Records arriving together are written together (group commit), each still exactly once,
owned by its sender and answered with its own reply."""

from __future__ import annotations

import asyncio

from sqlalchemy import event, func, select

from handlers import record
from handlers.texts import replies
from storage.models import Cadre, InboundMessage, Item, ItemEvent, Visit
from tests.handlers.chat import say

REPORTS = {
    "zhang": "今天去梅园3栋走访，5名同学反映热水不稳定，另外晚上宿舍网络很卡",
    "zhao": "到二食堂走访，同学反映饭菜价格偏高",
    "chen": "图书馆自习座位不够",
    "sun": "今天走访12栋学生公寓，楼道灯坏了",
}


class Commits:
    """Counts transactions committed on every engine of the database."""

    def __init__(self, db) -> None:
        self.n = 0
        for engine in db.engines:
            event.listen(engine, "commit", self._one)

    def _one(self, _conn) -> None:
        self.n += 1


async def rows(db, model, *where):
    async with db.session() as s:
        return list(await s.scalars(select(model).where(*where).order_by(model.id)))


async def test_concurrent_reports_share_one_transaction_and_keep_their_own_replies(dispatcher, db):
    commits = Commits(db)
    answers = await asyncio.gather(*(say(dispatcher, user, text) for user, text in REPORTS.items()))
    assert commits.n == 1  # four messages, one commit
    by_user = dict(zip(REPORTS, answers, strict=True))
    assert "已记录走访" in by_user["zhang"] and "宿舍·梅园3栋" in by_user["zhang"]
    assert "食堂·二食堂" in by_user["zhao"] and "饭菜价格偏高" in by_user["zhao"]
    assert "已记录问题 1 项" in by_user["chen"] and "已记录走访" not in by_user["chen"]
    async with db.session() as s:
        names = dict((await s.execute(select(Cadre.id, Cadre.name))).all())
    items = await rows(db, Item)
    assert len(items) == 5 and len({i.id for i in items}) == 5
    for item in items:  # each item owned by whoever reported it, and listed under its number there
        assert item.owner_id == item.reporter_id
        mine = "\n".join(a for a in answers if names[item.owner_id] in a)
        assert f"#{item.id} {item.category}｜{item.text}，责任人 {names[item.owner_id]}" in mine
    visits = await rows(db, Visit)
    assert sorted(v.place for v in visits) == ["12栋", "二食堂", "梅园3栋"]
    assert all(v.message_id is not None for v in visits)
    assert len(await rows(db, ItemEvent, ItemEvent.kind == "created")) == 5
    stored = await rows(db, InboundMessage)
    assert [m.status for m in stored] == ["handled"] * 4
    assert sorted(m.reply for m in stored) == sorted(answers)


async def test_a_retry_arriving_in_the_same_batch_is_recorded_once(dispatcher, db):
    text = REPORTS["zhao"]
    first, retry, other = await asyncio.gather(
        say(dispatcher, "zhao", text, msg_id="m1"),
        say(dispatcher, "zhao", text, msg_id="m1"),
        say(dispatcher, "chen", REPORTS["chen"]),
    )
    assert first == retry and "#1 " in first
    assert "#2 " in other
    assert len(await rows(db, InboundMessage)) == 2 and len(await rows(db, Item)) == 2
    assert await say(dispatcher, "zhao", text, msg_id="m1") == first  # and later, from the stored reply


async def test_a_stranger_in_the_batch_is_refused_and_the_others_recorded(dispatcher, db):
    mine, stranger = await asyncio.gather(
        say(dispatcher, "zhao", REPORTS["zhao"]), say(dispatcher, "stranger", REPORTS["chen"])
    )
    assert "不在民情通的干部名单中" in stranger and "#1 " in mine
    stored = await rows(db, InboundMessage)
    assert [m.sender for m in stored] == ["zhao"]


async def test_one_failing_record_fails_alone_and_is_kept(dispatcher, db, monkeypatch):
    real = replies.recorded

    def fragile(visit, items, today):
        if any("自习座位" in i.text for i in items):
            raise RuntimeError("boom")
        return real(visit, items, today)

    monkeypatch.setattr(record.replies, "recorded", fragile)
    answers = await asyncio.gather(*(say(dispatcher, user, text) for user, text in REPORTS.items()))
    by_user = dict(zip(REPORTS, answers, strict=True))
    assert by_user["chen"] == replies.FAILED
    assert all("#" in a for user, a in by_user.items() if user != "chen")
    stored = {m.sender: m for m in await rows(db, InboundMessage)}
    assert stored["chen"].status == "failed" and stored["chen"].text == REPORTS["chen"]  # nothing lost
    assert {stored[u].status for u in ("zhang", "zhao", "sun")} == {"handled"}
    assert not [i for i in await rows(db, Item) if "自习座位" in i.text]  # and nothing half-written
    assert len(await rows(db, Item)) == 4


async def test_a_lone_report_is_written_at_once(dispatcher, db):
    commits = Commits(db)
    reply = await say(dispatcher, "zhao", REPORTS["zhao"])
    assert "#1 " in reply and commits.n == 1
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Item)) == 1
