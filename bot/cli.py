"""`minqing` command line. Every failure ends in one clear line on stderr, never a traceback."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from bot.config import Config, load_config
from handlers.errors import ConfigError
from storage.errors import StorageError

log = logging.getLogger("minqing")


CONFIG_HELP = "TOML config file (default: $MINQING_CONFIG or ./config.toml if present)"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="minqing", description="民情通：下基层察民情解民忧暖民心 走访与问题闭环机器人")
    p.add_argument("--config", help=CONFIG_HELP)
    # --config also after the sub-command (`minqing serve --config F`); SUPPRESS keeps a value
    # given before the sub-command when it is not repeated after it
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS, help=CONFIG_HELP)
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser(
        "serve", parents=[common], help="start the bot server (WeCom/DingTalk callbacks, scheduler, outbox)"
    )
    s.add_argument("--console", action="store_true", help="also chat in this terminal")
    s.add_argument("--as", dest="user", default="zhang", help="console identity (default: zhang)")
    s.add_argument("--no-scheduler", action="store_true")

    c = sub.add_parser("chat", parents=[common], help="interactive console chat with the same dispatcher")
    c.add_argument("--as", dest="user", default="zhang")

    d = sub.add_parser("db", parents=[common], help="database schema; copy to another database")
    d.add_argument("action", choices=["upgrade", "current", "copy"])
    d.add_argument("--from", dest="src", help="copy: source URL (default: the configured database)")
    d.add_argument("--to", dest="dst", help="copy: target URL, an empty database, e.g. postgresql://…")

    bk = sub.add_parser("backup", parents=[common], help="back the database up (SQLite online backup / pg_dump)")
    bk.add_argument("--out", type=Path, required=True)
    rs = sub.add_parser("restore", parents=[common], help="restore a backup into the database (stop the bot first)")
    rs.add_argument("file", type=Path)

    r = sub.add_parser("roster", parents=[common], help="import the cadre roster")
    r.add_argument("action", choices=["import"])
    r.add_argument("file", type=Path)

    dm = sub.add_parser("demo", parents=[common], help="load the demo roster and demo records")
    dm.add_argument("--if-empty", action="store_true", help="only when no cadre is registered yet")

    e = sub.add_parser("export", parents=[common], help="export the 台账 (three lists and the visit ledger)")
    e.add_argument("--format", choices=["xlsx", "csv", "json"], default="xlsx")
    e.add_argument("--month", help="YYYY-MM (default: everything)")
    e.add_argument("--out", type=Path, required=True)
    e.add_argument("--as-of", help="YYYY-MM-DD: 是否逾期 as of this day (default: today)")
    e.add_argument("--unmasked", action="store_true", help="keep phone and ID numbers (logged)")

    pa = sub.add_parser("parse", parents=[common], help="understand messages: JSON lines or plain text on stdin")
    pa.add_argument("--today", help="YYYY-MM-DD (default: today)")
    pa.add_argument("--profile", choices=["campus", "community"])

    co = sub.add_parser("corrections", parents=[common], help="cadres' category corrections as labelled JSON lines")
    co.add_argument("--out", type=Path, required=True)

    nl = sub.add_parser("nlu", parents=[common], help="the learned understanding models: train, eval")
    nl.add_argument("action", choices=["train", "eval"])
    nl.add_argument("--folds", type=int, default=5, help="eval: k of the k-fold run (default 5)")
    nl.add_argument("--loso", action="store_true", help="eval: also leave one training slice out")

    ob = sub.add_parser("outbox", parents=[common], help="outbound messages: counts by state and list, retry")
    ob.add_argument("action", choices=["list", "retry"])
    ob.add_argument("id", nargs="?", type=int)
    ob.add_argument("--failed", action="store_true", help="list: only failed; retry: all failed")
    ob.add_argument("--status", choices=["pending", "sending", "sent", "failed", "obsolete"], help="list: one state")
    ob.add_argument("--page", type=int, default=1, help="list: page number, newest first (default 1)")
    ob.add_argument("--per-page", type=int, default=50, help="list: rows per page (default 50)")

    j = sub.add_parser("jobs", parents=[common], help="scheduled jobs: list, run one now")
    j.add_argument("action", choices=["list", "run"])
    j.add_argument("name", nargs="?")
    j.add_argument("--now", help="clock time, e.g. 2026-12-07T09:00 (an offset like Z or +08:00 is converted)")
    j.add_argument("--dry-run", action="store_true")

    h = sub.add_parser("holidays", help="working-day calendar: coverage and source of each day")
    h.add_argument("action", choices=["check"])
    h.add_argument("--year", type=int, help="default: this year and next year")
    return p


def config_path(arg: str | None) -> str | None:
    """The config file to read: `--config`, else $MINQING_CONFIG, else ./config.toml when present, else None
    (defaults)."""
    if arg:
        return arg
    if os.environ.get("MINQING_CONFIG"):
        return os.environ["MINQING_CONFIG"]
    return "config.toml" if Path("config.toml").exists() else None


def main(argv: list[str] | None = None) -> int:
    """Entry point of `minqing`: parse `argv`, load the config, run the subcommand; returns the exit code.

    0 or the subcommand's own code; 2 on ConfigError (one line on stderr), 3 on a database or OS error,
    130 on Ctrl-C.
    """
    args = _parser().parse_args(argv)
    from bot.logjson import configure

    configure(os.environ.get("MINQING_LOG_LEVEL", "INFO"), os.environ.get("MINQING_LOG_FORMAT", "text"))
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # apscheduler's own INFO lines (adding/running each job) repeat what scheduler.* logs, and
    # they interleaved with the console chat
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    try:
        cfg = load_config(config_path(args.config))
        return asyncio.run(_until_signalled(run(args, cfg))) or 0
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`… | head`): nothing more to say
        return 0
    except (StorageError, OSError) as exc:
        print(f"数据库错误 database error: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130


async def _until_signalled(main: Coroutine[Any, Any, int]) -> int:
    """Run `main`; SIGTERM (systemd, docker stop) and SIGINT (Ctrl-C) cancel it, so every
    `finally` runs (server, workers, database) and the process exits without a traceback. SIGINT
    is handled here too, not left to Python's KeyboardInterrupt: a process started from a
    non-interactive shell in the background inherits SIGINT ignored and would never stop on it."""
    task = asyncio.ensure_future(main)
    loop = asyncio.get_running_loop()
    stops = (signal.SIGTERM, signal.SIGINT)
    with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows / not main thread
        for sig in stops:
            loop.add_signal_handler(sig, task.cancel)
    try:
        return await task
    except asyncio.CancelledError:
        log.info("stopped")
        return 0
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            for sig in stops:
                loop.remove_signal_handler(sig)


async def run(args: argparse.Namespace, cfg: Config) -> int:
    """Run the subcommand `args.cmd` (bot.commands.COMMANDS); its exit code."""
    from bot import commands

    return await commands.COMMANDS[args.cmd](args, cfg)


if __name__ == "__main__":
    sys.exit(main())
