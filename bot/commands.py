"""Bodies of the `minqing` sub-commands (argument parsing is in bot/cli.py)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path

from bot.app import App, apply_groups, build_app, corrections_path, load_parser
from bot.config import Config
from bot.console import ConsoleSession, jobs_preview, run_console
from bot.workers import DispatcherPool, freeze_startup_objects
from handlers.clock import SystemClock
from handlers.errors import BackupError, ConfigError
from scheduler import corrections
from storage import migrate
from storage.db import Database
from storage.roster import count_cadres

log = logging.getLogger("minqing.commands")

DEMO_DIR = Path(__file__).parent / "demo"
log = logging.getLogger("minqing")


def _now(cfg: Config) -> datetime:
    """The organisation's local time (the machine may run on UTC)."""
    return SystemClock(cfg.timezone).now()


async def _with_app(cfg: Config, body: Callable[[App], Awaitable[int]]) -> int:
    app = build_app(cfg)
    try:
        await migrate.upgrade(app.db)
        return await body(app)
    finally:
        await app.db.dispose()


async def cmd_db(args: argparse.Namespace, cfg: Config) -> int:
    """`minqing db upgrade|current|copy`: migrate to head (upgrade) and print「schema revision: … (head: …)」.

    `copy --to URL` copies every table, ids kept, printing rows per table; exit 1 when the copy fails,
    ConfigError without --to.
    """
    if args.action == "copy":
        return await _copy(args, cfg)
    db = Database(cfg.database_url)
    try:
        if args.action == "upgrade":
            await migrate.upgrade(db)
        print(f"schema revision: {await migrate.current_revision(db)} (head: {migrate.head_revision()})")
    finally:
        await db.dispose()
    return 0


async def _copy(args: argparse.Namespace, cfg: Config) -> int:
    from storage.backup import copy

    if not args.dst:
        raise ConfigError("db copy --to", "the target database URL, e.g. postgresql://minqing@db/minqing")
    try:
        copied = await copy(args.src or cfg.database_url, args.dst)
    except BackupError as exc:
        print(f"复制失败 copy failed: {exc}", file=sys.stderr)
        return 1
    print("\n".join(f"{name:20s} {n} 行" for name, n in copied))
    print(f"已复制 {sum(n for _, n in copied)} 行，编号不变")
    return 0


async def cmd_backup(args: argparse.Namespace, cfg: Config) -> int:
    """`minqing backup`: online backup (SQLite) or pg_dump; prints 「已备份到 PATH」. Exit 1 (stderr line) on
    BackupError."""
    from storage.backup import backup

    try:
        out = await asyncio.to_thread(backup, cfg.database_url, args.out)
    except BackupError as exc:
        print(f"备份失败 backup failed: {exc}", file=sys.stderr)
        return 1
    print(f"已备份到 {out}")
    return 0


async def cmd_restore(args: argparse.Namespace, cfg: Config) -> int:
    """`minqing restore FILE` (stop the bot first): prints 「已从 FILE 恢复」. Exit 1 (stderr line) on BackupError."""
    from storage.backup import restore

    try:
        await asyncio.to_thread(restore, cfg.database_url, args.file)
    except BackupError as exc:
        print(f"恢复失败 restore failed: {exc}", file=sys.stderr)
        return 1
    print(f"已从 {args.file} 恢复")
    return 0


async def cmd_roster(args: argparse.Namespace, cfg: Config) -> int:
    """`minqing roster import FILE`: migrates, imports, prints the import report.

    Exit 1 when the file is unreadable (one stderr line) or the report has errors, else 0.
    """
    from bot.roster_import import RosterFileError, import_roster

    db = Database(cfg.database_url)
    try:
        await migrate.upgrade(db)
        report = await import_roster(db, args.file)
    except RosterFileError as exc:
        print(f"名单文件错误 roster error: {exc}", file=sys.stderr)
        return 1
    finally:
        await db.dispose()
    print("\n".join(report.lines()))
    return 1 if report.errors else 0


async def cmd_demo(args: argparse.Namespace, cfg: Config) -> int:
    """`minqing demo`: migrate and load the demo roster and records, printing what was loaded; exit 0.

    With `--if-empty` does nothing (「数据库已有名单，跳过演示数据。」) when a roster exists.
    """

    async def body(app: App) -> int:
        async with app.db.session() as s:
            if args.if_empty and await count_cadres(s):
                print("数据库已有名单，跳过演示数据。")
                return 0
        from bot.demo_data import load_demo

        print("\n".join(await load_demo(app, DEMO_DIR)))
        return 0

    return await _with_app(cfg, body)


async def cmd_chat(args: argparse.Namespace, cfg: Config) -> int:
    """`minqing chat`: interactive console chat as `--user` with the same dispatcher; exit 0 at end of input."""

    async def body(app: App) -> int:
        await run_console(ConsoleSession(app.dispatcher, app.clock, args.user, sys.stdout, jobs=jobs_preview(app)))
        return 0

    return await _with_app(cfg, body)


