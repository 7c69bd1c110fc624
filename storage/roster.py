"""Roster queries: units, cadres, points. Import is idempotent: keyed by platform account."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, func, literal, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Cadre, GroupBinding, PlatformAccount, Point, Unit


@dataclass(frozen=True)
class UnitRef:
    """A unit by number and name."""

    id: int
    name: str


@dataclass(frozen=True)
class CadreRecord:
    """A cadre as the rest of the code sees one: plain data. roles: roster roles; leave_from /
    leave_until: the current or next leave (None: none); unit: the cadre's unit."""

    id: int
    name: str
    unit_id: int
    unit: UnitRef
    roles: tuple[str, ...]
    active: bool
    leave_from: date | None
    leave_until: date | None

    def has_role(self, role: str) -> bool:
        """True when `role` is one of the cadre's roster roles."""
        return role in self.roles


@dataclass(frozen=True)
class RosterRow:
    """One validated roster line (see bot/roster_import.py for the file format)."""

    name: str
    unit: str
    roles: tuple[str, ...]
    platform_ids: tuple[tuple[str, str], ...]  # (platform, account id): the roster's account columns
    points: tuple[tuple[str, str], ...]  # (name, place_type)
    phone: str | None = None
    unit_aliases: tuple[str, ...] = ()  # other names of the unit (学工处), added to units.aliases

    def accounts(self) -> dict[str, str]:
        """{channel: account id} the row names (one account column per platform: 企业微信账号, 钉钉账号, …)."""
        return {ch: acct for ch, acct in self.platform_ids if acct}


async def get_or_create_unit(session: AsyncSession, name: str) -> Unit:
    """The unit called `name`, created when missing (flushed, not committed)."""
    unit = await session.scalar(select(Unit).where(Unit.name == name))
    if unit is None:
        unit = Unit(name=name)
        session.add(unit)
        await session.flush()
    return unit


async def find_unit(session: AsyncSession, name: str) -> Unit | None:
    """Exact name first, then a unique unit whose name contains `name` (计算机 → 计算机学院)."""
    unit = await session.scalar(select(Unit).where(Unit.name == name))
    if unit is not None:
        return unit
    rows = list(await session.scalars(select(Unit).where(Unit.name.contains(name)).limit(2)))
    return rows[0] if len(rows) == 1 else None


async def upsert_cadre(session: AsyncSession, row: RosterRow) -> tuple[Cadre, bool]:
    """Insert or update the cadre identified by any of its platform accounts; the row's account
    on a platform replaces the cadre's earlier one there. Returns (cadre, created)."""
    wanted = row.accounts()
    conds = [(PlatformAccount.channel == ch) & (PlatformAccount.account_id == acct) for ch, acct in wanted.items()]
    cadre = (
        await session.scalar(
            select(Cadre).join(PlatformAccount, PlatformAccount.cadre_id == Cadre.id).where(or_(*conds)).limit(1)
        )
        if conds
        else None
    )
    unit = await get_or_create_unit(session, row.unit)
    if row.unit_aliases and not set(row.unit_aliases) <= set(unit.aliases or []):
        unit.aliases = sorted(set(unit.aliases or []) | set(row.unit_aliases))  # 学工处 → 学生工作处
    created = cadre is None
    if cadre is None:
        cadre = Cadre(name=row.name, unit_id=unit.id)
        session.add(cadre)
    cadre.name = row.name
    cadre.unit_id = unit.id
    cadre.roles = list(row.roles)
    cadre.phone = row.phone or cadre.phone
    cadre.active = True
    await session.flush()
    await _set_accounts(session, cadre.id, wanted)
    existing = {p.name: p for p in await session.scalars(select(Point).where(Point.cadre_id == cadre.id))}
    points = dict(row.points)
    for name, point in existing.items():
        if name not in points:
            await session.delete(point)
        else:
            point.place_type = points[name]
    for name, place_type in points.items():
        if name not in existing:
            session.add(Point(cadre_id=cadre.id, name=name, place_type=place_type))
    await session.flush()
    return cadre, created


async def _set_accounts(session: AsyncSession, cadre_id: int, wanted: dict[str, str]) -> None:
    """Give cadre `cadre_id` exactly the account `wanted[channel]` on each channel named (its
    other accounts on those channels go); channels not named keep theirs."""
    if not wanted:
        return
    rows = list(
        await session.scalars(
            select(PlatformAccount).where(
                PlatformAccount.cadre_id == cadre_id, PlatformAccount.channel.in_(list(wanted))
            )
        )
    )
    have = {(r.channel, r.account_id) for r in rows}
    for r in rows:
        if wanted[r.channel] != r.account_id:
            await session.delete(r)
    await session.flush()
    for channel, account in wanted.items():
        if (channel, account) not in have:
            session.add(PlatformAccount(cadre_id=cadre_id, channel=channel, account_id=account))
    await session.flush()


ACTING_CHANNELS = ("console", "web")  # every other channel is a platform (bot/<name>/), any number of them


