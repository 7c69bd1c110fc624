"""Media names as users see them: cleaned like message text, at most 200 characters.

Each platform turns its own messages' pictures, files and locations into
`handlers.types.Media` (bot/wecom/media.py, bot/dingtalk/media.py) with `media_name`.
"""

from __future__ import annotations

from handlers.inbound_text import clean


def media_name(raw: str | None) -> str | None:
    """A file or place name from a platform message, cleaned (None when empty)."""
    name = clean(raw or "").strip()
    return name[:200] or None
