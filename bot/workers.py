"""Message handling in worker processes, so the server's event loop keeps only HTTP and crypto.

Understanding a message (~0.3 ms of pure Python) and recording it are CPU work; on the
server's event loop they would share one core with every callback's HTTP and crypto.
`DispatcherPool` runs the same Dispatcher (same config, same database) in child processes
(`python -m bot.workers`) and forwards each IncomingMessage over the child's stdin; the child
answers on its stdout with the replies. The boundary is exactly the dispatcher's:
IncomingMessage in, list[Reply] out. Frames are length-prefixed pickles; the pipes carry only
what this process sent and its own children's answers, never network input.

Nothing depends on the children. Until one is ready, after one dies (it is started again),
when one gives no answer within ANSWER_LIMIT_S, or when it fails on a message, the message is
handled here by the local dispatcher. Handling is idempotent per dedupe key (InboundMessage),
so a message the child already stored is answered from the stored reply and never processed
twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import logging
import os
import pickle
import signal
import struct
import sys
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from handlers.types import IncomingMessage, Reply

log = logging.getLogger("minqing.workers")

_HEADER = struct.Struct("!I")
_READY = "ready"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
ANSWER_LIMIT_S = 30.0  # a worker silent this long on one message is treated as stuck for it
RESTART_AFTER_S = 1.0  # a worker that exits is started again after this, doubling while it
MAX_RESTART_S = 60.0  # keeps exiting within HEALTHY_S of its start, up to MAX_RESTART_S
HEALTHY_S = 60.0
_ROOT = str(Path(__file__).resolve().parents[1])  # so the child imports this very checkout


def freeze_startup_objects() -> None:
    """Move everything loaded so far (parser tables, config, modules) out of the cyclic GC's
    reach: they live as long as the process, and with the parser loaded a full collection
    would otherwise pause the event loop for ~70 ms now and then (bench/bench_record.py)."""
    gc.collect()
    gc.freeze()


def _frame(payload: Any) -> bytes:
    body = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(body)) + body


class _Frames:
    """Splits a byte stream into payloads."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def feed(self, chunk: bytes) -> list[Any]:
        self.buf += chunk
        out = []
        while len(self.buf) >= _HEADER.size:
            (n,) = _HEADER.unpack_from(self.buf)
            if len(self.buf) < _HEADER.size + n:
                break
            out.append(pickle.loads(bytes(self.buf[_HEADER.size : _HEADER.size + n])))
            del self.buf[: _HEADER.size + n]
        return out


