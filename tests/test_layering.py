"""storage/ is the only package that knows SQLAlchemy: no module under bot/, handlers/ or
scheduler/ imports it — at module level, inside a function or under TYPE_CHECKING alike.
Read with `ast`, so a comment or a string that mentions sqlalchemy does not count, and an
import written any way (import x, from x import y, __import__, importlib.import_module) does."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
OUTSIDE_STORAGE = ("bot", "handlers", "scheduler")
FORBIDDEN = "sqlalchemy"


def imported_modules(source: str) -> list[tuple[int, str]]:
    """(line, module) of every import in `source`, wherever it stands."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            fn = node.func
            name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else ""
            if name in ("__import__", "import_module"):
                found.append((node.lineno, node.args[0].value))
    return found


def sqlalchemy_imports(source: str) -> list[tuple[int, str]]:
    return [(line, m) for line, m in imported_modules(source) if m.split(".")[0] == FORBIDDEN]


def test_no_module_outside_storage_imports_sqlalchemy():
    files = [p for package in OUTSIDE_STORAGE for p in sorted((ROOT / package).rglob("*.py"))]
    assert len(files) > 50  # the walk found the code, not an empty directory
    offenders = [
        f"{p.relative_to(ROOT)}:{line} imports {m}"
        for p in files
        for line, m in sqlalchemy_imports(p.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "storage/ owns the database (storage/tx.py):\n" + "\n".join(offenders)


@pytest.mark.parametrize(
    "source",
    [
        "import sqlalchemy",
        "import sqlalchemy.orm as orm",
        "from sqlalchemy import select",
        "from sqlalchemy.ext.asyncio import AsyncSession",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from sqlalchemy import Connection",
        "def f():\n    from sqlalchemy.exc import SQLAlchemyError\n    return SQLAlchemyError",
        "x = __import__('sqlalchemy')",
        "import importlib\nx = importlib.import_module('sqlalchemy.exc')",
    ],
)
def test_every_way_of_importing_it_is_found(source):
    assert len(sqlalchemy_imports(source)) == 1


@pytest.mark.parametrize(
    "source",
    [
        "# from sqlalchemy import select",
        "doc = 'storage/ is the only place that knows sqlalchemy'",
        "from storage.tx import Tx",
        "import sqlalchemy_utils_lookalike",
        "from .sqlalchemy import x",
    ],
)
def test_mentions_that_are_not_imports_are_not_counted(source):
    assert sqlalchemy_imports(source) == []
