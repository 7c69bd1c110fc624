"""Body of the `minqing parse` command: JSON lines or plain text in, JSON lines out."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import TextIO

from .parser import Parser


def run_parse(lines: Iterable[str], out: TextIO, *, today: date, profile: str, parser: Parser) -> int:
    """Parse each input line and write one JSON line per input line.

    An input line is a JSON object {"id", "text", "today"?, "profile"?} or plain text (its id is
    then its line number). A line that cannot be parsed yields {"id", "error"} and the run goes on.
    Blank lines are skipped. Returns the exit code: 0 if every line parsed, 1 otherwise.
    """
    failures = 0
    for n, raw in enumerate(lines, 1):
        line = raw.strip().lstrip("\ufeff")
        if not line:
            continue
        row_id = str(n)
        try:
            if line.startswith("{"):
                row = json.loads(line)
                if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                    raise ValueError("a JSON line needs a string field 'text'")
                row_id = str(row.get("id", n))
                row_today = date.fromisoformat(row["today"]) if row.get("today") else today
                row_profile = row.get("profile") or profile
                text = row["text"]
            else:
                row_today, row_profile, text = today, profile, line
            result = parser.parse(text, row_today, row_profile).to_json(row_id)
        except (ValueError, TypeError, KeyError) as e:
            failures += 1
            result = {"id": row_id, "error": f"{type(e).__name__}: {e}"}
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    return 1 if failures else 0
