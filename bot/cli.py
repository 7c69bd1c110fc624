"""`minqing` command line. Every failure ends in one clear line on stderr, never a traceback."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from bot.config import Config, load_config
from handlers.errors import ConfigError
from storage.errors import StorageError

log = logging.getLogger("minqing")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="minqing", description="民情通：下基层察民情解民忧暖民心 走访与问题闭环机器人")
    p.add_argument("--config", help="TOML config file (default: $MINQING_CONFIG or ./config.toml if present)")
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("serve", help="start the bot server (WeCom/DingTalk callbacks, scheduler, outbox)")
    s.add_argument("--console", action="store_true", help="also chat in this terminal")
    s.add_argument("--as", dest="user", default="zhang", help="console identity (default: zhang)")
    s.add_argument("--no-scheduler", action="store_true")

    c = sub.add_parser("chat", help="interactive console chat with the same dispatcher")
    c.add_argument("--as", dest="user", default="zhang")

    d = sub.add_parser("db", help="database schema")
    d.add_argument("action", choices=["upgrade", "current"])

    r = sub.add_parser("roster", help="import the cadre roster")
    r.add_argument("action", choices=["import"])
    r.add_argument("file", type=Path)

    dm = sub.add_parser("demo", help="load the demo roster and demo records")
    dm.add_argument("--if-empty", action="store_true", help="only when no cadre is registered yet")

    e = sub.add_parser("export", help="export the 台账 (three lists and the visit ledger)")
    e.add_argument("--format", choices=["xlsx", "csv", "json"], default="xlsx")
    e.add_argument("--month", help="YYYY-MM (default: everything)")
    e.add_argument("--out", type=Path, required=True)
    e.add_argument("--as-of", help="YYYY-MM-DD: 是否逾期 as of this day (default: today)")
    e.add_argument("--unmasked", action="store_true", help="keep phone and ID numbers (logged)")

    pa = sub.add_parser("parse", help="understand messages: JSON lines or plain text on stdin")
    pa.add_argument("--today", help="YYYY-MM-DD (default: today)")
    pa.add_argument("--profile", choices=["campus", "community"])

    co = sub.add_parser("corrections", help="cadres' category corrections as labelled JSON lines")
    co.add_argument("--out", type=Path, required=True)

    ob = sub.add_parser("outbox", help="outbound messages: list, retry")
    ob.add_argument("action", choices=["list", "retry"])
    ob.add_argument("id", nargs="?", type=int)
    ob.add_argument("--failed", action="store_true", help="list: only failed; retry: all failed")

    j = sub.add_parser("jobs", help="scheduled jobs: list, run one now")
    j.add_argument("action", choices=["list", "run"])
    j.add_argument("name", nargs="?")
    j.add_argument("--now", help="clock time, e.g. 2026-12-07T09:00")
    j.add_argument("--dry-run", action="store_true")
    return p


def config_path(arg: str | None) -> str | None:
    if arg:
        return arg
    if os.environ.get("MINQING_CONFIG"):
        return os.environ["MINQING_CONFIG"]
    return "config.toml" if Path("config.toml").exists() else None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=os.environ.get("MINQING_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        cfg = load_config(config_path(args.config))
        return asyncio.run(run(args, cfg)) or 0
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except (StorageError, SQLAlchemyError, OSError) as exc:
        print(f"数据库错误 database error: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}",
              file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130


async def run(args: argparse.Namespace, cfg: Config) -> int:
    from bot import commands

    return await commands.COMMANDS[args.cmd](args, cfg)


if __name__ == "__main__":
    sys.exit(main())

