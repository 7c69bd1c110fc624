"""A wrong or missing setting stops start-up with one line naming the key."""

from __future__ import annotations

import pytest

from bot.config import load_config, parse_config
from handlers.errors import ConfigError


def test_defaults_are_usable():
    cfg = parse_config({})
    assert cfg.database_url.startswith("sqlite:///") and cfg.server.port == 8080
    assert cfg.policy.quick_days == 7 and not cfg.platforms["wecom"].enabled


def test_example_config_loads():
    cfg = load_config("config.example.toml")
    assert cfg.policy.profile == "campus"
    assert (cfg.public["disclosure"], cfg.policy.rating_days, cfg.policy.satisfaction_weights["群众"]) == (
        "off",
        14,
        1.0,
    )


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"server": {"port": "eighty"}}, "server.port"),
        ({"server": {"port": 70000}}, "server.port"),
        ({"database": {"url": "minqing.db"}}, "database.url"),
        ({"taxonomy": {"profile": "army"}}, "taxonomy.profile"),
        ({"deadlines": {"quick_days": 0}}, "deadlines.quick_days"),
        ({"timezone": "Mars/Base"}, "timezone"),
        ({"public": {"disclosure": "everyone"}}, "public.disclosure"),
        ({"public": {"intranet": ["10.0.0.0/33"]}}, "public.intranet"),
        ({"public": {"rating_days": 0}}, "public.rating_days"),
        ({"wecom": {"corp_id": "ww1"}}, "wecom"),
        ({"wecom": {"corp_id": "ww1", "token": "t", "encoding_aes_key": "short"}}, "wecom.encoding_aes_key"),
        ({"dingtalk": {"mode": "carrier-pigeon"}}, "dingtalk.mode"),
        ({"groups": [{"channel": "wecom"}]}, "groups[0].chat_id"),
    ],
)
def test_bad_settings_name_the_key(raw, key):
    with pytest.raises(ConfigError) as e:
        parse_config(raw)
    assert e.value.key == key and "\n" not in str(e.value)


