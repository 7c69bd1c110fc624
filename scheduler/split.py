"""Fitting text into platform limits, measured in UTF-8 bytes (not characters)."""

from __future__ import annotations

from collections.abc import Callable

from handlers.texts import reminders as texts

_LABEL_RESERVE = len(texts.PART_LABEL.format(n=999, total=999).encode())


def nbytes(s: str) -> int:
    """Length of `s` in UTF-8 bytes (the platforms' message limits count bytes)."""
    return len(s.encode("utf-8"))


def cut_bytes(s: str, limit: int) -> str:
    """The longest prefix of `s` within `limit` bytes, never splitting a character."""
    return s.encode("utf-8")[: max(limit, 0)].decode("utf-8", errors="ignore")


def split_lines(lines: list[str], limit: int, *, header: str = "") -> list[str]:
    """Join lines into as few messages as fit in `limit` bytes each, breaking only between
    lines (a line longer than a whole message is cut). With more than one part, each part
    starts with `header` and a part label like （2/3）."""
    whole = "\n".join([header, *lines]) if header else "\n".join(lines)
    if nbytes(whole) <= limit:
        return [whole]
    head = header + _LABEL_RESERVE * " " if header else " " * _LABEL_RESERVE
    room = limit - nbytes(head) - 1
    parts: list[list[str]] = [[]]
    used = 0
    for line in lines:
        line = line if nbytes(line) <= room else cut_bytes(line, room - 3) + "…"
        size = nbytes(line) + 1
        if parts[-1] and used + size > room:
            parts.append([])
            used = 0
        parts[-1].append(line)
        used += size
    total = len(parts)
    out = []
    for n, body in enumerate(parts, 1):
        label = texts.PART_LABEL.format(n=n, total=total)
        out.append("\n".join([header + label, *body]))
    return out


def fit_list(
    head: list[str],
    items: list[str],
    tail: list[str],
    limit: int,
    more: Callable[[int], str],
    total: int | None = None,
) -> str:
    """One message: `head`, as many of `items` as fit, a `more(total)` line when some of the
    `total` (default: len(items)) were left out, then `tail`."""
    total = len(items) if total is None else max(total, len(items))

    def build(k: int) -> str:
        extra = [more(total)] if k < total else []
        return "\n".join([*head, *items[:k], *extra, *tail])

    lo, hi = 0, len(items)
    if nbytes(build(hi)) <= limit:
        return build(hi)
    while lo < hi:  # the largest k whose message fits
        mid = (lo + hi + 1) // 2
        if nbytes(build(mid)) <= limit:
            lo = mid
        else:
            hi = mid - 1
    msg = build(lo)
    return msg if nbytes(msg) <= limit else cut_bytes(msg, limit)
