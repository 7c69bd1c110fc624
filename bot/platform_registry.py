"""Which platforms exist: every package under bot/ that has a `platform` module with a
`PLATFORM` object (bot/wecom/platform.py, bot/dingtalk/platform.py, …).

Adding a platform therefore edits no shared file: a new package bot/<name>/ with its
platform.py is found here by scanning bot/'s subpackages (pkgutil, no entry points, so a
checkout works without reinstalling). The full interface a PLATFORM implements is
`bot.platform.Platform`; this module only knows the part the configuration reader needs, so
bot.config can use it without importing the servers, senders and routes behind it.

Order: `platforms()` is sorted by (`order`, name); a cadre is reached on the first platform
in that order that can send and knows an account of theirs (WeCom 10, DingTalk 20).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

MARKER = "platform"  # the module a platform package defines PLATFORM in
# a name is a channel, a config table, a route kind prefix ("<name>_user") and an env prefix
_NAME = re.compile(r"[a-z][a-z0-9]{1,19}")
RESERVED = frozenset(
    {"auto", "console", "web", "public"}  # channels that are not platforms
    | {"server", "database", "taxonomy", "attachments", "deadlines", "metrics", "outbox", "scheduler", "groups"}
)


class ConfigTable(Protocol):
    """Typed reads from one TOML table, environment overrides included (bot.config's reader):
    each raises ConfigError naming the key, e.g. 「wecom.max_age_s」."""

    raw: dict[str, Any]

    def key(self, k: str) -> str:
        """The full key name for error lines, e.g. "wecom.token"."""
        ...

    def get(self, k: str, default: Any, kind: type, expected: str | None = None) -> Any:
        """The value of `k` as `kind` (env MINQING_<TABLE>_<K> wins over the file)."""
        ...

    def positive(self, k: str, default: float, kind: type = int) -> Any:
        """A positive int (or float with kind=float)."""
        ...

    def strings(self, k: str, default: tuple[str, ...]) -> tuple[str, ...]:
        """A list of non-empty strings (env: comma-separated)."""
        ...


class PlatformConfig(Protocol):
    """What the configuration reader needs of a platform (see bot.platform.Platform for all).

    name: the channel name in messages, outbox rows, [[groups]] and the config table ("wecom").
    order: preference when a cadre has accounts on several platforms (lower first).
    group_bytes: the largest group message the platform takes (UTF-8 bytes): default and
      maximum of `scheduler.<name>_group_bytes`.
    """

    name: str
    order: int
    group_bytes: int

    def default_config(self) -> Any:
        """The platform's config section when its table is absent (usually: disabled)."""
        ...

    def read_config(self, table: ConfigTable) -> Any:
        """The platform's config section from its `[<name>]` table; ConfigError when wrong."""
        ...


def _packages() -> list[tuple[str, str]]:
    """(package name, directory) of bot/'s subpackages, read from bot.__path__ (no import)."""
    import bot

    found = []
    for info in pkgutil.iter_modules(bot.__path__):
        if info.ispkg:
            found.append((info.name, str(Path(getattr(info.module_finder, "path", "")) / info.name)))
    return found


@cache
def platforms() -> Mapping[str, PlatformConfig]:
    """{name: PLATFORM} of every platform package under bot/, in (order, name) order.

    Raises RuntimeError when a package's platform module has no PLATFORM or two packages
    claim one name (a programming error, not a configuration one)."""
    found: dict[str, Any] = {}
    for pkg, directory in _packages():
        if not any(m.name == MARKER for m in pkgutil.iter_modules([directory])):
            continue
        module = importlib.import_module(f"bot.{pkg}.{MARKER}")
        plat = getattr(module, "PLATFORM", None)
        if plat is None:
            raise RuntimeError(f"bot/{pkg}/{MARKER}.py defines no PLATFORM")
        if not _NAME.fullmatch(str(plat.name)):
            raise RuntimeError(f"platform name {plat.name!r} of bot/{pkg}: lower-case letters and digits only")
        if plat.name in found or plat.name in RESERVED:
            raise RuntimeError(f"platform name {plat.name!r} of bot/{pkg} is already taken")
        found[plat.name] = plat
    return MappingProxyType(dict(sorted(found.items(), key=lambda kv: (kv[1].order, kv[0]))))


def forget() -> None:
    """Scan again on the next `platforms()` call (tests that add a platform package)."""
    platforms.cache_clear()
