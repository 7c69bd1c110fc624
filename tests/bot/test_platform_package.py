"""A third platform is one package: a tiny fake chat platform, written into a temporary
directory as bot/fakechat/ (its platform.py is all it has), is found by the registry and gets
its config table read, its callback route mounted, messages in through the Inbox and notices
out through its sender — with no other file changed."""

from __future__ import annotations

import sys
import textwrap

import pytest
from sqlalchemy import select

import bot
from bot import platform_registry
from bot.config import parse_config
from bot.outbound.render import render
from bot.outbound.routes import Unroutable, resolve
from bot.platform import platforms
from bot.roster_import import import_roster
from bot.server import SERVICES, create_app
from handlers.errors import ConfigError
from handlers.policy import Policy
from handlers.texts import replies
from handlers.types import IncomingMessage
from scheduler.ops import settings_from
from storage import outbox as q
from storage.models import Cadre, GroupBinding, Outbox
from storage.notice import CadreAddress, GroupAddress, Notice, PlatformAddress
from storage.roster import accounts
from tests.bot.fakes import DING_SECRET

FAKECHAT = '''
"""fakechat: JSON callbacks with a shared token; a sender that keeps what it was given."""

from dataclasses import dataclass

from aiohttp import web

from bot.outbound import split
from bot.platform import BasePlatform, Route
from handlers.types import IncomingMessage
from scheduler.ops import settings_from
from storage.notice import PlatformAddress


@dataclass(frozen=True)
class FakeChatConfig:
    token: str = ""


class FakeChatSender:
    def __init__(self):
        self.sent = []  # (route kind, address, text)

    async def send(self, route, text, msg_type, now_ms):
        self.sent.append((route.kind, route.address, text))

    async def send_file(self, route, name, content):
        self.sent.append((route.kind, route.address, f"file {name}"))

    async def download(self, source, max_bytes):
        return b""


class FakeChatPlatform(BasePlatform):
    name = "fakechat"
    order = 5  # preferred over WeCom and DingTalk
    group_bytes = 1000

    def default_config(self):
        return FakeChatConfig()

    def read_config(self, table):
        return FakeChatConfig(token=table.get("token", "", str))

    def can_send(self, section):
        return bool(section.token)

    def add_routes(self, app, inbox, section):
        async def post(request):
            if not section.token or request.headers.get("X-Token") != section.token:
                raise web.HTTPForbidden()
            body = await request.json()
            msg = IncomingMessage(
                channel="fakechat", msg_id=body["id"], user_id=body["from"], text=body["text"],
                received_at=inbox.clock.now(),
            )
            to = PlatformAddress("fakechat", "user", msg.user_id)

            async def late(answers):
                await inbox.enqueue_replies(msg, answers, to=to)

            answers = await inbox.handle_in_budget(msg, late)
            if answers is not None:
                await inbox.enqueue_replies(msg, answers, to=to)
            return web.json_response({"ok": True})

        app.router.add_post("/fakechat/callback", post)

    def sender(self, section, http):
        return FakeChatSender()

    def group_route(self, chat_id):
        return Route("fakechat_group", chat_id)

    def spans(self, route, msg_type, text):
        return split.split_spans(text, 40)  # a tiny platform: 40 bytes a message


PLATFORM = FakeChatPlatform()
'''


def _install(tmp_path, monkeypatch, source: str) -> None:
    """bot/fakechat/ as a package beside the real ones (bot.__path__ gains a directory)."""
    pkg = tmp_path / "plugins" / "fakechat"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "platform.py").write_text(textwrap.dedent(source), encoding="utf-8")
    monkeypatch.setattr(bot, "__path__", [*bot.__path__, str(pkg.parent)])
    platform_registry.forget()


@pytest.fixture
def fakechat(tmp_path, monkeypatch):
    _install(tmp_path, monkeypatch, FAKECHAT)
    yield
    platform_registry.forget()
    for name in [m for m in sys.modules if m.startswith("bot.fakechat")]:
        del sys.modules[name]


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ("PLATFORM = None\n", "defines no PLATFORM"),
        (FAKECHAT.replace('name = "fakechat"', 'name = "fake_chat"'), "lower-case letters and digits only"),
        (FAKECHAT.replace('name = "fakechat"', 'name = "wecom"'), "is already taken"),
        (FAKECHAT.replace('name = "fakechat"', 'name = "scheduler"'), "is already taken"),
    ],
)
def test_a_package_that_cannot_be_a_platform_stops_the_scan(tmp_path, monkeypatch, source, why):
    _install(tmp_path, monkeypatch, source)
    try:
        with pytest.raises(RuntimeError, match=why):
            platforms()
    finally:
        platform_registry.forget()
        for name in [m for m in sys.modules if m.startswith("bot.fakechat")]:
            del sys.modules[name]


def test_the_registry_finds_the_platform_packages_in_preference_order():
    assert list(platforms()) == ["wecom", "dingtalk"]


