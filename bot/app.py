"""Wiring: config → database, parser, dispatcher, clock. Used by every CLI command."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from bot.config import Config
from handlers.clock import Clock, OffsetClock, SystemClock
from handlers.dispatch import Dispatcher
from storage.db import Database

log = logging.getLogger("minqing")


@dataclass
class App:
    cfg: Config
    db: Database
    clock: OffsetClock
    parser: object
    dispatcher: Dispatcher


def load_parser(cfg: Config):
    from handlers.nlu import Parser

    return Parser.load(cache_dir=cfg.cache_dir, extra_dict=cfg.user_dict, extra_keywords=cfg.extra_keywords,
                       corrections=corrections_path(cfg))


def corrections_path(cfg: Config) -> Path:
    """The organisation's category corrections in the corpus format, which the models learn from."""
    return cfg.data_dir / "nlu" / "corrections.jsonl"


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
