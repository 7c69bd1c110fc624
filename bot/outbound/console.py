"""ConsoleDelivery: with no platform configured (`make run` on a laptop), outbound messages
are printed to stdout as `[→ 姓名] text` so the local console shows reminders. Never logged:
message text stays out of the log."""

from __future__ import annotations

import sys
from typing import TextIO


class ConsoleDelivery:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    async def send(self, name: str, text: str) -> None:
        """Print one message addressed to `name`."""
        out = self.stream or sys.stdout
        print(f"[→ {name}] {text}", file=out, flush=True)
