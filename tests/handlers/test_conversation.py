"""The core record loop through the dispatcher: record, number, act, follow up, undo."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import Cadre, InboundMessage, Item, ItemEvent, Outbox, PlatformAccount, Visit
from tests.handlers.chat import say

VISIT = "今天去梅园3栋走访，5名同学反映热水不稳定，另外晚上宿舍网络很卡"


async def count(db, model, *where) -> int:
    async with db.session() as s:
        return await s.scalar(select(func.count()).select_from(model).where(*where))


async def items(db) -> list[Item]:
    async with db.session() as s:
        return list(await s.scalars(select(Item).order_by(Item.id)))


async def test_visit_with_two_problems_is_recorded_and_numbered(dispatcher, db):
    reply = await say(dispatcher, "zhang", VISIT)
    assert "已记录走访：11月18日（周三）宿舍·梅园3栋，见到5人" in reply
    assert "#1 宿舍｜" in reply and "#2 宿舍｜" in reply
    assert "责任人 张老师，期限 11月25日" in reply
    assert "改 #1 分类" in reply and "撤销" in reply
    got = await items(db)
    assert [i.status for i in got] == ["new", "new"]
    assert all(i.owner_id == i.reporter_id for i in got)  # 首接首办
    assert await count(db, Visit) == 1
    assert await count(db, ItemEvent, ItemEvent.kind == "created") == 2


async def test_full_lifecycle_transfer_resolve_followup(dispatcher, db, clock):
    await say(dispatcher, "zhang", VISIT)
    assert "已签收 #1" in await say(dispatcher, "zhang", "签收 #1")
    assert "已记录 #1 的进展" in await say(dispatcher, "zhang", "进展 #1 已联系宿管")
    reply = await say(dispatcher, "zhang", "转办 #1 后勤处")
    assert "已将 #1 转办给 后勤处 刘处长" in reply
    async with db.session() as s:
        notice = await s.scalar(select(Outbox).where(Outbox.target == "刘处长"))
    assert notice.channel == "console"  # console practice never reaches a platform
    assert "转办给您" in notice.body and "签收 #1" in notice.body
    clock.advance(days=1)
    assert "#1 已办结" in await say(dispatcher, "liu", "办结 #1 已更换热水循环泵")
    assert "问题已销号" in await say(dispatcher, "zhang", "回访 #1 满意 同学们说好了")
    (item, _) = await items(db)
    assert item.status == "closed" and item.result == "已更换热水循环泵"
    async with db.session() as s:
        kinds = list(await s.scalars(select(ItemEvent.kind).where(ItemEvent.item_id == 1).order_by(ItemEvent.id)))
    assert kinds == ["created", "accepted", "progress", "transferred", "resolved", "followup", "closed"]


async def test_unsatisfied_followup_reopens_and_tells_the_owner(dispatcher, db):
    await say(dispatcher, "zhang", VISIT)
    await say(dispatcher, "zhang", "转办 #2 后勤处 陈师傅")
    await say(dispatcher, "chen", "办结 #2 重启了交换机")
    reply = await say(dispatcher, "zhang", "回访 #2 不满意 晚上还是卡")
    assert "转为重办" in reply and "陈师傅" in reply
    item = (await items(db))[1]
    assert item.status == "reopened" and item.resolved_at is None
    async with db.session() as s:
        bodies = list(await s.scalars(select(Outbox.body).order_by(Outbox.id)))
    assert any("回访不满意（晚上还是卡）" in b for b in bodies)
    assert "已签收 #2" in await say(dispatcher, "chen", "签收 #2")


async def test_followup_needs_a_resolved_item_and_a_rating(dispatcher):
    await say(dispatcher, "zhang", VISIT)
    assert "办结后才能回访" in await say(dispatcher, "zhang", "回访 #1 满意")
    assert "满意、基本满意或不满意" in await say(dispatcher, "zhang", "回访 #1 还行")


async def test_permissions_follow_roles(dispatcher, db):
    await say(dispatcher, "zhang", VISIT)  # 计算机学院
    assert "没有办理问题 #1 的权限" in await say(dispatcher, "chen", "签收 #1")  # 后勤处 cadre
    assert "没有办理问题 #1 的权限" in await say(dispatcher, "zhao", "办结 #1 好了")  # same unit, not owner
    assert "已签收 #1" in await say(dispatcher, "li", "签收 #1")  # unit head of 计算机学院
    assert "只有领导可以包保" in await say(dispatcher, "li", "包保 #2")
    assert "您已包保 #2" in await say(dispatcher, "wang", "包保 #2")  # leader
    first, second = await items(db)
    assert first.status == "in_progress"
    async with db.session() as s:
        wang = await s.scalar(select(Cadre).join(PlatformAccount).where(PlatformAccount.account_id == "wang"))
    assert (second.track, second.owner_id, second.deadline.isoformat()) == ("包保", wang.id, "2027-01-17")


async def test_unknown_item_and_wrong_state(dispatcher):
    assert "没有找到问题 #99" in await say(dispatcher, "zhang", "签收 #99")
    await say(dispatcher, "zhang", VISIT)
    await say(dispatcher, "zhang", "办结 #1 修好了")
    assert "当前已办结，不能办结" in await say(dispatcher, "zhang", "办结 #1 又修了")


async def test_edit_category_deadline_content_and_corrections_are_recorded(dispatcher, db):
    await say(dispatcher, "zhang", VISIT)
    assert "已更正 #2 的分类" in await say(dispatcher, "zhang", "改 #2 分类 后勤")
    assert "期限 11月23日" in await say(dispatcher, "zhang", "改 #2 期限 11月23日")  # earlier: allowed
    assert "没看懂这个日期" in await say(dispatcher, "zhang", "改 #2 期限 下下下周")
    assert "期限 12月5日" in await say(dispatcher, "li", "改 #2 期限 12月5日")  # the unit head sets it
    assert "没有「吃饭」这个分类" in await say(dispatcher, "zhang", "改 #2 分类 吃饭")
    assert "已更正 #2 的内容" in await say(dispatcher, "zhang", "改 #2 内容 宿舍区校园网晚上掉线")
    item = (await items(db))[1]
    assert (item.category, item.deadline.isoformat(), item.text) == ("后勤", "2026-12-05", "宿舍区校园网晚上掉线")
    from storage.items import category_corrections

    async with db.session() as s:
        rows = await category_corrections(s)
    assert [(e.data["old"], e.data["new"]) for e, _ in rows] == [("宿舍", "后勤")]


async def test_undo_revokes_the_last_record_only(dispatcher, db):
    await say(dispatcher, "zhang", VISIT)
    await say(dispatcher, "zhang", "二食堂今天中午饭菜偏咸")
    reply = await say(dispatcher, "zhang", "撤销")
    assert "已撤销上一条记录" in reply and "#3" in reply
    assert [i.status for i in await items(db)] == ["new", "new", "revoked"]
    reply = await say(dispatcher, "zhang", "撤销")
    assert "走访" in reply and "#1、#2" in reply
    assert await count(db, Visit, Visit.revoked_at.is_(None)) == 0
    assert "没有可以撤销的操作" in await say(dispatcher, "zhang", "撤销")
    assert "问题 #1 已作废或已撤销" in await say(dispatcher, "zhang", "签收 #1")  # not 「没有找到」


async def test_undo_refused_once_someone_else_worked_on_it(dispatcher, db):
    await say(dispatcher, "zhang", VISIT)
    await say(dispatcher, "li", "进展 #1 已联系后勤")
    assert "已有他人办理" in await say(dispatcher, "zhang", "撤销")
    assert [i.status for i in await items(db)] == ["in_progress", "new"]


async def test_not_registered_sender_gets_a_polite_reply_and_nothing_is_stored(dispatcher, db):
    reply = await say(dispatcher, "stranger", VISIT)
    assert "不在民情通的干部名单中" in reply and "本单位管理员" in reply
    assert await count(db, InboundMessage) == 0 and await count(db, Item) == 0


async def test_a_repeated_message_key_is_processed_once_and_answered_each_time(dispatcher, db):
    first = await say(dispatcher, "zhang", VISIT, msg_id="same")
    again = await say(dispatcher, "zhang", VISIT, msg_id="same")
    assert first == again and "#1" in again
    assert await count(db, Item) == 2 and await count(db, InboundMessage) == 1


async def test_bad_input_gets_a_clear_reply_and_keeps_the_message(dispatcher, db):
    assert "消息是空的" in await say(dispatcher, "zhang", "   ")
    assert "消息过长（4001字）" in await say(dispatcher, "zhang", "食" * 4001)
    assert "无法识别的字符" in await say(dispatcher, "zhang", "宿舍\x00\x01\x02")
    junk = bytes(range(128, 256)).decode("utf-8", "replace") + "VoT#k9"  # bytes that were no text
    assert "无法识别的字符" in await say(dispatcher, "zhang", junk)
    assert await count(db, Item) == 0
    assert await count(db, InboundMessage, InboundMessage.status == "rejected") == 4


async def test_refused_command_leaves_no_half_written_data(dispatcher, db):
    await say(dispatcher, "zhang", VISIT)
    assert "没有找到单位「火星学院」。最接近的单位：" in await say(dispatcher, "zhang", "转办 #1 火星学院")
    assert "没有名为「王五」的干部" in await say(dispatcher, "zhang", "转办 #1 后勤处 王五")
    item = (await items(db))[0]
    assert item.owner_id == item.reporter_id and item.status == "new"
    assert await count(db, Outbox) == 0
    assert await count(db, ItemEvent, ItemEvent.kind == "transferred") == 0


async def test_natural_resolve_wording(dispatcher, db):
    await say(dispatcher, "zhang", VISIT)
    reply = await say(dispatcher, "zhang", "1号问题已经解决了，换了新的热水器")
    assert "#1 已办结" in reply
    assert (await items(db))[0].status == "resolved"


async def test_done_words_alone_ask_for_the_result_and_close_nothing(dispatcher, db):
    await say(dispatcher, "zhang", VISIT)
    for text in ("#1已解决", "办结 #1 已办结", "1号问题已经处理好了"):
        reply = await say(dispatcher, "zhang", text)
        assert reply.startswith("请写明办理结果，例如「办结 #1 ") and "只说“已解决”不能办结" in reply, text
    assert (await items(db))[0].status == "new" and (await items(db))[0].result is None
    assert "没有找到问题 #9" in await say(dispatcher, "zhang", "#9已解决")  # a number not theirs: asked first
    assert "#1 已办结" in await say(dispatcher, "zhang", "#1 修好了，换了新的水龙头")
    assert (await items(db))[0].result == "换了新的水龙头"


async def test_asking_whether_an_item_is_done_shows_it_and_changes_nothing(dispatcher, db):
    """「#1 已经处理了吗」 asks; it is answered with the item (as 「#1」 would be), not taken as 办结."""
    await say(dispatcher, "zhang", VISIT)
    for text in ("#1 已经处理了吗", "1号问题解决了没", "#1 处理完了？"):
        assert await say(dispatcher, "zhang", text) == await say(dispatcher, "zhang", "#1"), text
    assert (await items(db))[0].status == "new"


