"""Roster files (CSV or XLSX) → cadres, units, points. Re-import updates, never duplicates.

Columns (header row, any order; 手机号 optional; common other names accepted, see column_names()):
    姓名 | 企业微信账号 | 钉钉账号 | 单位 | 角色 | 包联点 | 手机号 | 单位简称
(one account column per platform, named by its package: bot/<name>/platform.py roster_columns)
(单位简称: optional other names of the person's unit, separated by 、, added to the unit's aliases)
The header row may come after a few title rows (it is looked for in the first HEADER_ROWS
rows); CSV may be separated by commas, tabs, semicolons or |, in UTF-8 (± BOM) or GB18030.
Cells are normalised by type: account and phone cells that Excel turned into numbers
(20210001.0, a numeric xlsx cell, 1.3900000003E+10) are recovered exactly where every digit
survived; where digits were lost (2.05623E+17, a number of 16+ digits) the row is refused
with 「该列请设为文本格式后重新导出」. Phones may be written 138-0013-8000, +86 139 0000 3333,
(0086)13900003333 …; an optional phone that cannot be read is skipped with a warning, the
person is imported.
角色: 领导 / 单位负责人 / 干部, plus duty roles such as 辅导员, 中层副职以上, separated by 、 or ,
包联点: names separated by 、 or ; each optionally followed by its type in brackets,
        e.g. 梅园3栋（宿舍）、张湾村（农户）; without a type it is guessed from the name.
Each bad row is reported with its row number and reason; the good rows still load.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from bot.platform import platforms
from bot.textfile import TextFileError, decode
from handlers.errors import RosterFileError
from handlers.policy import ROLE_CADRE, ROLE_LEADER, ROLE_UNIT_HEAD
from storage.db import Database
from storage.roster import RosterRow, upsert_cadre

REQUIRED = ("姓名", "单位")
ROLE_NAMES = {
    "领导": ROLE_LEADER,
    "校领导": ROLE_LEADER,
    "区领导": ROLE_LEADER,
    "单位负责人": ROLE_UNIT_HEAD,
    "负责人": ROLE_UNIT_HEAD,
    "第一责任人": ROLE_UNIT_HEAD,
    "干部": ROLE_CADRE,
    "党员干部": ROLE_CADRE,
}
DEFAULT_DUTY_ROLES = ("辅导员", "中层副职以上", "班主任")
PLACE_TYPES = ("宿舍", "食堂", "课堂", "家庭", "农户", "学校", "企业", "点位", "社区", "窗口", "其他")
_GUESS = [
    (r"(栋|舍|公寓|宿舍|楼)$", "宿舍"),
    (r"(食堂|餐厅)", "食堂"),
    (r"(教室|班|课堂|实验室)", "课堂"),
    (r"村$", "农户"),
    (r"社区", "社区"),
    (r"(学校|中学|小学|中职|职校)", "学校"),
    (r"(公司|企业|厂|合作社)", "企业"),
    (r"(窗口|大厅|中心)$", "窗口"),
]
SPLIT = re.compile(r"[、,，;；/]+")
POINT = re.compile(r"^(.+?)\s*[(（]\s*(\S+?)\s*[)）]$")
HEADER_ROWS = 10
# Other names admins give the columns (compared after NFKC, without spaces, lower case); each
# platform's account column comes from its package (bot/<name>/platform.py `roster_columns`).
NAME_ALIASES = ("姓名", "名字", "干部姓名", "人员姓名", "name")
OTHER_ALIASES = {
    "unit": ("单位", "所在单位", "部门", "所在部门", "学院", "单位名称", "unit"),
    "roles": ("角色", "身份", "roles"),
    "points": ("包联点", "包联点位", "联系点", "包联", "points"),
    "phone": ("手机号", "手机", "手机号码", "联系电话", "电话", "phone", "mobile"),
    "aliases": ("单位简称", "单位别名", "简称", "别名", "aliases"),
}


def column_names() -> dict[str, tuple[str, ...]]:
    """{canonical column: header names, the first the one messages use}: 姓名, one account column
    per platform (企业微信账号, 钉钉账号, …, in platform order), then 单位 … 单位简称."""
    return {"name": NAME_ALIASES, **{n: p.roster_columns for n, p in platforms().items()}, **OTHER_ALIASES}


def _alias() -> dict[str, str]:
    return {alias: key for key, names in column_names().items() for alias in names}


TEXT_FORMAT = "该列请设为文本格式后重新导出"
_DIGITS = re.compile(r"\d+")
_DOT_ZERO = re.compile(r"(\d+)\.0+")
_SCIENTIFIC = re.compile(r"([0-9])(?:\.([0-9]+))?[eE]\+?([0-9]{1,2})")
_PHONE_JUNK = re.compile(r"[\s\-–—.()（）/]")
_MOBILE = re.compile(r"(?:\+?86|0086)?(1[3-9]\d{9})")
_LANDLINE = re.compile(r"(0\d{2,3})(\d{7,8})")
EXACT_DIGITS = 15  # a spreadsheet number keeps at most 15 significant digits


class LostDigits(ValueError):
    """A numeric cell whose digits cannot all be recovered."""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report in Chinese: 「导入完成：新增 3 人，更新 2 人，错误 1 行」 then one line per error and warning."""
        out = [f"导入完成：新增 {self.created} 人，更新 {self.updated} 人，错误 {len(self.errors)} 行"]
        out += [f"  第 {n} 行：{why}" for n, why in self.errors]
        out += [f"  第 {n} 行（已导入）：{why}" for n, why in self.warnings]
        return out


