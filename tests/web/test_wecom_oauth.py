"""Opening the console inside the apps: WeCom 网页授权 (snsapi_base) and DingTalk 免登 (OAuth2),
each with a state bound to the session."""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qs, urlsplit

from bot.server import create_app
from tests.web.conftest import platform_cfg


async def app_client(aiohttp_client, tmp_path, fake, db, dispatcher, clock, monkeypatch, which="wecom"):
    cfg = dataclasses.replace(platform_cfg(tmp_path, fake.base, which), web={"base_url": "https://mq.example.edu.cn"})
    return await aiohttp_client(create_app(cfg, db, dispatcher, clock, start_worker=False))


async def test_wecom_sign_in(aiohttp_client, tmp_path, fake, db, dispatcher, clock, monkeypatch):
    client = await app_client(aiohttp_client, tmp_path, fake, db, dispatcher, clock, monkeypatch)
    r = await client.get("/console/wecom", allow_redirects=False)
    assert r.status == 302
    where = urlsplit(r.headers["Location"])
    q = parse_qs(where.query)
    assert (where.netloc, where.path, where.fragment) == (
        "open.weixin.qq.com",
        "/connect/oauth2/authorize",
        "wechat_redirect",
    )
    assert q["appid"] == ["corp"] and q["scope"] == ["snsapi_base"] and q["agentid"] == ["1000002"]
    assert q["redirect_uri"] == ["https://mq.example.edu.cn/console/wecom/callback"]
    bad = await client.get("/console/wecom/callback?code=c-wang&state=other", allow_redirects=False)
    assert bad.status == 403  # and the state is used up
    r = await client.get("/console/wecom", allow_redirects=False)
    state = parse_qs(urlsplit(r.headers["Location"]).query)["state"][0]
    ok = await client.get(f"/console/wecom/callback?code=c-wang&state={state}", allow_redirects=False)
    assert ok.status == 302 and ok.headers["Location"] == "/console/"
    assert (await client.get("/console/items", allow_redirects=False)).status == 200


async def test_wecom_sign_in_refuses_ordinary_cadres(
    aiohttp_client, tmp_path, fake, db, dispatcher, clock, monkeypatch
):
    client = await app_client(aiohttp_client, tmp_path, fake, db, dispatcher, clock, monkeypatch)
    r = await client.get("/console/wecom", allow_redirects=False)
    state = parse_qs(urlsplit(r.headers["Location"]).query)["state"][0]
    no = await client.get(f"/console/wecom/callback?code=c-zhang&state={state}", allow_redirects=False)
    assert no.status == 403 and "后台供领导、单位负责人和管理员使用。" in await no.text()
    assert (await client.get("/console/items", allow_redirects=False)).status == 302


async def test_dingtalk_sign_in(aiohttp_client, tmp_path, fake, db, dispatcher, clock, monkeypatch):
    client = await app_client(aiohttp_client, tmp_path, fake, db, dispatcher, clock, monkeypatch, "dingtalk")
    r = await client.get("/console/dingtalk", allow_redirects=False)
    where = urlsplit(r.headers["Location"])
    q = parse_qs(where.query)
    assert (where.netloc, where.path) == ("login.dingtalk.com", "/oauth2/auth")
    assert q["client_id"] == ["k"] and q["scope"] == ["openid"] and q["response_type"] == ["code"]
    assert q["redirect_uri"] == ["https://mq.example.edu.cn/console/dingtalk/callback"]
    no = await client.get(
        f"/console/dingtalk/callback?authCode=c-ding_zhang&state={q['state'][0]}", allow_redirects=False
    )
    assert no.status == 403  # 张老师 is an ordinary cadre
    r = await client.get("/console/dingtalk", allow_redirects=False)
    state = parse_qs(urlsplit(r.headers["Location"]).query)["state"][0]
    ok = await client.get(f"/console/dingtalk/callback?authCode=c-ding_li&state={state}", allow_redirects=False)
    assert ok.status == 302 and ok.headers["Location"] == "/console/"
    html = await (await client.get("/console/items")).text()
    assert "李院长 · 计算机学院" in html
