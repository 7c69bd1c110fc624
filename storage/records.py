"""Writing new records (visits, items and their "created" events) many at a time.

A new record is a plain dataclass, not an ORM object (building and tracking ORM instances
cost more than the inserts themselves); each table gets one multi-row INSERT per batch
(storage/bulk.py), and the new ids come back through RETURNING (id, message_id). A message has at most
one visit; its items get their ids in the order they are listed, because ids are assigned
in the order rows are inserted (SQLite rowids, PostgreSQL sequences) and a message's items
are inserted in order within one statement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table

from storage.bulk import insert_rows
from storage.models import Item, ItemEvent, Visit
from storage.roster import Sender

_VISITS: Table = Visit.__table__  # type: ignore[assignment]
_ITEMS: Table = Item.__table__  # type: ignore[assignment]
_EVENTS: Table = ItemEvent.__table__  # type: ignore[assignment]

_IDS = ("id", "message_id")


@dataclass
class NewVisit:
    cadre_id: int
    unit_id: int
    date: date
    place_type: str
    place: str | None
    people: int | None
    text: str
    message_id: int
    created_at: datetime
    id: int | None = None

    def values(self) -> dict[str, Any]:
        """The row to insert into visits (column → value)."""
        return {
            "cadre_id": self.cadre_id,
            "unit_id": self.unit_id,
            "date": self.date,
            "place_type": self.place_type,
            "place": self.place,
            "people": self.people,
            "text": self.text,
            "message_id": self.message_id,
            "created_at": self.created_at,
            "revoked_at": None,
        }


@dataclass
class NewItem:
    """A problem just raised: owned by its reporter (首接首办), status new."""

    owner: Sender
    category: str
    text: str
    track: str
    deadline: date
    message_id: int
    created_at: datetime
    visit: NewVisit | None = None
    id: int | None = None
    status: str = "new"
    alternative: str | None = None  # the category model's second choice when unsure (reply only)

    def is_overdue(self, today: date) -> bool:
        """True when the deadline is before `today` (a new item is open)."""
        return self.deadline < today  # a new item is open

    def values(self) -> dict[str, Any]:
        """The row to insert into items (column → value); needs the visit inserted first for visit_id."""
        return {
            "visit_id": self.visit.id if self.visit else None,
            "category": self.category,
            "text": self.text,
            "reporter_id": self.owner.id,
            "owner_id": self.owner.id,
            "unit_id": self.owner.unit_id,
            "track": self.track,
            "deadline": self.deadline,
            "status": self.status,
            "result": None,
            "created_at": self.created_at,
            "responded_at": None,
            "resolved_at": None,
            "closed_at": None,
            "message_id": self.message_id,
        }


def insert_visits(conn: Connection, visits: Sequence[NewVisit]) -> None:
    """Insert the visits (at most one per message) and set their ids."""
    if not visits:
        return
    ids = {
        message_id: new_id
        for new_id, message_id in insert_rows(conn, _VISITS, [v.values() for v in visits], returning=_IDS)
    }
    for v in visits:
        v.id = ids[v.message_id]


def insert_items(conn: Connection, items: Sequence[NewItem]) -> None:
    """Insert the items (after their visits), set their ids, and log each one's "created"
    event by its reporter."""
    if not items:
        return
    ids: dict[int, list[int]] = defaultdict(list)
    for new_id, message_id in insert_rows(conn, _ITEMS, [i.values() for i in items], returning=_IDS):
        ids[message_id].append(new_id)
    for message_ids in ids.values():
        message_ids.sort(reverse=True)
    for i in items:  # in listed order: each message's smallest remaining id
        i.id = ids[i.message_id].pop()
    insert_rows(
        conn,
        _EVENTS,
        [
            {"item_id": i.id, "kind": "created", "actor_id": i.owner.id, "at": i.created_at, "note": None, "data": {}}
            for i in items
        ],
    )
