"""Replies to a voice message (answered from the platform's transcript) say so."""

from __future__ import annotations

from handlers.texts.channel import FROM_VOICE
from handlers.types import Reply, TextReply


def from_voice(replies: list[Reply]) -> list[Reply]:
    """`replies` with FROM_VOICE before the first text (alone when the first is not text)."""
    if not replies:
        return replies
    first = replies[0]
    if isinstance(first, TextReply):
        return [TextReply(f"{FROM_VOICE}\n{first.text}"), *replies[1:]]
    return [TextReply(FROM_VOICE), *replies]