def test_environment_overrides(monkeypatch):
    monkeypatch.setenv("MINQING_WECOM_SECRET", "s3cret")
    monkeypatch.setenv("MINQING_DATABASE_URL", "postgresql://u:p@db/minqing")
    monkeypatch.setenv("MINQING_SERVER_PORT", "9000")
    cfg = parse_config({})
    assert (cfg.platforms["wecom"].secret, cfg.database_url, cfg.server.port) == (
        "s3cret",
        "postgresql://u:p@db/minqing",
        9000,
    )


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(ConfigError, match="existing TOML file"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[server\nport=1", encoding="utf-8")
    with pytest.raises(ConfigError, match="valid TOML"):
        load_config(bad)


def test_bad_scheduler_setting_stops_start_up():
    with pytest.raises(ConfigError) as e:
        parse_config({"scheduler": {"reminder_days": [15, 40]}})
    assert e.value.key.startswith("scheduler.reminder_days")


# -- one reader for every section --------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "key", "nearest"),
    [
        ({"server": {"prot": 8080}}, "server.prot", "port"),
        ({"server": {"wokers": 2}}, "server.wokers", "workers"),
        ({"servr": {"port": 8080}}, "servr", "server"),
        ({"admin_contcat": "党办"}, "admin_contcat", "admin_contact"),
        ({"wecom": {"max_age": 60}}, "wecom.max_age", "max_age_s"),
        ({"dingtalk": {"app_secert": "x"}}, "dingtalk.app_secert", "app_secret"),
        ({"outbox": {"max_attempt": 3}}, "outbox.max_attempt", "max_attempts"),
        ({"taxonomy": {"userdict": "a.txt"}}, "taxonomy.userdict", "user_dict"),
        ({"scheduler": {"remider_days": [1]}}, "scheduler.remider_days", "reminder_days"),
        ({"scheduler": {"duties": [{"name": "x", "tiems": 2}]}}, "scheduler.duties[0].tiems", "times"),
        ({"groups": [{"channel": "wecom", "chat_id": "c", "webhok": "u"}]}, "groups[0].webhok", "webhook"),
    ],
)
def test_unknown_keys_stop_start_up_naming_the_nearest_known_key(raw, key, nearest):
    with pytest.raises(ConfigError) as e:
        parse_config(raw)
    assert e.value.key == key and f"did you mean {nearest}?" in str(e.value) and "\n" not in str(e.value)


def test_misspelled_environment_variable_of_a_section_is_refused(monkeypatch):
    monkeypatch.setenv("MINQING_SERVER_PROT", "9000")
    with pytest.raises(ConfigError, match="MINQING_SERVER_PORT"):
        parse_config({})


def test_environment_overrides_every_section(monkeypatch):
    monkeypatch.setenv("MINQING_SCHEDULER_REMINDER_DAYS", "[10, 20]")
    monkeypatch.setenv("MINQING_SCHEDULER_DIGEST_TIME", "08:30")
    monkeypatch.setenv("MINQING_SCHEDULER_ENABLED", "false")
    monkeypatch.setenv("MINQING_ADMIN_CONTACT", "校党办 8888")
    monkeypatch.setenv("MINQING_DEADLINES_QUICK_DAYS", "5")
    monkeypatch.setenv("MINQING_METRICS_WEIGHT_BASIC", "0.8")
    monkeypatch.setenv("MINQING_OUTBOX_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("MINQING_WECOM_MAX_AGE_S", "120")
    monkeypatch.setenv("MINQING_DINGTALK_SESSION_HOSTS", "oapi.dingtalk.com, robot.example.cn")
    monkeypatch.setenv("MINQING_GROUPS_0_WEBHOOK_SECRET", "SECxyz")
    monkeypatch.setenv(
        "MINQING_SCHEDULER_DUTIES", '[{name = "食堂陪餐", who = ["辅导员"], what = ["食堂"], times = 2}]'
    )
    cfg = parse_config(
        {
            "scheduler": {"reminder_days": [15, 25]},
            "groups": [{"channel": "dingtalk", "chat_id": "cid1", "leaders": True}],
        }
    )
    from scheduler.ops import settings_from

    settings = settings_from(cfg)
    assert settings.reminder_days == (10, 20) and settings.digest_time.strftime("%H:%M") == "08:30"
    assert settings.enabled is False
    assert [(d.name, d.who, d.what, d.times) for d in settings.duties] == [("食堂陪餐", ("辅导员",), ("食堂",), 2)]
    assert (cfg.policy.admin_contact, cfg.policy.quick_days, cfg.policy.satisfaction_weights["基本满意"]) == (
        "校党办 8888",
        5,
        0.8,
    )
    assert (cfg.outbox.max_attempts, cfg.platforms["wecom"].max_age_s) == (3, 120)
    assert cfg.platforms["dingtalk"].session_hosts == ("oapi.dingtalk.com", "robot.example.cn")
    assert cfg.groups[0].webhook_secret == "SECxyz"


def test_bad_scheduler_value_from_the_environment_names_the_key(monkeypatch):
    monkeypatch.setenv("MINQING_SCHEDULER_MONTHLY_DAY", "31")
    with pytest.raises(ConfigError) as e:
        parse_config({})
    assert e.value.key == "scheduler.monthly_day"


def test_config_file_with_bom_or_in_gb18030_loads(tmp_path):
    text = 'admin_contact = "校党委办公室"\n[server]\nport = 8181\n'
    for name, data in (("bom.toml", b"\xef\xbb\xbf" + text.encode()), ("gbk.toml", text.encode("gb18030"))):
        (tmp_path / name).write_bytes(data)
        cfg = load_config(tmp_path / name)
        assert (cfg.policy.admin_contact, cfg.server.port) == ("校党委办公室", 8181)


# -- through the real CLI ----------------------------------------------------------------------


def run_cli(*argv: str, cwd=None) -> tuple[int, str, str]:
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("MINQING_")}
    env["PYTHONPATH"] = str(root)
    p = subprocess.run(
        [sys.executable, "-m", "bot.cli", *argv], cwd=cwd or root, env=env, capture_output=True, text=True, timeout=120
    )
    return p.returncode, p.stdout, p.stderr


def test_cli_config_before_or_after_the_subcommand_and_typos_stop_in_one_line(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path}/m.db"\n[scheduler]\ndigest_weekday = "fri"\n', encoding="utf-8"
    )
    for argv in (("--config", str(good), "jobs", "list"), ("jobs", "list", "--config", str(good))):
        code, out, err = run_cli(*argv)
        assert code == 0, err
        assert "weekly_digest" in out or "digest" in out
    bad = tmp_path / "bad.toml"
    bad.write_text("[server]\nprot = 8080\n", encoding="utf-8")
    code, out, err = run_cli("serve", "--config", str(bad))
    assert code == 2
    assert err.strip() == "配置错误 config error: server.prot: expected a known setting (did you mean port?)"


