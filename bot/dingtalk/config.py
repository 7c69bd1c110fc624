"""The `[dingtalk]` table: a DingTalk enterprise robot (钉钉企业内部应用机器人).

    mode            "http" (callbacks on /dingtalk/callback), "stream" (the Stream gateway,
                    no public address) or "off"
    app_key, app_secret, robot_code   the app; robot_code defaults to app_key
    api_base, stream_endpoint         API hosts (loopback fakes in tests)
    session_hosts   hosts a message's sessionWebhook may point to (https; api_base's host too)

Each key may come from MINQING_DINGTALK_<KEY> (secrets belong there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from handlers.errors import ConfigError

if TYPE_CHECKING:
    from bot.config import Config
    from bot.platform_registry import ConfigTable

NAME = "dingtalk"


@dataclass(frozen=True)
class DingTalkConfig:
    mode: str = "http"  # http | stream | off
    app_key: str = ""
    app_secret: str = ""
    robot_code: str = ""
    api_base: str = "https://api.dingtalk.com"
    stream_endpoint: str = "https://api.dingtalk.com/v1.0/gateway/connections/open"
    # hosts a message's sessionWebhook may point to (https); the api_base host is always allowed
    session_hosts: tuple[str, ...] = ("oapi.dingtalk.com", "api.dingtalk.com")

    @property
    def enabled(self) -> bool:
        """True when the mode is not "off" and app_key and app_secret are set."""
        return self.mode != "off" and bool(self.app_key and self.app_secret)


def read_config(dt: ConfigTable) -> DingTalkConfig:
    """DingTalkConfig from the `[dingtalk]` table; ConfigError naming the key when wrong."""
    dingtalk = DingTalkConfig(
        mode=dt.get("mode", "http", str),
        app_key=dt.get("app_key", "", str),
        app_secret=dt.get("app_secret", "", str),
        robot_code=dt.get("robot_code", "", str),
        api_base=dt.get("api_base", "https://api.dingtalk.com", str).rstrip("/"),
        stream_endpoint=dt.get("stream_endpoint", "https://api.dingtalk.com/v1.0/gateway/connections/open", str),
        session_hosts=dt.strings("session_hosts", DingTalkConfig.session_hosts),
    )
    if dingtalk.mode not in ("http", "stream", "off"):
        raise ConfigError("dingtalk.mode", '"http", "stream" or "off"', dingtalk.mode)
    return dingtalk


def section(cfg: Config) -> DingTalkConfig:
    """The DingTalk section of a loaded Config (the default one when absent)."""
    found = cfg.platforms.get(NAME)
    return found if isinstance(found, DingTalkConfig) else DingTalkConfig()
