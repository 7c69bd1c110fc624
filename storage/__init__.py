"""storage/ is the only package that knows SQL and SQLAlchemy.

The rest of the code opens a unit of work with `storage.db.Database` (`session()`, `write()`,
`interactive()`, each yielding a `Tx`; `run_write()` for a group-commit `Batch`), passes the
handle to the storage functions named for what they answer or change, and catches
`storage.errors.StorageError` — never a SQLAlchemy exception. See storage/tx.py for what may be
done with a handle. tests/test_layering.py fails when a module under bot/, handlers/ or
scheduler/ imports SQLAlchemy.
"""

from storage.errors import StorageError
from storage.tx import Batch, Tx

__all__ = ["Batch", "StorageError", "Tx"]
