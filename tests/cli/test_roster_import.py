"""Roster files: CSV (UTF-8 or GBK) and XLSX; bad rows reported by number, good rows load."""

from __future__ import annotations

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from bot.roster_import import RosterFileError, guess_place_type, import_roster
from storage.models import Cadre, Point

HEADER = "姓名,企业微信账号,钉钉账号,单位,角色,包联点,手机号\n"


def write(tmp_path, body: str, name: str = "r.csv", encoding: str = "utf-8") -> object:
    p = tmp_path / name
    p.write_text(HEADER + body, encoding=encoding)
    return p


async def cadres(db) -> list[Cadre]:
    async with db.session() as s:
        return list(await s.scalars(select(Cadre).order_by(Cadre.id)))


async def test_bad_rows_are_reported_and_good_rows_load(db, tmp_path):
    f = write(tmp_path, "\n".join([
        "张老师,zhang,,计算机学院,辅导员,梅园3栋（宿舍）、二食堂,13800000000",
        ",nobody,,计算机学院,干部,,",  # row 3: no name
        "李四,,,文学院,干部,,",  # row 4: no account
        "王五,wangwu,,文学院,校长,,",  # row 5: unknown role
        "赵六,zhang,,文学院,干部,,",  # row 6: duplicate account
        "钱七,qian,,文学院,干部,,12345",  # row 7: bad phone
        "孙八,sun,,文学院,干部,张湾村（菜地）,",  # row 8: bad place type
        "周九,zhou,dz,文学院,单位负责人,,",
    ]) + "\n")
    report = await import_roster(db, f)
    assert [n for n, _ in report.errors] == [3, 4, 5, 6, 7, 8]
    assert "姓名为空" in report.errors[0][1] and "未知角色「校长」" in report.errors[2][1]
    assert "与第 2 行重复" in report.errors[3][1]
    assert (report.created, report.updated) == (2, 0)
    zhang, zhou = await cadres(db)
    assert zhang.roles == ["cadre", "辅导员"] and zhou.roles == ["cadre", "unit_head"]
    async with db.session() as s:
        points = {(p.name, p.place_type) for p in await s.scalars(select(Point))}
    assert points == {("梅园3栋", "宿舍"), ("二食堂", "食堂")}


async def test_reimport_updates_never_duplicates(db, tmp_path):
    await import_roster(db, write(tmp_path, "张老师,zhang,,计算机学院,干部,梅园3栋,\n"))
    report = await import_roster(db, write(tmp_path, "张老师,zhang,,文学院,辅导员,桂园1栋,\n"))
    assert (report.created, report.updated) == (0, 1)
    (c,) = await cadres(db)
    assert c.unit.name == "文学院" and c.roles == ["cadre", "辅导员"]
    async with db.session() as s:
        assert [p.name for p in await s.scalars(select(Point))] == ["桂园1栋"]


async def test_gbk_csv_from_excel(db, tmp_path):
    f = write(tmp_path, "张老师,zhang,,计算机学院,干部,,\n", encoding="gb18030")
    assert (await import_roster(db, f)).created == 1


async def test_xlsx(db, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER.strip().split(","))
    ws.append(["张老师", "zhang", None, "计算机学院", "领导", "张湾村", 13800000000])
    p = tmp_path / "r.xlsx"
    wb.save(p)
    report = await import_roster(db, p)
    assert report.created == 1 and not report.errors
    (c,) = await cadres(db)
    assert c.roles == ["cadre", "leader"] and c.phone == "13800000000"


@pytest.mark.parametrize(("name", "content", "why"), [
    ("r.xlsx", b"not a zip", "无法读取 Excel"),
    ("r.csv", "姓名,手机号\n".encode(), "表头缺少列"),
    ("r.pdf", b"%PDF", "不支持的文件类型"),
    ("r.csv", b"", "文件是空的"),
])
async def test_broken_files_give_one_clear_error(db, tmp_path, name, content, why):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(RosterFileError, match=why):
        await import_roster(db, p)
    async with db.session() as s:
        assert await s.scalar(select(func.count(Cadre.id))) == 0


def test_place_type_guess():
    assert [guess_place_type(n) for n in ("梅园3栋", "二食堂", "张湾村", "楚天物流公司", "图书馆")] == [
        "宿舍", "食堂", "农户", "企业", "其他"]
