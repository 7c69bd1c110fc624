"""Settings of the web console: the [web] table of the config file and MINQING_WEB_* variables.

    base_url          where users reach the server (the link 「后台」 sends), default
                      http://127.0.0.1:8080 (also read by handlers/console_access.py)
    secret_key        Fernet key (urlsafe base64 of 32 bytes) encrypting the session cookie;
                      when unset, one is created in <data_dir>/web.key (mode 0600) and kept
                      (or, without a data directory, one per process)
    cookie_secure     send the cookie over HTTPS only (true behind TLS), default false
    session_hours     how long a sign-in lasts, default 8
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

from handlers.console_access import base_url
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


def _get(raw: dict[str, Any], key: str, default: Any) -> Any:
    env = os.environ.get(f"MINQING_WEB_{key.upper()}")
    return env if env is not None else raw.get(key, default)


def _int(raw: dict[str, Any], key: str, default: int) -> int:
    value = _get(raw, key, default)
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"web.{key}", "a positive integer", value) from None
    if n <= 0:
        raise ConfigError(f"web.{key}", "a positive integer", value)
    return n


def _key(raw: dict[str, Any], data_dir: Path) -> bytes:
    key = _get(raw, "secret_key", None)
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
    return key.encode() if isinstance(key, str) else key


def web_settings(cfg: Any) -> WebSettings:
    """From `cfg.web` (a dict, when the config carries a [web] table) and the environment."""
    raw = getattr(cfg, "web", None) or {}
    secure = str(_get(raw, "cookie_secure", False)).lower() in ("1", "true", "yes")
    url = str(_get(raw, "base_url", "") or base_url()).rstrip("/")
    return WebSettings(base_url=url, secret_key=_key(raw, Path(cfg.data_dir)), cookie_secure=secure,
                       session_hours=_int(raw, "session_hours", 8),
                       signin_per_minute=_int(raw, "signin_per_minute", 10),
                       page_size=_int(raw, "page_size", 50))
