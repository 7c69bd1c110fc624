"""Roster files (CSV or XLSX) → cadres, units, points. Re-import updates, never duplicates.

Columns (header row, any order; 手机号 optional):
    姓名 | 企业微信账号 | 钉钉账号 | 单位 | 角色 | 包联点 | 手机号
角色: 领导 / 单位负责人 / 干部, plus duty roles such as 辅导员, 中层副职以上, separated by 、 or ,
包联点: names separated by 、 or ; each optionally followed by its type in brackets,
        e.g. 梅园3栋（宿舍）、张湾村（农户）; without a type it is guessed from the name.
Each bad row is reported with its row number and reason; the good rows still load.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from handlers.policy import ROLE_CADRE, ROLE_LEADER, ROLE_UNIT_HEAD
from storage.db import Database
from storage.roster import RosterRow, upsert_cadre

COLUMNS = {"姓名": "name", "企业微信账号": "wecom", "钉钉账号": "dingtalk", "单位": "unit",
           "角色": "roles", "包联点": "points", "手机号": "phone"}
REQUIRED = ("姓名", "单位")
ROLE_NAMES = {"领导": ROLE_LEADER, "校领导": ROLE_LEADER, "区领导": ROLE_LEADER,
              "单位负责人": ROLE_UNIT_HEAD, "负责人": ROLE_UNIT_HEAD, "第一责任人": ROLE_UNIT_HEAD,
              "干部": ROLE_CADRE, "党员干部": ROLE_CADRE}
DEFAULT_DUTY_ROLES = ("辅导员", "中层副职以上", "班主任")
PLACE_TYPES = ("宿舍", "食堂", "课堂", "家庭", "农户", "学校", "企业", "点位", "社区", "窗口", "其他")
_GUESS = [(r"(栋|舍|公寓|宿舍|楼)$", "宿舍"), (r"(食堂|餐厅)", "食堂"), (r"(教室|班|课堂|实验室)", "课堂"),
          (r"村$", "农户"), (r"社区", "社区"), (r"(学校|中学|小学|中职|职校)", "学校"),
          (r"(公司|企业|厂|合作社)", "企业"), (r"(窗口|大厅|中心)$", "窗口")]
SPLIT = re.compile(r"[、,，;；/]+")
POINT = re.compile(r"^(.+?)\s*[(（]\s*(\S+?)\s*[)）]$")
PHONE = re.compile(r"^1\d{10}$")


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] | None = None

    def lines(self) -> list[str]:
        out = [f"导入完成：新增 {self.created} 人，更新 {self.updated} 人，错误 {len(self.errors or [])} 行"]
        out += [f"  第 {n} 行：{why}" for n, why in self.errors or []]
        return out


class RosterFileError(Exception):
    """The file as a whole cannot be read (missing, wrong type, no header)."""


def read_rows(path: Path) -> list[dict[str, str]]:
    """Rows as dicts keyed by the Chinese header; row numbers follow the file (header = 1)."""
    if not path.is_file():
        raise RosterFileError(f"找不到文件 {path}")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix in (".csv", ".txt"):
        return _read_csv(path)
    raise RosterFileError(f"不支持的文件类型 {suffix}：请用 .csv 或 .xlsx")


def _read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterFileError("文件编码无法识别：请另存为 UTF-8 的 CSV 或 .xlsx")
    rows = list(csv.reader(text.splitlines()))
    return _to_dicts(rows)


def _read_xlsx(path: Path) -> list[dict[str, str]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise RosterFileError(f"无法读取 Excel 文件：{type(exc).__name__}") from None
    try:
        rows = [["" if v is None else str(v) for v in r] for r in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()
    return _to_dicts(rows)


def _to_dicts(rows: list[list[str]]) -> list[dict[str, str]]:
    if not rows:
        raise RosterFileError("文件是空的")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise RosterFileError(f"表头缺少列：{'、'.join(missing)}（需要：{'、'.join(COLUMNS)}）")
    out = []
    for r in rows[1:]:
        d = {h: (r[i].strip() if i < len(r) and r[i] is not None else "") for i, h in enumerate(header) if h}
        out.append(d)
    return out


def validate(d: dict[str, str], duty_roles: tuple[str, ...]) -> RosterRow:
    """One row → RosterRow, or ValueError with the reason in Chinese."""
    name, unit = d.get("姓名", ""), d.get("单位", "")
    if not name:
        raise ValueError("姓名为空")
    if not unit:
        raise ValueError("单位为空")
    wecom, ding = d.get("企业微信账号") or None, d.get("钉钉账号") or None
    if not wecom and not ding:
        raise ValueError("企业微信账号和钉钉账号至少填一个")
    roles: list[str] = []
    for r in filter(None, SPLIT.split(d.get("角色", ""))):
        r = r.strip()
        if r in ROLE_NAMES:
            roles.append(ROLE_NAMES[r])
        elif r in duty_roles:
            roles.append(r)
        else:
            raise ValueError(f"未知角色「{r}」（可用：领导、单位负责人、干部、{'、'.join(duty_roles)}）")
    if ROLE_CADRE not in roles:
        roles.insert(0, ROLE_CADRE)
    points = []
    for p in filter(None, (x.strip() for x in SPLIT.split(d.get("包联点", "")))):
        m = POINT.match(p)
        pname, ptype = (m.group(1), m.group(2)) if m else (p, guess_place_type(p))
        if ptype not in PLACE_TYPES:
            raise ValueError(f"包联点「{pname}」的类型「{ptype}」无效（可用：{'、'.join(PLACE_TYPES)}）")
        points.append((pname, ptype))
    phone = d.get("手机号") or None
    if phone and not PHONE.match(phone):
        raise ValueError("手机号应为11位数字")
    return RosterRow(name=name, unit=unit, roles=tuple(dict.fromkeys(roles)), wecom_userid=wecom,
                     dingtalk_userid=ding, points=tuple(points), phone=phone)


def guess_place_type(name: str) -> str:
    return next((t for pattern, t in _GUESS if re.search(pattern, name)), "其他")


async def import_roster(db: Database, path: Path,
                        duty_roles: tuple[str, ...] = DEFAULT_DUTY_ROLES) -> ImportReport:
    """Load every good row in one transaction; report each bad row with its number."""
    report = ImportReport(errors=[])
    rows = read_rows(path)
    seen: dict[str, int] = {}
    valid: list[tuple[int, RosterRow]] = []
    for n, d in enumerate(rows, start=2):
        if not any(d.values()):
            continue
        try:
            row = validate(d, duty_roles)
            for account in filter(None, (row.wecom_userid, row.dingtalk_userid)):
                if account in seen:
                    raise ValueError(f"账号 {account} 与第 {seen[account]} 行重复")
            for account in filter(None, (row.wecom_userid, row.dingtalk_userid)):
                seen[account] = n
        except ValueError as exc:
            report.errors.append((n, str(exc)))
            continue
        valid.append((n, row))
    async with db.write() as s:
        for _n, row in valid:
            _cadre, created = await upsert_cadre(s, row)
            if created:
                report.created += 1
            else:
                report.updated += 1
    return report
