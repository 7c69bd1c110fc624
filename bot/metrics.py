"""Prometheus metrics (prometheus-client) and the readiness report behind /metrics and /readyz.

Counters and histograms are updated where things happen (server, outbox worker); the outbox
depth, failed rows and the scheduler lease are read from the database when scraped, so every
instance reports the same queue. Labels never carry user ids or message text.
"""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from scheduler import lease
from storage import migrate
from storage import outbox as q
from storage.db import Database

log = logging.getLogger("minqing.metrics")

MESSAGES = Counter(
    "minqing_messages_total", "Inbound messages handled, by channel and outcome", ["channel", "outcome"]
)  # outcome: answered | late | error
HANDLING = Histogram(
    "minqing_handling_seconds",
    "Time to handle one inbound message",
    ["channel"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4.5, 10, 30),
)
OUTBOX_SENDS = Counter(
    "minqing_outbox_sends_total", "Outbox rows processed, by outcome", ["outcome"]
)  # sent | retry | failed | paused | obsolete
REMINDERS_SENT = Counter("minqing_reminders_sent_total", "Scheduler reminders delivered")
OUTBOX_DEPTH = Gauge("minqing_outbox_depth", "Outbox rows not yet delivered (pending or sending)")
OUTBOX_FAILED = Gauge("minqing_outbox_failed", "Outbox rows that failed for good (see `minqing outbox`)")
LEASE_HELD = Gauge("minqing_scheduler_lease_held", "1 when this instance runs the scheduler")
LEASE_HOLDER = Gauge(
    "minqing_scheduler_leader",
    "1 for the instance holding the scheduler lease (label: host:pid), as seen by this instance",
    ["instance"],
)

READY_TIMEOUT_S = 3.0


async def scrape(db: Database) -> bytes:
    """The text exposition format, with the database-backed gauges refreshed."""
    try:
        async with asyncio.timeout(READY_TIMEOUT_S):
            async with db.session() as s:
                counts = await q.counts(s)
            holder = await lease.holder(db)
        OUTBOX_DEPTH.set(counts.get("pending", 0) + counts.get("sending", 0))
        OUTBOX_FAILED.set(counts.get("failed", 0))
        LEASE_HOLDER.clear()
        if holder is not None:
            LEASE_HOLDER.labels(holder).set(1)
    except Exception as exc:  # the counters are still worth serving
        log.warning("metrics: database gauges unavailable: %s", type(exc).__name__)
    LEASE_HELD.set(1 if lease.current is not None and lease.current.held else 0)
    return generate_latest()


CONTENT_TYPE = CONTENT_TYPE_LATEST


async def readiness(db: Database) -> tuple[bool, dict]:
    """(ready, report): the database answers, the schema is at head, and who runs the
    scheduler. Not ready when the database is unreachable or the schema is behind."""
    head = migrate.head_revision()
    report: dict = {"database": "ok", "schema": None, "head": head}
    try:
        async with asyncio.timeout(READY_TIMEOUT_S):
            report["schema"] = await migrate.current_revision(db)
            holder = await lease.holder(db)
    except Exception as exc:
        report["database"] = f"unreachable: {type(exc).__name__}"
        return False, report
    mine = lease.current
    report["scheduler"] = {
        "this_instance": "off" if mine is None else ("leader" if mine.held else "standby"),
        "leader": holder,
    }
    return report["schema"] == head, report