@dataclass
class Cell:
    """One cell: its text and whether the spreadsheet stored it as a number (float)."""

    text: str
    number: float | int | None = None


def _header_key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


Row = dict[str, Cell]  # canonical column ("name", "wecom", …) → cell


def read_rows(path: Path) -> tuple[list[tuple[int, Row]], dict[str, str]]:
    """([(row number in the file, row)], {canonical column: header as written})."""
    if not path.is_file():
        raise RosterFileError(f"找不到文件 {path}")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _to_rows(_read_xlsx(path))
    if suffix in (".csv", ".txt", ".tsv"):
        return _to_rows(_read_csv(path))
    raise RosterFileError(f"不支持的文件类型 {suffix}：请用 .csv 或 .xlsx")


def _read_csv(path: Path) -> list[list[Cell]]:
    try:
        text = decode(path.read_bytes(), path.name)
    except TextFileError:
        raise RosterFileError("文件编码无法识别：请另存为 UTF-8 的 CSV 或 .xlsx") from None
    lines = text.splitlines()
    sample = "\n".join(lines[: HEADER_ROWS + 5])
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel_tab if sample.count("\t") > sample.count(",") else csv.excel
    return [[Cell(v) for v in r] for r in csv.reader(lines, dialect)]


def _read_xlsx(path: Path) -> list[list[Cell]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise RosterFileError(f"无法读取 Excel 文件：{type(exc).__name__}") from None
    try:
        return [[_xlsx_cell(v) for v in r] for r in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()


def _xlsx_cell(v) -> Cell:
    if v is None:
        return Cell("")
    if isinstance(v, bool):
        return Cell(str(v))
    if isinstance(v, int | float):
        return Cell(str(v), number=v)
    return Cell(str(v))


def _to_rows(rows: list[list[Cell]]) -> tuple[list[tuple[int, Row]], dict[str, str]]:
    if not rows or not any(c.text.strip() for r in rows for c in r):
        raise RosterFileError("文件是空的")
    i, columns = _find_header(rows)
    header = {key: rows[i][n].text.strip() for n, key in columns.items() if key}
    out = []
    for number, r in enumerate(rows[i + 1 :], start=i + 2):
        row = {
            key: Cell(r[n].text.strip(), r[n].number) if n < len(r) else Cell("") for n, key in columns.items() if key
        }
        out.append((number, row))
    return out, header


def _find_header(rows: list[list[Cell]]) -> tuple[int, dict[int, str | None]]:
    """(index of the header row, {column number: canonical column}) within the first rows."""
    known = _alias()
    for i, r in enumerate(rows[:HEADER_ROWS]):
        columns = {n: known.get(_header_key(c.text)) for n, c in enumerate(r)}
        if {"name", "unit"} <= set(columns.values()):
            return i, columns
    wanted = "、".join(names[0] for names in column_names().values())
    raise RosterFileError(f"表头缺少列：姓名、单位（需要：{wanted}）；表头须在前 {HEADER_ROWS} 行内、在数据之前")


def account(cell: Cell) -> str:
    """An id cell as text: numbers Excel made of it recovered exactly, or LostDigits."""
    if cell.number is not None:
        v = cell.number
        if isinstance(v, int):
            return str(v)
        if v.is_integer() and abs(v) < 10**EXACT_DIGITS:
            return str(int(v))
        raise LostDigits(cell.text)
    text = unicodedata.normalize("NFKC", cell.text).strip()
    if m := _DOT_ZERO.fullmatch(text):
        return m.group(1)
    if m := _SCIENTIFIC.fullmatch(text):
        lead, frac, exp = m.group(1), m.group(2) or "", int(m.group(3))
        if len(frac) > exp or len(lead + frac) > EXACT_DIGITS:
            raise LostDigits(text)
        if len(frac) < exp:  # 2.05623E+17: the zeros after the mantissa are guesses
            raise LostDigits(text)
        return lead + frac
    return cell.text.strip()


def phone(cell: Cell) -> str:
    """A phone in any common notation → 11-digit mobile or 0xx-xxxxxxxx; ValueError otherwise."""
    text = account(cell)
    compact = _PHONE_JUNK.sub("", unicodedata.normalize("NFKC", text))
    if m := _MOBILE.fullmatch(compact):
        return m.group(1)
    if _LANDLINE.fullmatch(compact):  # 010 and 02x area codes have 3 digits, the others 4
        area = 3 if compact[1] in "12" else 4
        return f"{compact[:area]}-{compact[area:]}"
    raise ValueError(text)


def validate(
    d: Row, duty_roles: tuple[str, ...], header: dict[str, str] | None = None, warnings: list[str] | None = None
) -> RosterRow:
    """One row → RosterRow, or ValueError with the reason in Chinese naming the column as
    the file's header writes it. Problems with the optional phone go to `warnings`."""
    col = {key: (header or {}).get(key, names[0]) for key, names in column_names().items()}
    text = {k: c.text for k, c in d.items()}
    name, unit = text.get("name", ""), text.get("unit", "")
    if not name:
        raise ValueError(f"「{col['name']}」为空")
    if not unit:
        raise ValueError(f"「{col['unit']}」为空")
    ids: dict[str, str | None] = {}
    for key in platforms():
        try:
            ids[key] = account(d[key]) if key in d and d[key].text else None
        except LostDigits:
            raise ValueError(f"「{col[key]}」的数字已被表格软件改写、位数丢失，{TEXT_FORMAT}") from None
    if not any(ids.values()):
        raise ValueError("和".join(f"「{col[key]}」" for key in ids) + "至少填一个")
    roles: list[str] = []
    for r in filter(None, SPLIT.split(text.get("roles", ""))):
        r = r.strip()
        if r in ROLE_NAMES:
            roles.append(ROLE_NAMES[r])
        elif r in duty_roles:
            roles.append(r)
        else:
            known = "、".join(("领导", "单位负责人", "干部", *duty_roles))
            raise ValueError(f"「{col['roles']}」中有未知角色「{r}」（可用：{known}）")
    if ROLE_CADRE not in roles:
        roles.insert(0, ROLE_CADRE)
    points = []
    for p in filter(None, (x.strip() for x in SPLIT.split(text.get("points", "")))):
        m = POINT.match(p)
        pname, ptype = (m.group(1), m.group(2)) if m else (p, guess_place_type(p))
        if ptype not in PLACE_TYPES:
            raise ValueError(f"包联点「{pname}」的类型「{ptype}」无效（可用：{'、'.join(PLACE_TYPES)}）")
        points.append((pname, ptype))
    number = None
    if text.get("phone"):
        try:
            number = phone(d["phone"])
        except LostDigits:
            (warnings if warnings is not None else []).append(
                f"「{col['phone']}」的数字已被表格软件改写、位数丢失，未保存手机号；{TEXT_FORMAT}"
            )
        except ValueError:
            (warnings if warnings is not None else []).append(
                f"「{col['phone']}」无法识别（应为11位手机号或带区号的座机），未保存手机号"
            )
    aliases = tuple(dict.fromkeys(a.strip() for a in SPLIT.split(text.get("aliases", "")) if a.strip()))
    return RosterRow(
        name=name,
        unit=unit,
        roles=tuple(dict.fromkeys(roles)),
        platform_ids=tuple((key, acct) for key, acct in ids.items() if acct),
        points=tuple(points),
        phone=number,
        unit_aliases=aliases,
    )


def guess_place_type(name: str) -> str:
    """The place type of a 包联点 guessed from its name (「梅园3栋」 → 「宿舍」); 「其他」 when nothing matches."""
    return next((t for pattern, t in _GUESS if re.search(pattern, name)), "其他")


async def import_roster(db: Database, path: Path, duty_roles: tuple[str, ...] = DEFAULT_DUTY_ROLES) -> ImportReport:
    """Load every good row in one transaction; report each bad row with its number."""
    report = ImportReport(errors=[])
    rows, header = read_rows(path)
    seen: dict[str, int] = {}
    valid: list[tuple[int, RosterRow]] = []
    for n, d in rows:
        if not any(c.text for c in d.values()):
            continue
        try:
            notes: list[str] = []
            row = validate(d, duty_roles, header, notes)
            for acct in row.accounts().values():
                if acct in seen:
                    raise ValueError(f"账号 {acct} 与第 {seen[acct]} 行重复")
            for acct in row.accounts().values():
                seen[acct] = n
        except ValueError as exc:
            report.errors.append((n, str(exc)))
            continue
        report.warnings += [(n, note) for note in notes]
        valid.append((n, row))
    async with db.write() as s:
        for _n, row in valid:
            _cadre, created = await upsert_cadre(s, row)
            if created:
                report.created += 1
            else:
                report.updated += 1
    return report