async def cmd_serve(args: argparse.Namespace, cfg: Config) -> int:
    """`minqing serve`: callbacks, console pages, worker processes and the scheduler until signalled; exit 0.

    ConfigError when the port is taken.
    """
    from bot.server import run_server

    async def body(app: App) -> int:
        await apply_groups(app.db, cfg)
        extra: list[Awaitable] = []
        if args.console and sys.stdin.isatty():
            extra.append(_console(app, args.user))
        elif args.console:
            log.info("stdin is not a terminal: serving without the console")
        if not args.no_scheduler:
            extra.append(_scheduler(app))
        # platform messages are handled in worker processes; the console stays in-process
        pool = DispatcherPool(app.dispatcher, cfg, app.clock, cfg.server.workers)
        await pool.start()
        freeze_startup_objects()
        try:
            await run_server(cfg, app.db, pool, app.clock, extra_tasks=extra)
        except OSError as exc:  # typically the port is taken
            if exc.errno is None or "address" not in str(exc).lower():
                raise
            raise ConfigError(
                "server.port", f"a free port on {cfg.server.host} ({exc.strerror})", cfg.server.port
            ) from None
        finally:
            await pool.close()
        return 0

    return await _with_app(cfg, body)


async def _console(app: App, user: str) -> None:
    """The console beside the server: /quit stops the bot, end of input (Ctrl-D) only
    closes the console and the server keeps serving."""
    if not await run_console(ConsoleSession(app.dispatcher, app.clock, user, sys.stdout, jobs=jobs_preview(app))):
        log.info("console closed (end of input); the server keeps serving")
        await asyncio.Event().wait()


async def _scheduler(app: App) -> None:
    from scheduler.wiring import start_scheduler

    await start_scheduler(app)
    await asyncio.Event().wait()  # a disabled scheduler must not end the server


