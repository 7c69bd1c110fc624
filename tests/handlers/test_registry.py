"""The command registry: every command in SPECS is carried out by exactly one registered
function, and the hints in replies and reminders are made from the commands' own forms."""

import pytest

from handlers import commands, dispatch  # noqa: F401  (dispatch imports every feature module)
from handlers.commands import SPECS, form, handles
from handlers.texts import reminders as texts


def test_every_command_has_its_function():
    assert commands.unhandled() == []
    assert {s.name for s in SPECS} == {name for name in commands._ACTIONS}


def test_a_command_cannot_be_registered_twice_or_invented():
    with pytest.raises(ValueError, match="registered twice"):
        handles("accept")(lambda ctx, cmd: None)  # type: ignore[arg-type, return-value]
    with pytest.raises(ValueError, match="no command"):
        handles("teleport")


def test_forms_fill_and_keep_placeholders():
    assert form("resolve", id=12) == "办结 #12 结果"
    assert form("transfer") == "转办 #{id} 单位 姓名"
    assert form("extend", id=3) == "延期 #3 到{d} 原因…"
    with pytest.raises(KeyError):
        form("undo")


def test_reminder_hints_are_made_from_the_forms(monkeypatch):
    # a renamed command word reaches the reminders without touching handlers/texts/reminders.py
    assert (
        texts.REPLY_RESOLVE.format(id=7)
        == f"回复「{form('resolve', id=7)}」办结，或「{form('progress', id=7)}」报告进展。"
    )
    assert "签收 #{id}" in texts.REPLY_ACCEPT and "转办 #{id} 单位 姓名" in texts.ESC_REPLY


def test_every_short_form_is_understood_as_its_own_command():
    for spec in SPECS:
        if not spec.form:
            continue
        text = spec.form.format(id=12, d="12月9日").replace("|基本满意|不满意", "").replace(" 单位 姓名", " 后勤处")
        cmd = commands.parse_command(text.replace("结果", "已更换热水器").replace("内容", "已联系后勤处"))
        assert isinstance(cmd, commands.Command) and (cmd.name, cmd.ref) == (spec.name, 12), text


async def test_who_and_where_come_from_the_table_and_refuse_before_acting(dispatcher):
    """A command's `allow` is checked by the dispatcher before its function runs: the refusal is
    the table's text and nothing is done (the item keeps its owner); 帮助 names the limits."""
    from handlers.texts import refusals
    from storage.items import get_item
    from tests.handlers.chat import say

    await say(dispatcher, "zhang", "今天去梅园3栋走访，同学反映热水不稳定")
    assert await say(dispatcher, "zhao", "包保 #1") == refusals.LEADERS_TAKE  # a cadre, not a leader
    async with dispatcher.db.session() as s:
        item = await get_item(s, 1)
        assert item is not None and item.owner.name == "张老师" and item.track != "包保"
    assert await say(dispatcher, "zhang", "不公示 #1 涉及隐私") == refusals.HEADS_UNPUBLISH
    assert await say(dispatcher, "zhang", "后台") == refusals.CONSOLE_ROLES
    assert await say(dispatcher, "li", "后台", chat_id="g1") == refusals.PRIVATE_CONSOLE  # a head, in a group
    assert await say(dispatcher, "li", "导出台账", chat_id="g1") == refusals.PRIVATE_EXPORT
    assert await say(dispatcher, "li", "绑定 计算机学院") == refusals.GROUP_BIND  # private chat
    assert await say(dispatcher, "zhang", "绑定 计算机学院", chat_id="g1") == refusals.HEADS_BIND
    assert await say(dispatcher, "zhang", "回访链接 #1", chat_id="g1") == refusals.PRIVATE_RATING_LINK.format(id=1)
    help_text = await say(dispatcher, "zhang", "帮助")
    assert "包保 #12（领导）" in help_text and "绑定 计算机学院（群内，单位负责人、领导）" in help_text
    assert "后台（领导、单位负责人、管理员，私聊，网页后台的登录链接）" in help_text


def test_every_limited_command_says_why_it_refuses():
    """A Spec that limits roles or chat carries the reply for each refusal it can give."""
    for spec in SPECS:
        allow = spec.allow
        assert not allow.roles or allow.denied, spec.name
        assert allow.chat == "any" or allow.wrong_chat, spec.name
        assert allow.chat in ("any", "private", "group"), spec.name
    leaders_only = commands.Allow(("leader",), "no")
    assert leaders_only.refusal(["cadre"], False, 3) == "no" and leaders_only.refusal(["leader"], True, 3) is None
    private = commands.Allow(chat="private", wrong_chat="#{id} 请私聊")
    assert private.refusal([], True, 7) == "#7 请私聊" and private.refusal([], False, 7) is None
