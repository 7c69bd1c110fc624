"""The 台账 (问题清单, 任务清单, 效果清单, 回访记录, 走访台账) as xlsx, csv or json.

Used by `minqing export`, the chat command 「导出台账」 and the web console. Rows come from
storage/ledger.py under one LedgerFilter (the counts in the monthly report use the same list
definitions, storage/lists.py). Phone and ID numbers in free text are masked unless
`unmasked=True` (a leader's explicit request; the caller logs it). 是否逾期 is computed as of
`as_of`. In xlsx, dates are real date cells; each sheet has a frozen header row, an
auto-filter and fixed widths.
"""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

from handlers.periods import as_datetime, next_month
from handlers.privacy import mask_numbers
from handlers.texts.replies import STATUS_NAMES
from storage.db import Database
from storage.ledger import LedgerFilter, followup_rows, item_rows, visit_rows

Row = dict
Column = tuple[str, Callable[[Row], object]]
DATE_FMT, TIME_FMT = "yyyy-mm-dd", "yyyy-mm-dd hh:mm"
WIDE = {
    "问题描述": 48,
    "走访情况": 60,
    "办理结果": 36,
    "最新进展": 36,
    "回访说明": 36,
    "说明": 40,
    "问题编号": 18,
    "来源": 22,
    "地点": 18,
    "提出单位": 18,
    "责任单位": 18,
    "单位": 18,
}


def _source(r: Row) -> str:
    return f"走访·{r['place_type']}{('·' + r['place']) if r['place'] else ''}" if r["place_type"] else "直接反映"


def _on_time(r: Row) -> str:
    i = r["item"]
    if i.resolved_at is None:
        return ""
    return "是" if i.resolved_at.date() <= i.deadline else "否"


def _overdue(i, as_of: date) -> str:
    return "是" if i.is_overdue(as_of) else "否"


def _overdue_days(i, as_of: date) -> int | str:
    return (as_of - i.deadline).days if i.is_overdue(as_of) else ""


def columns(as_of: date, text: Callable[[str | None], str]) -> dict[str, list[Column]]:
    """Sheet name → (header, value of a row) pairs. `text` masks (or not) free text."""
    return {
        "问题清单": [
            ("编号", lambda r: r["item"].id),
            ("提出日期", lambda r: r["item"].created_at.date()),
            ("提出单位", lambda r: r["reporter_unit"]),
            ("提出人", lambda r: r["reporter"]),
            ("问题类别", lambda r: r["item"].category),
            ("问题描述", lambda r: text(r["item"].text)),
            ("来源", lambda r: text(_source(r))),
            ("走访编号", lambda r: r["item"].visit_id or ""),
            ("责任单位", lambda r: r["unit"]),
            ("当前状态", lambda r: STATUS_NAMES[r["item"].status]),
        ],
        "任务清单": [
            ("编号", lambda r: r["item"].id),
            ("问题类别", lambda r: r["item"].category),
            ("问题描述", lambda r: text(r["item"].text)),
            ("责任单位", lambda r: r["unit"]),
            ("责任人", lambda r: r["owner"]),
            ("办理方式", lambda r: r["item"].track),
            ("完成时限", lambda r: r["item"].deadline),
            ("签收时间", lambda r: r["signed_at"]),
            ("最新进展", lambda r: text(r["progress"])),
            ("当前状态", lambda r: STATUS_NAMES[r["item"].status]),
            ("是否逾期", lambda r: _overdue(r["item"], as_of)),
            ("逾期天数", lambda r: _overdue_days(r["item"], as_of)),
            ("退回次数", lambda r: r["returns"]),
            ("批准延期次数", lambda r: r["extensions"]),
        ],
        "效果清单": [
            ("编号", lambda r: r["item"].id),
            ("问题类别", lambda r: r["item"].category),
            ("问题描述", lambda r: text(r["item"].text)),
            ("责任单位", lambda r: r["unit"]),
            ("责任人", lambda r: r["owner"]),
            ("办结时间", lambda r: r["item"].resolved_at),
            ("办理结果", lambda r: text(r["item"].result)),
            ("按期办结", _on_time),
            ("回访次数", lambda r: r["followups"]),
            ("最近回访评价", lambda r: r["rating"] or ""),
            ("回访说明", lambda r: text(r["followup_note"])),
            ("是否销号", lambda r: "是" if r["item"].status == "closed" else "否"),
        ],
        "回访记录": [
            ("问题编号", lambda r: r["item_id"]),
            ("回访时间", lambda r: r["at"]),
            ("回访人", lambda r: r["actor"]),
            ("责任单位", lambda r: r["unit"]),
            ("评价", lambda r: r["rating"]),
            ("评价来源", lambda r: r["source"]),
            ("说明", lambda r: text(r["note"])),
        ],
        "走访台账": [
            ("走访编号", lambda r: r["visit"].id),
            ("走访日期", lambda r: r["visit"].date),
            ("单位", lambda r: r["unit"]),
            ("干部", lambda r: r["cadre"]),
            ("走访类型", lambda r: r["visit"].place_type),
            ("地点", lambda r: text(r["visit"].place)),
            ("交流人数", lambda r: r["visit"].people if r["visit"].people is not None else ""),
            ("发现问题数", lambda r: r["items"]),
            ("问题编号", lambda r: "、".join(f"#{i}" for i in r["item_ids"])),
            ("走访情况", lambda r: text(r["visit"].text)),
        ],
    }


