"""Content-addressed storage of attachment bytes (pictures, PDFs, thumbnails).

A blob's name is the SHA-256 of its bytes (64 lowercase hex digits), so the same picture sent
twice is stored once. `BlobStore` is the whole interface the product uses; `DiskBlobStore`
keeps blobs under a directory (two levels of fan-out: ab/cd/abcd…). An S3-compatible object
store would be another implementation of the same three methods, chosen by the
`attachments.store` setting (`open_store`).

Errors: `BlobMissing` (a KeyError) when a name is unknown; `ValueError` for a name that is not
a SHA-256; OSError from the disk as it comes.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

_SHA = re.compile(r"[0-9a-f]{64}")


class BlobMissing(KeyError):
    """No blob of that name."""


def digest(data: bytes) -> str:
    """The name a blob of `data` gets: SHA-256 as 64 lowercase hex digits."""
    return hashlib.sha256(data).hexdigest()


class BlobStore(Protocol):
    def put(self, data: bytes) -> str:
        """Store `data` once; return its name (the SHA-256). Storing it again is a no-op."""
        ...

    def get(self, name: str) -> bytes:
        """The bytes stored under `name` (BlobMissing when there are none)."""
        ...

    def exists(self, name: str) -> bool:
        """True when a blob named `name` is stored."""
        ...


class DiskBlobStore:
    """Blobs as files under `root`; written to a temporary file and renamed, so a reader
    never sees half a blob and two writers of the same bytes cannot corrupt it."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, name: str) -> Path:
        """Where blob `name` lives (root/ab/cd/name). ValueError when `name` is not a SHA-256 hex digest."""
        if not _SHA.fullmatch(name):
            raise ValueError("blob name is not a SHA-256")
        return self.root / name[:2] / name[2:4] / name

    def put(self, data: bytes) -> str:
        """Write `data` atomically (temp file, then rename) unless present; return its SHA-256 name."""
        name = digest(data)
        target = self.path(name)
        if target.exists():
            return name
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return name

    def get(self, name: str) -> bytes:
        """The bytes of blob `name`. BlobMissing when absent, ValueError for a malformed name."""
        try:
            return self.path(name).read_bytes()
        except FileNotFoundError:
            raise BlobMissing(name) from None

    def exists(self, name: str) -> bool:
        """True when blob `name` is on disk. ValueError for a malformed name."""
        return self.path(name).is_file()

    def count(self) -> int:
        """How many blobs are stored (diagnostics and tests)."""
        return sum(1 for p in self.root.glob("??/??/*") if not p.name.startswith("."))


def open_store(kind: str, root: Path) -> BlobStore:
    """The store the configuration names ("disk" is the one built in)."""
    if kind == "disk":
        return DiskBlobStore(root)
    raise ValueError(f"unknown attachment store {kind!r}")
