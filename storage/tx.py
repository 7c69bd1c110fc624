"""The handles the rest of the code holds while it talks to the database.

`Tx` is one unit of work: the transaction of one chat message, one scheduler job or one web
request. Only `storage.db.Database` creates it (`session()` to read, `write()` and
`interactive()` to change; the block commits when it ends and rolls back on any exception).

What code outside storage/ may do with a `Tx`:
- pass it to storage functions (storage.items, storage.roster, storage.ledger, …), which run
  the queries and return ORM entities (storage.models), dataclasses or plain values;
- read and change attributes of the entities those functions return, and `add()` new ones:
  the changes are written when the block commits;
- nothing else: no queries, no `execute`, no SQLAlchemy imports. A question the database must
  answer becomes a storage function named for what it answers.

`Batch` is the handle of a group-commit transaction (`Database.run_write`, storage/groupcommit.py):
synchronous and short, passed to the storage functions written for it (storage.inbound
`claim_many`, storage.records `insert_visits`, storage.roster `cadres_by_platform_ids`, …).

Every database error inside either becomes `storage.errors.StorageError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias, TypeVar

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


class Tx(AsyncSession):
    """One unit of work (see the module docstring). An AsyncSession, so storage functions take it."""

    async def batch(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(batch, *args)` inside this unit of work: the steps written for group commit
        (handlers.pipeline) on one message's transaction. Pending changes are flushed first."""

        def run(s: Any) -> T:
            s.flush()
            return fn(s.connection(), *args)

        return await self.run_sync(run)


Batch: TypeAlias = Connection
"""One group-commit transaction: a synchronous connection only storage functions use."""
