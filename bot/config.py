"""Settings from a TOML file plus environment variables; one clear error line when wrong.

Every key may be overridden by an environment variable MINQING_<SECTION>_<KEY> (upper case),
e.g. MINQING_WECOM_SECRET, MINQING_DATABASE_URL. Secrets belong there, never in the repo.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.platform_registry import platforms as registered
from bot.textfile import TextFileError, read_text
from handlers.errors import ConfigError
from handlers.policy import Policy


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 1_048_576
    reply_budget_ms: int = 3000  # answer passively only if handled within this budget
    workers: int = 1  # processes that handle platform messages (bot/workers.py); 0: the server itself


@dataclass(frozen=True)
class OutboxConfig:
    max_attempts: int = 8
    base_backoff_s: float = 5.0
    max_backoff_s: float = 1800.0
    poll_interval_s: float = 2.0


@dataclass(frozen=True)
class AttachmentsConfig:
    """留痕: pictures and files (images, PDF) downloaded in the background and kept in a
    content-addressed store. `store = "disk"` keeps them under `dir` (default
    <data_dir>/attachments); another store (S3-compatible) would be one more name here."""

    store: str = "disk"
    dir: Path | None = None
    max_bytes: int = 10 * 1024 * 1024  # per picture or file
    max_attempts: int = 5  # downloads; then the sender is told
    thumb_px: int = 320  # longest side of a thumbnail


@dataclass(frozen=True)
class GroupConfig:
    channel: str
    chat_id: str
    unit: str | None = None
    leaders: bool = False
    webhook: str | None = None
    webhook_secret: str | None = None


@dataclass(frozen=True)
class Config:
    timezone: str = "Asia/Shanghai"
    database_url: str = "sqlite:///data/minqing.db"
    data_dir: Path = Path("data")
    server: ServerConfig = ServerConfig()
    policy: Policy = field(default_factory=Policy)
    extra_keywords: Path | None = None
    user_dict: Path | None = None
    # {platform name: its config section}, one per package under bot/ (bot.platform_registry);
    # a platform left out gets its default section
    platforms: Mapping[str, Any] = field(default_factory=dict)
    outbox: OutboxConfig = OutboxConfig()
    attachments: AttachmentsConfig = AttachmentsConfig()
    groups: tuple[GroupConfig, ...] = ()
    scheduler: dict[str, Any] = field(default_factory=dict)  # parsed by scheduler.settings
    web: dict[str, Any] = field(default_factory=dict)  # the [web] table, read by bot.web.settings
    public: dict[str, Any] = field(default_factory=dict)  # the [public] table, read by bot.public

    def __post_init__(self) -> None:
        missing = {n: p.default_config() for n, p in registered().items() if n not in self.platforms}
        if missing:
            object.__setattr__(self, "platforms", {**self.platforms, **missing})  # picklable (bot.workers)

    @property
    def group_limits(self) -> dict[str, int]:
        """{platform name: largest group message in UTF-8 bytes} (scheduler.settings `group_limits`)."""
        return group_limits()

    @property
    def cache_dir(self) -> Path:
        """data_dir/cache: derived files (UTF-8 copies of dictionaries, models) that can be rebuilt."""
        return self.data_dir / "cache"

    @property
    def attachments_dir(self) -> Path:
        """Where attachment blobs are stored: `[attachments] dir`, else data_dir/attachments."""
        return self.attachments.dir or self.data_dir / "attachments"


def _env_name(section: str, key: str) -> str:
    prefix = section.replace("[", "_").replace("]", "").replace(".", "_")
    return f"MINQING_{prefix}_{key}".upper() if section else f"MINQING_{key}".upper()


def _nearest(word: str, known: list[str]) -> str:
    near = difflib.get_close_matches(word, known, n=1, cutoff=0.5)
    return f" (did you mean {near[0]}?)" if near else f" (known: {', '.join(sorted(known))})"


def _env_value(text: str) -> Any:
    """An environment value for an untyped key: a TOML literal when it is one ("[10, 20]",
    "true", "42"), else the text itself ("09:30", "mon")."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