def test_jieba_user_dict_with_bom_or_in_gbk_loads_its_first_word(tmp_path):
    from bot.app import load_parser

    for name, data in (
        ("bom.txt", b"\xef\xbb\xbf" + "明德楼 10 课堂\n".encode()),
        ("gbk.txt", "明德楼 10 课堂\n".encode("gbk")),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        cfg = parse_config({"data_dir": str(tmp_path / "data"), "taxonomy": {"user_dict": str(path)}})
        parser = load_parser(cfg)
        assert parser.known_places.get("明德楼") == "课堂", name


def test_unreadable_user_dict_is_one_config_line(tmp_path):
    from bot.app import load_parser

    path = tmp_path / "bin.txt"
    path.write_bytes(b"\x00\xff\xfe\x00\x81" * 20)
    cfg = parse_config({"data_dir": str(tmp_path / "data"), "taxonomy": {"user_dict": str(path)}})
    with pytest.raises(ConfigError) as e:
        load_parser(cfg)
    assert e.value.key == "taxonomy.user_dict" and "\n" not in str(e.value)


def test_groups_from_config_become_bindings_and_digests_go_to_their_webhooks(tmp_path):
    import asyncio
    import sqlite3

    from bot.outbound.routes import resolve
    from storage.db import Database
    from storage.models import Outbox

    db_path = tmp_path / "m.db"
    cfg_file = tmp_path / "c.toml"
    hook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"
    ding_hook = "https://oapi.dingtalk.com/robot/send?access_token=t"
    cfg_file.write_text(
        f'[database]\nurl = "sqlite:///{db_path}"\n'
        f'[[groups]]\nchannel = "wecom"\nchat_id = "wrCS"\nunit = "计算机学院"\nwebhook = "{hook}"\n'
        f'[[groups]]\nchannel = "dingtalk"\nchat_id = "cidLEAD"\nleaders = true\nwebhook = "{ding_hook}"\n'
        'webhook_secret = "SEC1"\n',
        encoding="utf-8",
    )
    assert run_cli("--config", str(cfg_file), "roster", "import", "bot/demo/roster.csv")[0] == 0
    code, _out, err = run_cli("jobs", "run", "weekly_digest", "--now", "2026-11-23T09:00", "--config", str(cfg_file))
    assert code == 0, err
    with sqlite3.connect(db_path) as c:
        bindings = c.execute(
            "select channel, chat_id, unit_id is not null, is_leaders, webhook from group_bindings order by id"
        ).fetchall()
    assert bindings == [("wecom", "wrCS", 1, 0, hook), ("dingtalk", "cidLEAD", 0, 1, ding_hook)]

    async def routes():
        from sqlalchemy import select

        from bot.config import load_config

        cfg = load_config(cfg_file)
        db = Database(cfg.database_url)
        try:
            async with db.session() as s:
                rows = list(await s.scalars(select(Outbox).where(Outbox.dedupe_key.like("%digest:%"))))
                return [await resolve(r, s, cfg) for r in rows]
        finally:
            await db.dispose()

    got = {(r.kind, r.address, r.secret) for r in asyncio.run(routes())}
    assert got == {("wecom_webhook", hook, None), ("dingtalk_webhook", ding_hook, "SEC1")}


def test_group_with_a_unit_the_roster_lacks_stops_start_up_in_one_line(tmp_path):
    cfg_file = tmp_path / "c.toml"
    cfg_file.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path}/m.db"\n'
        '[[groups]]\nchannel = "wecom"\nchat_id = "w1"\nunit = "计算机学员"\n',
        encoding="utf-8",
    )
    assert run_cli("--config", str(cfg_file), "roster", "import", "bot/demo/roster.csv")[0] == 0
    code, _, err = run_cli("jobs", "run", "weekly_digest", "--config", str(cfg_file))
    assert code == 2 and err.strip() == (
        "配置错误 config error: groups[0].unit: expected a unit of the roster"
        " (did you mean 计算机学院?) (got '计算机学员')"
    )
