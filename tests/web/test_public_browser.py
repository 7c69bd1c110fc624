"""The people's pages in a real browser (Debian chromium, phone-sized, no account): a resident
opens a 回访链接, rates 不满意 with a comment, and the item is reopened; the 公示 page and every
page an anonymous visitor saw have nothing left to mask. Skipped without /usr/bin/chromium."""

from __future__ import annotations

import ipaddress

import pytest

from bot.config import Config
from bot.server import create_app
from handlers.privacy import mask
from storage.models import Item
from tests.web.conftest import CHROMIUM, chromium
from tests.web.test_public_rating import link_for, resolved_item

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed (apt-get install chromium; .ci/run does it in CI)"
)


@pytest.fixture
async def site(aiohttp_server, tmp_path, db, dispatcher, clock):
    cfg = Config(
        data_dir=tmp_path,
        public={"disclosure": "public", "show_cadres": False, "intranet": (ipaddress.ip_network("10.0.0.0/8"),)},
    )
    server = await aiohttp_server(create_app(cfg, db, dispatcher, clock, start_worker=False))
    return f"http://127.0.0.1:{server.port}"


@pytest.fixture
async def phone(tmp_path):
    async with chromium(
        tmp_path / "profile", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    ) as context:
        yield context


async def test_resident_rates_unsatisfied_and_public_pages_hold_nothing_personal(site, phone, dispatcher, db, clock):
    await resolved_item(dispatcher, clock)
    path = await link_for(dispatcher, "zhao", 1)
    page = await phone.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    seen: list[str] = []

    await page.goto(site + path)
    seen.append(await page.inner_text("body"))
    assert "二食堂饭菜偏咸" in seen[-1] and "减少用盐" in seen[-1]
    await page.click("label:has-text('不满意')")
    await page.fill("textarea[name=comment]", "还是很咸")
    await page.click("button[type=submit]")
    await page.wait_for_selector("text=评价已提交")
    seen.append(await page.inner_text("body"))
    assert "已退回重新办理" in seen[-1]
    async with db.session() as s:
        assert (await s.get(Item, 1)).status == "reopened"

    await page.goto(site + path)  # a second use is refused
    seen.append(await page.inner_text("body"))
    assert "链接已失效" in seen[-1]

    await page.goto(site + "/public/all/2026-11")
    seen.append(await page.inner_text("body"))
    assert "#1" in seen[-1] and "重办中" in seen[-1]
    assert await page.evaluate("document.querySelector('img').naturalWidth") > 0  # the QR code loaded under the CSP
    for text in seen:
        assert mask(text) == text
    assert [e for e in errors if "Content Security Policy" in e or "Refused" in e] == []  # 404 favicon, 410 expected
