"""A wrong or missing setting stops start-up with one line naming the key."""

from __future__ import annotations

import pytest

from bot.config import load_config, parse_config
from handlers.errors import ConfigError


def test_defaults_are_usable():
    cfg = parse_config({})
    assert cfg.database_url.startswith("sqlite:///") and cfg.server.port == 8080
    assert cfg.policy.quick_days == 7 and not cfg.wecom.enabled


def test_example_config_loads():
    cfg = load_config("config.example.toml")
    assert cfg.policy.profile == "campus"


@pytest.mark.parametrize(("raw", "key"), [
    ({"server": {"port": "eighty"}}, "server.port"),
    ({"server": {"port": 70000}}, "server.port"),
    ({"database": {"url": "minqing.db"}}, "database.url"),
    ({"taxonomy": {"profile": "army"}}, "taxonomy.profile"),
    ({"deadlines": {"quick_days": 0}}, "deadlines.quick_days"),
    ({"timezone": "Mars/Base"}, "timezone"),
    ({"wecom": {"corp_id": "ww1"}}, "wecom"),
    ({"wecom": {"corp_id": "ww1", "token": "t", "encoding_aes_key": "short"}}, "wecom.encoding_aes_key"),
    ({"dingtalk": {"mode": "carrier-pigeon"}}, "dingtalk.mode"),
    ({"groups": [{"channel": "wecom"}]}, "groups[0].chat_id"),
])
def test_bad_settings_name_the_key(raw, key):
    with pytest.raises(ConfigError) as e:
        parse_config(raw)
    assert e.value.key == key and "\n" not in str(e.value)


def test_environment_overrides(monkeypatch):
    monkeypatch.setenv("MINQING_WECOM_SECRET", "s3cret")
    monkeypatch.setenv("MINQING_DATABASE_URL", "postgresql://u:p@db/minqing")
    monkeypatch.setenv("MINQING_SERVER_PORT", "9000")
    cfg = parse_config({})
    assert (cfg.wecom.secret, cfg.database_url, cfg.server.port) == ("s3cret", "postgresql://u:p@db/minqing", 9000)


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
