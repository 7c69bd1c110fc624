"""The download queue of pictures and files: claim due rows, download, check, store, settle.

Same machinery as the outbox (bot/outbound/worker.py): an atomic claim (pending → fetching with
a lease), exponential backoff from `[outbox]` (base_backoff_s, max_backoff_s) for failures that
may pass (network, 5xx, rate limits, a rejected token), at most `attachments.max_attempts`
downloads. After the last attempt, or at once for a permanent refusal, the row is `failed`
(or `refused`: not an image or PDF, too large) and the sender gets one notice through the
outbox in the same transaction. Stored bytes keep their EXIF (the console is the only place
that shows originals); the thumbnail is re-encoded without metadata.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.config import Config
from bot.media import images
from handlers.clock import Clock
from handlers.errors import ChannelError, RateLimited
from handlers.texts import attachments as texts
from storage import attachments as q
from storage.blobs import BlobStore, open_store
from storage.db import Database
from storage.models import Attachment
from storage.notice import Notice, user_address
from storage.outbox import enqueue

if TYPE_CHECKING:
    from bot.platform import Sender

log = logging.getLogger("minqing.media")

LEASE = timedelta(minutes=5)


def size_text(n: int) -> str:
    """A size in bytes as users read it: 「10MB」 from 1 MiB on (rounded), else 「512KB」."""
    return f"{n / 1024 / 1024:.0f}MB" if n >= 1024 * 1024 else f"{n // 1024}KB"


class AttachmentWorker:
    """`run_once()` processes what is due now (tests call it with a fixed clock);
    `run_forever()` is the server's loop. `senders` {platform name: Sender} download what
    that platform's messages name (their HTTP session and token caches); a platform without
    one: its downloads wait."""

    def __init__(
        self,
        db: Database,
        cfg: Config,
        clock: Clock,
        *,
        store: BlobStore | None = None,
        on_notice: Callable[[], None] = lambda: None,
        senders: Mapping[str, Sender] | None = None,
    ) -> None:
        self.db, self.cfg, self.clock = db, cfg, clock
        self.store = store or open_store(cfg.attachments.store, cfg.attachments_dir)
        self.on_notice = on_notice
        self.senders = dict(senders or {})
        self._wake = asyncio.Event()

    def kick(self) -> None:
        """Wake run_forever now instead of at the next poll (a new attachment was queued)."""
        self._wake.set()

    def backoff(self, attempts: int, exc: Exception | None = None) -> float:
        """Seconds before download number `attempts` + 1 (the outbox's schedule)."""
        ob = self.cfg.outbox
        delay = min(ob.max_backoff_s, ob.base_backoff_s * 2 ** max(attempts - 1, 0))
        if isinstance(exc, RateLimited):
            delay = max(delay, exc.retry_after)
        return delay

    async def run_once(self) -> int:
        """Claim the attachments due now (stale leases reaped) and download each in turn; returns how many
        were claimed."""
        now = self.clock.now()
        async with self.db.write() as s:
            await q.reap_stale(s, now)
            rows = await q.due(s, now)
            claimed = [r for r in rows if await q.claim(s, r.id, now + LEASE)]
        for row in claimed:  # one at a time: pictures are large, the machine is small
            await self._process(row)
        return len(claimed)

    async def run_forever(self) -> None:
        """Loop run_once until cancelled, waiting `outbox.poll_interval_s` seconds or a kick between empty rounds.
        A failed round is logged (exception type only) and the loop goes on.
        """
        while True:
            try:
                if await self.run_once():
                    continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("attachment cycle failed: %s", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.cfg.outbox.poll_interval_s)
            self._wake.clear()

    async def _download(self, row: Attachment) -> bytes:
        limit = self.cfg.attachments.max_bytes
        sender = self.senders.get(row.channel)
        if sender is None:
            raise RuntimeError(f"no downloader for channel {row.channel}")
        return await sender.download(row.source or "", limit)

    async def _process(self, row: Attachment) -> None:
        try:
            data = await self._download(row)
            kind, sha, thumb = await asyncio.to_thread(self._check_and_keep, data)  # CPU and disk: off the loop
        except images.Refused as exc:
            await self._settle(
                row,
                "refused",
                row.attempts + 1,
                exc.reason,
                texts.refused(row.kind, row.file_name, exc.reason, size_text(self.cfg.attachments.max_bytes)),
            )
            return
        except Exception as exc:
            await self._retry_or_fail(row, exc)
            return
        async with self.db.write() as s:
            status = await q.mark_stored(
                s, row.id, sha256=sha, thumb_sha256=thumb, mime=kind.mime, size=len(data), now=self.clock.now()
            )
        log.info("attachment %s %s (%s, %d bytes)", row.id, status, kind.mime, len(data))

    def _check_and_keep(self, data: bytes) -> tuple[images.Sniffed, str, str | None]:
        """Check the content (Refused), then store the original and its thumbnail (a PDF has
        none); the same bytes are stored once."""
        kind = images.sniff(data)
        sha = self.store.put(data)
        thumb = self.store.put(images.thumbnail(data, self.cfg.attachments.thumb_px)) if kind.is_image else None
        return kind, sha, thumb

    async def _retry_or_fail(self, row: Attachment, exc: Exception) -> None:
        attempts = row.attempts + 1
        retryable = not isinstance(exc, ChannelError) or exc.retryable
        error = f"{type(exc).__name__}: {exc}"[:300]
        if not retryable or attempts >= self.cfg.attachments.max_attempts:
            await self._settle(row, "failed", attempts, error, texts.download_failed(row.kind, row.file_name, attempts))
            return
        at = self.clock.now() + timedelta(seconds=self.backoff(attempts, exc))
        async with self.db.write() as s:
            await q.reschedule(s, row.id, at=at, attempts=attempts, error=error)
        log.info("attachment %s download %d failed (%s); retry at %s", row.id, attempts, error, at)

    async def _settle(self, row: Attachment, status: str, attempts: int, error: str, notice: str) -> None:
        """Give up on a row and tell its sender, in one transaction."""
        async with self.db.write() as s:
            await q.give_up(s, row.id, status=status, attempts=attempts, error=error)
            await enqueue(
                s,
                Notice(user_address(row.channel, row.sender), notice, dedupe_key=f"attachment:{row.id}:{status}"),
                self.clock.now(),
            )
        log.warning("attachment %s %s after %d attempt(s): %s", row.id, status, attempts, error)
        self.on_notice()
