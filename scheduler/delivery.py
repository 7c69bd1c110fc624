"""Senders and the claim-then-queue step every job ends with.

A job plans `Envelope`s: the reminder keys a message carries and a function that renders
the message(s) from the keys actually claimed. `deliver` claims all keys in one transaction
(INSERT … ON CONFLICT DO NOTHING), renders only what was claimed, hands it to the sender
in the same transaction and links the claims to the queued rows. If anything fails the
transaction rolls back as a whole: claims and queued messages exist together or not at all,
so two concurrent runs or a restart mid-run never double a reminder.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from storage import outbox, sweeps
from storage.db import Database
from storage.notice import Address, Notice
from storage.tx import Tx


class Sender(Protocol):
    async def send(
        self,
        session: Tx,
        messages: Sequence[Notice],
        now: datetime,
    ) -> list[int | None]:
        """Queue `messages` in the caller's transaction; return an outbox id (or None) each."""
        ...


class OutboxSender:
    """The real sender: queues into the outbox; the outbox worker delivers later."""

    async def send(
        self,
        session: Tx,
        messages: Sequence[Notice],
        now: datetime,
    ) -> list[int | None]:
        """Queue `messages` in the outbox within `session` (sent after commit); one outbox id each."""
        return await outbox.enqueue(session, messages, now)


@dataclass
class RecordingSender:
    """Keeps what it was given (tests, previews). `fail_after` raises after that many
    messages in one call, to simulate a crash mid-run."""

    sent: list[Notice] = field(default_factory=list)
    fail_after: int | None = None

    async def send(
        self,
        session: Tx,
        messages: Sequence[Notice],
        now: datetime,
    ) -> list[int | None]:
        """Keep `messages` in `sent`; None for each. RuntimeError when more than `fail_after` are given."""
        if self.fail_after is not None and len(messages) > self.fail_after:
            raise RuntimeError("simulated crash mid-run")
        self.sent.extend(messages)
        return [None] * len(messages)


@dataclass
class Envelope:
    """The claims a message carries and how to render it from the claimed subset."""

    claims: list[tuple[str, int | None]]  # (reminder key, cadre id or None)
    render: Callable[[list[str]], list[Notice]]  # claimed keys (in claims order) → messages


async def deliver(
    db: Database,
    now: datetime,
    sender: Sender,
    envelopes: list[Envelope],
    *,
    dry_run: bool = False,
) -> list[Notice]:
    """Claim, render and queue `envelopes` atomically; return the messages queued (or, with
    `dry_run`, those that would be: nothing is written)."""
    all_claims = [c for e in envelopes for c in e.claims]
    if not all_claims:
        return []
    if dry_run:
        async with db.session() as s:
            taken = await sweeps.existing_keys(s, [k for k, _ in all_claims])
        return [m for e in envelopes for m in _render(e, {k for k, _ in e.claims} - taken)]
    async with db.write() as s:
        # The claim must be the transaction's first statement: on SQLite it takes the write
        # lock before anything is read, so a concurrent run waits instead of failing.
        claimed = await sweeps.claim_keys(s, all_claims, now)
        out: list[Notice] = []
        owners: list[list[str]] = []
        for e in envelopes:
            keys = [k for k, _ in e.claims if k in claimed]
            msgs = _render(e, set(keys))
            out.extend(msgs)
            owners.extend([keys] * len(msgs))
        ids = await sender.send(s, out, now) if out else []
        links: dict[str, int] = {}
        for keys, oid in zip(owners, ids, strict=True):
            if oid is not None:
                for k in keys:
                    links.setdefault(k, oid)
        await sweeps.link_reminders(s, links)
    return out


def _render(e: Envelope, claimed: set[str]) -> list[Notice]:
    keys = [k for k, _ in e.claims if k in claimed]
    if not keys:
        return []
    msgs = e.render(keys)
    # Parts are numbered per recipient (an envelope may address several, e.g. every leader).
    total = Counter(m.to for m in msgs)
    seen: Counter[Address] = Counter()
    out = []
    for n, m in enumerate(msgs, 1):
        seen[m.to] += 1
        # Outbox dedupe key: the first claimed key (unique, since it was just claimed) + n.
        out.append(_finish(m, f"rem:{keys[0]}:{n}", seen[m.to], total[m.to]))
    return out


def _finish(m: Notice, key: str, part: int, parts: int) -> Notice:
    subject = {**m.subject, "part": part, "parts": parts} if m.subject is not None else None
    return replace(m, dedupe_key=m.dedupe_key or key[:200], subject=subject)