def _on_channel(channel: str) -> Any:
    """Accounts a channel's user ids are looked up in: a platform's own; the console and the web
    console act as the cadre and accept any platform's."""
    return true() if channel in ACTING_CHANNELS else PlatformAccount.channel == channel


async def cadre_by_platform_id(session: AsyncSession, channel: str, user_id: str) -> Cadre | None:
    """The active cadre behind a platform user id."""
    return await session.scalar(
        select(Cadre)
        .join(PlatformAccount, PlatformAccount.cadre_id == Cadre.id)
        .where(_on_channel(channel), PlatformAccount.account_id == user_id, Cadre.active.is_(True))
        .order_by(Cadre.id)
        .limit(1)
    )


async def accounts(session: AsyncSession, cadre_id: int) -> dict[str, str]:
    """{channel: account id} of cadre `cadre_id` ("wecom", "dingtalk"); the lowest id when a
    channel has more than one (a DingTalk userId and staffId)."""
    found: dict[str, str] = {}
    for channel, account in await session.execute(
        select(PlatformAccount.channel, PlatformAccount.account_id)
        .where(PlatformAccount.cadre_id == cadre_id)
        .order_by(PlatformAccount.id)
    ):
        found.setdefault(channel, account)
    return found


@cache
def _cadres_stmt(channel: str) -> Any:  # a cached Select of (id, name, unit_id, account_id)
    return (
        select(Cadre.id, Cadre.name, Cadre.unit_id, PlatformAccount.account_id)
        .join(PlatformAccount, PlatformAccount.cadre_id == Cadre.id)
        .where(
            _on_channel(channel),
            PlatformAccount.account_id.in_(bindparam("ids", expanding=True)),
            Cadre.active.is_(True),
        )
        .order_by(Cadre.id)
    )


class Sender(NamedTuple):
    """What recording needs to know about a cadre: who owns the records, where, named how."""

    id: int
    name: str
    unit_id: int


def cadres_by_platform_ids(conn: Connection, channel: str, user_ids: Iterable[str]) -> dict[str, Sender]:
    """{user id: active cadre} for many senders at once."""
    wanted = set(user_ids)
    if not wanted:
        return {}
    found: dict[str, Sender] = {}
    for cadre_id, name, unit_id, uid in conn.execute(_cadres_stmt(channel), {"ids": list(wanted)}):
        found.setdefault(uid, Sender(cadre_id, name, unit_id))
    return found


async def find_cadre_by_name(session: AsyncSession, name: str, unit_id: int | None = None) -> list[Cadre]:
    """Active cadres whose name is exactly `name`, in unit `unit_id` when given (a list: names
    are not unique)."""
    q = select(Cadre).where(Cadre.name == name, Cadre.active.is_(True))
    if unit_id is not None:
        q = q.where(Cadre.unit_id == unit_id)
    return list(await session.scalars(q))


async def unit_heads(session: AsyncSession, unit_id: int) -> list[Cadre]:
    """Active heads (role unit_head) of unit `unit_id`."""
    rows = await session.scalars(
        select(Cadre).where(Cadre.unit_id == unit_id, Cadre.active.is_(True)).order_by(Cadre.id)
    )
    return [c for c in rows if c.has_role("unit_head")]


async def count_cadres(session: AsyncSession) -> int:
    """Number of cadres in the roster (active or not)."""
    return await session.scalar(select(func.count(Cadre.id))) or 0


async def bind_group(
    session: AsyncSession,
    channel: str,
    chat_id: str,
    unit_id: int | None,
    is_leaders: bool = False,
    webhook: str | None = None,
) -> GroupBinding:
    """Bind a group chat to a unit (or mark it as the leaders' group); rebinding updates."""
    g = await session.scalar(
        select(GroupBinding).where(GroupBinding.channel == channel, GroupBinding.chat_id == chat_id)
    )
    if g is None:
        g = GroupBinding(channel=channel, chat_id=chat_id)
        session.add(g)
    g.unit_id, g.is_leaders = unit_id, is_leaders
    if webhook:
        g.webhook = webhook
    await session.flush()
    return g


class UnknownUnit(LookupError):
    """A [[groups]] entry names a unit the roster does not have."""

    def __init__(self, index: int, unit: str, hint: str) -> None:
        super().__init__(unit)
        self.index, self.unit, self.hint = index, unit, hint


async def sync_group_config(session: AsyncSession, groups: Sequence[Any]) -> int:
    """Bind each configured group (objects with channel, chat_id, unit, leaders, webhook) exactly
    as configured: unit, leaders flag and webhook (None clears it). Returns how many.
    Raises UnknownUnit (nothing written: the caller's transaction rolls back)."""
    import difflib

    units = {u.name: u.id for u in await session.scalars(select(Unit))}
    for n, g in enumerate(groups):
        unit_id = None
        if g.unit:
            if g.unit not in units:
                near = difflib.get_close_matches(g.unit, list(units), n=1, cutoff=0.5)
                raise UnknownUnit(n, g.unit, f" (did you mean {near[0]}?)" if near else " (import the roster first)")
            unit_id = units[g.unit]
        binding = await bind_group(session, g.channel, g.chat_id, unit_id, is_leaders=g.leaders)
        binding.webhook = g.webhook or None
    await session.flush()
    return len(groups)


