"""回访链接: a resolved item → 「回访链接 #N」 → the person served rates it anonymously through
the real app; the link is single use, per round, expires and is for one item only."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select

from handlers.privacy import mask
from storage.models import Followup, Item, Outbox
from tests.handlers.chat import say
from tests.web.conftest import csrf_of

LINK = re.compile(r"http://127\.0\.0\.1:8080(/r/[A-Za-z0-9_-]+)\n")


async def resolved_item(dispatcher, clock) -> None:
    """#1 from 赵老师 (计算机学院), resolved by him."""
    clock.set(datetime(2026, 11, 2, 9, 0))
    await say(dispatcher, "zhao", "有同学反映二食堂饭菜偏咸，学生电话13812345678")
    await say(dispatcher, "zhao", "办结 #1 已和食堂沟通，减少用盐")


async def link_for(dispatcher, user: str, item: int) -> str:
    reply = await say(dispatcher, user, f"回访链接 #{item}")
    m = LINK.search(reply)
    assert m, reply
    return m.group(1)


def visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", html, flags=re.S))


async def test_reply_names_the_link_the_qr_code_and_the_rules(dispatcher, clock):
    await resolved_item(dispatcher, clock)
    reply = await say(dispatcher, "zhao", "回访链接 #1")
    path = LINK.search(reply).group(1)
    assert reply == (
        "问题 #1 的回访链接（14天内有效，只能评价一次）：\n"
        f"http://127.0.0.1:8080{path}\n"
        f"二维码图片：http://127.0.0.1:8080{path}.png\n"
        "请转发给提出问题的同学、家长或群众，由本人评价满意、基本满意或不满意。"
    )


async def test_link_refused_before_resolution_in_groups_and_to_others(dispatcher, clock):
    await say(dispatcher, "zhao", "有同学反映二食堂饭菜偏咸")
    assert (
        await say(dispatcher, "zhao", "回访链接 #1") == "问题 #1 当前待签收，不能生成回访链接（办结后才能请群众评价）。"
    )
    await say(dispatcher, "zhao", "办结 #1 已沟通")
    assert await say(dispatcher, "zhao", "回访链接 #1", chat_id="g1") == (
        "回访链接只发给提出问题的本人，请私聊我发送「回访链接 #1」。"
    )
    assert (
        await say(dispatcher, "chen", "回访链接 #1")
        == "您没有办理问题 #1 的权限：只有责任人、提出人、本单位负责人和领导可以操作。"
    )


async def test_unsatisfied_rating_reopens_notifies_and_link_is_single_use(client, dispatcher, db, clock):
    await resolved_item(dispatcher, clock)
    path = await link_for(dispatcher, "zhao", 1)
    page = await client.get(path)
    html = await page.text()
    assert page.status == 200
    assert "二食堂饭菜偏咸" in html and "减少用盐" in html
    assert "13812345678" not in html
    text = visible_text(html)
    assert mask(text) == text  # nothing left to mask on a public page
    qr = await client.get(path + ".png")
    assert qr.status == 200 and (await qr.read()).startswith(b"\x89PNG")

    r = await client.post(path, data={"csrf": csrf_of(html), "rating": "不满意", "comment": "还是很咸"})
    assert r.status == 200 and "已退回重新办理" in await r.text()
    async with db.session() as s:
        item = await s.get(Item, 1)
        assert item.status == "reopened"
        [f] = list(await s.scalars(select(Followup)))
        assert (f.rating, f.note, f.source) == ("不满意", "还是很咸", "群众")
        notices = {o.target: o.body for o in await s.scalars(select(Outbox).where(Outbox.target_kind == "cadre"))}
    # 赵老师 (owner, cadre 4) made the link and is told all the same; 李院长 (unit head, 2) too
    assert set(notices) >= {"4", "2"}
    assert notices["4"].startswith("提出问题的群众通过回访链接评价「不满意」。问题 #1 回访不满意（还是很咸），需要重办")

    again = await client.post(path, data={"csrf": csrf_of(html), "rating": "满意"})
    assert again.status == 410
    assert (await client.get(path)).status == 410