async def test_undo_naming_an_item_undoes_only_the_step_about_it(dispatcher, db):
    await say(dispatcher, "zhang", VISIT)  # #1, #2
    assert "已签收 #1" in await say(dispatcher, "zhang", "签收 #1")
    refused = await say(dispatcher, "zhang", "撤销 #2")
    assert refused.startswith("撤销只撤回您自己最近的一步，而最近一步不是 #2 的")
    assert (await items(db))[0].status == "in_progress" and await count(db, Item) == 2  # nothing undone, no item
    assert "已撤销您对 #1 的" in await say(dispatcher, "zhang", "撤销 #1")
    assert (await items(db))[0].status == "new"


async def test_undo_right_after_a_message_that_changed_nothing_undoes_nothing(dispatcher, db):
    await say(dispatcher, "zhang", VISIT)  # #1, #2 in one record
    assert "请写明办理结果" in await say(dispatcher, "zhang", "#1 已处理完毕")  # refused: no result
    assert "请写明办理结果" in await say(dispatcher, "zhang", "#1 办完了")  # read as 办结, not as chatter
    reply = await say(dispatcher, "zhang", "撤销")
    # the record holds a visit: 「撤销 #1」 would take back only #1, so the hint names the visit
    assert reply == (
        "您上一条消息没有改动任何记录，所以这次没有撤销。最近一次改动是一条走访记录；如确要撤回，请发送「撤销走访」。"
    )
    assert [i.status for i in await items(db)] == ["new", "new"]
    assert await say(dispatcher, "zhang", "撤销") == reply  # a refused 撤销 is no step of a chain
    assert [i.status for i in await items(db)] == ["new", "new"]
    assert await say(dispatcher, "zhang", "撤销 #1") == "已撤销问题 #1；同一条记录里的其他内容保留。"  # only #1
    assert [i.status for i in await items(db)] == ["revoked", "new"]
    assert await count(db, Visit, Visit.revoked_at.is_(None)) == 1


