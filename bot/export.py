"""`minqing export`: the 台账 (问题清单, 任务清单, 效果清单, 走访台账) as xlsx, csv or json."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from handlers.periods import as_datetime, next_month
from handlers.replies import STATUS_NAMES
from storage.db import Database
from storage.ledger import item_rows, visit_rows

Row = dict


def _d(v: date | datetime | None) -> str:
    if v is None:
        return ""
    return v.strftime("%Y-%m-%d %H:%M") if isinstance(v, datetime) else v.isoformat()


def _source(r: Row) -> str:
    return f"走访·{r['place_type']}{('·' + r['place']) if r['place'] else ''}" if r["place_type"] else "直接反映"


def _overdue(r: Row, today: date) -> str:
    i = r["item"]
    return "是" if i.is_overdue(today) else ""


def _on_time(r: Row) -> str:
    i = r["item"]
    if i.resolved_at is None:
        return ""
    return "是" if i.resolved_at.date() <= i.deadline else "否"


SHEETS: dict[str, list[tuple[str, Callable[[Row, date], object]]]] = {
    "问题清单": [
        ("编号", lambda r, t: r["item"].id), ("提出日期", lambda r, t: _d(r["item"].created_at.date())),
        ("提出单位", lambda r, t: r["unit"]), ("提出人", lambda r, t: r["reporter"]),
        ("问题类别", lambda r, t: r["item"].category), ("问题描述", lambda r, t: r["item"].text),
        ("来源", lambda r, t: _source(r)), ("当前状态", lambda r, t: STATUS_NAMES[r["item"].status]),
    ],
    "任务清单": [
        ("编号", lambda r, t: r["item"].id), ("问题类别", lambda r, t: r["item"].category),
        ("问题描述", lambda r, t: r["item"].text), ("责任单位", lambda r, t: r["unit"]),
        ("责任人", lambda r, t: r["owner"]), ("办理方式", lambda r, t: r["item"].track),
        ("完成时限", lambda r, t: _d(r["item"].deadline)), ("签收时间", lambda r, t: _d(r["item"].responded_at)),
        ("最新进展", lambda r, t: r["progress"] or ""), ("当前状态", lambda r, t: STATUS_NAMES[r["item"].status]),
        ("是否逾期", _overdue),
    ],
    "效果清单": [
        ("编号", lambda r, t: r["item"].id), ("问题类别", lambda r, t: r["item"].category),
        ("问题描述", lambda r, t: r["item"].text), ("责任单位", lambda r, t: r["unit"]),
        ("责任人", lambda r, t: r["owner"]), ("办结时间", lambda r, t: _d(r["item"].resolved_at)),
        ("办理结果", lambda r, t: r["item"].result or ""), ("按期办结", lambda r, t: _on_time(r)),
        ("回访评价", lambda r, t: r["rating"] or ""), ("回访说明", lambda r, t: r["followup_note"] or ""),
        ("是否销号", lambda r, t: "是" if r["item"].status == "closed" else ""),
    ],
}
VISIT_SHEET = "走访台账"
VISIT_COLUMNS: list[tuple[str, Callable[[Row], object]]] = [
    ("走访日期", lambda r: _d(r["visit"].date)), ("单位", lambda r: r["unit"]), ("干部", lambda r: r["cadre"]),
    ("走访类型", lambda r: r["visit"].place_type), ("地点", lambda r: r["visit"].place or ""),
    ("交流人数", lambda r: r["visit"].people if r["visit"].people is not None else ""),
    ("发现问题数", lambda r: r["items"]), ("走访情况", lambda r: r["visit"].text),
]


def parse_month(month: str | None) -> tuple[datetime | None, datetime | None]:
    """"2026-11" → [2026-11-01, 2026-12-01); None → everything. ValueError when malformed."""
    if not month:
        return None, None
    start = datetime.strptime(month, "%Y-%m").date()
    return as_datetime(start), as_datetime(next_month(start))


async def build_tables(db: Database, month: str | None, today: date) -> dict[str, tuple[list[str], list[list]]]:
    since, until = parse_month(month)
    async with db.session() as s:
        items = await item_rows(s, since, until)
        visits = await visit_rows(s, since, until)
    tables: dict[str, tuple[list[str], list[list]]] = {}
    for sheet, cols in SHEETS.items():
        rows = items
        if sheet == "效果清单":
            rows = [r for r in items if r["item"].status in ("resolved", "closed")]
        tables[sheet] = ([c for c, _ in cols], [[f(r, today) for _, f in cols] for r in rows])
    tables[VISIT_SHEET] = ([c for c, _ in VISIT_COLUMNS], [[f(r) for _, f in VISIT_COLUMNS] for r in visits])
    await _photo_columns(db, tables, [r["visit"].id for r in visits])
    return tables


async def export(db: Database, fmt: str, out: Path, month: str | None, today: date) -> list[Path]:
    """Write the ledger; returns the files written."""
    tables = await build_tables(db, month, today)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        _write_xlsx(tables, out)
        return [out]
    if fmt == "json":
        data = {name: [dict(zip(h, r, strict=True)) for r in rows] for name, (h, rows) in tables.items()}
        out.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")  # noqa: ASYNC240
        return [out]
    written = []
    for name, (header, rows) in tables.items():
        path = out.with_name(f"{out.stem}-{name}{out.suffix or '.csv'}")
        with path.open("w", encoding="utf-8-sig", newline="") as f:  # BOM: Excel opens it right
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)
        written.append(path)
    return written


def _write_xlsx(tables: dict[str, tuple[list[str], list[list]]], out: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for name, (header, rows) in tables.items():
        ws = wb.create_sheet(name)
        ws.append(header)
        for r in rows:
            ws.append(r)
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            cell.alignment = Alignment(horizontal="center")
        ws.freeze_panes = "A2"
        for i, h in enumerate(header, start=1):
            wide = h in ("问题描述", "走访情况", "办理结果", "最新进展", "回访说明")
            ws.column_dimensions[get_column_letter(i)].width = 48 if wide else max(10, len(h) * 2 + 4)
    wb.save(out)


PHOTO_COLUMN = "照片"


async def _photo_columns(db: Database, tables: dict[str, tuple[list[str], list[list]]], visit_ids: list[int]) -> None:
    """留痕: the number of stored pictures and files of each item (问题清单, 效果清单: 编号 is the
    first column) and of each visit (走访台账, rows in the order of `visit_ids`)."""
    from storage.attachments import photo_counts

    item_ids = [row[0] for row in tables["问题清单"][1]]
    async with db.session() as s:
        by_item = await photo_counts(s, item_ids=item_ids)
        by_visit = await photo_counts(s, visit_ids=visit_ids)
    for sheet in ("问题清单", "效果清单"):
        header, rows = tables[sheet]
        tables[sheet] = ([*header, PHOTO_COLUMN], [[*row, by_item.get(row[0], 0)] for row in rows])
    header, rows = tables[VISIT_SHEET]
    tables[VISIT_SHEET] = ([*header, PHOTO_COLUMN],
                           [[*row, by_visit.get(v, 0)] for row, v in zip(rows, visit_ids, strict=True)])
