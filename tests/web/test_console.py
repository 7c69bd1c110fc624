"""The console in-process: sign-in by a chat link (single use, expiring, rate limited), scope,
pages, actions through the chat's command layer, the 台账 download, security headers."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

from openpyxl import load_workbook

from tests.handlers.chat import say
from tests.web.conftest import chat_link, csrf_of, seed, sign_in


async def test_link_is_single_use_and_expires(client, dispatcher, clock):
    path = await chat_link(dispatcher, "wang")
    token = path.split("t=", 1)[1]
    assert (await client.post("/console/login", data={"t": token}, allow_redirects=False)).status == 302
    again = await client.post("/console/login", data={"t": token}, allow_redirects=False)
    assert again.status == 403 and "链接已失效" in await again.text()
    late = (await chat_link(dispatcher, "wang")).split("t=", 1)[1]
    clock.set(clock.now() + timedelta(minutes=10, seconds=1))
    assert (await client.post("/console/login", data={"t": late}, allow_redirects=False)).status == 403


async def test_only_leaders_heads_and_admins_get_a_link_and_never_in_a_group(dispatcher):
    assert await say(dispatcher, "zhang", "后台") == "只有领导、单位负责人和管理员可以进入后台。"
    assert await say(dispatcher, "wang", "后台", chat_id="g1") == "后台链接含个人信息，请私聊我发送「后台」。"
    reply = await say(dispatcher, "li", "后台")
    assert reply.startswith(
        "后台登录链接（10分钟内有效，只能使用一次，请勿转发）：\nhttp://127.0.0.1:8080/console/login?t="
    )


async def test_pages_need_a_session(client):
    r = await client.get("/console/items", allow_redirects=False)
    assert r.status == 302 and r.headers["Location"] == "/console/signed-out"


async def test_console_without_the_slash_goes_to_the_console(client):
    r = await client.get("/console", allow_redirects=False)
    assert r.status == 301 and r.headers["Location"] == "/console/"


async def test_sign_in_is_rate_limited(client):
    codes = [(await client.post("/console/login", data={"t": "nope"})).status for _ in range(11)]
    assert codes == [403] * 10 + [429]


async def test_security_headers_and_cookie_flags(client, dispatcher):
    r = await sign_in(client, dispatcher, "wang")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie
    page = await client.get("/console/")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["Referrer-Policy"] == "no-referrer"


async def test_unit_head_sees_only_their_unit(client, dispatcher, clock):
    await seed(dispatcher, clock)
    await sign_in(client, dispatcher, "liu")  # 后勤处
    html = await (await client.get("/console/items")).text()
    assert re.findall(r'href="/console/items/(\d+)"', html) == ["3"]
    assert (await client.get("/console/items/1")).status == 404
    assert (await client.get("/console/items?unit=2")).status == 200  # asking for 计算机学院 still shows 后勤处
    assert re.findall(r'href="/console/items/(\d+)"', await (await client.get("/console/items?unit=2")).text()) == ["3"]
    wb = load_workbook(io.BytesIO(await (await client.get("/console/export.xlsx")).read()))
    assert [r[0] for r in list(wb["问题清单"].values)[1:]] == [3]


async def test_leader_filters_and_the_list_counts_match_the_export(client, dispatcher, clock):
    await seed(dispatcher, clock)
    await sign_in(client, dispatcher, "wang")
    html = await (await client.get("/console/items?overdue=1")).text()
    assert "共 1 项" in html and re.findall(r'href="/console/items/(\d+)"', html) == ["1"]
    html = await (await client.get("/console/items?unit=2&sort=id&desc=0")).text()
    assert re.findall(r'href="/console/items/(\d+)"', html) == ["1", "2"]
    wb = load_workbook(io.BytesIO(await (await client.get("/console/export.xlsx?unit=2")).read()))
    rows = list(wb["问题清单"].values)[1:]
    assert [r[0] for r in rows] == [1, 2]
    header, visit = list(wb["走访台账"].values)[:2]
    assert "138****5678" in visit[header.index("走访情况")]


async def test_action_goes_through_the_chat_and_notifies(client, dispatcher, clock, db):
    await seed(dispatcher, clock)
    await sign_in(client, dispatcher, "wang")
    page = await (await client.get("/console/items/2")).text()
    assert "13812345678" not in page
    r = await client.post(
        "/console/items/2",
        data={"csrf": csrf_of(page), "nonce": "n1", "action": "resolve", "note": "更换了循环泵"},
        allow_redirects=False,
    )
    assert r.status == 302
    page = await (await client.get("/console/items/2")).text()
    assert '<span class="status" id="status">已办结</span>' in page
    assert "办结</b>\n      王书记：更换了循环泵" in page
    from sqlalchemy import select

    from storage.models import Outbox

    async with db.session() as s:
        bodies = [o.body for o in await s.scalars(select(Outbox).where(Outbox.target == "3"))]
    assert "您提出的问题 #2 已办结：更换了循环泵" in bodies  # 张老师 told, as in chat


async def test_action_without_csrf_is_refused(client, dispatcher, clock):
    await seed(dispatcher, clock)
    await sign_in(client, dispatcher, "wang")
    r = await client.post("/console/items/2", data={"action": "accept"})
    assert r.status == 403


async def test_dashboard_and_report(client, dispatcher, clock):
    await seed(dispatcher, clock)
    await sign_in(client, dispatcher, "wang")
    html = await (await client.get("/console/?month=2026-11")).text()
    assert '<b id="kpi-new">3</b>' in html and '<b id="kpi-overdue">1</b>' in html
    assert "响应率" in html and "（满意 + 0.9 × 基本满意）÷ 已评价的回访" in html
    assert "echarts.min.js" in html
    report = await (await client.get("/console/report?month=2026-11")).text()
    assert "2026年11月“察民情解民忧暖民心”工作月报" in report and "问题清单 3 项" in report
    static = await client.get(re.search(r'src="(/console/static/echarts\.min\.js[^"]*)"', html).group(1))
    assert static.status == 200


async def test_export_in_chat_queues_a_file(dispatcher, clock, db):
    clock.set(datetime(2026, 11, 18, 10, 0))
    reply = await say(dispatcher, "li", "导出本月台账")
    assert reply == "正在生成2026年11月台账（计算机学院，手机号和证件号已隐去），稍后以文件发给您。"
    assert await say(dispatcher, "li", "导出完整台账") == "只有领导可以导出不隐去手机号、证件号的完整台账。"
    assert await say(dispatcher, "zhang", "导出台账") == "只有领导、单位负责人和管理员可以导出台账。"
    from sqlalchemy import select

    from storage.models import Outbox

    async with db.session() as s:
        rows = list(await s.scalars(select(Outbox).where(Outbox.msg_type == "file")))
    # practice in the console stays in the console (the file is named there, not sent to a platform)
    assert len(rows) == 1 and (rows[0].channel, rows[0].target) == ("console", "李院长")
    assert '"month": "2026-11"' in rows[0].body and '"unit_id": 2' in rows[0].body


def test_export_month_words():
    from datetime import date

    from handlers.commands import parse_command
    from handlers.console_access import export_month

    today = date(2026, 1, 15)

    def words(t):
        cmd = parse_command(t)
        return f"{cmd.arg} {cmd.extra}"

    assert [
        export_month(words(t), today)
        for t in ("导出台账", "导出本月台账", "导出上月台账", "导出台账 2025-11", "导出2025年10月台账")
    ] == ["2026-01", "2026-01", "2025-12", "2025-11", "2025-10"]
    assert parse_command("后台").name == "console" and parse_command("导出完整台账").arg == "完整"


async def test_web_settings_come_from_the_config(db, parser, clock, roster, tmp_path):
    from bot.config import parse_config
    from bot.web.settings import web_settings
    from handlers.dispatch import Dispatcher

    cfg = parse_config(
        {
            "data_dir": str(tmp_path),
            "web": {"base_url": "https://mq.example.edu.cn/", "link_minutes": 5, "page_size": 20},
        }
    )
    assert (cfg.policy.console_url, cfg.policy.console_link_minutes) == ("https://mq.example.edu.cn", 5)
    s = web_settings(cfg)
    assert (s.base_url, s.page_size, s.session_hours) == ("https://mq.example.edu.cn", 20, 8)
    assert (tmp_path / "web.key").exists()  # generated once, kept
    reply = await say(Dispatcher(db, parser, cfg.policy, clock), "wang", "后台")
    assert reply.startswith(
        "后台登录链接（5分钟内有效，只能使用一次，请勿转发）：\nhttps://mq.example.edu.cn/console/login?t="
    )


async def test_unit_head_approves_an_extension_from_the_item_page(client, dispatcher, clock):
    await seed(dispatcher, clock)  # #1: 赵老师's, 计算机学院, deadline 11-09 (overdue on 11-18)
    reply = await say(dispatcher, "zhao", "延期 #1 到12月20日 食堂改造需要时间")
    assert "#1" in reply
    await sign_in(client, dispatcher, "li")  # 李院长, head of 计算机学院
    page = await (await client.get("/console/items/1")).text()
    assert '<p id="extension">责任人申请延期到 2026-12-20：</p>' in page
    r = await client.post(
        "/console/items/1", data={"csrf": csrf_of(page), "nonce": "x1", "action": "approve"}, allow_redirects=False
    )
    assert r.status == 302
    page = await (await client.get("/console/items/1")).text()
    assert "<dd>2026-12-20</dd>" in page and 'id="extension"' not in page
