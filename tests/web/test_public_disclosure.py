"""公示 pages through the real app: off by default, intranet-only or public; the month's 效果清单
and open 问题清单 with nothing left to mask; items kept off by 「不公示 #N 原因」."""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime

import pytest
from sqlalchemy import select

from bot.config import Config
from bot.server import create_app
from handlers.privacy import mask
from storage.models import ItemEvent
from tests.handlers.chat import say


def visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", html, flags=re.S))


def cfg(tmp_path, mode: str, nets: tuple[str, ...] = ("127.0.0.0/8",), cadres: bool = False) -> Config:
    return Config(
        data_dir=tmp_path,
        public={"disclosure": mode, "show_cadres": cadres, "intranet": tuple(ipaddress.ip_network(n) for n in nets)},
    )


@pytest.fixture
def serve(aiohttp_client, db, dispatcher, clock):
    async def start(config: Config):
        return await aiohttp_client(create_app(config, db, dispatcher, clock, start_worker=False))

    return start


async def seed(dispatcher, clock) -> None:
    """#1 resolved and rated, #2 open, #3 open but kept off by 李院长 — all 计算机学院, November."""
    clock.set(datetime(2026, 11, 2, 9, 0))
    await say(dispatcher, "zhao", "学生王小明反映二食堂饭菜偏咸，电话13812345678")
    await say(dispatcher, "zhao", "办结 #1 已和食堂沟通，减少用盐")
    await say(dispatcher, "zhao", "回访 #1 满意")
    await say(dispatcher, "zhang", "梅园3栋热水不稳定，联系人李同学 13912345678")
    await say(dispatcher, "zhang", "梅园5栋有同学心理状况不好，需要关注")


async def test_off_by_default(serve, tmp_path, dispatcher, clock):
    client = await serve(Config(data_dir=tmp_path))
    assert (await client.get("/public/all/2026-11")).status == 404


async def test_intranet_mode_serves_only_configured_networks(serve, tmp_path, dispatcher, clock):
    await seed(dispatcher, clock)
    assert (await (await serve(cfg(tmp_path, "intranet", ("10.0.0.0/8",)))).get("/public/all/2026-11")).status == 404
    assert (await (await serve(cfg(tmp_path, "intranet"))).get("/public/all/2026-11")).status == 200


async def test_unit_page_shows_the_month_masked_without_kept_off_items(serve, tmp_path, dispatcher, db, clock):
    await seed(dispatcher, clock)
    assert await say(dispatcher, "zhang", "不公示 #3 涉及学生隐私") == "只有问题所属单位的负责人或领导可以设置不公示。"
    assert await say(dispatcher, "li", "不公示 #3") == "请写明不公示的原因，例如「不公示 #12 涉及学生隐私」。"
    assert (
        await say(dispatcher, "li", "不公示 #3 涉及学生隐私")
        == "问题 #3 不在公示页面上显示（原因：涉及学生隐私，已记录）。"
    )
    async with db.session() as s:
        [ev] = list(await s.scalars(select(ItemEvent).where(ItemEvent.kind == "unpublished")))
        assert (ev.item_id, ev.note) == (3, "涉及学生隐私")

    client = await serve(cfg(tmp_path, "public"))
    unit_id = 2  # 计算机学院 (demo roster order)
    pages = [f"/public/{unit_id}/2026-11", "/public/all/2026-11"]
    for path in pages:
        r = await client.get(path)
        html = await r.text()
        assert r.status == 200, path
        text = visible_text(html)
        assert mask(text) == text, path  # nothing left to mask
        assert "#1" in text and "减少用盐" in text and "满意" in text  # 效果清单
        assert "#2" in text and "热水不稳定" in text  # open 问题清单
        assert "#3" not in text and "心理" not in text  # kept off
        assert "王小明" not in text and "13812345678" not in text and "13912345678" not in text
        assert "赵老师" not in text and "张老师" not in text  # cadres only when configured
        assert (await client.get(path + ".png")).status == 200
    assert "@media print" in html
    assert (await client.get("/public/2/2026-10")).status == 200
    assert "减少用盐" not in await (await client.get("/public/2/2026-10")).text()
    assert (await client.get("/public/99/2026-11")).status == 404
    assert (await client.get("/public/all/2026-13")).status == 404

    shown = await (await serve(cfg(tmp_path, "public", cadres=True))).get("/public/all/2026-11")
    assert "赵老师" in await shown.text()