async def all_units(session: AsyncSession) -> list[Unit]:
    """Every unit, in id order (for matching the names people write)."""
    return list(await session.scalars(select(Unit).order_by(Unit.id)))


async def active_cadres(session: AsyncSession) -> list[Cadre]:
    """Every active cadre, in id order."""
    return list(await session.scalars(select(Cadre).where(Cadre.active.is_(True)).order_by(Cadre.id)))


class NameRow(NamedTuple):
    id: int
    name: str


class UnitNames(NamedTuple):
    id: int
    name: str
    aliases: list[str] | None


async def active_cadre_names(session: AsyncSession, unit_id: int | None = None) -> list[NameRow]:
    """(id, name) of every active cadre (of unit `unit_id` when given), in id order: names only,
    for finding a person named in a question or listing a unit's cadres."""
    q = select(Cadre.id, Cadre.name).where(Cadre.active.is_(True)).order_by(Cadre.id)
    if unit_id is not None:
        q = q.where(Cadre.unit_id == unit_id)
    return [NameRow(i, n) for i, n in await session.execute(q)]


async def cadre_names_in(session: AsyncSession, text: str, surnames: Iterable[str] = ()) -> list[NameRow]:
    """(id, name) of the active cadres whose full name occurs in `text` or starts with one of
    `surnames`, in id order: the candidates for the person a question names, without reading
    the whole roster (a LIKE over the names, in the database)."""
    named = literal(text).contains(Cadre.name)
    initials = list(dict.fromkeys(surnames))
    if initials:
        named = or_(named, func.substr(Cadre.name, 1, 1).in_(initials))
    q = select(Cadre.id, Cadre.name).where(Cadre.active.is_(True), func.length(Cadre.name) > 0, named)
    return [NameRow(i, n) for i, n in await session.execute(q.order_by(Cadre.id))]


async def unit_names(session: AsyncSession) -> list[UnitNames]:
    """(id, name, aliases) of every unit, in id order: for finding a unit named in a question
    and for the console's unit choices."""
    return [
        UnitNames(i, n, a)
        for i, n, a in await session.execute(select(Unit.id, Unit.name, Unit.aliases).order_by(Unit.id))
    ]


async def cadre_names(session: AsyncSession, cadre_ids: Iterable[int | None]) -> dict[int, str]:
    """Cadre id → name for those of `cadre_ids` that exist (None ids are skipped)."""
    wanted = {i for i in cadre_ids if i is not None}
    if not wanted:
        return {}
    return {i: n for i, n in await session.execute(select(Cadre.id, Cadre.name).where(Cadre.id.in_(wanted)))}


async def cadre_name(session: AsyncSession, cadre_id: int) -> str | None:
    """The name of cadre `cadre_id` (active or not), None when there is no such cadre."""
    return await session.scalar(select(Cadre.name).where(Cadre.id == cadre_id))


_CADRE_QUERY = select(
    Cadre.id, Cadre.name, Cadre.unit_id, Unit.name, Cadre.roles, Cadre.active, Cadre.leave_from, Cadre.leave_until
).join(Unit, Unit.id == Cadre.unit_id)


async def get_cadre(session: AsyncSession, cadre_id: int) -> CadreRecord | None:
    """Cadre `cadre_id` (active or not) as plain data with its unit, None when there is no such cadre."""
    row = (await session.execute(_CADRE_QUERY.where(Cadre.id == cadre_id))).first()
    if row is None:
        return None
    cid, name, unit_id, unit_name, roles, active, leave_from, leave_until = row
    return CadreRecord(
        cid, name, unit_id, UnitRef(unit_id, unit_name), tuple(roles or ()), bool(active), leave_from, leave_until
    )


async def set_leave(session: AsyncSession, cadre_id: int, leave_from: date | None, leave_until: date | None) -> None:
    """Record cadre `cadre_id`'s leave (请假: from `leave_from`, None = from today, until
    `leave_until`); both None: back from leave (销假)."""
    await session.execute(
        update(Cadre)
        .where(Cadre.id == cadre_id)
        .values(leave_from=leave_from, leave_until=leave_until)
        .execution_options(synchronize_session=False)
    )


async def get_unit(session: AsyncSession, unit_id: int) -> Unit | None:
    """Unit `unit_id`, None when there is no such unit."""
    return await session.get(Unit, unit_id)


async def get_group(session: AsyncSession, group_id: int) -> GroupBinding | None:
    """The group binding with row id `group_id`, None when it is gone."""
    return await session.get(GroupBinding, group_id)
