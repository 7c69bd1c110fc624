"""Result types of the parser."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class ParsedVisit:
    """A visit that happened: when, where and how many people were met."""

    date: date
    place_type: str
    place: str | None
    people: int | None


@dataclass(frozen=True)
class ParsedItem:
    """One problem or need raised, with its category; `alternative` is the category model's
    second choice when it is unsure between the two, or its likeliest real category when the item
    fell back to 其他 (else None)."""

    category: str
    text: str
    alternative: str | None = None


@dataclass(frozen=True)
class ParsedQuery:
    """A question about records."""

    subject: str
    status: str
    period: str
    category: str | None
    mine: bool


@dataclass(frozen=True)
class Parsed:
    """What a message means."""

    intent: str  # "visit" | "issue" | "query" | "resolve" | "other"
    visit: ParsedVisit | None
    items: tuple[ParsedItem, ...]
    query: ParsedQuery | None
    resolve_ref: int | None

    def to_json(self, id: str) -> dict[str, Any]:
        """The corpus shape: {"id", "intent", "visit", "items", "query", "resolve"}."""
        visit = None
        if self.visit is not None:
            visit = {
                "date": self.visit.date.isoformat(),
                "place_type": self.visit.place_type,
                "place": self.visit.place,
                "people": self.visit.people,
            }
        query = None
        if self.query is not None:
            query = {
                "subject": self.query.subject,
                "status": self.query.status,
                "period": self.query.period,
                "category": self.query.category,
                "mine": self.query.mine,
            }
        return {
            "id": id,
            "intent": self.intent,
            "visit": visit,
            "items": [{"category": i.category, "text": i.text} for i in self.items],
            "query": query,
            "resolve": {"ref": self.resolve_ref} if self.resolve_ref is not None else None,
        }
