"""Builders for scheduler tests: rows made with the models directly, settings, a sender."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from scheduler.delivery import RecordingSender
from scheduler.settings import SchedulerSettings, parse_settings
from storage.models import Cadre, GroupBinding, Item, Outbox, PlatformAccount, Point, Reminder, Unit, Visit


@pytest.fixture
def settings() -> SchedulerSettings:
    # no administrator's holidays file: a data/holidays.toml on the developer's machine must
    # not change what the tests see
    return parse_settings({"holidays": {"file": False}})


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


async def add(db, *rows) -> None:
    async with db.write() as s:
        s.add_all(rows)


def unit(uid: int, name: str | None = None) -> Unit:
    return Unit(id=uid, name=name or f"单位{uid}")


def cadre(
    cid: int,
    unit_id: int = 1,
    name: str | None = None,
    roles=("cadre",),
    leave_until: date | None = None,
    active: bool = True,
) -> Cadre:
    return Cadre(
        id=cid,
        name=name or f"干部{cid}",
        unit_id=unit_id,
        roles=list(roles),
        accounts=[PlatformAccount(channel="wecom", account_id=f"u{cid}")],
        leave_until=leave_until,
        active=active,
    )


def point(pid: int, cadre_id: int, name: str, place_type: str = "宿舍") -> Point:
    return Point(id=pid, cadre_id=cadre_id, name=name, place_type=place_type)


def visit(
    cadre_id: int,
    day: date,
    place_type: str = "宿舍",
    place: str | None = None,
    unit_id: int = 1,
    revoked: bool = False,
) -> Visit:
    at = datetime.combine(day, datetime.min.time()).replace(hour=15)
    return Visit(
        cadre_id=cadre_id,
        unit_id=unit_id,
        date=day,
        place_type=place_type,
        place=place,
        text="走访",
        created_at=at,
        revoked_at=at if revoked else None,
    )


def item(
    iid: int,
    owner_id: int,
    deadline: date,
    *,
    unit_id: int = 1,
    status: str = "in_progress",
    created_at: datetime | None = None,
    responded_at: datetime | None = None,
    resolved_at: datetime | None = None,
    category: str = "宿舍",
    text: str = "热水器坏了",
    reporter_id: int | None = None,
) -> Item:
    created = created_at or datetime(2026, 9, 1, 10, 0)
    if responded_at is None and status != "new":
        responded_at = created
    return Item(
        id=iid,
        category=category,
        text=text,
        reporter_id=reporter_id or owner_id,
        owner_id=owner_id,
        unit_id=unit_id,
        deadline=deadline,
        status=status,
        created_at=created,
        responded_at=responded_at,
        resolved_at=resolved_at,
    )


def group(gid: int, unit_id: int | None, channel: str = "wecom", leaders: bool = False) -> GroupBinding:
    return GroupBinding(id=gid, channel=channel, chat_id=f"chat{gid}", unit_id=unit_id, is_leaders=leaders)


async def count(db, model) -> int:
    async with db.session() as s:
        return (await s.execute(select(func.count()).select_from(model))).scalar_one()


async def reminder_keys(db) -> set[str]:
    async with db.session() as s:
        return set(await s.scalars(select(Reminder.key)))


async def outbox_rows(db) -> list[Outbox]:
    async with db.session() as s:
        return list(await s.scalars(select(Outbox).order_by(Outbox.id)))


# --- delivery side: the real outbox worker with a recording, console-only delivery ----------


class RecordingDelivery:
    """Stands in for bot.outbound.delivery.Delivery: records (clock time, recipient, text);
    `fail` makes the next that many sends raise a retryable error."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self.sent: list[tuple[datetime, str, str]] = []
        self.fail = 0

    def effective(self, route, now):
        return route

    def spans(self, route, msg_type, text):
        return [(0, len(text))]

    def rate(self, route):
        return None

    async def send(self, route, msg_type, text, now) -> None:
        from handlers.errors import TransientError

        if self.fail:
            self.fail -= 1
            raise TransientError("network down")
        self.sent.append((self.clock.now(), route.name, text))


def make_worker(db, clock, settings, policy=None):
    """(worker, delivery): the product's OutboxWorker deciding at delivery with `settings`."""
    from bot.config import Config
    from bot.outbound.worker import OutboxWorker
    from handlers.policy import Policy
    from scheduler.held import Held

    delivery = RecordingDelivery(clock)
    worker = OutboxWorker(db, Config(), delivery, clock, held=Held(db, settings, policy or Policy()))
    return worker, delivery


async def drain(worker) -> None:
    while await worker.run_once():
        pass
