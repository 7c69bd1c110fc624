"""The dispatcher: one IncomingMessage in, a list of replies out. Never sends anything.

verify the text → command or understanding (outside any transaction) → dedupe
(InboundMessage with a UNIQUE key) → who is it → act → reply, all in ONE transaction: either
everything the message causes is stored (records, events, outbox notices, the reply) or
nothing is. Records (visit reports, problems) share their transaction with the other records
arriving at the same time (group commit, handlers/record.py). A replayed message is answered
with the stored reply and processed no further. A refused or failed message is rolled back
and then kept, with its reply, in a second short transaction.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from typing import TypeGuard

from handlers import (
    account,
    answers,
    attach,
    commands,
    console_access,
    disclosure,
    lifecycle,
    pipeline,
    rating_link,
    record,
    undo,
)
from handlers.clock import Clock
from handlers.commands import Command, QueryCommand, handles, parse_command, resolve_result
from handlers.context import Ctx
from handlers.errors import UserFacingError
from handlers.inbound_text import as_typed, command_form
from handlers.nlu import Parsed, Parser
from handlers.nlu.intent import HELP
from handlers.policy import Policy
from handlers.texts import replies
from handlers.types import IncomingMessage, Reply, TextReply
from storage import outbox
from storage.db import Database
from storage.errors import StorageError
from storage.notice import Address, CadreAddress, ConsoleAddress
from storage.roster import cadre_name, get_cadre
from storage.tx import Tx

log = logging.getLogger("minqing.dispatch")

Understood = Command | QueryCommand | Parsed | attach.AttachRequest
FEATURES = (account, attach, console_access, disclosure, lifecycle, rating_link, undo)
"""The modules whose functions carry out commands: importing them registers each one
(`commands.handles`); the dispatcher refuses to start while a command has none."""


def understand(parser: Parser, profile: str, text: str, today: date) -> Understood:
    """What a message means, without touching the database: a structured command first (its
    arguments as typed), else a fixed question, else the NLU's reading (Parser.parse)."""
    cmd = parse_command(command_form(text), parser.categories(profile), today)
    if isinstance(cmd, Command):  # arguments are stored as typed, not in the matching form
        return dataclasses.replace(cmd, arg=as_typed(text, cmd.arg), extra=as_typed(text, cmd.extra))
    if cmd is not None:
        return cmd
    return parser.parse(text, today, profile)


