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
