"""Split long text into platform-sized chunks, measured in UTF-8 bytes, on line boundaries.

Platforms count bytes, not characters: one Chinese character is 3 bytes in UTF-8, so a
2048-byte WeCom message holds ~680 characters. A chunk never ends inside a line unless
that single line is longer than the limit (then it is cut between characters, never inside
a UTF-8 sequence). Each platform's limits live in its package (bot/wecom/limits.py, …).
"""

from __future__ import annotations

import json
from collections.abc import Callable

Measure = Callable[[str], int]


def utf8_len(s: str) -> int:
    """Bytes of `s` in UTF-8."""
    return len(s.encode("utf-8"))


def json_len(s: str) -> int:
    """Bytes `s` adds inside a JSON string literal (ensure_ascii=False): escapes count."""
    return len(json.dumps(s, ensure_ascii=False).encode("utf-8")) - 2


def split_spans(text: str, limit: int, measure: Measure = utf8_len) -> list[tuple[int, int]]:
    """(start, end) offsets of the chunks of `text`: each chunk greedily holds as many whole
    lines as fit in `limit`; the newline between two chunks belongs to neither."""
    if limit <= 0:
        raise ValueError("limit must be positive")
    if measure(text) <= limit:
        return [(0, len(text))]
    nl = measure("\n")
    spans: list[tuple[int, int]] = []
    start: int | None = None  # start of the chunk being filled
    end = size = 0
    pos = 0
    while pos <= len(text):
        stop = text.find("\n", pos)
        stop = len(text) if stop < 0 else stop
        cost = measure(text[pos:stop])
        if start is not None and size + nl + cost <= limit:
            end, size = stop, size + nl + cost
        else:
            if start is not None:
                spans.append((start, end))
            if cost <= limit:
                start, end, size = pos, stop, cost
            else:
                pieces = _hard_split(text, pos, stop, limit, measure)
                spans.extend(pieces[:-1])
                start, end = pieces[-1]
                size = measure(text[start:end])
        pos = stop + 1
    if start is not None:
        spans.append((start, end))
    return spans


def _hard_split(text: str, pos: int, stop: int, limit: int, measure: Measure) -> list[tuple[int, int]]:
    """Cut one over-long line between characters, each piece as full as the limit allows."""
    pieces: list[tuple[int, int]] = []
    start, size = pos, 0
    for i in range(pos, stop):
        c = measure(text[i])
        if size + c > limit and i > start:
            pieces.append((start, i))
            start, size = i, 0
        size += c
    pieces.append((start, stop))
    return pieces


def split_text(text: str, limit: int, measure: Measure = utf8_len) -> list[str]:
    """Chunks of `text` within `limit` (see `split_spans`). When no single line exceeds the
    limit, "\\n".join(chunks) == text."""
    return [text[a:b] for a, b in split_spans(text, limit, measure)]


def body_budget(envelope: Callable[[str], dict], limit: int) -> int:
    """Bytes left for the text when json.dumps(envelope(text), ensure_ascii=False) must stay
    ≤ `limit` (DingTalk counts the whole request body)."""
    return limit - len(json.dumps(envelope(""), ensure_ascii=False).encode("utf-8"))
