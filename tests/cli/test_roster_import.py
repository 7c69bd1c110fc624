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
    f = write(
        tmp_path,
        "\n".join(
            [
                "张老师,zhang,,计算机学院,辅导员,梅园3栋（宿舍）、二食堂,13800000000",
                ",nobody,,计算机学院,干部,,",  # row 3: no name
                "李四,,,文学院,干部,,",  # row 4: no account
                "王五,wangwu,,文学院,校长,,",  # row 5: unknown role
                "赵六,zhang,,文学院,干部,,",  # row 6: duplicate account
                "钱七,qian,,文学院,干部,,12345",  # row 7: unreadable optional phone: imported without it
                "孙八,sun,,文学院,干部,张湾村（菜地）,",  # row 8: bad place type
                "周九,zhou,dz,文学院,单位负责人,,",
            ]
        )
        + "\n",
    )
    report = await import_roster(db, f)
    assert [n for n, _ in report.errors] == [3, 4, 5, 6, 8]
    assert "「姓名」为空" in report.errors[0][1] and "未知角色「校长」" in report.errors[2][1]
    assert "与第 2 行重复" in report.errors[3][1]
    assert report.warnings == [(7, "「手机号」无法识别（应为11位手机号或带区号的座机），未保存手机号")]
    assert (report.created, report.updated) == (3, 0)
    zhang, qian, zhou = await cadres(db)
    assert qian.phone is None
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


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("r.xlsx", b"not a zip", "无法读取 Excel"),
        ("r.csv", "姓名,手机号\n".encode(), "表头缺少列"),
        ("r.pdf", b"%PDF", "不支持的文件类型"),
        ("r.csv", b"", "文件是空的"),
    ],
)
async def test_broken_files_give_one_clear_error(db, tmp_path, name, content, why):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(RosterFileError, match=why):
        await import_roster(db, p)
    async with db.session() as s:
        assert await s.scalar(select(func.count(Cadre.id))) == 0


def test_place_type_guess():
    assert [guess_place_type(n) for n in ("梅园3栋", "二食堂", "张湾村", "楚天物流公司", "图书馆")] == [
        "宿舍",
        "食堂",
        "农户",
        "企业",
        "其他",
    ]


# -- spreadsheets the way Excel and exports leave them, through the real CLI --------------------