class _Child:
    """One worker process and the messages it has not answered yet."""

    def __init__(self, proc: asyncio.subprocess.Process, on_change: Callable[[], None]) -> None:
        self.proc = proc
        self.ready = False
        self.gone = asyncio.Event()  # its stdout closed: it answers nothing more
        self.pending: dict[int, asyncio.Future[list[Reply] | None]] = {}
        self.on_change = on_change

    @property
    def usable(self) -> bool:
        return self.ready and self.proc.returncode is None

    def send(self, payload: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(_frame(payload))

    async def read_answers(self) -> None:
        """Resolve pending messages from the child's stdout until it closes."""
        assert self.proc.stdout is not None
        frames = _Frames()
        try:
            while chunk := await self.proc.stdout.read(1 << 16):
                for payload in frames.feed(chunk):
                    self._answer(payload)
        finally:
            self.ready = False
            self.gone.set()
            for fut in self.pending.values():
                if not fut.done():
                    fut.set_result(None)  # handled in-process instead
            self.pending.clear()
            self.on_change()

    def _answer(self, payload: Any) -> None:
        if payload == _READY:
            self.ready = True
            self.on_change()
            return
        req_id, replies = payload
        fut = self.pending.pop(req_id, None)
        if fut is not None and not fut.done():
            fut.set_result(replies)


class DispatcherPool:
    """A Dispatcher (`await handle(msg)` → replies) backed by worker processes, each kept
    running: a worker that exits is started again (after 1 s, doubling while it keeps dying
    young, at most 60 s); meanwhile its messages are handled in-process."""

    def __init__(
        self,
        local,
        cfg,
        clock,
        workers: int,
        *,
        answer_limit_s: float = ANSWER_LIMIT_S,
        restart_after_s: float = RESTART_AFTER_S,
    ) -> None:
        self.local, self.cfg, self.clock, self.workers = local, cfg, clock, workers
        self.answer_limit_s, self.restart_after_s = answer_limit_s, restart_after_s
        self._slots: list[_Child | None] = []
        self._keepers: list[asyncio.Task] = []
        self._changed = asyncio.Event()
        self._ids = itertools.count()
        self._turn = itertools.count()
        self._closing = False

    @property
    def _children(self) -> list[_Child]:
        return [c for c in self._slots if c is not None]

    async def start(self) -> None:
        """Start the workers. Each announces itself once its parser and database are ready;
        until then messages are handled in-process."""
        self._slots = [None] * self.workers
        self._keepers = [asyncio.create_task(self._keep(slot)) for slot in range(self.workers)]

    async def _spawn(self) -> _Child | None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, env.get("PYTHONPATH")) if p)
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.workers",
                env=env,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            log.error("cannot start a worker process (%s); handling messages in-process", exc.strerror)
            return None
        child = _Child(proc, self._changed.set)
        child.send({"cfg": self.cfg, "clock": self.clock, "log_level": logging.getLogger().level})
        return child

    async def _keep(self, slot: int) -> None:
        """Keep one worker running until the pool closes."""
        loop = asyncio.get_running_loop()
        failures = 0
        while not self._closing:
            child = await self._spawn()
            if child is not None:
                self._slots[slot] = child
                started = loop.time()
                await child.read_answers()
                code = await child.proc.wait()
                if self._closing:
                    return
                failures = 0 if loop.time() - started >= HEALTHY_S else failures + 1
            else:
                failures, code = failures + 1, None
            delay = min(MAX_RESTART_S, self.restart_after_s * 2**failures)
            log.error(
                "worker process exited (code %s); handling messages in-process, restarting it in %.0f s", code, delay
            )
            await asyncio.sleep(delay)

    async def wait_ready(self, limit_s: float = START_TIMEOUT_S) -> int:
        """Wait until every worker is answering (at most `limit_s`); how many are."""
        try:
            async with asyncio.timeout(limit_s):
                while self.ready < self.workers:
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            pass
        return self.ready

    @property
    def ready(self) -> int:
        """How many worker processes are running and answering."""
        return sum(c.usable for c in self._children)

    async def handle(self, msg: IncomingMessage) -> list[Reply]:
        """The replies to `msg` from the next usable worker (round robin); handled in-process when no worker is
        usable or one gives no answer within `answer_limit_s` seconds (the dedupe key keeps it handled once).
        """
        usable = [c for c in self._children if c.usable]
        if usable:
            child = usable[next(self._turn) % len(usable)]
            req_id = next(self._ids)
            fut: asyncio.Future[list[Reply] | None] = asyncio.get_running_loop().create_future()
            child.pending[req_id] = fut
            child.send((req_id, msg))
            try:
                replies = await asyncio.wait_for(fut, self.answer_limit_s)
            except TimeoutError:  # a stuck worker: answer here; the dedupe key keeps it once
                child.pending.pop(req_id, None)
                log.error(
                    "worker process %s gave no answer for %s in %.0f s; handling it in-process",
                    child.proc.pid,
                    msg.dedupe_key,
                    self.answer_limit_s,
                )
                replies = None
            if replies is not None:
                return replies
        return await self.local.handle(msg)

    async def close(self) -> None:
        """Stop the workers: closing their stdin lets them finish what they hold and exit."""
        self._closing = True
        for child in self._children:
            if child.proc.stdin is not None and not child.proc.stdin.is_closing():
                child.proc.stdin.close()
        for child in self._children:
            try:
                await asyncio.wait_for(child.proc.wait(), timeout=STOP_TIMEOUT_S)
            except TimeoutError:
                log.error("worker process %s did not stop; killing it", child.proc.pid)
                child.proc.kill()
                await child.proc.wait()
        for keeper in self._keepers:
            keeper.cancel()
        await asyncio.gather(*self._keepers, return_exceptions=True)
        self._slots, self._keepers = [], []


# -- the child ---------------------------------------------------------------------------------


async def _child_main() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 22)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    out_fd = os.dup(1)
    os.dup2(2, 1)  # whatever a library prints goes to stderr, never into the answers
    transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, os.fdopen(out_fd, "wb"))
    out = asyncio.StreamWriter(transport, protocol, None, loop)

    frames, received = _Frames(), deque[Any]()

    async def read_frame() -> Any:
        """The next payload from the parent; None once it closed our stdin."""
        while not received:
            chunk = await reader.read(1 << 16)
            if not chunk:
                return None
            received.extend(frames.feed(chunk))
        return received.popleft()

    init = await read_frame()
    if init is None:
        return
    logging.basicConfig(
        level=init["log_level"] or logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s[worker]: %(message)s",
    )
    from bot.app import build_app

    app = build_app(init["cfg"], init["clock"])
    freeze_startup_objects()
    out.write(_frame(_READY))
    tasks: set[asyncio.Task] = set()

    async def answer(req_id: int, msg: IncomingMessage) -> None:
        try:
            replies: list[Reply] | None = list(await app.dispatcher.handle(msg))
        except Exception as exc:  # the parent handles it again in-process and reports it there
            log.error("worker failed on %s: %s", msg.dedupe_key, type(exc).__name__)
            replies = None
        if not out.is_closing():  # the parent stopped reading: it handles the message itself
            out.write(_frame((req_id, replies)))

    try:
        while (frame := await read_frame()) is not None:
            task = asyncio.create_task(answer(*frame))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks)
        with contextlib.suppress(ConnectionError):  # the parent may already be gone
            await out.drain()
    finally:
        await app.db.dispose()


def main() -> None:
    # Ctrl-C and SIGTERM (systemd and docker signal the whole group) are for the parent: it
    # stops the server, then closes our stdin and we finish what we hold and exit.
    """Entry point of a worker process: serve dispatch requests from the parent over stdin/stdout until stdin
    closes. Ignores SIGINT/SIGTERM (the parent stops it); exits quietly when the parent is gone.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        asyncio.run(_child_main())
    except (ConnectionError, BrokenPipeError):  # the parent is gone: nobody to answer
        pass


if __name__ == "__main__":
    main()