class _Section:
    """Typed reads from one TOML table with env overrides and precise error keys. Every key
    read is remembered, so `finish()` can refuse keys (in the file or in the environment)
    that nothing reads, naming the nearest known one."""

    def __init__(self, raw: dict[str, Any], name: str) -> None:
        self.raw, self.name = raw, name
        self.known: set[str] = set()

    def key(self, k: str) -> str:
        return f"{self.name}.{k}" if self.name else k

    def get(self, k: str, default: Any, kind: type, expected: str | None = None) -> Any:
        self.known.add(k)
        env = os.environ.get(_env_name(self.name, k))
        value = env if env is not None else self.raw.get(k, default)
        if value is None:
            return None
        try:
            if kind is bool and isinstance(value, str):
                if value.lower() not in ("1", "0", "true", "false", "yes", "no"):
                    raise ValueError(value)
                return value.lower() in ("1", "true", "yes")
            if kind in (int, float) and isinstance(value, bool):
                raise ValueError(value)
            if kind is str and not isinstance(value, str):
                raise ValueError(value)
            if kind is int and isinstance(value, float):
                raise ValueError(value)
            return kind(value)
        except (TypeError, ValueError):
            raise ConfigError(self.key(k), expected or kind.__name__, value) from None

    def strings(self, k: str, default: tuple[str, ...]) -> tuple[str, ...]:
        """A list of strings (from the environment: comma-separated)."""
        self.known.add(k)
        env = os.environ.get(_env_name(self.name, k))
        value = [v.strip() for v in env.split(",") if v.strip()] if env is not None else self.raw.get(k, default)
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(self.key(k), "a list of strings", value)
        return tuple(value)

    def untyped(self, k: str) -> Any:
        """A value checked elsewhere (e.g. by scheduler.settings); None when absent."""
        self.known.add(k)
        env = os.environ.get(_env_name(self.name, k))
        return _env_value(env) if env is not None else self.raw.get(k)

    def positive(self, k: str, default: float, kind: type = int) -> Any:
        v = self.get(k, default, kind, f"a positive {'integer' if kind is int else 'number'}")
        if v <= 0:
            raise ConfigError(self.key(k), "a positive number", v)
        return v

    def table(self, k: str) -> _Section:
        self.known.add(k)
        sub = self.raw.get(k, {})
        if not isinstance(sub, dict):
            raise ConfigError(self.key(k), "a table", sub)
        return _Section(sub, self.key(k))

    def finish(self) -> None:
        """Refuse keys nothing read: in the file, and MINQING_<SECTION>_* in the environment."""
        known = sorted(self.known)
        for k in self.raw:
            if k not in self.known:
                what = "section" if isinstance(self.raw[k], dict) else "setting"
                raise ConfigError(self.key(k), f"a known {what}{_nearest(k, known)}")
        if not self.name:
            return  # top-level keys share MINQING_ with every section; checked per section
        prefix = _env_name(self.name, "")
        names = {_env_name(self.name, k): k for k in known}
        for var in os.environ:
            if var.startswith(prefix) and var not in names:
                raise ConfigError(var, f"a known variable{_nearest(var, sorted(names))}")


def load_config(path: str | Path | None) -> Config:
    """Read config from `path` (None: built-in defaults + env). The file may be UTF-8 (with
    or without BOM) or GB18030; ConfigError (one line) for anything wrong."""
    raw: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError("--config", "an existing TOML file", str(p))
        try:
            raw = tomllib.loads(read_text(p))
        except TextFileError as exc:
            raise ConfigError(str(p), "a UTF-8 or GB18030 text file", str(exc)) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(str(p), f"valid TOML ({exc})") from None
    return parse_config(raw)


