"""Render handler replies (handlers.types.Reply) to (msg_type, text) pairs for sending."""

from __future__ import annotations

from collections.abc import Iterable

from handlers.texts.channel import FILE_READY
from handlers.types import FileReply, MarkdownReply, Reply, TextReply
from storage.notice import NoticeKind


def render(replies: Iterable[Reply], *, markdown: bool = True) -> list[tuple[NoticeKind, str]]:
    """One (msg_type, text) per reply. FileReply: its caption (the file itself is not
    uploaded by the channels yet). With markdown=False, markdown is sent as plain text."""
    out: list[tuple[NoticeKind, str]] = []
    for r in replies:
        if isinstance(r, MarkdownReply):
            out.append(("markdown" if markdown else "text", r.text))
        elif isinstance(r, TextReply):
            out.append(("text", r.text))
        elif isinstance(r, FileReply):
            caption = r.caption.strip()
            note = FILE_READY.format(name=r.path.name)
            out.append(("text", f"{caption}\n{note}" if caption else note))
    return [(t, s) for t, s in out if s.strip()]


def joined_text(replies: Iterable[Reply]) -> str:
    """All replies as one plain text (for a single passive reply)."""
    return "\n\n".join(text for _, text in render(replies, markdown=False))
