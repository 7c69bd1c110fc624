"""Understanding in worker processes, so parsing never competes with the event loop.

Parsing a message is pure Python CPU work (~0.3 ms). On the event loop it shares one core with
HTTP, crypto and the database; `ParserPool` runs the same `Parser` in child processes
(`python -m handlers.nlu.offload`) and talks to them over their stdin/stdout pipes with
length-prefixed pickles, many requests in flight per child. The pipes carry only what the
parent itself sent and the child's answers (never network input), so pickle is safe here.

Nothing depends on the children: until one is ready, after one dies, or when a child fails
on a message, that message is parsed in-process with the same parser (a failure is then
raised here, with its traceback, exactly as without children).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import pickle
import signal
import struct
import sys
from datetime import date
from pathlib import Path
from typing import Any

from handlers.nlu.model import Parsed

log = logging.getLogger("minqing.nlu")

_HEADER = struct.Struct("!I")
_READY = "ready"
START_TIMEOUT_S = 60.0
_ROOT = str(Path(__file__).resolve().parents[2])  # so the child imports this very checkout


def _frame(payload: Any) -> bytes:
    body = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(body)) + body


class _Child:
    """One worker process and the requests it has not answered yet."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.ready = False
        self.settled = asyncio.Event()  # ready, or gone
        self.pending: dict[int, asyncio.Future[Parsed | None]] = {}
        self.reader: asyncio.Task | None = None

    @property
    def usable(self) -> bool:
        return self.ready and self.proc.returncode is None

    async def read_answers(self) -> None:
        """Resolve pending requests from the child's stdout until it closes."""
        assert self.proc.stdout is not None
        buf = bytearray()
        try:
            while True:
                chunk = await self.proc.stdout.read(1 << 16)
                if not chunk:
                    break
                buf += chunk
                while len(buf) >= _HEADER.size:
                    (n,) = _HEADER.unpack_from(buf)
                    if len(buf) < _HEADER.size + n:
                        break
                    payload = pickle.loads(bytes(buf[_HEADER.size:_HEADER.size + n]))
                    del buf[:_HEADER.size + n]
                    self._answer(payload)
        finally:
            self.ready = False
            self.settled.set()
            for fut in self.pending.values():
                if not fut.done():
                    fut.set_result(None)  # the caller parses in-process
            self.pending.clear()

    def _answer(self, payload: Any) -> None:
        if payload == _READY:
            self.ready = True
            self.settled.set()
            return
        req_id, parsed = payload
        fut = self.pending.pop(req_id, None)
        if fut is not None and not fut.done():
            fut.set_result(parsed)


class ParserPool:
    """`await pool.parse(text, today, profile)` → Parsed, like `Parser.parse`."""

    def __init__(self, parser, workers: int, *, cache_dir: Path | None = None,
                 extra_dict: Path | None = None, extra_keywords: Path | None = None) -> None:
        self.parser, self.workers = parser, workers
        self._load_args = {"cache_dir": cache_dir, "extra_dict": extra_dict, "extra_keywords": extra_keywords}
        self._children: list[_Child] = []
        self._ids = itertools.count()
        self._next = itertools.count()
        self._closing = False

    async def start(self) -> None:
        """Spawn the workers; they announce themselves when their parser is loaded (meanwhile
        messages are parsed in-process)."""
        args = json.dumps({k: str(v) if v is not None else None for k, v in self._load_args.items()})
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, env.get("PYTHONPATH")) if p)
        for _ in range(self.workers):
            try:
                proc = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "handlers.nlu.offload", args, env=env,
                    stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
            except OSError as exc:
                log.error("cannot start an understanding worker (%s); parsing in-process", exc.strerror)
                continue
            child = _Child(proc)
            child.reader = asyncio.create_task(self._watch(child))
            self._children.append(child)

    async def _watch(self, child: _Child) -> None:
        await child.read_answers()
        code = await child.proc.wait()
        if not self._closing:
            log.error("understanding worker %s exited (code %s); parsing in-process", child.proc.pid, code)

    async def parse(self, text: str, today: date, profile: str = "campus") -> Parsed:
        child = self._pick()
        if child is not None:
            req_id = next(self._ids)
            fut: asyncio.Future[Parsed | None] = asyncio.get_running_loop().create_future()
            child.pending[req_id] = fut
            assert child.proc.stdin is not None
            child.proc.stdin.write(_frame((req_id, text, today, profile)))
            parsed = await fut
            if parsed is not None:
                return parsed
        return self.parser.parse(text, today, profile)

    def _pick(self) -> _Child | None:
        usable = [c for c in self._children if c.usable]
        if not usable:
            return None
        return usable[next(self._next) % len(usable)]

    @property
    def ready(self) -> int:
        """How many workers are answering."""
        return sum(c.usable for c in self._children)

    async def wait_ready(self, limit_s: float = START_TIMEOUT_S) -> int:
        """Wait until every worker has loaded its parser (or died); how many are answering."""
        waits = [asyncio.ensure_future(c.settled.wait()) for c in self._children]
        if waits:
            _, late = await asyncio.wait(waits, timeout=limit_s)
            for w in late:
                w.cancel()
        return self.ready

    async def close(self) -> None:
        """Stop the workers: closing their stdin ends them; kill what does not end in time."""
        self._closing = True
        for child in self._children:
            if child.proc.stdin is not None and not child.proc.stdin.is_closing():
                child.proc.stdin.close()
        for child in self._children:
            try:
                await asyncio.wait_for(child.proc.wait(), timeout=5)
            except TimeoutError:
                child.proc.kill()
                await child.proc.wait()
            if child.reader is not None:
                await child.reader
        self._children = []


def _serve(args: dict[str, str | None]) -> None:
    """The child: load the parser, announce readiness, answer until stdin closes."""
    from handlers.nlu.parser import Parser

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent; we end with its pipe
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed by libraries goes to stderr, never into the answers
    inp = sys.stdin.buffer
    parser = Parser.load(**{k: Path(v) if v else None for k, v in args.items()})
    out.write(_frame(_READY))
    out.flush()
    while True:
        header = inp.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return
        (n,) = _HEADER.unpack(header)
        req_id, text, today, profile = pickle.loads(inp.read(n))
        try:
            parsed: Parsed | None = parser.parse(text, today, profile)
        except Exception:  # the parent parses it again in-process and reports the failure there
            parsed = None
        out.write(_frame((req_id, parsed)))
        out.flush()


if __name__ == "__main__":
    _serve(json.loads(sys.argv[1]))
