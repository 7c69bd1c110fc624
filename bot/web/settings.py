"""Settings of the web console, from the [web] table of the config file (bot/config.py reads
it, with MINQING_WEB_<KEY> overrides):

    base_url          where users reach the server (the link 「后台」 sends; Policy.console_url),
                      default http://127.0.0.1:8080
    secret_key        Fernet key (urlsafe base64 of 32 bytes) encrypting the session cookie;
                      when unset, one is created in <data_dir>/web.key (mode 0600) and kept
                      (or, without a data directory, one per process)
    cookie_secure     send the cookie over HTTPS only (true behind TLS), default false
    session_hours     how long a sign-in lasts, default 8
    link_minutes      how long a 「后台」 link is valid (Policy.console_link_minutes), default 10
    signin_per_minute sign-in attempts allowed per client address per minute, default 10
    page_size         rows per page of the lists, default 50
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from handlers.errors import ConfigError

log = logging.getLogger("minqing.web")


@dataclass(frozen=True)
class WebSettings:
    base_url: str
    secret_key: bytes
    cookie_secure: bool = False
    session_hours: int = 8
    signin_per_minute: int = 10
    page_size: int = 50


def _key(configured: str, data_dir: Path) -> bytes:
    key = configured
    if not key:
        path = data_dir / "web.key"
        if path.exists():
            key = path.read_text(encoding="ascii").strip()
        else:
            key = Fernet.generate_key().decode()
            if data_dir.is_dir():  # kept, so a restart does not sign everybody out
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w", encoding="ascii") as f:
                    f.write(key)
            else:
                log.warning("web.secret_key unset and %s missing: console sessions end at restart", data_dir)
    try:
        Fernet(key)
    except (ValueError, TypeError):
        raise ConfigError("web.secret_key", "a Fernet key (urlsafe base64 of 32 bytes)") from None
    return key.encode()


def web_settings(cfg: Any) -> WebSettings:
    """From `cfg.web` (checked by bot/config.py; empty for a Config built in code: defaults)."""
    raw = getattr(cfg, "web", None) or {}
    return WebSettings(
        base_url=str(raw.get("base_url") or cfg.policy.console_url).rstrip("/"),
        secret_key=_key(raw.get("secret_key") or "", Path(cfg.data_dir)),
        cookie_secure=bool(raw.get("cookie_secure", False)),
        session_hours=int(raw.get("session_hours", 8)),
        signin_per_minute=int(raw.get("signin_per_minute", 10)),
        page_size=int(raw.get("page_size", 50)),
    )
