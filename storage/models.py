"""SQLAlchemy models: the only description of the schema (migrations are generated from it).

Times are stored as naive datetimes in the organisation's local time zone (config
`timezone`, default Asia/Shanghai); the injected clock produces the same kind of value.
Dates (visit date, deadline) are plain dates in that zone.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {dict[str, Any]: JSON, list[str]: JSON}


class Unit(Base):
    """单位 / 学院 / 部门 / 村(社区)."""

    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    aliases: Mapped[list[str] | None] = mapped_column(JSON)  # other names people use (学工处)


class Cadre(Base):
    """A registered user (党员干部). Roles: "cadre", "unit_head", "leader" plus duty roles
    named in config (e.g. "辅导员", "中层副职以上")."""

    __tablename__ = "cadres"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    roles: Mapped[list[str]] = mapped_column(default=list)
    phone: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    leave_from: Mapped[date | None] = mapped_column(Date)  # None: from when it was registered
    leave_until: Mapped[date | None] = mapped_column(Date)
    unit: Mapped[Unit] = relationship(lazy="joined")
    # loaded on purpose only (storage.roster.accounts): a message's sender never needs them
    accounts: Mapped[list[PlatformAccount]] = relationship(lazy="raise", cascade="all, delete-orphan")

    def has_role(self, role: str) -> bool:
        """True when `role` is one of the cadre's roster roles."""
        return role in (self.roles or [])


