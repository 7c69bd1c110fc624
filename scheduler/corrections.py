"""The category corrections cadres made in chat (改 #N 分类), as the corpus lines the
understanding models learn from: read by the nightly retraining (scheduler/wiring.py) and by
`minqing corrections` / `minqing nlu train` (bot/commands.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from storage.db import Database
from storage.items import category_corrections


def corrections_file(data_dir: Path) -> Path:
    """The organisation's corrections file (JSON lines, corpus format) under `data_dir`."""
    return data_dir / "nlu" / "corrections.jsonl"


async def correction_lines(db: Database) -> list[dict[str, Any]]:
    """Every category correction in the database as a labelled corpus line; the last
    correction of an item wins."""
    async with db.session() as s:
        rows = await category_corrections(s)
    latest = {item.id: (event, item) for event, item in rows}
    return [correction_line(event, item) for event, item in latest.values()]


def correction_line(event: Any, item: Any) -> dict[str, Any]:
    """One labelled line in the corpus format: the item text with the category a cadre chose
    (`event`: the ItemEvent of the correction, `item`: its Item)."""
    return {
        "id": f"corr-{event.id}",
        "profile": event.data.get("profile", "campus"),
        "today": event.at.date().isoformat(),
        "text": item.text,
        "intent": "issue",
        "visit": None,
        "items": [{"category": event.data["new"], "also": [], "key": item.text[:6]}],
        "query": None,
        "resolve": None,
        "was": event.data.get("old"),
    }
