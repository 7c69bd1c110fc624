"""Leaders' and cadres' questions answered from the lists."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from storage.models import Item
from tests.handlers.chat import say


async def seed(dispatcher, clock):
    clock.set(datetime(2026, 10, 20, 10, 0))
    await say(dispatcher, "zhao", "有同学反映二食堂饭菜偏咸")  # October: older, stays open → overdue
    clock.set(datetime(2026, 11, 3, 10, 0))
    await say(dispatcher, "zhang", "今天去梅园3栋走访，同学反映热水不稳定，晚上宿舍网络很卡")
    clock.set(datetime(2026, 11, 16, 10, 0))
    await say(dispatcher, "zhao", "今天中午在二食堂和学生共餐，学生说窗口开得少排队太久")
    await say(dispatcher, "zhang", "办结 #3 已协调后勤处")
    clock.set(datetime(2026, 11, 18, 10, 0))


async def test_this_month_unresolved_grouped_overdue_first_with_older_count(dispatcher, clock):
    await seed(dispatcher, clock)
    reply = await say(dispatcher, "wang", "本月未办结")
    lines = reply.splitlines()
    assert lines[0] == "本月 · 全部 · 未办结 · 共 2 项"
    assert "其中逾期 1 项" in reply
    assert "【宿舍】1 项" in reply and "【食堂】1 项" in reply
    assert lines.index("其中逾期 1 项（标【逾期】）") < next(i for i, ln in enumerate(lines) if "【逾期】宿舍" in ln)
    assert "#3" not in reply  # resolved
    assert "另有 1 项更早提出的问题仍未办结" in reply


async def test_scope_follows_roles(dispatcher, clock):
    await seed(dispatcher, clock)
    assert "共 0 项" in await say(dispatcher, "liu", "本月未办结")  # 后勤处 head sees no 计算机学院 item
    assert "本单位" in await say(dispatcher, "li", "本月未办结")
    mine = await say(dispatcher, "zhao", "我的待办")
    assert "#1" in mine and "#4" in mine and "#2" not in mine


async def test_overdue_and_category_queries(dispatcher, clock):
    await seed(dispatcher, clock)
    overdue = await say(dispatcher, "wang", "逾期")
    assert "共 2 项" in overdue and "#1" in overdue and "#2" in overdue
    canteen = await say(dispatcher, "wang", "食堂问题")
    assert "全部 · 食堂类 · 未办结 · 共 2 项" in canteen and "#1" in canteen and "#4" in canteen


async def test_visit_queries(dispatcher, clock):
    await seed(dispatcher, clock)
    reply = await say(dispatcher, "wang", "本月走访")
    assert reply.startswith("本月 · 全部 · 走访 · 共 2 次")
    assert "张老师" in reply and "梅园3栋" in reply
    assert "本周 · 全部 · 走访 · 共 1 次" in await say(dispatcher, "wang", "本周走访")
    assert "暂无走访记录" in await say(dispatcher, "wang", "上周走访")
    assert "走访 · 共 1 次" in await say(dispatcher, "zhang", "本月走访")


async def test_per_unit_visit_questions_answer_unit_by_unit(dispatcher, clock):
    """「本月各学院走访完成情况」 answers per unit (weakest first) how many of its cadres went, not
    a flat list of visits (with the names of who has not gone when asked who); a unit head gets
    their unit's cadres one by one; a question naming no period is about this month; a cadre
    still gets their own visits."""
    await seed(dispatcher, clock)
    expected = [
        "本月 · 各单位走访 · 共 2 次，2/7 名干部下基层（28.6%）",
        "  后勤处：0 次，0/2 名干部下基层（0.0%）",
        "  学生工作处：0 次，0/1 名干部下基层（0.0%）",
        "  校领导班子：0 次，0/1 名干部下基层（0.0%）",
        "  计算机学院：2 次，2/3 名干部下基层（66.7%）",
    ]
    assert (await say(dispatcher, "wang", "本月各学院走访完成情况")).splitlines() == expected
    assert (await say(dispatcher, "wang", "各单位走访情况怎么样")).splitlines() == expected
    # a unit head sees their unit's cadres one by one, fewest visits first
    assert (await say(dispatcher, "li", "各学院走访情况怎么样")).splitlines() == [
        "本月 · 计算机学院走访 · 共 2 次，2/3 名干部下基层（66.7%）",
        "  李院长：0 次",
        "  张老师：1 次",
        "  赵老师：1 次",
    ]
    assert (await say(dispatcher, "wang", "哪个学院走访最少")).splitlines() == expected
    # asked for the most or a ranking, the best unit comes first
    assert (await say(dispatcher, "wang", "各单位走访率排名")).splitlines() == [
        expected[0],
        expected[4],
        *expected[1:4],
    ]
    # asked who: each unit names those who have not gone
    assert (await say(dispatcher, "wang", "本月谁还没走访")).splitlines() == [
        expected[0],
        expected[1],
        "    还没有走访：刘处长、陈师傅",
        expected[2],
        "    还没有走访：孙老师",
        expected[3],
        "    还没有走访：王书记",
        expected[4],
        "    还没有走访：李院长",
    ]
    last_week = await say(dispatcher, "wang", "上周各单位走访情况")
    assert last_week.splitlines()[0] == "上周 · 各单位走访 · 共 0 次，0/7 名干部下基层（0.0%）"
    assert (await say(dispatcher, "zhang", "各学院走访情况")).startswith("我提出或负责的 · 走访 · 共 1 次")
    # terse wordings leaders use are questions too; a rate is a coverage question without 各单位
    assert (await say(dispatcher, "wang", "各单位走访完成率")).splitlines() == expected
    assert (await say(dispatcher, "liu", "本月走访完成率")).splitlines() == [
        "本月 · 后勤处走访 · 共 0 次，0/2 名干部下基层（0.0%）",
        "  刘处长：0 次",
        "  陈师傅：0 次",
    ]
    assert (await say(dispatcher, "wang", "上月各学院走访")).startswith("上月 · 各单位走访 · 共 0 次")
    # who has not gone, in other words: a unit head's 「学院里谁还没下去」, a leader's 「…走访谁没去」
    assert (await say(dispatcher, "li", "学院里谁还没下去")).splitlines()[1] == "  李院长：0 次"
    assert "    还没有走访：刘处长、陈师傅" in (await say(dispatcher, "wang", "各单位本月走访谁没去")).splitlines()


async def test_a_unit_or_a_title_in_a_question_is_not_a_category(dispatcher, clock):
    """「后勤处未办结」 is about the unit 后勤处, not the category 后勤; 「赵老师的待办」 about a person,
    not the category 教职工 (the newcomer's findings)."""
    await seed(dispatcher, clock)
    assert "转办给 后勤处" in await say(dispatcher, "zhang", "转办 #2 后勤处")
    unit = await say(dispatcher, "wang", "后勤处未办结")
    assert unit.splitlines()[0] == "后勤处 · 未办结 · 共 1 项" and "#2" in unit
    person = await say(dispatcher, "wang", "赵老师的待办")
    assert "教职工类" not in person.splitlines()[0] and "#4" in person


async def test_a_long_answer_fits_one_message_most_urgent_first(dispatcher, clock):
    """40 open items: the answer lists what fits one chat message (≤ 2,000 bytes), overdue
    ones first, and says how many it left out — no second, active message."""
    from handlers.answers import ONE_MESSAGE_BYTES

    clock.set(datetime(2026, 11, 2, 9, 0))
    await say(dispatcher, "zhang", "今天去梅园3栋走访，同学反映楼道灯坏了，很久没有人来修理，晚上出入很不方便")  # #1
    clock.set(datetime(2026, 11, 20, 9, 0))  # #1 is overdue by now
    for n in range(39):
        await say(
            dispatcher, "zhang", f"今天去桂园{n + 1}栋走访，同学反映热水器出水忽冷忽热，洗澡时很不方便，希望尽快检修"
        )
    reply = await say(dispatcher, "wang", "本月未办结")
    assert len(reply.encode("utf-8")) <= ONE_MESSAGE_BYTES
    assert reply.splitlines()[0] == "本月 · 全部 · 未办结 · 共 40 项"
    assert "【逾期】" in reply and "#1 " in reply  # the overdue one is listed
    listed = reply.count("\n  ")
    assert 5 <= listed < 40 and f"……另有 {40 - listed} 项未列出，可导出台账查看全部。" in reply
    assert reply.rstrip().endswith("查看经过：「#N」")  # the hints are kept
    assert "】列出 " in reply  # category counts of a cut list say they count what is shown


def test_the_cut_keeps_as_many_as_fit():
    """The one-message cut keeps the longest prefix that fits, not merely one that fits."""
    from handlers.answers import ONE_MESSAGE_BYTES, _fitted

    def render(shown: list[int]) -> str:
        return "\n".join(f"#{n} " + "问" * 30 for n in shown)  # ~96 bytes a line

    ordered = list(range(1, 101))
    text = _fitted(ordered, render)
    kept = text.count("\n") + 1
    assert len(text.encode()) <= ONE_MESSAGE_BYTES < len(render(ordered[: kept + 1]).encode())
    assert _fitted(ordered[:3], render) == render(ordered[:3])  # all fit: nothing cut
    assert _fitted([1], lambda s: "问" * 5000) == "问" * 5000  # at least one is shown


async def test_a_question_beyond_what_the_asker_sees_says_so(dispatcher, clock):
    """A cadre asking about a colleague, or a unit head about another unit, is told the answer
    counts only what they may see (not a bare 0); a plain cadre's scope is named as such."""
    await seed(dispatcher, clock)
    reply = await say(dispatcher, "zhang", "赵老师本月走访了几次")
    assert reply.splitlines()[1] == "（只统计您能查看的记录：本人提出或负责的。全部情况请问单位负责人或领导。）"
    assert "只统计" not in await say(dispatcher, "li", "赵老师本月走访了几次")  # zhao's unit head
    assert "（只统计您能查看的记录：本单位的。其他单位的情况请问领导。）" in await say(
        dispatcher, "liu", "计算机学院逾期问题"
    )
    assert "只统计" not in await say(dispatcher, "wang", "计算机学院逾期问题")  # a leader sees all
    assert (await say(dispatcher, "zhang", "本月未办结")).startswith("本月 · 我提出或负责的 · 未办结")
    assert (await say(dispatcher, "zhang", "我的待办")).startswith("我的 · 未办结")


async def test_a_question_about_a_unit_not_on_the_roster_asks_which_one(dispatcher, clock):
    """「火星学院逾期问题」 names no unit on the roster: the bot says so (and offers a close name,
    if any) instead of answering for everyone; a short name of a real unit is answered for it."""
    await seed(dispatcher, clock)
    reply = await say(dispatcher, "wang", "火星学院逾期问题")
    assert reply == "单位名单里没有「火星学院」，无法按单位查询。请写名单上的单位全称，或直接问「本月未办结」「逾期」。"
    assert (await say(dispatcher, "wang", "马院逾期问题")).startswith("单位名单里没有「马院」")  # not 计院
    reply = await say(dispatcher, "wang", "计算学院逾期问题")  # a near miss: the close one is offered
    assert reply == "没有找到单位「计算学院」。最接近的单位：「计算机学院」。请写全称再发一次。"
    assert (await say(dispatcher, "wang", "学工处逾期问题")).startswith("学生工作处 · 逾期")
    assert (await say(dispatcher, "wang", "各学院逾期问题")).startswith("全部 · 逾期")  # no unit named


async def test_a_question_by_topic_searches_the_records(dispatcher, db):
    """「东风机械厂的问题」「拖欠工资的问题有几个没办」「工资问题」 ask about what the records say:
    the items whose text or visit place has the topic's words (or its category), never a new item."""
    await say(dispatcher, "zhang", "今天去东风机械厂走访，工人反映厂里拖欠了两个月工资；另外车间没有空调，夏天太热")
    await say(dispatcher, "zhang", "今天去梅园3栋走访，同学反映热水不稳定")
    async with db.session() as s:
        before = await s.scalar(select(func.count()).select_from(Item))
    factory = await say(dispatcher, "wang", "东风机械厂的问题")
    assert factory.splitlines()[0] == "全部 · 「东风机械厂」相关 · 问题 · 共 2 项"
    assert "热水" not in factory
    wages = await say(dispatcher, "wang", "拖欠工资的问题有几个没办")
    assert "未办结" in wages.splitlines()[0] and "拖欠了两个月工资" in wages and "热水" not in wages
    assert "工资" in (await say(dispatcher, "wang", "工资问题")).splitlines()[0]
    # the topic's own words, not the category guessed for them: 空调 is no 热水 item of the same category
    assert "热水" not in await say(dispatcher, "wang", "空调的问题还有几个没办")
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Item)) == before  # nothing recorded