class PlatformAccount(Base):
    """A cadre's account on one platform: `channel` "wecom" (userid) or "dingtalk" (userId /
    staffId). One table for every platform, so a new platform adds rows, not columns; an
    account belongs to one cadre."""

    __tablename__ = "platform_accounts"
    __table_args__ = (UniqueConstraint("channel", "account_id", name="uq_platform_accounts_channel_account"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[str] = mapped_column(String(64))


class Point(Base):
    """包联点: a place assigned to a cadre (a dorm building, a class, a village, an enterprise)."""

    __tablename__ = "points"
    __table_args__ = (UniqueConstraint("cadre_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    place_type: Mapped[str] = mapped_column(String(10))


class InboundMessage(Base):
    """Every message a user sent, kept once per platform dedupe key. `reply` is the answer
    given, so a platform retry is answered again without being processed again."""

    __tablename__ = "inbound_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    sender: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str | None] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(12), default="received")  # received|handled|failed
    reply: Mapped[str | None] = mapped_column(Text)
    cadre_id: Mapped[int | None] = mapped_column(ForeignKey("cadres.id"))


class Visit(Base):
    """走访: one trip to the grassroots."""

    __tablename__ = "visits"
    __table_args__ = (Index("ix_visits_date_cadre", "date", "cadre_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    date: Mapped[date] = mapped_column(Date)
    place_type: Mapped[str] = mapped_column(String(10))
    place: Mapped[str | None] = mapped_column(String(200))
    people: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    cadre: Mapped[Cadre] = relationship(lazy="raise")


OPEN_STATUSES = ("new", "in_progress", "reopened")
"""Statuses of an item that still needs work (not 办结)."""


class ItemState:
    """What an item's status and deadlines say, shared by the table row (`Item`) and the plain
    records handlers hold (`storage.items.ItemRecord`, `ItemRow`)."""

    if TYPE_CHECKING:
        status: str
        deadline: date
        first_due: date | None

    @property
    def is_open(self) -> bool:
        """True while new, in progress or reopened."""
        return self.status in OPEN_STATUSES

    def is_overdue(self, today: date) -> bool:
        """True when open and its deadline is before `today`."""
        return self.is_open and self.deadline < today

    @property
    def assessed_deadline(self) -> date:
        """The deadline 按期办结 is measured against: the one in force when first due."""
        return self.first_due or self.deadline


class Item(ItemState, Base):
    """问题 / 诉求: one problem in the closed loop. `id` is the short number users see (#12).

    status: new → in_progress → resolved → closed; resolved → reopened (不满意) → …;
    revoked when its reporter undoes the record. 逾期 is derived (deadline < today and open)."""

    __tablename__ = "items"
    __table_args__ = (
        Index("ix_items_status_deadline", "status", "deadline"),
        Index("ix_items_created", "created_at"),
        Index("ix_items_status_created", "status", "created_at"),  # 本月未办结
        Index("ix_items_resolved", "resolved_at"),  # 效果清单 of a month (migration 0014)
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), index=True)
    category: Mapped[str] = mapped_column(String(20), index=True)
    text: Mapped[str] = mapped_column(Text)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    track: Mapped[str] = mapped_column(String(10), default="即办")  # 即办 | 包保
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="new")
    result: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    responded_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"))
    # The deadline in force when the item first fell due (set when a passed deadline is
    # changed); 按期办结 is measured against it, so a later extension cannot make it 按期.
    first_due: Mapped[date | None] = mapped_column(Date)
    owner: Mapped[Cadre] = relationship(foreign_keys=[owner_id], lazy="raise")
    reporter: Mapped[Cadre] = relationship(foreign_keys=[reporter_id], lazy="raise")
    unit: Mapped[Unit] = relationship(lazy="raise")

    @property
    def resolved_on_time(self) -> bool | None:
        """按期办结: None while not resolved."""
        if self.resolved_at is None:
            return None
        return self.resolved_at.date() <= self.assessed_deadline


class ItemEvent(Base):
    """Append-only history of an item: created, accepted, transferred, returned (退回),
    progress, resolved, followup, reopened, closed, edited, revoked, ext_request /
    ext_approved / ext_refused (延期), undone (data.event: the event undone). Never updated
    or deleted."""

    __tablename__ = "item_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("cadres.id"))
    at: Mapped[datetime] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Followup(Base):
    """回访: going back to the people served; rating 满意 / 基本满意 / 不满意."""

    __tablename__ = "followups"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"))
    rating: Mapped[str] = mapped_column(String(8))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime)
    source: Mapped[str] = mapped_column(String(8), default="干部", server_default="干部")  # 干部 | 群众


class GroupBinding(Base):
    """A platform group chat, optionally bound to a unit for its digests (unit_id NULL with
    is_leaders=True: the leaders' group that sees the whole organisation)."""

    __tablename__ = "group_bindings"
    __table_args__ = (UniqueConstraint("channel", "chat_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    is_leaders: Mapped[bool] = mapped_column(Boolean, default=False)
    webhook: Mapped[str | None] = mapped_column(String(500))


class Outbox(Base):
    """Every outbound message. Claimed by the sender, retried with backoff, given up after a
    bounded number of attempts (status failed). `dedupe_key` makes queuing idempotent."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(20))  # wecom | dingtalk | console
    target_kind: Mapped[str] = mapped_column(String(10))  # user | group | webhook | session
    target: Mapped[str] = mapped_column(String(500))
    msg_type: Mapped[str] = mapped_column(String(10), default="text")  # text | markdown | file
    body: Mapped[str] = mapped_column(Text)
    # pending | sending | sent | failed | obsolete (a held reminder that no longer applied)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    # What a scheduler reminder is about (job, person or item, period): re-checked and
    # rendered again just before sending (scheduler.held). None for other messages.
    subject: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Reminder(Base):
    """A reminder claimed once: key = rule:person:period. Inserting the key is the claim, so two
    scheduler processes or a restart mid-run can never send the same reminder twice."""

    __tablename__ = "reminders"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    cadre_id: Mapped[int | None] = mapped_column(ForeignKey("cadres.id"))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class JobRun(Base):
    """Last fire time of each scheduled job, for catch-up after downtime."""

    __tablename__ = "job_runs"
    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    last_fire_at: Mapped[datetime] = mapped_column(DateTime)


class CallbackSign(Base):
    """A DingTalk (timestamp, sign) header pair and the body it first came with: the pair is
    valid for an hour, so a second, different body under the same pair is a replay."""

    __tablename__ = "callback_signs"
    key: Mapped[str] = mapped_column(String(120), primary_key=True)  # "timestamp:sign"
    body_sha256: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime, index=True)


class Attachment(Base):
    """留痕: a picture, file (image or PDF) or location a cadre sent, attached to a visit or an
    item (role "result": the photo of an item's 办结). Pictures and files are downloaded in the
    background: pending → fetching (leased) → stored | failed (retries spent) | refused (not an
    image or PDF, too large); retried with backoff like the outbox. Stored bytes live in the blob
    store under `sha256` (content-addressed: the same picture twice is stored once); a row whose
    picture is already attached to the same target is `duplicate`. Locations are stored at once."""

    __tablename__ = "attachments"
    __table_args__ = (
        Index("ix_attachments_status_next", "status", "next_attempt_at"),
        Index("ix_attachments_cadre_created", "cadre_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(220), unique=True)  # inbound key + ":" + index
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"))
    channel: Mapped[str] = mapped_column(String(20))  # wecom | dingtalk
    sender: Mapped[str] = mapped_column(String(64))  # the platform user id (failure notices go there)
    kind: Mapped[str] = mapped_column(String(10))  # image | file | location
    source: Mapped[str | None] = mapped_column(String(300))  # MediaId / downloadCode; None for locations
    file_name: Mapped[str | None] = mapped_column(String(200))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    role: Mapped[str] = mapped_column(String(10), default="evidence")  # evidence | result
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    thumb_sha256: Mapped[str | None] = mapped_column(String(64))
    mime: Mapped[str | None] = mapped_column(String(40))
    size: Mapped[int | None] = mapped_column(Integer)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    label: Mapped[str | None] = mapped_column(String(200))  # a location's place name
    created_at: Mapped[datetime] = mapped_column(DateTime)
    stored_at: Mapped[datetime | None] = mapped_column(DateTime)


class ConsoleLink(Base):
    """A one-time sign-in link to the web console, issued by 「后台」 in chat. Only the
    SHA-256 of the token is stored; `used_at` set on first use (single use)."""

    __tablename__ = "console_links"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class RatingLink(Base):
    """A 回访链接 for the people served (「回访链接 #12」): one item, one round (the number of
    times the item was reopened when the link was made), single use. Only the SHA-256 of the
    token is stored; `used_at` is set on first use."""

    __tablename__ = "rating_links"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"))  # who asked for the link
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class RateSend(Base):
    """One send counted against a platform rate limit (key such as "wecom:user:zhang"), shared by
    every instance on the database (bot/outbound/ratelimit.py). Rows older than the longest
    window are deleted as new ones come."""

    __tablename__ = "rate_sends"
    __table_args__ = (Index("ix_rate_sends_key_at", "key", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime)