class Dispatcher:
    def __init__(
        self, db: Database, parser: Parser, policy: Policy, clock: Clock, mask: Callable[[str], str] | None = None
    ) -> None:
        self.db, self.parser, self.policy, self.clock = db, parser, policy, clock
        self.mask = mask or (lambda s: s)
        self.recorder = record.Recorder(db, policy)
        if missing := commands.unhandled():
            raise RuntimeError(f"commands without a handler: {', '.join(missing)}")

    async def handle(self, msg: IncomingMessage) -> list[Reply]:
        """Answer one message. Safe to call again with the same message: it is processed once."""
        if attach.needs_split(msg):  # photos with a report as caption: the report, then the photos
            return await attach.split_caption(self.handle, msg)
        problem = None if msg.media else self._check_text(msg.text)
        now = self.clock.now()
        # Understanding is pure: done before the write transaction so it never holds the lock.
        understood = attach.request(msg) if msg.media else None if problem else self._understand(msg.text, now)
        try:
            text = await self._handle(msg, now, problem, understood)
        except (StorageError, OSError) as exc:
            log.error("storage unavailable msg=%s: %s", msg.dedupe_key, type(exc).__name__)
            return [TextReply(replies.UNAVAILABLE)]
        if not text:
            return []
        return [TextReply(self.mask(text) if msg.is_group else text)]

    def _check_text(self, text: str) -> str | None:
        if not text or not text.strip():
            return replies.EMPTY
        if len(text) > self.policy.max_text_chars:
            return replies.too_long(len(text), self.policy.max_text_chars)
        if text.count("\ufffd") >= max(3, len(text) // 10):  # bytes that were no text (decoded with replacement)
            return replies.BINARY
        if not text.isprintable() and any(  # isprintable: C speed for the usual message
            unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\n\r\t" for ch in text
        ):
            return replies.BINARY
        return None

    def _understand(self, text: str, now: datetime) -> Understood:
        return understand(self.parser, self.policy.profile, text, now.date())

    async def _handle(
        self, msg: IncomingMessage, now: datetime, problem: str | None, understood: Understood | None
    ) -> str | None:
        """The steps of handlers.pipeline in one unit of work (records: in a group commit)."""
        try:
            if problem is None and _is_record(understood):
                return await self.recorder.record(msg, understood, now)
            async with self.db.interactive() as tx:
                admitted = (await tx.batch(pipeline.admit, [(msg, now)]))[0]
                if admitted.kind == pipeline.FRESH:
                    assert admitted.sender is not None and admitted.row_id is not None
                    cadre = await get_cadre(tx, admitted.sender.id)
                    assert cadre is not None  # admitted in this very transaction
                    ctx = Ctx(
                        session=tx,
                        msg=msg,
                        cadre=cadre,
                        now=now,
                        policy=self.policy,
                        parser=self.parser,
                        message_id=admitted.row_id,
                    )
                    if problem is not None:
                        outcome = ("rejected", problem)
                    else:
                        assert understood is not None  # understood whenever the text had no problem
                        outcome = ("handled", await self._route(ctx, understood))
                    await _queue_notices(tx, ctx, now)
                    return await self._settle(tx, admitted, outcome)
                return await self._settle(tx, admitted)
        except UserFacingError as exc:  # refused: everything it did is rolled back; keep the message
            return await self._keep(msg, now, "rejected", exc.reply)
        except (StorageError, OSError):
            raise
        except Exception:
            log.exception("handler failed msg=%s", msg.dedupe_key)
            return await self._keep(msg, now, "failed", replies.FAILED)

    async def _keep(self, msg: IncomingMessage, now: datetime, status: str, reply: str) -> str | None:
        """Store the message even though acting on it failed: nothing a user sent is lost. Returns
        `reply`, or the reply stored earlier when the message was already kept (None while it is
        still being handled elsewhere)."""
        async with self.db.interactive() as tx:
            admitted = (await tx.batch(pipeline.admit, [(msg, now)], True))[0]
            return await self._settle(tx, admitted, (status, reply))

    async def _settle(self, tx: Tx, admitted: pipeline.Admitted, outcome: tuple[str, str] | None = None) -> str | None:
        outcomes = {admitted.row_id: outcome} if outcome is not None and admitted.row_id is not None else {}
        stranger = replies.not_registered(self.policy.admin_contact)
        return (await tx.batch(pipeline.settle, [admitted], outcomes, stranger))[0]

    async def _route(self, ctx: Ctx, understood: Understood) -> str:
        if isinstance(understood, attach.AttachRequest):
            return await attach.attach(ctx, understood)
        if isinstance(understood, QueryCommand):
            return await answers.answer(ctx, understood)
        if isinstance(understood, Command):
            return await self._command(ctx, understood)
        parsed = understood
        if parsed.intent == "query" and parsed.query is not None:
            return await answers.answer(ctx, parsed.query)
        if parsed.intent == "resolve" and parsed.resolve_ref is not None:
            result = resolve_result(ctx.msg.text, parsed.resolve_ref)
            return await lifecycle.resolve(ctx, Command("resolve", parsed.resolve_ref, result, natural=True))
        return _other_reply(ctx.msg.text)

    async def _command(self, ctx: Ctx, cmd: Command) -> str:
        refused = commands.refusal(cmd.name, ctx.cadre.roles or (), ctx.msg.is_group, cmd.ref)
        if refused is not None:
            raise UserFacingError(refused)
        return await commands.action(cmd.name)(ctx, cmd)


async def _queue_notices(s: Tx, ctx: Ctx, now: datetime) -> None:
    """Notices to other people, in the message's transaction. Practice in the console stays in
    the console: its notices go to the console channel (printed as 「[→ 姓名] …」), never to a
    platform, even when `minqing serve` starts later on the same database."""
    notices = ctx.outgoing
    if ctx.msg.channel == "console":
        notices = [dataclasses.replace(n, to=await _console_address(s, n.to)) for n in notices]
    await outbox.enqueue(s, notices, now)


async def _console_address(s: Tx, to: Address) -> Address:
    if not isinstance(to, CadreAddress):
        return to
    return ConsoleAddress(await cadre_name(s, to.cadre_id) or str(to.cadre_id))


@handles("help")
async def _help(ctx: Ctx, cmd: Command) -> str:
    return replies.help_reply(ctx.today)


def _other_reply(text: str) -> str:
    if HELP.search(text):  # a question about using the bot: answer what it asks
        return next((a for p, a in replies.USAGE_ANSWERS if re.search(p, text)), replies.USAGE_DEFAULT)
    if any(w in text for w in ("谢谢", "感谢", "辛苦")):
        return replies.OTHER_THANKS
    if any(w in text for w in ("发错", "不用记录", "别记录", "不要记录")):
        return replies.OTHER_MISTAKE
    if any(w in text for w in ("你好", "您好", "在吗", "早上好")) or text.strip().lower() in ("hello", "hi"):
        return replies.OTHER_GREETING
    return replies.OTHER_DEFAULT


def _is_record(understood: Understood | None) -> TypeGuard[Parsed]:
    return isinstance(understood, Parsed) and understood.intent in ("visit", "issue")
