"""Unit names as people write them."""

from __future__ import annotations

import pytest

from handlers.units import closest, match_unit, short_names
from storage.models import Unit


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("学生工作处", "学工处"),
        ("学生工作处", "学生处"),
        ("后勤保障处", "后勤处"),
        ("马克思主义学院", "马院"),
        ("计算机学院", "计算机"),
    ],
)
def test_short_names_are_computed_from_the_name(name, short):
    assert short in short_names(name)


def test_closest_units_to_a_miss():
    assert closest("计算机系", ["后勤处", "计算机学院", "学生工作处"])[0] == "计算机学院"


async def test_match_by_alias_short_name_and_ambiguity(db):
    async with db.write() as s:
        s.add_all([Unit(name="学生工作处"), Unit(name="研究生工作处", aliases=["研工部"]), Unit(name="后勤处")])
    async with db.session() as s:
        assert (await match_unit(s, "学工处")).unit.name == "学生工作处"
        assert (await match_unit(s, "研工部")).unit.name == "研究生工作处"
        m = await match_unit(s, "工作处")
        assert (m.unit, m.ambiguous, set(m.choices)) == (None, True, {"学生工作处", "研究生工作处"})
        miss = await match_unit(s, "火星处")
        assert miss.unit is None and not miss.ambiguous and miss.choices