async def test_leave_and_back(dispatcher, db):
    assert "已登记请假到 12月5日" in await say(dispatcher, "zhang", "请假 到12月5日")
    assert "请写明请假到哪天" in await say(dispatcher, "zhang", "请假 到明年某天")
    assert "已销假" in await say(dispatcher, "zhang", "销假")


async def test_bind_group_by_unit_head(dispatcher, db):
    assert "请在要接收简报的群里" in await say(dispatcher, "li", "绑定 计算机学院")
    assert "只有单位负责人或领导" in await say(dispatcher, "zhang", "绑定 计算机学院", chat_id="g1")
    assert "本群已绑定 计算机学院" in await say(dispatcher, "li", "绑定 计算机", chat_id="g1")
    assert "领导组" in await say(dispatcher, "wang", "绑定 领导组", chat_id="g2")


async def test_help_and_other(dispatcher):
    assert "民情通使用说明" in await say(dispatcher, "zhang", "帮助")
    assert "不客气" in await say(dispatcher, "zhang", "好的谢谢")
    assert "请回复「撤销」" in await say(dispatcher, "zhang", "刚才那条发错了，不用记录")


async def test_two_items_in_one_resolve_are_asked_for_separately(dispatcher, db):
    await say(dispatcher, "zhang", VISIT)
    reply = await say(dispatcher, "zhang", "办结 #1 #2 都好了")
    assert reply == "一次办结一个问题，结果分别写：请分别回复「办结 #1 结果」「办结 #2 结果」。"
    assert [i.status for i in await items(db)] == ["new", "new"]


