"""Wiring: config → database, parser, dispatcher, clock. Used by every CLI command."""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from pathlib import Path

from bot.config import Config
from bot.textfile import TextFileError, utf8_copy
from handlers.clock import Clock, OffsetClock, SystemClock
from handlers.dispatch import Dispatcher
from handlers.errors import ConfigError
from scheduler.corrections import corrections_file
from storage.db import Database

log = logging.getLogger("minqing")


@dataclass
class App:
    cfg: Config
    db: Database
    clock: OffsetClock
    parser: object
    dispatcher: Dispatcher


def corrections_path(cfg: Config) -> Path:
    """The organisation's category corrections in the corpus format, which the models learn from."""
    return corrections_file(cfg.data_dir)


def load_parser(cfg: Config):
    """The parser with the admin's dictionary and keywords, each read as UTF-8 (with or
    without BOM) or GB18030 (a UTF-8 copy under data/cache is what jieba reads)."""
    from handlers.nlu import Parser

    files = {}
    for key, path in (("user_dict", cfg.user_dict), ("extra_keywords", cfg.extra_keywords)):
        try:
            files[key] = utf8_copy(path, cfg.cache_dir / "admin_files") if path is not None else None
        except (TextFileError, OSError) as exc:
            raise ConfigError(f"taxonomy.{key}", "a readable UTF-8 or GB18030 text file", str(exc)) from None
    try:
        return Parser.load(
            cache_dir=cfg.cache_dir,
            extra_dict=files["user_dict"],
            extra_keywords=files["extra_keywords"],
            corrections=corrections_path(cfg),
        )
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("taxonomy.extra_keywords", f"valid TOML ({exc})") from None
    except (ValueError, TypeError, KeyError) as exc:
        if not (cfg.user_dict or cfg.extra_keywords):
            raise
        raise ConfigError(
            "taxonomy.user_dict / taxonomy.extra_keywords",
            "files of the documented shape",
            f"{type(exc).__name__}: {str(exc)[:80]}",
        ) from None


def _mask():
    try:
        from handlers.privacy import mask
    except ImportError:  # pragma: no cover - privacy module ships with the product
        return None
    return mask


def build_app(cfg: Config, clock: Clock | None = None) -> App:
    """Everything a command needs, built once (the parser initialises jieba here, once)."""
    db = Database(cfg.database_url)
    clk = clock if isinstance(clock, OffsetClock) else OffsetClock(clock or SystemClock(cfg.timezone))
    parser = load_parser(cfg)
    dispatcher = Dispatcher(db, parser, cfg.policy, clk, mask=_mask())
    return App(cfg=cfg, db=db, clock=clk, parser=parser, dispatcher=dispatcher)


async def apply_groups(db: Database, cfg: Config) -> None:
    """Turn the config's [[groups]] into group bindings (digests go to them; a binding's
    webhook is what the outbox uses). ConfigError naming the entry when its unit is unknown."""
    from storage.roster import UnknownUnit, sync_group_config

    if not cfg.groups:
        return
    try:
        async with db.write() as s:
            n = await sync_group_config(s, cfg.groups)
    except UnknownUnit as exc:
        raise ConfigError(f"groups[{exc.index}].unit", f"a unit of the roster{exc.hint}", exc.unit) from None
    log.info("%d group binding(s) from [[groups]]", n)
