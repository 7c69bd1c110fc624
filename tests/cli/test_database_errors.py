"""A database the CLI cannot use is one clear line and exit 3 — storage's StorageError, never a
SQLAlchemy traceback."""

from __future__ import annotations

import pytest

from bot.cli import main


@pytest.mark.parametrize(("url", "why"), [
    ("sqlite:///{tmp}/a-directory.db", "StorageUnavailable: OperationalError: unable to open database file"),
    ("mysql://minqing@db/minqing", "StorageError: not a usable database URL: mysql is not an asyncio driver"),
])
@pytest.mark.parametrize("command", [["db", "current"], ["db", "upgrade"]])
def test_an_unusable_database_is_one_line_and_exit_3(tmp_path, monkeypatch, capsys, url, why, command):
    (tmp_path / "a-directory.db").mkdir()
    monkeypatch.setenv("MINQING_DATABASE_URL", url.format(tmp=tmp_path))
    monkeypatch.setenv("MINQING_DATA_DIR", str(tmp_path))
    assert main(command) == 3
    assert capsys.readouterr().err == f"数据库错误 database error: {why}\n"
