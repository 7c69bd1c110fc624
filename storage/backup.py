"""`minqing backup`, `minqing restore` and `minqing db copy`.

- SQLite: SQLite's online backup API (consistent while the bot runs; pages are copied in
  steps, writers are not blocked for long). Restore copies the file back the same way; stop
  the bot first.
- PostgreSQL: pg_dump --format=custom / pg_restore --clean (the client tools must be on PATH;
  the password goes through PGPASSWORD, never the command line).
- `copy`: every table of the schema from one database to another, empty one, with the same ids,
  then PostgreSQL's sequences set past the highest id, so nothing is lost or renumbered.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import URL, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from handlers.errors import BackupError
from storage import migrate
from storage.db import Database
from storage.errors import translated
from storage.models import Base

CHUNK = 500


def _url(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError as exc:
        raise BackupError(f"not a database URL: {str(exc).splitlines()[0][:200]}") from exc


def _sqlite_path(url: str) -> Path:
    database = _url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _pg_args(url: str) -> tuple[str, dict[str, str]]:
    """(libpq URL without password and driver, environment with PGPASSWORD)."""
    u = _url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = u.password
    plain = u.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return plain, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client (apt-get install postgresql-client)")
    return path


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise BackupError(f"{Path(args[0]).name} failed: {last[:200]}")


def backup(url: str, out: Path) -> Path:
    """Write a backup of the database at `url` to `out` (SQLite file or pg_dump custom format)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if _url(url).get_backend_name() == "sqlite":
        src = sqlite3.connect(_sqlite_path(url))
        dst = sqlite3.connect(out)
        try:
            src.backup(dst, pages=1024)
        finally:
            dst.close()
            src.close()
        return out
    plain, env = _pg_args(url)
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={out}", f"--dbname={plain}"], env)
    return out


def restore(url: str, file: Path) -> None:
    """Replace the database at `url` by the backup `file` (stop the bot first)."""
    if not file.is_file():
        raise BackupError(f"no backup file {file}")
    if _url(url).get_backend_name() == "sqlite":
        src = sqlite3.connect(file)
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        return
    plain, env = _pg_args(url)
    _run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={plain}",
            str(file),
        ],
        env,
    )


async def copy(src_url: str, dst_url: str) -> list[tuple[str, int]]:
    """Copy every row of every table from `src_url` to `dst_url` (migrated to head first and
    required to be empty), keeping ids; reset PostgreSQL sequences. Returns (table, rows).
    Raises BackupError for a non-empty target, StorageError when a database fails."""
    src, dst = Database(src_url), Database(dst_url)
    try:
        with translated():
            return await _copy(src, dst)
    finally:
        await src.dispose()
        await dst.dispose()


async def _copy(src: Database, dst: Database) -> list[tuple[str, int]]:
    await migrate.upgrade(src)
    await migrate.upgrade(dst)
    tables = Base.metadata.sorted_tables
    async with dst.engine.connect() as conn:
        for t in tables:
            if await conn.scalar(select(func.count()).select_from(t)):
                raise BackupError(f"the target database is not empty (table {t.name}); copy into a new database")
    copied: list[tuple[str, int]] = []
    # one read transaction: a consistent snapshot even while the SQLite bot keeps writing
    async with src.engine.connect() as sc, dst.engine.begin() as dc:
        await sc.begin()
        for t in tables:
            rows = [dict(r) for r in (await sc.execute(t.select())).mappings()]
            for i in range(0, len(rows), CHUNK):
                await dc.execute(t.insert(), rows[i : i + CHUNK])
            copied.append((t.name, len(rows)))
        if dc.dialect.name == "postgresql":
            for t in tables:
                pk = list(t.primary_key.columns)
                if len(pk) == 1 and pk[0].autoincrement is not False and pk[0].type.python_type is int:
                    await dc.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{t.name}', '{pk[0].name}'), "
                            f"COALESCE(MAX({pk[0].name}), 1), MAX({pk[0].name}) IS NOT NULL) FROM {t.name}"
                        )
                    )
    return copied
