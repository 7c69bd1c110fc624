"""`minqing holidays check`, `minqing jobs list` and `minqing jobs run --now … --dry-run` from
the command line, on a temporary data directory and database."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot import cli
from bot.commands import SystemClock


@pytest.fixture
def config(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    path.write_text(f'data_dir = "{tmp_path}"\n[database]\nurl = "sqlite:///{tmp_path}/m.db"\n', encoding="utf-8")
    monkeypatch.setattr(SystemClock, "now", lambda self: datetime(2026, 11, 29, 10, 0))
    return path


def test_holidays_check_prints_each_special_day_and_the_gap(config, capsys):
    assert cli.main(["--config", str(config), "holidays", "check", "--year", "2027"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "2027年：无官方数据：按法定节日规则推算，调休上班日未知"
    assert "2027-02-05 周五 休息 农历除夕  ［法定节日规则推算（调休上班日未知）］" in out
    assert out[-1].startswith("⚠ 【民情通】2027年节假日安排尚未录入。")


def test_holidays_check_reads_the_administrators_file(config, tmp_path, capsys):
    (tmp_path / "holidays.toml").write_text(
        '[years.2027]\nsource = "测试用日期"\nurl = "https://example.invalid/"\n'
        'off = ["2027-01-01"]\nwork = ["2027-02-13"]\n',
        encoding="utf-8",
    )
    assert cli.main(["--config", str(config), "holidays", "check", "--year", "2027"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == [
        "2027年：官方数据",
        "来源：测试用日期  https://example.invalid/",
        f"文件：{tmp_path / 'holidays.toml'}",
    ]
    assert f"2027-02-13 周六 上班 调休上班  ［管理员文件 {tmp_path / 'holidays.toml'}：测试用日期］" in out
    assert not any(line.startswith("⚠") for line in out)


def test_jobs_list_ends_with_the_calendar_warning(config, capsys):
    assert cli.main(["--config", str(config), "jobs", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "visit_duties             下次运行 2026-12-15 09:00"
    assert out[-1].startswith("⚠ 【民情通】2027年节假日安排尚未录入。")


def test_jobs_run_now_with_an_offset(config, capsys):
    assert (
        cli.main(["--config", str(config), "jobs", "run", "deadlines", "--now", "2026-11-25T01:00Z", "--dry-run"]) == 0
    )
    assert capsys.readouterr().out.strip() == "（没有要发送的消息）"
    assert cli.main(["--config", str(config), "jobs", "run", "deadlines", "--now", "tomorrow"]) == 2
    assert "--now" in capsys.readouterr().err