def run_roster_cli(tmp_path, path) -> tuple[int, str, str, list[tuple]]:
    """`minqing roster import PATH` in a subprocess; (code, stdout, stderr, cadre rows)."""
    import os
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    db_path = tmp_path / "roster.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINQING_")}
    env.update(PYTHONPATH=str(root), MINQING_DATABASE_URL=f"sqlite:///{db_path}")
    p = subprocess.run(
        [sys.executable, "-m", "bot.cli", "roster", "import", str(path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    rows = []
    if db_path.exists():
        with sqlite3.connect(db_path) as c:
            rows = c.execute(
                "select name, (select account_id from platform_accounts a where a.cadre_id = cadres.id"
                " and a.channel = 'wecom'), (select account_id from platform_accounts a where"
                " a.cadre_id = cadres.id and a.channel = 'dingtalk'), phone from cadres order by id"
            ).fetchall()
    return p.returncode, p.stdout, p.stderr, rows


def test_cli_tab_separated_title_row_aliases_and_numbers_recovered(tmp_path):
    body = (
        "\n".join(
            [
                "2026年下基层察民情干部名单（截至11月）",  # a title row above the header
                "",
                "序号\t干部姓名\t企业微信ID\t钉钉userId\t所在单位\t角色\t包联点\t联系电话",
                "1\t张老师\t20210001.0\t\t计算机学院\t辅导员\t梅园3栋\t138-0013-8000",
                "2\t李老师\t1.3900000003E+10\t\t计算机学院\t干部\t\t+86 139 0000 3333",
                "3\t王老师\twang\t205623512826311087\t文学院\t干部\t\t(0086)139-0000-4444",
                "4\t赵老师\tzhao\t\t文学院\t干部\t\t１３９ ００００ ５５５５",
                "5\t钱老师\tqian\t\t文学院\t干部\t\t13900000003.0",
                "6\t孙老师\tsun\t\t文学院\t干部\t\t027-8765 4321",
            ]
        )
        + "\n"
    )
    f = tmp_path / "名单.csv"
    f.write_bytes(b"\xef\xbb\xbf" + body.encode())
    code, out, err, rows = run_roster_cli(tmp_path, f)
    assert code == 0, out + err
    assert out.splitlines()[0] == "导入完成：新增 6 人，更新 0 人，错误 0 行"
    assert rows == [
        ("张老师", "20210001", None, "13800138000"),
        ("李老师", "13900000003", None, "13900003333"),
        ("王老师", "wang", "205623512826311087", "13900004444"),
        ("赵老师", "zhao", None, "13900005555"),
        ("钱老师", "qian", None, "13900000003"),
        ("孙老师", "sun", None, "027-87654321"),
    ]


def test_cli_digits_lost_to_scientific_notation_are_refused_with_the_row(tmp_path):
    f = tmp_path / "r.csv"
    f.write_text(
        "姓名;企业微信账号;钉钉ID;单位;手机号\n"
        "张老师;zhang;2.05623E+17;计算机学院;\n"
        "李老师;li;;计算机学院;1.39E+10\n"
        "王老师;2.0210001E+7;;计算机学院;\n",
        encoding="gb18030",
    )
    code, out, _err, rows = run_roster_cli(tmp_path, f)
    assert code == 1
    assert out.splitlines() == [
        "导入完成：新增 2 人，更新 0 人，错误 1 行",
        "  第 2 行：「钉钉ID」的数字已被表格软件改写、位数丢失，该列请设为文本格式后重新导出",
        "  第 3 行（已导入）：「手机号」的数字已被表格软件改写、位数丢失，未保存手机号；该列请设为文本格式后重新导出",
    ]
    assert rows == [("李老师", "li", None, None), ("王老师", "20210001", None, None)]


def test_cli_xlsx_numeric_cells(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["民情通名单"])
    ws.append(["姓名", "企业微信账号", "钉钉账号", "单位", "手机号"])
    ws.append(["张老师", 20210001.0, None, "计算机学院", 13900000003.0])
    ws.append(["李老师", "li", 205623512826311087.0, "计算机学院", None])  # 18 digits as a float: lost
    ws.append(["王老师", "wang", "205623512826311087", "计算机学院", 13800138000])  # a text cell, an int cell
    p = tmp_path / "r.xlsx"
    wb.save(p)
    code, out, _err, rows = run_roster_cli(tmp_path, p)
    assert code == 1
    assert (
        out.splitlines()[1] == "  第 4 行：「钉钉账号」的数字已被表格软件改写、位数丢失，该列请设为文本格式后重新导出"
    )
    assert rows == [
        ("张老师", "20210001", None, "13900000003"),
        ("王老师", "wang", "205623512826311087", "13800138000"),
    ]


def test_cli_header_after_the_first_rows_is_refused_saying_where_it_must_be(tmp_path):
    f = tmp_path / "r.csv"
    f.write_text("说明\n" * 12 + HEADER + "张老师,zhang,,计算机学院,干部,,\n", encoding="utf-8")
    code, _out, err, rows = run_roster_cli(tmp_path, f)
    assert code == 1 and rows == []
    assert err.strip() == (
        "名单文件错误 roster error: 表头缺少列：姓名、单位（需要：姓名、企业微信账号、钉钉账号、单位、角色、"
        "包联点、手机号、单位简称）；表头须在前 10 行内、在数据之前"
    )


async def test_unit_short_names_from_the_roster_become_unit_aliases(db, tmp_path):
    from sqlalchemy import select

    from bot.roster_import import import_roster
    from storage.models import Unit

    f = tmp_path / "r.csv"
    f.write_text("姓名,企业微信账号,单位,单位简称\n孙处长,sun,学生工作处,学工部、学生处\n", encoding="utf-8")
    report = await import_roster(db, f)
    assert not report.errors
    async with db.session() as s:
        unit = await s.scalar(select(Unit).where(Unit.name == "学生工作处"))
    assert sorted(unit.aliases) == ["学工部", "学生处"]