async def test_reopened_item_gets_a_new_round_old_link_refused(client, dispatcher, db, clock):
    await resolved_item(dispatcher, clock)
    old = await link_for(dispatcher, "zhao", 1)
    await say(dispatcher, "zhao", "回访 #1 不满意 太咸")  # a cadre-typed 回访 reopens: round 1
    await say(dispatcher, "zhao", "办结 #1 再次调整")
    new = await link_for(dispatcher, "zhao", 1)
    assert (await client.get(old)).status == 410
    page = await client.get(new)
    assert page.status == 200
    r = await client.post(new, data={"csrf": csrf_of(await page.text()), "rating": "满意"})
    assert r.status == 200
    async with db.session() as s:
        assert (await s.get(Item, 1)).status == "closed"
        assert [f.source for f in await s.scalars(select(Followup).order_by(Followup.id))] == ["干部", "群众"]


async def test_expired_link_is_refused(client, dispatcher, clock):
    await resolved_item(dispatcher, clock)
    path = await link_for(dispatcher, "zhao", 1)
    clock.set(clock.now() + timedelta(days=14, seconds=1))
    assert (await client.get(path)).status == 410


async def test_link_is_for_its_own_item_only(client, dispatcher, db, clock):
    await resolved_item(dispatcher, clock)
    await say(dispatcher, "zhao", "有同学反映二食堂窗口排队太长")
    await say(dispatcher, "zhao", "办结 #2 增开窗口")
    path = await link_for(dispatcher, "zhao", 1)
    page = await client.get(path)
    assert "排队" not in await page.text()
    r = await client.post(path, data={"csrf": csrf_of(await page.text()), "rating": "满意"})
    assert r.status == 200
    async with db.session() as s:
        assert ((await s.get(Item, 1)).status, (await s.get(Item, 2)).status) == ("closed", "resolved")


async def test_form_needs_its_csrf_pair_and_a_rating(client, dispatcher, db, clock):
    await resolved_item(dispatcher, clock)
    path = await link_for(dispatcher, "zhao", 1)
    html = await (await client.get(path)).text()
    assert (await client.post(path, data={"csrf": "forged", "rating": "满意"})).status == 403
    assert (await client.post(path, data={"csrf": csrf_of(html), "rating": "很好"})).status == 400
    async with db.session() as s:
        assert (await s.get(Item, 1)).status == "resolved"
    assert (await client.get(path)).status == 200  # still usable: nothing was recorded


async def test_rating_pages_are_rate_limited_per_address(client, dispatcher, clock):
    await resolved_item(dispatcher, clock)
    path = await link_for(dispatcher, "zhao", 1)
    statuses = [(await client.get(path)).status for _ in range(11)]
    assert statuses == [200] * 10 + [429]


async def test_people_rating_counts_with_its_own_weight_and_shows_in_the_ledger(client, dispatcher, db, clock):
    from storage.ledger import LedgerFilter, followup_rows
    from storage.metrics import unit_metrics

    await resolved_item(dispatcher, clock)
    await say(dispatcher, "zhao", "回访 #1 不满意 太咸")  # cadre-entered: weight 1, score 0
    await say(dispatcher, "zhao", "办结 #1 再次调整")
    path = await link_for(dispatcher, "zhao", 1)
    html = await (await client.get(path)).text()
    assert (await client.post(path, data={"csrf": csrf_of(html), "rating": "满意"})).status == 200
    async with db.session() as s:
        weights = {"满意": 1.0, "基本满意": 0.9, "不满意": 0.0, "群众": 3.0}
        [m] = (await unit_metrics(s, clock.now() + timedelta(days=1), response_hours=24, weights=weights)).values()
        rows = await followup_rows(s, LedgerFilter(), clock.now().date())
    assert (m.rated, m.satisfaction_rate) == (2, 0.75)  # (0 × 1 + 1 × 3) ÷ (1 + 3)
    assert [(r["rating"], r["source"], r["actor"]) for r in rows] == [
        ("不满意", "干部", "赵老师"),
        ("满意", "群众", "赵老师"),
    ]


async def test_link_refused_once_a_cadre_closed_the_item_and_stays_unused(client, dispatcher, db, clock):
    await resolved_item(dispatcher, clock)
    path = await link_for(dispatcher, "zhao", 1)
    html = await (await client.get(path)).text()
    await say(dispatcher, "zhao", "回访 #1 满意")  # closed (销号) meanwhile
    r = await client.post(path, data={"csrf": csrf_of(html), "rating": "不满意", "comment": "x"})
    assert r.status == 410
    async with db.session() as s:
        assert (await s.get(Item, 1)).status == "closed"
        assert [f.source for f in await s.scalars(select(Followup))] == ["干部"]