def test_a_new_package_is_registered_and_its_config_table_read(fakechat, tmp_path, monkeypatch):
    assert list(platforms()) == ["fakechat", "wecom", "dingtalk"]
    cfg = parse_config({"fakechat": {"token": "T1"}, "scheduler": {"fakechat_group_bytes": 600}})
    assert cfg.platforms["fakechat"].token == "T1"
    assert cfg.group_limits["fakechat"] == 1000
    assert settings_from(cfg).group_limit("fakechat") == 600  # the scheduler's digests to its groups
    monkeypatch.setenv("MINQING_FAKECHAT_TOKEN", "from-env")
    assert parse_config({}).platforms["fakechat"].token == "from-env"
    monkeypatch.delenv("MINQING_FAKECHAT_TOKEN")
    for raw, key in (
        ({"fakechat": {"tokn": "T1"}}, "fakechat.tokn"),
        ({"scheduler": {"fakechat_group_bytes": 5000}}, "scheduler.fakechat_group_bytes"),
        ({"groups": [{"channel": "fakechat2", "chat_id": "g"}]}, "groups[0].channel"),
    ):
        with pytest.raises(ConfigError) as e:
            parse_config(raw)
        assert e.value.key == key
    assert parse_config({"groups": [{"channel": "fakechat", "chat_id": "g"}]}).groups[0].channel == "fakechat"


async def _cadre_id(db, name: str) -> int:
    async with db.session() as s:
        return (await s.scalar(select(Cadre).where(Cadre.name == name))).id


async def test_messages_come_in_and_notices_go_out_through_the_generic_code(
    fakechat, aiohttp_client, db, clock, dispatcher, tmp_path
):
    cfg = parse_config({"fakechat": {"token": "T1"}, "dingtalk": {"mode": "off"}})
    app = create_app(cfg, db, dispatcher, clock, start_worker=False)
    client = await aiohttp_client(app)
    services = app[SERVICES]
    sent = services.senders["fakechat"].sent
    # the roster file gains the platform's account column (BasePlatform: 「fakechat账号」)
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "姓名,企业微信账号,fakechat账号,单位,角色,包联点\n"
        "张老师,zhang,fc-zhang,计算机学院,辅导员,梅园3栋（宿舍）、梅园5栋（宿舍）\n",
        encoding="utf-8",
    )
    assert (await import_roster(db, roster)).errors == []
    zhang = await _cadre_id(db, "张老师")
    async with db.session() as s:
        assert await accounts(s, zhang) == {"wecom": "zhang", "dingtalk": "ding_zhang", "fakechat": "fc-zhang"}

    async def say(user: str, text: str, msg_id: str, token: str = "T1") -> int:
        resp = await client.post(
            "/fakechat/callback", json={"id": msg_id, "from": user, "text": text}, headers={"X-Token": token}
        )
        return resp.status

    # in: a stranger (an id that is a WeCom account, not a fakechat one) and a rostered cadre
    assert await say("zhang", "帮助", "m1") == 200
    assert await say("fc-zhang", "帮助", "m2") == 200
    assert await say("fc-zhang", "帮助", "m3", token="wrong") == 403
    while await services.worker.run_once():
        pass
    as_console = await dispatcher.handle(IncomingMessage("console", "c1", "zhang", "帮助", clock.now()))
    stranger = replies.not_registered(Policy().admin_contact)

    def received(address: str) -> str:  # the chunks joined; a newline where a chunk was cut is dropped
        return "".join(text for kind, to, text in sent if to == address and kind == "fakechat_user")

    assert received("zhang").replace("\n", "") == stranger.replace("\n", "")
    assert received("fc-zhang").replace("\n", "") == "".join(text for _, text in render(as_console)).replace("\n", "")
    assert all(len(text.encode()) <= 40 for _, _, text in sent)  # the platform's own size limit

    # the web console's in-app sign-in exists for every platform; this one has none (BasePlatform)
    page = await client.get("/console/fakechat", allow_redirects=False)
    assert (page.status, await page.text()) == (404, "未配置fakechat。请在对话中发送「后台」获取登录链接。")

    # out: a cadre is reached on the preferred platform, a bound group through its app chat
    sent.clear()
    async with db.write() as s:
        group = GroupBinding(channel="fakechat", chat_id="fc-group", unit_id=None)
        s.add(group)
        await s.flush()
        await q.enqueue(
            s,
            [
                Notice(CadreAddress(zhang), "明天请回访3号楼", "n1"),
                Notice(GroupAddress(group.id), "本周走访12次\n梅园3栋宿舍热水已修复\n二食堂菜价已公示", "n2"),
            ],
            clock.now(),
        )
    while await services.worker.run_once():
        pass
    assert sent == [
        ("fakechat_user", "fc-zhang", "明天请回访3号楼"),
        ("fakechat_group", "fc-group", "本周走访12次"),  # 40 bytes a message: one line each
        ("fakechat_group", "fc-group", "梅园3栋宿舍热水已修复"),
        ("fakechat_group", "fc-group", "二食堂菜价已公示"),
    ]


async def test_rows_for_a_platform_that_is_not_installed_fail_as_unroutable(db, clock):
    async with db.write() as s:
        (rid,) = await q.enqueue(s, Notice(PlatformAddress("fakechat", "user", "u1"), "你好", "k"), clock.now())
    cfg = parse_config({"dingtalk": {"app_key": "k", "app_secret": DING_SECRET}})
    async with db.session() as s:
        row = await s.get(Outbox, rid)
        with pytest.raises(Unroutable):
            await resolve(row, s, cfg)
