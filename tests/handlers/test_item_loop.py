"""Issue 10 in conversation: item view, natural commands, 退回, deadline requests, fresh
deadlines, unit names, dates, filtered queries, 撤销 of any action, console practice."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from storage.models import Cadre, Item, Outbox, PlatformAccount
from tests.handlers.chat import say

VISIT = "今天去梅园3栋走访，5名同学反映热水不稳定，另外晚上宿舍网络很卡"


async def item(db, n: int) -> Item:
    async with db.session() as s:
        return await s.get(Item, n)


async def notices(db) -> list[tuple[str, str, str]]:
    async with db.session() as s:
        return [(o.channel, o.target, o.body) for o in await s.scalars(select(Outbox).order_by(Outbox.id))]


async def test_item_view_shows_the_whole_history(dispatcher, db):
    await say(dispatcher, "zhang", VISIT)
    await say(dispatcher, "zhang", "签收 #1")
    await say(dispatcher, "zhang", "#1 已联系宿管")
    assert await say(dispatcher, "zhang", "把1号转给后勤处吧") == (
        "已将 #1 转办给 后勤处 刘处长，期限 11月25日。已通知对方签收。"
    )
    assert await say(dispatcher, "liu", "收到 #1") == "已签收 #1，期限 11月25日。办好后回复「办结 #1 结果」。"
    want = """#1 宿舍｜热水不稳定
