"""The console in a real browser: Debian's chromium driven by Playwright (async API, same event
loop as the in-process server). A leader signs in through a chat-issued link, filters a list,
opens an item, resolves it and sees the dashboard change; a unit head cannot see another unit's
items. Skipped only when /usr/bin/chromium is not installed (.ci/run installs it).

The README's screenshots come from docs/make_screenshots.py (richer data, same browser set-up).
"""

from __future__ import annotations

import pytest

from bot.server import create_app
from tests.web.conftest import CHROMIUM, chat_link, chromium, seed

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed (apt-get install chromium; .ci/run does it in CI)"
)


@pytest.fixture
async def site(aiohttp_server, web_cfg, db, dispatcher, clock):
    server = await aiohttp_server(create_app(web_cfg, db, dispatcher, clock, start_worker=False))
    return f"http://127.0.0.1:{server.port}"


@pytest.fixture
async def browser(tmp_path):
    async with chromium(tmp_path / "profile", viewport={"width": 1360, "height": 900}) as context:
        yield context


async def enter(page, site: str, dispatcher, user: str) -> None:
    await page.goto(site + await chat_link(dispatcher, user))
    await page.click("#enter")
    await page.wait_for_url(site + "/console/")


async def test_leader_signs_in_filters_resolves_and_sees_the_dashboard_change(site, browser, dispatcher, clock):
    await seed(dispatcher, clock)
    page = await browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await enter(page, site, dispatcher, "wang")
    assert await page.text_content("#kpi-resolved") == "0"
    assert await page.text_content("#kpi-overdue") == "1"
    await page.wait_for_selector("#chart-units canvas")  # ECharts drew, from the package, under the CSP

    await page.click("text=问题清单")
    await page.select_option("select[name=unit]", label="计算机学院")
    await page.click("#apply")
    await page.wait_for_selector("#total")
    assert await page.text_content("#total") == "共 2 项"
    ids = await page.eval_on_selector_all("#items-table tbody a", "els => els.map(e => e.textContent)")
    assert ids == ["#2", "#1"]

    await page.click("#items-table >> text=#2")
    await page.wait_for_selector("#history")
    assert "13812345678" not in await page.content()
    await page.fill("#form-resolve input[name=note]", "更换了循环泵")
    await page.click("#form-resolve button")
    await page.wait_for_selector("#flash")
    assert await page.text_content("#status") == "已办结"
    assert "更换了循环泵" in await page.text_content("#history")

    await page.click("text=概览")
    await page.wait_for_selector("#kpi-resolved")
    assert await page.text_content("#kpi-resolved") == "1"
    assert errors == []


async def test_unit_head_cannot_see_another_units_items(site, browser, dispatcher, clock):
    await seed(dispatcher, clock)
    page = await browser.new_page()
    await enter(page, site, dispatcher, "liu")  # 后勤处
    await page.goto(site + "/console/items")
    ids = await page.eval_on_selector_all("#items-table tbody a", "els => els.map(e => e.textContent)")
    assert ids == ["#3"]
    response = await page.goto(site + "/console/items/1")
    assert response.status == 404
    assert "没有这个问题，或您无权查看。" in await page.content()
    await page.goto(site + "/console/visits")
    assert "没有符合条件的走访。" in await page.text_content("#visits-table")


async def test_report_page_prints(site, browser, dispatcher, clock):
    await seed(dispatcher, clock)
    page = await browser.new_page()
    await enter(page, site, dispatcher, "wang")
    await page.goto(site + "/console/report?month=2026-11")
    assert "问题清单 3 项" in await page.text_content("article.report")
    pdf = await page.pdf()
    assert pdf.startswith(b"%PDF")
