"""ConsoleDelivery: with no platform configured (`make run` on a laptop), outbound messages
are printed to stdout as `[→ 姓名] text` so the local console shows reminders. Never logged:
message text stays out of the log."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO


class ConsoleDelivery:
    """Prints to `stream` (stdout by default); files go under `files_dir` when given."""

    def __init__(self, stream: TextIO | None = None, files_dir: Path | None = None) -> None:
        self.stream = stream
        self.files_dir = files_dir

    def save(self, name: str, content: bytes) -> Path | None:
        """Write a file sent to the console into `files_dir` (its name kept, made unique); None
        when there is no directory for files. OSError when it cannot be written."""
        if self.files_dir is None:
            return None
        self.files_dir.mkdir(parents=True, exist_ok=True)
        path, n = self.files_dir / Path(name).name, 1
        while path.exists():
            n += 1
            path = self.files_dir / f"{Path(name).stem}-{n}{Path(name).suffix}"
        path.write_bytes(content)
        return path

    async def send(self, name: str, text: str) -> None:
        """Print one message addressed to `name`."""
        out = self.stream or sys.stdout
        print(f"[→ {name}] {text}", file=out, flush=True)
