"""Unit names as people write them: full name, common short names, aliases, near misses.

Short names are computed from the full name (学生工作处 → 学工处 / 学生处 / 学工, 后勤保障处 →
后勤处, 马克思主义学院 → 马院, 计算机学院 → 计算机) plus the roster's optional `aliases`
column. A name that only resembles units is never acted on: the reply asks which one.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass

from storage.models import Unit
from storage.roster import all_units
from storage.tx import Tx

SUFFIXES = (
    "办公室",
    "委员会",
    "学院",
    "中心",
    "处",
    "部",
    "院",
    "室",
    "科",
    "所",
    "馆",
    "站",
    "队",
    "社区",
    "村",
    "街道",
)
# a unit named at the head of a question: 「马院逾期问题」「外语学院本月走访」 (not 各学院 / 本院 / 全校 /
# 上月各学院)
_QUESTION_UNIT = re.compile(
    r"^(?:请问|查一下|查下|看看|看一下)?(?P<u>(?![各全每本我这哪谁]|上个?月|上周|今年|去年)[\u4e00-\u9fff]{1,10}?(?:"
    + "|".join(SUFFIXES)
    + r"))(?=的|本月|上月|这个月|上个月|本周|上周|这周|今年|逾期|超期|未办结|没办结|已办结|待办|问题|走访|情况)"
)
# a question about every unit at once: 「各学院走访情况」「每个单位」「分单位」 (not 各位老师)
_PER_UNIT = re.compile(
    r"(?:各个?|每个)(?:二级)?(?:单位|部门|院系|系部|系|" + "|".join(SUFFIXES) + r")|(?:分|按)(?:单位|学院|部门)"
)
FUZZY_CUTOFF = 0.5
# a name offered for a question's unknown unit must share more than one character of two
# (「马院」 is not 「计院」, a short name of 计算机学院)
NEAR_CUTOFF = 0.6
MAX_SUGGESTIONS = 3


@functools.lru_cache(maxsize=4096)
def short_names(name: str) -> frozenset[str]:
    """Names people use for unit `name` besides the full one (may be empty)."""
    out: set[str] = set()
    suffix = next((s for s in SUFFIXES if name.endswith(s) and len(name) > len(s) + 1), "")
    body = name[: len(name) - len(suffix)] if suffix else name
    short_suffix = suffix[-1] if suffix else ""
    if suffix and len(body) >= 2:
        out.add(body)  # 计算机学院 → 计算机
    if len(body) >= 4:
        out.add(body[0] + body[2] + short_suffix)  # 学生工作处 → 学工处
        out.add(body[0] + body[2])  # 学工
        out.add(body[:2] + short_suffix)  # 学生处, 后勤处, 马克院…
    if len(body) >= 3 and suffix in ("学院", "院"):
        out.add(body[0] + "院")  # 马克思主义学院 → 马院
    out.discard(name)
    return frozenset(s for s in out if len(s) >= 2)


@dataclass(frozen=True)
class UnitMatch:
    """`unit` when the name means exactly one unit; otherwise `choices` to ask about
    (`ambiguous`: several units answer to the name; else the closest units to a miss)."""

    unit: Unit | None
    choices: tuple[str, ...] = ()
    ambiguous: bool = False


async def match_unit(session: Tx, name: str) -> UnitMatch:
    """The unit a person means by `name` (full name, short name, alias, near miss): a UnitMatch
    with one unit, several candidates to choose from, or none."""
    name = name.strip().removeprefix("给").removesuffix("吧").strip()
    units = await all_units(session)
    exact = [u for u in units if u.name == name]
    if exact:
        return UnitMatch(exact[0])
    for names_of in (_aliases, lambda u: short_names(u.name)):
        hits = [u for u in units if name in names_of(u)]
        if len(hits) == 1:
            return UnitMatch(hits[0])
        if len(hits) > 1:
            return UnitMatch(None, tuple(u.name for u in hits), ambiguous=True)
    contains = [u for u in units if name and name in u.name]
    if len(contains) == 1:
        return UnitMatch(contains[0])
    if len(contains) > 1:
        return UnitMatch(None, tuple(u.name for u in contains), ambiguous=True)
    return UnitMatch(None, closest(name, [u.name for u in units]))


def question_unit(text: str) -> str | None:
    """The unit-like name a question opens with (「马院逾期问题」 → 马院), or None."""
    m = _QUESTION_UNIT.match(text.strip())
    return m.group("u") if m else None


def asks_per_unit(text: str) -> bool:
    """Whether a question asks about every unit one by one (「本月各学院走访完成情况」)."""
    return _PER_UNIT.search(text) is not None


def closest(name: str, names: list[str], near_only: bool = False) -> tuple[str, ...]:
    """The units whose names look most like `name` (by characters in common), best first: those
    at least FUZZY_CUTOFF alike (NEAR_CUTOFF with `near_only`), else (unless `near_only`) the
    best few however unlike."""
    scored = sorted(
        ((max(_ratio(name, n), *(_ratio(name, s) for s in short_names(n))), n) for n in names), key=lambda t: -t[0]
    )
    cutoff = NEAR_CUTOFF if near_only else FUZZY_CUTOFF
    near = [n for score, n in scored if score >= cutoff][:MAX_SUGGESTIONS]
    return tuple(near or ([] if near_only else [n for _, n in scored[:MAX_SUGGESTIONS]]))


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


def _aliases(unit: Unit) -> set[str]:
    return set(getattr(unit, "aliases", None) or [])