状态：办理中
提出：张老师，11月18日 10:00
责任：后勤处 刘处长（即办），期限 11月25日
经过：
  11月18日 10:00 张老师 提出
  11月18日 10:00 张老师 签收
  11月18日 10:00 张老师 进展：已联系宿管
  11月18日 10:00 张老师 转办给 刘处长
  11月18日 10:00 刘处长 签收"""
    for text in ("#1 现在什么情况", "查看 #1", "#1", "#1 进展如何"):
        assert await say(dispatcher, "liu", text) == want
    assert await say(dispatcher, "chen", "#1") == (
        "您没有办理问题 #1 的权限：只有责任人、提出人、本单位负责人和领导可以操作。"
    )
    assert await say(dispatcher, "zhang", "#37") == "没有找到问题 #37，请核对编号（发送「我的待办」查看）。"


async def test_refusing_a_transfer_sends_it_back_and_tells_the_sender(dispatcher, db, clock):
    await say(dispatcher, "zhang", VISIT)
    await say(dispatcher, "zhang", "转办 #2 后勤处")
    assert await say(dispatcher, "liu", "退回 #2 不属于我处职责") == (
        "已将 #2 退回给 张老师（理由：不属于我处职责），已通知对方。"
    )
    i = await item(db, 2)
    async with db.session() as s:
        zhang = await s.scalar(select(Cadre).join(PlatformAccount).where(PlatformAccount.account_id == "zhang"))
    assert (i.owner_id, i.unit_id, i.status) == (zhang.id, zhang.unit_id, "in_progress")
    assert (await notices(db))[-1] == (
        "console",
        "张老师",
        "刘处长 退回了您转办的问题 #2（晚上宿舍网络很卡），理由：不属于我处职责。"
        "问题已回到您名下，可改转其他单位：「转办 #2 单位」。",
    )
    assert "不是转办给您的问题" in await say(dispatcher, "zhang", "退回 #1 不想办")
    assert "退回给 张老师：不属于我处职责" in await say(dispatcher, "zhang", "#2")
    from storage.ledger import LedgerFilter, item_rows

    async with db.session() as s:
        rows = {r["item"].id: r for r in await item_rows(s, LedgerFilter(), clock.now().date())}
    assert (rows[2]["returns"], rows[1]["returns"]) == (1, 0)  # the 台账 counts it


async def test_unit_names_by_short_name_and_a_miss_lists_units(dispatcher, db):
    await say(dispatcher, "zhang", VISIT)
    assert await say(dispatcher, "zhang", "转办 #2 学工处") == (
        "已将 #2 转办给 学生工作处 孙老师，期限 11月25日。已通知对方签收。"
    )
    assert await say(dispatcher, "zhang", "转办 #1 火星学院") == (
        "没有找到单位「火星学院」。最接近的单位：「计算机学院」、「学生工作处」、「校领导班子」。请写全称再发一次。"
    )
    assert await say(dispatcher, "zhang", "把1号转给后勤处 陈师傅") == (
        "已将 #1 转办给 后勤处 陈师傅，期限 11月25日。已通知对方签收。"
    )


async def test_natural_resolve_stores_the_result_and_asks_when_unsure(dispatcher, db):
    await say(dispatcher, "zhang", VISIT)
    assert await say(dispatcher, "zhang", "#2 修好了，换了新路由器") == (
        "#2 已办结。请回访群众后回复「回访 #2 满意|基本满意|不满意」。"
    )
    assert (await item(db, 2)).result == "换了新路由器"
    assert await say(dispatcher, "zhang", "那个1号的热水已经修好了") == (
        "#1 已办结。请回访群众后回复「回访 #1 满意|基本满意|不满意」。"
    )
    assert (await item(db, 1)).result == "热水已经修好了"
    assert await say(dispatcher, "zhang", "那个9号的灯已经修好了") == (
        "没有找到问题 #9，所以没有办理。您是要办理别的编号（发送「我的待办」查看），"
        "还是要记录一个新问题？新问题请直接描述，不带编号。"
    )
    await say(dispatcher, "zhao", "二食堂饭菜偏咸")  # #3, 赵老师's
    assert await say(dispatcher, "chen", "3号问题已经解决了，换了厨师") == (
        "问题 #3 由 赵老师 负责，您不能办理，所以没有改动。是要提醒责任人，"
        "还是要记录一个新问题？新问题请直接描述，不带编号。"
    )
    assert (await item(db, 3)).status == "new"


async def test_deadline_changes_are_requests_and_on_time_uses_the_first_due_date(dispatcher, db, clock):
    await say(dispatcher, "zhang", VISIT)
    clock.set(datetime(2026, 12, 7, 9, 0))
    assert await say(dispatcher, "zhang", "改 #1 期限 12月5日") == (
        "12月5日已经过了（今天是12月7日），期限不能早于今天。"
    )  # not 2027-12-05
    assert await say(dispatcher, "zhang", "改 #1 期限 2月30日") == "2月没有30日，请核对日期。"
    assert await say(dispatcher, "zhang", "改 #1 期限 下周五") == (
        "推迟期限需要批准：请回复「延期 #1 到12月18日 原因…」，批准前期限仍为 11月25日。"
    )
    assert await say(dispatcher, "zhang", "延期 #1 到12月20日 原因：等配件") == (
        "已提交 #1 延期申请：到 12月20日。待 李院长 批准；批准前期限仍为 11月25日。"
    )
    assert (await item(db, 1)).deadline == date(2026, 11, 25)
    assert (await notices(db))[-1][1:] == (
        "李院长",
        "张老师 申请把问题 #1（热水不稳定）的期限从 11月25日 延到 12月20日，"
        "原因：等配件。\n回复「同意延期 #1」或「不同意延期 #1 理由」。",
    )
    assert "由本单位负责人批准" in await say(dispatcher, "zhang", "同意延期 #1")
    assert await say(dispatcher, "li", "同意延期 #1") == (
        "已同意 #1 延期：11月25日 → 12月20日；按期办结仍按 11月25日 计算。已通知申请人。"
    )
    await say(dispatcher, "zhang", "办结 #1 换了循环泵")
    i = await item(db, 1)
    assert (i.deadline, i.first_due, i.resolved_on_time) == (date(2026, 12, 20), date(2026, 11, 25), False)
    await say(dispatcher, "zhang", "延期 #2 到12月20日 原因：等配件")
    assert await say(dispatcher, "li", "不同意延期 #2 先按原期限办") == (
        "已驳回 #2 的延期申请，期限仍为 11月25日。已通知申请人。"
    )
    assert "期限 12月9日" in await say(dispatcher, "wang", "改 #2 期限 12月9日")  # leaders set it directly


async def test_transfer_and_reopen_give_a_fresh_deadline_and_take_twice_is_a_no_op(dispatcher, db, clock):
    await say(dispatcher, "zhang", VISIT)
    clock.set(datetime(2026, 12, 1, 9, 0))  # #1 and #2 are overdue since 11-25
    assert await say(dispatcher, "zhang", "转办 #1 后勤处") == (
        "已将 #1 转办给 后勤处 刘处长，期限 12月8日。已通知对方签收。"
    )
    assert "期限按即办规则从今天起重新计算（7天）" in (await notices(db))[-1][2]
    assert (await item(db, 1)).first_due == date(2026, 11, 25)
    assert await say(dispatcher, "wang", "包保 #2") == "您已包保 #2，目标期限 2027年1月30日。已通知原责任人。"
    assert (await notices(db))[-1][1:] == (
        "张老师",
        "王书记 已包保您负责的问题 #2（晚上宿舍网络很卡），此后由王书记负责，您无需再办理。",
    )
    assert await say(dispatcher, "wang", "包保 #2") == "#2 已由您包保，目标期限 2027年1月30日，未做改动。"
    await say(dispatcher, "liu", "办结 #1 换了热水器")
    clock.set(datetime(2026, 12, 10, 9, 0))
    assert await say(dispatcher, "zhang", "回访 #1 不满意 水还是凉") == (
        "已记录 #1 回访：不满意。问题转为重办，新期限 12月17日，已通知责任人 刘处长。"
    )


async def test_leave_ranges_and_impossible_dates(dispatcher, db):
    assert await say(dispatcher, "zhang", "12月1日到12月5日请假") == (
        "已登记请假从 12月1日 到 12月5日，期间不会给您发提醒。回来后回复「销假」。"
    )
    async with db.session() as s:
        zhang = await s.scalar(select(Cadre).join(PlatformAccount).where(PlatformAccount.account_id == "zhang"))
    assert (zhang.leave_from, zhang.leave_until) == (date(2026, 12, 1), date(2026, 12, 5))
    assert await say(dispatcher, "zhang", "请假 到2月30日") == "2月没有30日，请核对日期。"
    assert await say(dispatcher, "zhang", "请假") == "请写明请假到哪天，例如「请假 到11月25日」。"


async def test_hints_give_example_dates_ahead_of_today(dispatcher, clock):
    clock.set(datetime(2026, 12, 15, 9, 0))
    help_text = await say(dispatcher, "zhang", "帮助")
    assert "请假 到12月22日" in help_text and "改 #12 期限 12月22日" in help_text
    assert "12月5日" not in help_text.replace("12月1日到12月5日请假", "")


async def test_queries_honour_person_unit_and_mine(dispatcher, db, clock):
    await say(dispatcher, "zhang", VISIT)  # #1 #2 计算机学院, 11-18
    await say(dispatcher, "zhao", "今天在二食堂和学生共餐，学生说窗口开得少排队太久")  # #3
    await say(dispatcher, "chen", "后勤处仓库的灯坏了")  # #4 后勤处
    await say(dispatcher, "zhang", "转办 #2 后勤处")
    await say(dispatcher, "zhang", "办结 #1 换了热水器")
    clock.set(datetime(2026, 11, 30, 9, 0))
    assert await say(dispatcher, "wang", "张老师本月走访了几次") == (
        "本月 · 张老师 · 走访 · 共 1 次\n  11月18日（周三）宿舍·梅园3栋，见到5人"
    )
    overdue = await say(dispatcher, "wang", "计算机学院逾期问题")
    assert overdue.splitlines()[0] == "计算机学院 · 逾期 · 共 1 项"
    assert "#3" in overdue and "#4" not in overdue and "#2" not in overdue
    mine = await say(dispatcher, "zhang", "我的待办")
    assert mine.splitlines()[0] == "我的 · 未办结 · 共 0 项"  # #2 was transferred, #1 resolved
    raised = await say(dispatcher, "zhang", "我提交的问题处理得怎么样了")
    assert "#1 【已办结】宿舍｜热水不稳定" in raised and "#2 【逾期】" in raised


async def test_undo_takes_back_the_last_action_then_the_one_before(dispatcher, db):
    await say(dispatcher, "zhang", VISIT)
    await say(dispatcher, "zhang", "改 #2 分类 后勤")
    await say(dispatcher, "zhang", "转办 #1 后勤处")
    await say(dispatcher, "zhang", "进展 #2 已报修")
    assert await say(dispatcher, "zhang", "撤销") == "已撤销您对 #2 的进展「已报修」。再发「撤销」可撤销再上一步。"
    assert await say(dispatcher, "zhang", "撤销") == "已撤销您对 #1 的转办。再发「撤销」可撤销再上一步。"
    assert (await item(db, 1)).owner_id == (await item(db, 1)).reporter_id
    assert (await notices(db))[-1][1:] == ("刘处长", "张老师 撤回了问题 #1 的转办（热水不稳定），您无需再办理。")
    assert await say(dispatcher, "zhang", "撤销") == (
        "已撤销您对 #2 的更正分类（已恢复为「宿舍」）。再发「撤销」可撤销再上一步。"
    )
    i = await item(db, 2)
    assert (i.category, i.status) == ("宿舍", "new")  # the visit and its items are still there
    assert "已撤销上一条记录" in await say(dispatcher, "zhang", "撤销")


async def test_undo_refuses_what_someone_else_built_on(dispatcher, db):
    await say(dispatcher, "zhang", VISIT)
    await say(dispatcher, "zhang", "转办 #1 后勤处")
    await say(dispatcher, "liu", "签收 #1")
    assert await say(dispatcher, "zhang", "撤销") == (
        "#1 在您之后已有他人办理，不能撤销。请用「改 #1 …」更正，或联系单位负责人。"
    )


async def test_platform_messages_queue_platform_notices(dispatcher, db):
    await say(dispatcher, "zhang", VISIT, channel="wecom")
    await say(dispatcher, "zhang", "转办 #1 后勤处", channel="wecom")
    async with db.session() as s:
        o = await s.scalar(select(Outbox))
    assert (o.channel, o.target_kind) == ("auto", "cadre")


async def test_item_view_in_a_group_is_masked(dispatcher, db):
    await say(dispatcher, "zhang", "学生王建国反映宿舍热水不稳定，电话13812345678")
    private = await say(dispatcher, "zhang", "#1")
    assert "13812345678" in private
    group = await say(dispatcher, "zhang", "#1", chat_id="g1")
    assert "13812345678" not in group and "138****5678" in group and "王建国" not in group


async def test_query_counts_agree_with_the_ledger_for_the_same_month(dispatcher, db, clock):
    from storage.ledger import LedgerFilter, item_rows

    clock.set(datetime(2026, 10, 20, 10, 0))
    await say(dispatcher, "zhao", "有同学反映二食堂饭菜偏咸")
    clock.set(datetime(2026, 11, 18, 10, 0))
    await say(dispatcher, "zhang", VISIT)
    await say(dispatcher, "zhang", "办结 #2 重启了交换机")
    await say(dispatcher, "zhang", "转办 #3 后勤处")
    reply = await say(dispatcher, "wang", "本月的问题有哪些")
    async with db.session() as s:
        rows = await item_rows(
            s, LedgerFilter(since=datetime(2026, 11, 1), until=datetime(2026, 12, 1)), clock.now().date()
        )
    assert reply.splitlines()[0] == f"本月 · 全部 · 问题 · 共 {len(rows)} 项" == "本月 · 全部 · 问题 · 共 2 项"
    assert "#2 【已办结】" in reply


async def test_natural_resolve_read_by_the_understanding_keeps_only_the_result(dispatcher, db):
    await say(dispatcher, "zhang", VISIT)
    assert "#1 已办结" in await say(dispatcher, "zhang", "报告：问题编号1，已经处理好了，换了热水器")
    assert (await item(db, 1)).result == "换了热水器"


async def test_undo_reaches_back_only_within_the_time_limit(dispatcher, db, clock):
    await say(dispatcher, "zhang", VISIT)
    await say(dispatcher, "zhang", "进展 #1 已报修")
    clock.advance(minutes=61)
    assert await say(dispatcher, "zhang", "撤销") == (
        "没有可以撤销的操作（只能撤销自己最近60分钟内的记录、更正、转办、退回、进展、签收、办结和作废）。"
    )
    assert (await item(db, 1)).status == "in_progress"


async def test_a_mistaken_item_is_voided_and_can_be_restored(dispatcher, db):
    """作废: the reporter voids their own item recorded by mistake (it leaves the lists); 撤销
    restores it; someone else's item, or one another cadre worked on, only its unit's head or
    a leader may void."""
    await say(dispatcher, "zhang", "今天去梅园3栋走访，同学反映热水不稳定，晚上网络很卡")
    assert "共 2 项" in await say(dispatcher, "zhang", "我的待办")
    assert await say(dispatcher, "zhang", "#2 是误记的，请删除") == (
        "已作废 #2（误记）：它不再计入问题清单和统计。发「撤销」可恢复。"
    )
    assert "共 1 项" in await say(dispatcher, "zhang", "我的待办")
    assert "问题 #2 已作废或已撤销" in await say(dispatcher, "zhang", "#2")
    assert await say(dispatcher, "zhang", "撤销") == "已撤销您对 #2 的作废「误记」。再发「撤销」可撤销再上一步。"
    assert "共 2 项" in await say(dispatcher, "zhang", "我的待办")
    await say(dispatcher, "zhang", "转办 #1 后勤处 陈师傅")
    await say(dispatcher, "chen", "签收 #1")
    refused = await say(dispatcher, "zhang", "作废 #1 重复了")
    assert "已有他人办理，不能由提出人作废。请联系后勤处负责人或领导作废" in refused  # names who can
    assert "只有提出人（尚无他人办理时）、后勤处负责人或领导可以作废" in await say(dispatcher, "chen", "作废 #1")
    assert (await say(dispatcher, "wang", "作废 #1 重复了")).startswith("已作废 #1（重复了）")
    async with db.session() as s:
        statuses = dict((await s.execute(select(Item.id, Item.status))).all())
        notices = list(await s.scalars(select(Outbox.body)))
    assert statuses == {1: "revoked", 2: "new"}
    # the reporter learns who voided their item and why
    assert "您提出的问题 #1 已由 王书记 作废（重复了），不再计入清单。如有异议请直接联系王书记。" in notices


async def test_looking_ends_a_chain_of_undos_and_a_closed_item_says_so(dispatcher, db):
    """撤销 right after looking at an item undoes the step before the look; but after 撤销 and
    a look, another bare 撤销 does not reach further back. 「#N 办完了」 on a 销号 item says its
    state instead of asking for a result."""
    await say(dispatcher, "zhang", "今天去梅园3栋走访，同学反映热水不稳定")
    await say(dispatcher, "zhang", "签收 #1")
    await say(dispatcher, "zhang", "#1")
    assert await say(dispatcher, "zhang", "撤销") == "已撤销您对 #1 的签收。再发「撤销」可撤销再上一步。"
    await say(dispatcher, "zhang", "#1")
    assert "没有撤销" in await say(dispatcher, "zhang", "撤销")  # the record itself stays
    async with db.session() as s:
        assert (await s.execute(select(Item.status))).scalars().all() == ["new"]
    await say(dispatcher, "zhang", "办结 #1 已更换热水器")
    await say(dispatcher, "zhang", "回访 #1 满意")
    assert await say(dispatcher, "zhang", "#1 办完了") == "问题 #1 当前已销号，不能办结。"
