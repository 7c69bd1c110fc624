"""Functions behind `minqing outbox`: list recent or failed rows, retry one or all failed.

They return plain rows/strings; the CLI prints them. Message bodies are shown shortened,
for the administrator's eyes only (never logged).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage import outbox as q
from storage.db import Database


@dataclass(frozen=True)
class OutboxRow:
    id: int
    status: str
    channel: str
    target_kind: str
    target: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None
    preview: str

    def line(self) -> str:
        """One line for a terminal table."""
        target = self.target if len(self.target) <= 40 else self.target[:37] + "…"
        when = (self.sent_at or self.next_attempt_at).strftime("%Y-%m-%d %H:%M")
        err = f"  {self.last_error}" if self.last_error and self.status != "sent" else ""
        return (
            f"#{self.id:<6} {self.status:<8} {self.channel}/{self.target_kind}:{target}  "
            f"tries={self.attempts}  {when}  {self.preview}{err}"
        )


STATUS_NAMES = {"pending": "待发", "sending": "发送中", "sent": "已发", "failed": "失败", "obsolete": "已作废"}


async def list_outbox(db: Database, *, status: str | None = None, limit: int = 20, offset: int = 0) -> list[OutboxRow]:
    """Newest rows first (all statuses, or only `status`, e.g. "failed"), `offset` rows skipped."""
    async with db.session() as s:
        rows = await q.recent(s, status=status, limit=limit, offset=offset)
    return [
        OutboxRow(
            r.id,
            r.status,
            r.channel,
            r.target_kind,
            r.target,
            r.attempts,
            r.next_attempt_at,
            r.created_at,
            r.sent_at,
            r.last_error,
            _preview(r.body),
        )
        for r in rows
    ]


async def counts_line(db: Database) -> tuple[str, dict[str, int]]:
    """("共 N 条：待发 a，发送中 b，已发 c，失败 d，已作废 e", counts by status)."""
    async with db.session() as s:
        counts = await q.counts(s)
    parts = [f"{name} {counts.get(key, 0)}" for key, name in STATUS_NAMES.items()]
    parts += [f"{key} {n}" for key, n in sorted(counts.items()) if key not in STATUS_NAMES]
    return f"共 {sum(counts.values())} 条：" + "，".join(parts), counts


async def page_lines(db: Database, *, status: str | None, page: int, per_page: int) -> list[str]:
    """What `minqing outbox list` prints: the counts by status, one page of rows (newest
    first, page 1 = newest) and where this page is among all of them."""
    head, counts = await counts_line(db)
    total = counts.get(status, 0) if status is not None else sum(counts.values())
    pages = max(1, -(-total // per_page))
    rows = await list_outbox(db, status=status, limit=per_page, offset=(page - 1) * per_page)
    lines = [head, *(r.line() for r in rows)]
    if not rows:
        lines.append("（发件箱为空）" if not total else f"（第 {page} 页没有消息）")
    lines.append(f"第 {page}/{pages} 页，每页 {per_page} 条" + (f"；下一页：--page {page + 1}" if page < pages else ""))
    return lines


async def retry(db: Database, now: datetime, row_id: int) -> str:
    """Requeue one failed row with a fresh attempt budget."""
    async with db.write() as s:
        n = await q.requeue(s, now, row_id=row_id)
    return f"已重新排队 #{row_id}" if n else f"#{row_id} 不存在或不是失败状态"


async def retry_all_failed(db: Database, now: datetime) -> str:
    """Requeue every failed row."""
    async with db.write() as s:
        n = await q.requeue(s, now)
    return f"已重新排队 {n} 条失败消息"


def _preview(body: str, width: int = 30) -> str:
    flat = " ".join(body.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
