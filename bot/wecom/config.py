"""The `[wecom]` table: a WeCom self-built app (企业微信自建应用).

    corp_id, token, encoding_aes_key   callbacks (all three, or none)
    secret, agent_id                   sending through the app's API
    api_base                           the API host (a loopback fake in tests)
    max_age_s                          callbacks signed longer ago (or further ahead) are refused

Each key may come from MINQING_WECOM_<KEY> (secrets belong there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from handlers.errors import ConfigError

if TYPE_CHECKING:
    from bot.config import Config
    from bot.platform_registry import ConfigTable

NAME = "wecom"


@dataclass(frozen=True)
class WeComConfig:
    corp_id: str = ""
    agent_id: str = ""
    secret: str = ""
    token: str = ""
    encoding_aes_key: str = ""
    api_base: str = "https://qyapi.weixin.qq.com"
    max_age_s: int = 600  # callbacks whose signed timestamp is older (or further ahead) are refused

    @property
    def enabled(self) -> bool:
        """True when corp_id, token and encoding_aes_key are all set (callbacks accepted; sending also needs
        secret and agent_id)."""
        return bool(self.corp_id and self.token and self.encoding_aes_key)

    @property
    def can_send(self) -> bool:
        """True when callbacks are configured and secret and agent_id are set."""
        return self.enabled and bool(self.secret and self.agent_id)


def read_config(wc: ConfigTable) -> WeComConfig:
    """WeComConfig from the `[wecom]` table; ConfigError naming the key when wrong."""
    wecom = WeComConfig(
        corp_id=wc.get("corp_id", "", str),
        agent_id=str(wc.get("agent_id", "", str if isinstance(wc.raw.get("agent_id", ""), str) else int)),
        secret=wc.get("secret", "", str),
        token=wc.get("token", "", str),
        encoding_aes_key=wc.get("encoding_aes_key", "", str),
        api_base=wc.get("api_base", "https://qyapi.weixin.qq.com", str).rstrip("/"),
        max_age_s=wc.positive("max_age_s", 600),
    )
    if wecom.encoding_aes_key and len(wecom.encoding_aes_key) != 43:
        raise ConfigError("wecom.encoding_aes_key", "43 characters (from the WeCom admin console)", "…")
    if (wecom.corp_id or wecom.token) and not wecom.enabled:
        raise ConfigError("wecom", "corp_id, token and encoding_aes_key all set (or none)")
    return wecom


def section(cfg: Config) -> WeComConfig:
    """The WeCom section of a loaded Config (the default, disabled one when absent)."""
    found = cfg.platforms.get(NAME)
    return found if isinstance(found, WeComConfig) else WeComConfig()