async def test_results_and_reasons_are_stored_as_typed(dispatcher, db):
    """Commands are matched on the NFKC form, but what the sender wrote is stored as written."""
    await say(dispatcher, "zhang", VISIT)
    await say(dispatcher, "zhang", "办结 #1 已更换热水循环泵，同学们说好了（试过三次）")
    (item, _) = await items(db)
    assert item.result == "已更换热水循环泵，同学们说好了（试过三次）"


async def test_questions_about_using_the_bot_get_an_answer_and_record_nothing(dispatcher, db):
    reply = await say(dispatcher, "zhang", "请问上周的走访可以补录吗")
    assert reply == (
        "可以补录：直接发走访内容并写上日期，例如「上周三去了梅园3栋，……」或「11月20日去了……」，"
        "走访按您写的日期计入当月。"
    )
    reply = await say(dispatcher, "zhang", "怎么删除发错的问题")
    assert reply == (
        "刚发的记录回复「撤销」即可撤回；已记录的问题回复「作废 #编号 原因」删除（记错或重复的不再计入清单）。"
    )
    assert "不用每周上报" in await say(dispatcher, "zhang", "寒假期间还要每周报走访吗？")
    assert (await say(dispatcher, "zhang", "走访完了要拍照吗")).startswith("照片不是必须的")
    assert await count(db, Visit) == 0 and await count(db, Item) == 0


async def test_undo_of_a_visit_without_items_is_named_by_its_kind(dispatcher, db):
    """A visit with no problems has no number: after a message that changed nothing the reply
    names 「撤销走访」, which takes it back."""
    await say(dispatcher, "zhang", "今天去梅园3栋走访，同学们都说挺好的，没有问题")
    assert await count(db, Visit, Visit.revoked_at.is_(None)) == 1
    await say(dispatcher, "zhang", "绑定 计算机学院")  # refused: a plain cadre
    reply = await say(dispatcher, "zhang", "撤销")
    assert (
        reply
        == "您上一条消息没有改动任何记录，所以这次没有撤销。最近一次改动是一条走访记录；如确要撤回，请发送「撤销走访」。"
    )
    assert (await say(dispatcher, "zhang", "撤销走访")).startswith("已撤销上一条记录：走访（")
    assert await count(db, Visit, Visit.revoked_at.is_(None)) == 0
