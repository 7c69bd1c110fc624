"""Database errors leave storage/ as StorageError (the tree is in handlers/errors.py).

Every SQLAlchemy or driver error raised while storage talks to the database is translated here
(`translated()`), so code outside storage/ catches `StorageError` only and never sees SQLAlchemy.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import (
    ArgumentError,
    CompileError,
    DBAPIError,
    DisconnectionError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from handlers.errors import StorageError, StorageUnavailable

__all__ = ["StorageError", "StorageUnavailable", "as_storage_error", "translated"]


_UNAVAILABLE = (OperationalError, DisconnectionError, PoolTimeout, sqlite3.OperationalError)
# a statement our own code built wrong: a bug to log and answer as a failure, never "the database
# is unavailable" (which tells the user to send the message again)
_BUGS = (ArgumentError, CompileError)


def as_storage_error(exc: BaseException) -> StorageError:
    """The StorageError (or StorageUnavailable) that stands for `exc`, a SQLAlchemy/driver error."""
    if isinstance(exc, StorageError):
        return exc
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    first = (str(orig).strip().splitlines() or [""])[0][:200]
    kind = StorageUnavailable if isinstance(exc, _UNAVAILABLE) or isinstance(orig, _UNAVAILABLE) else StorageError
    return kind(f"{type(exc).__name__}: {first}")


@contextmanager
def translated() -> Iterator[None]:
    """Re-raise SQLAlchemy and sqlite3 errors of the block as StorageError (chained, so the
    traceback keeps the original); a statement built wrong (ArgumentError, CompileError) and
    every other exception pass unchanged."""
    try:
        yield
    except _BUGS:
        raise
    except (SQLAlchemyError, sqlite3.Error) as exc:
        raise as_storage_error(exc) from exc