SHEET_NAMES = ("问题清单", "任务清单", "效果清单", "回访记录", "走访台账")
VISIT_SHEET = "走访台账"

Tables = dict[str, tuple[list[str], list[list]]]


def parse_month(month: str | None) -> tuple[datetime | None, datetime | None]:
    """ "2026-11" → [2026-11-01, 2026-12-01); None → everything. ValueError when malformed."""
    if not month:
        return None, None
    start = datetime.strptime(month, "%Y-%m").date()
    return as_datetime(start), as_datetime(next_month(start))


async def build_tables(db: Database, filt: LedgerFilter, as_of: date, *, unmasked: bool = False) -> Tables:
    """Every sheet's header and rows (Python values: int, str, date, datetime, None)."""

    def text(s: str | None) -> str:
        return "" if not s else (s if unmasked else mask_numbers(s))

    async with db.session() as s:
        data = {
            "问题清单": await item_rows(s, filt, as_of, "problems"),
            "任务清单": await item_rows(s, filt, as_of, "tasks"),
            "效果清单": await item_rows(s, filt, as_of, "effects"),
            "回访记录": await followup_rows(s, filt, as_of),
            "走访台账": await visit_rows(s, filt),
        }
    cols = columns(as_of, text)

    def tabulate() -> Tables:
        return {
            name: ([h for h, _ in cols[name]], [[f(r) for _, f in cols[name]] for r in data[name]])
            for name in SHEET_NAMES
        }

    tables = await asyncio.to_thread(tabulate)  # ~1 s of Python for a big month: off the event loop
    await _photo_columns(db, tables, [r["visit"].id for r in data["走访台账"]])
    return tables


async def export(
    db: Database,
    fmt: str,
    out: Path,
    month: str | None,
    as_of: date,
    *,
    filt: LedgerFilter | None = None,
    unmasked: bool = False,
) -> list[Path]:
    """Write the ledger for `month` (YYYY-MM or None for everything) narrowed by `filt`;
    returns the files written (one per sheet for csv). ValueError for a malformed month."""
    since, until = parse_month(month)
    filt = filt or LedgerFilter()
    if month:
        filt = replace(filt, since=since, until=until)
    tables = await build_tables(db, filt, as_of, unmasked=unmasked)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        write_xlsx(tables, out)
        return [out]
    if fmt == "json":
        data = {name: [dict(zip(h, map(_plain, r), strict=True)) for r in rows] for name, (h, rows) in tables.items()}
        out.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")  # noqa: ASYNC240
        return [out]
    written = []
    for name, (header, rows) in tables.items():
        path = out.with_name(f"{out.stem}-{name}{out.suffix or '.csv'}")
        with path.open("w", encoding="utf-8-sig", newline="") as f:  # BOM: Excel opens it right
            w = csv.writer(f)
            w.writerow(header)
            w.writerows([_plain(v) for v in r] for r in rows)
        written.append(path)
    return written