def parse_config(raw: dict[str, Any]) -> Config:
    """Validate the raw TOML tables into a Config, defaults filled in.

    ConfigError naming the first bad key (「server.port」), what it expects and the value found.
    """
    top = _Section(raw, "")
    tz = top.get("timezone", "Asia/Shanghai", str, "an IANA zone like Asia/Shanghai")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("timezone", "an IANA zone like Asia/Shanghai", tz) from None

    db = top.table("database")
    url = db.get("url", "sqlite:///data/minqing.db", str, "a database URL")
    if "://" not in url:
        raise ConfigError("database.url", "a URL like sqlite:///data/minqing.db or postgresql://…", url)
    data_dir = Path(top.get("data_dir", "data", str, "a directory path"))

    srv = top.table("server")
    server = ServerConfig(
        host=srv.get("host", "127.0.0.1", str),
        port=srv.positive("port", 8080),
        max_body_bytes=srv.positive("max_body_bytes", 1_048_576),
        reply_budget_ms=srv.positive("reply_budget_ms", 3000),
        workers=srv.get("workers", 1, int, "a whole number of processes, 0 or more"),
    )
    if not 0 <= server.workers <= 16:
        raise ConfigError("server.workers", "0–16 processes", server.workers)
    if server.port > 65535:
        raise ConfigError("server.port", "a port 1–65535", server.port)
    if server.reply_budget_ms >= 4500:
        raise ConfigError("server.reply_budget_ms", "well under WeCom's 5000 ms (< 4500)", server.reply_budget_ms)

    tax = top.table("taxonomy")
    profile = tax.get("profile", "campus", str)
    if profile not in ("campus", "community"):
        raise ConfigError("taxonomy.profile", '"campus" or "community"', profile)
    extra_kw = tax.get("extra_keywords", "", str) or None
    user_dict = tax.get("user_dict", "", str) or None
    for key, f in (("extra_keywords", extra_kw), ("user_dict", user_dict)):
        if f and not Path(f).is_file():
            raise ConfigError(f"taxonomy.{key}", "an existing file", f)

    at = top.table("attachments")
    attachments = AttachmentsConfig(
        store=at.get("store", "disk", str),
        dir=Path(d) if (d := at.get("dir", "", str)) else None,
        max_bytes=at.positive("max_bytes", AttachmentsConfig.max_bytes),
        max_attempts=at.positive("max_attempts", AttachmentsConfig.max_attempts),
        thumb_px=at.positive("thumb_px", AttachmentsConfig.thumb_px),
    )
    if attachments.store != "disk":
        raise ConfigError("attachments.store", '"disk" (the only store built in)', attachments.store)

    dl = top.table("deadlines")
    met = top.table("metrics")
    weights = {
        "满意": met.get("weight_satisfied", 1.0, float),
        "基本满意": met.get("weight_basic", 0.9, float),
        "不满意": met.get("weight_unsatisfied", 0.0, float),
        "群众": met.get("weight_public", 1.0, float),  # a rating by the people served (回访链接) counts this many times
    }
    wb = top.table("web")  # the web console (bot/web/settings.py documents the keys)
    web = {
        "base_url": wb.get("base_url", "http://127.0.0.1:8080", str).rstrip("/"),
        "secret_key": wb.get("secret_key", "", str),
        "cookie_secure": wb.get("cookie_secure", False, bool),
        "session_hours": wb.positive("session_hours", 8),
        "link_minutes": wb.positive("link_minutes", 10),
        "signin_per_minute": wb.positive("signin_per_minute", 10),
        "page_size": wb.positive("page_size", 50),
    }
    pb = top.table("public")  # the people's pages (bot/public): 回访链接 and 公示
    public = {
        "rating_days": pb.positive("rating_days", 14),
        "rate_per_minute": pb.positive("rate_per_minute", 10),
        "disclosure": pb.get("disclosure", "off", str),
        "show_cadres": pb.get("show_cadres", False, bool),
        "intranet": pb.strings("intranet", ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8")),
    }
    if public["disclosure"] not in ("off", "intranet", "public"):
        raise ConfigError("public.disclosure", '"off", "intranet" or "public"', public["disclosure"])
    try:
        public["intranet"] = tuple(ipaddress.ip_network(n, strict=False) for n in public["intranet"])
    except ValueError:
        raise ConfigError("public.intranet", "a list of networks (10.0.0.0/8)", public["intranet"]) from None
    policy = Policy(
        console_url=web["base_url"],
        console_link_minutes=web["link_minutes"],
        rating_days=public["rating_days"],
        profile=profile,
        quick_days=dl.positive("quick_days", 7),
        leader_days=dl.positive("leader_days", 60),
        response_hours=dl.positive("response_hours", 24),
        satisfaction_weights=weights,
        admin_contact=top.get("admin_contact", "本单位管理员", str),
        attach_window_minutes=at.positive("window_minutes", 120),
        attach_daily_quota=at.positive("daily_quota", 60),
    )

    platform_tables = {name: top.table(name) for name in registered()}  # bot/<name>/platform.py
    platforms = {name: p.read_config(platform_tables[name]) for name, p in registered().items()}

    ob = top.table("outbox")
    outbox = OutboxConfig(
        max_attempts=ob.positive("max_attempts", 8),
        base_backoff_s=ob.positive("base_backoff_s", 5.0, float),
        max_backoff_s=ob.positive("max_backoff_s", 1800.0, float),
        poll_interval_s=ob.positive("poll_interval_s", 2.0, float),
    )

    top.known.add("groups")
    groups_raw = raw.get("groups", [])
    if not isinstance(groups_raw, list):
        raise ConfigError("groups", "an array of tables [[groups]]")
    groups = []
    sections = [top, db, srv, tax, dl, met, *platform_tables.values(), ob, at, wb]
    for n, g in enumerate(groups_raw):
        if not isinstance(g, dict):
            raise ConfigError(f"groups[{n}]", "a table [[groups]]", g)
        s = _Section(g, f"groups[{n}]")
        sections.append(s)
        ch = s.get("channel", None, str)
        if ch not in registered():
            raise ConfigError(s.key("channel"), " or ".join(f'"{n}"' for n in registered()), ch)
        chat_id = s.get("chat_id", None, str)
        if not chat_id:
            raise ConfigError(s.key("chat_id"), "the platform's group chat id")
        groups.append(
            GroupConfig(
                channel=ch,
                chat_id=chat_id,
                unit=s.get("unit", None, str),
                leaders=s.get("leaders", False, bool),
                webhook=s.get("webhook", None, str),
                webhook_secret=s.get("webhook_secret", None, str),
            )
        )

    sched = _scheduler_table(top.table("scheduler"))
    for section in sections:
        section.finish()
    from scheduler.settings import parse_settings

    parse_settings(
        sched, timezone=tz, group_limits=group_limits()
    )  # validate now: a bad value stops start-up, not a job
    return Config(
        timezone=tz,
        database_url=url,
        data_dir=data_dir,
        server=server,
        policy=policy,
        extra_keywords=Path(extra_kw) if extra_kw else None,
        user_dict=Path(user_dict) if user_dict else None,
        platforms=platforms,
        outbox=outbox,
        attachments=attachments,
        groups=tuple(groups),
        scheduler=sched,
        web=web,
        public=public,
    )


def group_limits() -> dict[str, int]:
    """{platform name: the largest group message it takes, UTF-8 bytes} (default and maximum of
    `scheduler.<name>_group_bytes`)."""
    return {name: p.group_bytes for name, p in registered().items()}


_DUTY_KEYS = ("name", "who", "what", "point_types", "per", "times")


def _scheduler_table(sec: _Section) -> dict[str, Any]:
    """The raw [scheduler] table with environment overrides applied, unknown keys refused
    here (values are checked by scheduler.settings)."""
    from scheduler.settings import SchedulerSettings

    known = set(SchedulerSettings.__dataclass_fields__) | {"quiet_hours"} | {f"{n}_group_bytes" for n in registered()}
    known -= {"quiet_start", "quiet_end", "group_bytes"}
    out = {}
    for k in sorted(known):
        value = sec.untyped(k)
        if value is not None:
            out[k] = value
    duties = sec.raw.get("duties")
    if isinstance(duties, list):
        for n, d in enumerate(duties):
            if isinstance(d, dict):
                duty = _Section(d, f"scheduler.duties[{n}]")
                for k in _DUTY_KEYS:
                    duty.known.add(k)
                duty.finish()
    sec.finish()
    return out
