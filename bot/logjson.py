"""Structured logs: one JSON object per line (`MINQING_LOG_FORMAT=json`), for journald,
docker and log collectors. The same records as the text format: no message text, no names."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    """{"time": ISO-8601 UTC, "level", "logger", "message", "exc_type"?}"""

    def format(self, record: logging.LogRecord) -> str:
        """One JSON line: time (UTC ISO, ms), level, logger, message, and exc_type (the exception's type only, never
        its text, which may quote SQL parameters).
        """
        out = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            out["exc_type"] = record.exc_info[0].__name__  # the type only: texts may quote SQL parameters
        return json.dumps(out, ensure_ascii=False)


def configure(level: str, fmt: str) -> None:
    """Root logging in the text ("text", default) or JSON ("json") format."""
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