def _plain(v: object) -> object:
    """Text and numbers for csv/json: dates as 2026-11-18, times as 2026-11-18 10:00."""
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, date):
        return v.isoformat()
    return "" if v is None else v


def write_xlsx(tables: Tables, out: Path | BinaryIO) -> None:
    """One sheet per table, to a path or a binary file (XlsxWriter, rows streamed in
    constant-memory mode: a 10,000-item month in a few seconds)."""
    import xlsxwriter

    target = str(out) if isinstance(out, Path) else out
    wb = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "in_memory": not isinstance(out, Path),
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "align": "center"})
    day, moment = wb.add_format({"num_format": DATE_FMT}), wb.add_format({"num_format": TIME_FMT})
    for name, (header, rows) in tables.items():
        ws = wb.add_worksheet(name)
        for i, h in enumerate(header):
            ws.set_column(i, i, WIDE.get(h, max(10, len(h) * 2 + 4)))
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, len(rows), len(header) - 1)
        ws.write_row(0, 0, header, head)
        for n, r in enumerate(rows, start=1):
            for c, v in enumerate(r):
                if v is None or v == "":
                    continue
                if isinstance(v, datetime):
                    ws.write_datetime(n, c, v, moment)
                elif isinstance(v, date):
                    ws.write_datetime(n, c, datetime.combine(v, datetime.min.time()), day)
                elif isinstance(v, str):
                    ws.write_string(n, c, v)
                else:
                    ws.write_number(n, c, v)
    wb.close()


async def ledger_file(db: Database, request: str, now: datetime) -> tuple[str, bytes]:
    """The xlsx a chat 「导出台账」 asked for (handlers/console_access.py's JSON request):
    (file name, content). Scoped to what the asker may see; masked unless asked otherwise."""
    import io

    from storage.items import Scope

    spec = json.loads(request)["ledger"]
    cadre_id = int(spec["cadre_id"])
    scope = Scope(cadre_id, everything=True) if spec.get("everything") else Scope(cadre_id, unit_id=spec.get("unit_id"))
    since, until = parse_month(spec["month"])
    as_of = date.fromisoformat(spec.get("as_of") or now.date().isoformat())
    tables = await build_tables(
        db, LedgerFilter(since=since, until=until, scope=scope), as_of, unmasked=bool(spec.get("unmasked"))
    )
    buf = io.BytesIO()
    await asyncio.to_thread(write_xlsx, tables, buf)
    return f"台账-{spec['month']}.xlsx", buf.getvalue()


PHOTO_COLUMN = "照片"


async def _photo_columns(db: Database, tables: dict[str, tuple[list[str], list[list]]], visit_ids: list[int]) -> None:
    """留痕: the number of stored pictures and files of each item (问题清单, 效果清单: 编号 is the
    first column) and of each visit (走访台账, rows in the order of `visit_ids`)."""
    from storage.attachments import photo_counts

    item_ids = sorted({row[0] for sheet in ("问题清单", "效果清单") for row in tables[sheet][1]})
    async with db.session() as s:
        by_item = await photo_counts(s, item_ids=item_ids)
        by_visit = await photo_counts(s, visit_ids=visit_ids)
    for sheet in ("问题清单", "效果清单"):
        header, rows = tables[sheet]
        tables[sheet] = ([*header, PHOTO_COLUMN], [[*row, by_item.get(row[0], 0)] for row in rows])
    header, rows = tables[VISIT_SHEET]
    tables[VISIT_SHEET] = (
        [*header, PHOTO_COLUMN],
        [[*row, by_visit.get(v, 0)] for row, v in zip(rows, visit_ids, strict=True)],
    )