def _as_of(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError("--as-of", "YYYY-MM-DD, e.g. 2026-11-30", text) from None


async def cmd_export(args: argparse.Namespace, cfg: Config) -> int:
    """`minqing export`: write the 台账 (xlsx, csv or json) for `--month`, printing 「已导出：FILE、…」; exit 0.

    ConfigError for a malformed --month; `--unmasked` shows names and phones and is logged as a warning.
    """
    from bot.export import export, parse_month

    try:
        parse_month(args.month)
    except ValueError:
        raise ConfigError("--month", "YYYY-MM, e.g. 2026-11", args.month) from None
    db = Database(cfg.database_url)
    try:
        await migrate.upgrade(db)
        as_of = _as_of(args.as_of) or _now(cfg).date()
        if args.unmasked:
            log.warning("unmasked ledger export requested on the command line")
        files = await export(db, args.format, args.out, args.month, as_of, unmasked=args.unmasked)
    finally:
        await db.dispose()
    print("已导出：" + "、".join(str(f) for f in files))
    return 0


async def cmd_parse(args: argparse.Namespace, cfg: Config) -> int:
    """`minqing parse`: one JSON line on stdout per line on stdin (see handlers.nlu.cli.run_parse).

    Exit 1 when a line failed, else 0; ConfigError for a malformed --today.
    """
    from handlers.nlu.cli import run_parse

    try:
        today = date.fromisoformat(args.today) if args.today else _now(cfg).date()
    except ValueError:
        raise ConfigError("--today", "YYYY-MM-DD", args.today) from None
    parser = load_parser(cfg)
    return run_parse(sys.stdin, sys.stdout, today=today, profile=args.profile or cfg.policy.profile, parser=parser)


async def cmd_corrections(args: argparse.Namespace, cfg: Config) -> int:
    """`minqing corrections --out FILE`: cadres' category corrections as labelled JSON lines; prints the
    count; exit 0."""
    from storage.items import category_corrections

    db = Database(cfg.database_url)
    try:
        await migrate.upgrade(db)
        async with db.session() as s:
            rows = await category_corrections(s)
    finally:
        await db.dispose()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as f:
        for event, item in rows:
            f.write(json.dumps(corrections.correction_line(event, item), ensure_ascii=False) + "\n")
    print(f"已导出 {len(rows)} 条分类更正到 {args.out}")
    return 0


async def cmd_nlu(args: argparse.Namespace, cfg: Config) -> int:
    """`nlu train`: export the corrections and rebuild the models; `nlu eval`: cross-validate."""
    from handlers.nlu import Parser, evaluate

    if args.action == "eval":
        parser = Parser.load(
            cache_dir=cfg.cache_dir, extra_dict=cfg.user_dict, extra_keywords=cfg.extra_keywords, learned=False
        )
        print(f"{args.folds}-fold cross-validation over the shipped corpus (dev + train):")
        _, gold, preds = evaluate.k_fold(parser, args.folds)
        print()
        evaluate.category_report(gold, preds)
        if args.loso:
            print("\nleave one slice out (train on the others, score the held-out slice):")
            evaluate.leave_one_slice_out(parser)
        return 0
    lines = await correction_lines(cfg)
    parser = Parser.load(
        cache_dir=cfg.cache_dir, extra_dict=cfg.user_dict, extra_keywords=cfg.extra_keywords, learned=False
    )
    from handlers.nlu.training import retrain

    models = retrain(parser, Path(os.environ.get("MINQING_NLU_CACHE") or cfg.cache_dir), corrections_path(cfg), lines)
    print(f"已用 {len(lines)} 条分类更正重新训练理解模型（{models.key[:12]}），服务会在一分钟内用上新模型")
    return 0


async def correction_lines(cfg: Config) -> list[dict]:
    """Every category correction in the database as a labelled corpus line."""
    db = Database(cfg.database_url)
    try:
        await migrate.upgrade(db)
        return await corrections.correction_lines(db)
    finally:
        await db.dispose()


async def cmd_outbox(args: argparse.Namespace, cfg: Config) -> int:
    """`minqing outbox list|retry`: one page of outbound messages by state, or retry one (`ID`) or all `--failed`.

    Prints the lines; exit 0. ConfigError for a bad page or a retry without id or --failed.
    """
    from bot.outbound import admin

    db = Database(cfg.database_url)
    try:
        await migrate.upgrade(db)
        if args.action == "list":
            if args.page < 1 or not 1 <= args.per_page <= 1000:
                raise ConfigError("--page / --per-page", "a page ≥ 1 and 1–1000 rows per page")
            lines = await admin.page_lines(
                db, status="failed" if args.failed else args.status, page=args.page, per_page=args.per_page
            )
        elif args.failed:
            lines = [await admin.retry_all_failed(db, _now(cfg))]
        elif args.id is None:
            raise ConfigError("outbox retry", "a message id, or --failed for all failed messages")
        else:
            lines = [await admin.retry(db, _now(cfg), args.id)]
    finally:
        await db.dispose()
    print("\n".join(lines))
    return 0


async def cmd_jobs(args: argparse.Namespace, cfg: Config) -> int:
    """`minqing jobs list|run NAME`: next run of each scheduled job (and the holiday-calendar warning), or run
    one job now (`--now`, `--dry-run` prints what would be sent). Exit 0; ConfigError for a bad name or time.
    """
    from scheduler import ops

    settings = ops.settings_from(cfg)
    if args.action == "list":
        jobs = ops.list_jobs(settings, _now(cfg))
        for name, nxt in jobs:
            print(f"{name:24s} 下次运行 {nxt:%Y-%m-%d %H:%M}")
        if not jobs:
            print("（定时任务已停用）")
        warning = ops.calendar_warning(settings, _now(cfg))
        if warning:
            print(f"⚠ {warning}")
        return 0
    if not args.name:
        raise ConfigError("jobs run", "a job name (see `minqing jobs list`)")
    try:
        now = ops.parse_now(args.now, settings) if args.now else _now(cfg)
    except ValueError:
        raise ConfigError("--now", "an ISO time like 2026-12-07T09:00 or 2026-12-07T01:00Z", args.now) from None
    db = Database(cfg.database_url)
    try:
        await migrate.upgrade(db)
        await apply_groups(db, cfg)
        try:
            lines = await ops.run_job(
                args.name, now=now, db=db, settings=settings, policy=cfg.policy, dry_run=args.dry_run
            )
        except ValueError as exc:
            raise ConfigError("jobs run NAME", str(exc), args.name) from None
    finally:
        await db.dispose()
    print("\n".join(lines) if lines else "（没有要发送的消息）")
    return 0


async def cmd_holidays(args: argparse.Namespace, cfg: Config) -> int:
    """`minqing holidays check [--year Y]`: coverage and source of each day for this and next year (or Y),
    and the missing-calendar warning. Exit 0; ConfigError for a year outside 1900–2200.
    """
    from scheduler import ops

    settings = ops.settings_from(cfg)
    this = _now(cfg).year
    years = [args.year] if args.year else [this, this + 1]
    if any(not 1900 <= y <= 2200 for y in years):
        raise ConfigError("--year", "a year like 2027", args.year)
    blocks = ["\n".join(ops.holidays_report(settings, y)) for y in years]
    print("\n\n".join(blocks))
    warning = ops.calendar_warning(settings, _now(cfg))
    if warning:
        print(f"\n⚠ {warning}")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Config], Awaitable[int]]] = {
    "db": cmd_db,
    "roster": cmd_roster,
    "demo": cmd_demo,
    "chat": cmd_chat,
    "serve": cmd_serve,
    "export": cmd_export,
    "parse": cmd_parse,
    "corrections": cmd_corrections,
    "nlu": cmd_nlu,
    "outbox": cmd_outbox,
    "jobs": cmd_jobs,
    "holidays": cmd_holidays,
    "backup": cmd_backup,
    "restore": cmd_restore,
}
