"""The steps every chat message goes through, each written once:

    check the text → understand it (commands, then the NLU: pure, outside any transaction)
    → admit: identify the sender, claim the message's dedupe key
    → act: record a visit and its items, carry out a command, answer a question
    → settle: store the reply with the message, notices in the same transaction
    → mask the reply for a group chat

Two transaction shapes share `admit` and `settle`: one message in its own unit of work
(`handlers.dispatch.Dispatcher`: commands, questions, refusals) and a batch of records in one
group commit (`handlers.record.Recorder`). Both run on a `storage.Batch`; the one-message
path reaches it through `Tx.batch`. A cross-cutting step (a new check, a new status) is
added here once.

A stranger (not on the roster) is answered and nothing is stored; a dedupe key seen before —
a platform retry, or the same key twice in one batch — is answered with the reply stored the
first time and processed no further.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from handlers.types import IncomingMessage
from storage import inbound
from storage.roster import Sender, cadres_by_platform_ids
from storage.tx import Batch

FRESH, REPLAY, STRANGER = "fresh", "replay", "stranger"


@dataclass(frozen=True)
class Admitted:
    """What `admit` decided for one message: `kind` FRESH (claimed now: act on it and settle
    it), REPLAY (seen before: answer with the stored reply) or STRANGER (not on the roster);
    the sender when known, and the stored message's row id when FRESH."""

    msg: IncomingMessage
    kind: str
    sender: Sender | None = None
    row_id: int | None = None


def admit(
    b: Batch, messages: Sequence[tuple[IncomingMessage, datetime]], keep_strangers: bool = False
) -> list[Admitted]:
    """Identify each message's sender and claim its dedupe key, in order. Strangers are not
    stored unless `keep_strangers` (a failed message is kept whoever sent it). The second of
    two messages with one key in the same batch is a REPLAY of the first."""
    senders = _senders(b, [m for m, _ in messages])
    claimed = inbound.claim_many(
        b,
        [
            inbound.Arrival(
                dedupe_key=m.dedupe_key,
                channel=m.channel,
                sender=m.user_id,
                chat_id=m.chat_id,
                text=m.text,
                at=at,
                cadre_id=s.id if s else None,
            )
            for (m, at), s in zip(messages, senders, strict=True)
            if s is not None or keep_strangers
        ],
    )
    out: list[Admitted] = []
    for (m, _), s in zip(messages, senders, strict=True):
        row_id = claimed.pop(m.dedupe_key, None)  # pop: a second message with this key is a replay
        if s is None and row_id is None:
            out.append(Admitted(m, STRANGER))
        else:
            out.append(Admitted(m, FRESH if row_id is not None else REPLAY, s, row_id))
    return out


def settle(
    b: Batch, admitted: Sequence[Admitted], outcomes: Mapping[int, tuple[str, str]], stranger_reply: str
) -> list[str | None]:
    """Store how each FRESH message ended — `outcomes[row id]` = (handled | rejected | failed,
    reply) — and return every message's reply, in order: its outcome, the reply stored for
    its key (None while another process is still handling it), or `stranger_reply`."""
    inbound.finish_many(b, ((row_id, status, reply) for row_id, (status, reply) in outcomes.items()))
    by_key = {
        a.msg.dedupe_key: outcomes[a.row_id][1]
        for a in admitted
        if a.kind == FRESH and a.row_id is not None and a.row_id in outcomes
    }
    stored = inbound.stored_replies(
        b, [a.msg.dedupe_key for a in admitted if a.kind == REPLAY and a.msg.dedupe_key not in by_key]
    )
    replies: list[str | None] = []
    for a in admitted:
        if a.kind == STRANGER:
            replies.append(stranger_reply)
        else:
            key = a.msg.dedupe_key
            replies.append(by_key[key] if key in by_key else stored.get(key))
    return replies


def _senders(b: Batch, messages: Sequence[IncomingMessage]) -> list[Sender | None]:
    """The active cadre behind each message's sender, None for strangers (one query per channel)."""
    found: dict[tuple[str, str], Sender] = {}
    for channel in {m.channel for m in messages}:
        ids = (m.user_id for m in messages if m.channel == channel)
        found.update({(channel, uid): c for uid, c in cadres_by_platform_ids(b, channel, ids).items()})
    return [found.get((m.channel, m.user_id)) for m in messages]
