"""A database the CLI cannot use is one clear line and exit 3 — storage's StorageError, never a
SQLAlchemy traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.cli import main


@pytest.mark.parametrize("command", [["db", "current"], ["db", "upgrade"]])
def test_a_url_without_an_asyncio_driver_is_one_line_and_exit_3(tmp_path, monkeypatch, capsys, command):
    monkeypatch.setenv("MINQING_DATABASE_URL", "mysql://minqing@db/minqing")
    monkeypatch.setenv("MINQING_DATA_DIR", str(tmp_path))
    assert main(command) == 3
    assert capsys.readouterr().err == (
        "数据库错误 database error: StorageError: not a usable database URL: mysql is not an asyncio driver\n"
    )


def test_a_database_file_that_cannot_be_opened_is_one_line_and_exit_3(tmp_path):
    # its own process: aiosqlite's worker thread for the failed connection may still be stopping when
    # the event loop closes and then prints its own traceback after ours (a race inside aiosqlite,
    # known, not ours to fix here) — so the start of stderr is what is checked
    (tmp_path / "a-directory.db").mkdir()
    env = {
        **os.environ,
        "MINQING_DATABASE_URL": f"sqlite:///{tmp_path}/a-directory.db",
        "MINQING_DATA_DIR": str(tmp_path),
    }
    env.pop("MINQING_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "db", "upgrade"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 3
    assert done.stderr.startswith(
        "数据库错误 database error: StorageUnavailable: OperationalError: unable to open database file"
    )
