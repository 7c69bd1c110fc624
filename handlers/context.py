"""What a handler gets: the sender, the open transaction, the clock reading and the policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from handlers.policy import ROLE_LEADER, ROLE_UNIT_HEAD, Policy
from handlers.types import IncomingMessage
from storage.items import ItemRecord, Scope
from storage.models import Item
from storage.notice import CadreAddress, Notice
from storage.roster import CadreRecord, Sender
from storage.tx import Tx

if TYPE_CHECKING:
    from handlers.nlu import Parser


@dataclass
class Ctx:
    session: Tx  # the message's unit of work: pass it to storage functions (storage/tx.py)
    msg: IncomingMessage
    cadre: CadreRecord
    now: datetime
    policy: Policy
    parser: Parser
    message_id: int | None = None  # the InboundMessage row of this message
    outgoing: list[Notice] = field(default_factory=list)  # to cadres, queued with the reply

    @property
    def today(self) -> date:
        """The message's local date (from `now`, the injected clock)."""
        return self.now.date()

    @property
    def sender(self) -> Sender:
        """The sender as plain data: id, name, unit id."""
        return Sender(self.cadre.id, self.cadre.name, self.cadre.unit_id)

    @property
    def is_leader(self) -> bool:
        """The sender has the leader role (sees everything, may 包保)."""
        return self.cadre.has_role(ROLE_LEADER)

    @property
    def is_unit_head(self) -> bool:
        """The sender has the unit-head role (sees their unit, approves its 延期)."""
        return self.cadre.has_role(ROLE_UNIT_HEAD)

    def scope(self, mine: bool = False, owned_only: bool = False) -> Scope:
        """Leaders see everything, unit heads their unit, others what they own or reported;
        `mine`: only the sender's own (`owned_only`: what they own now, for 我的待办)."""
        if mine:
            return Scope(self.cadre.id, owned_only=owned_only)
        if self.is_leader:
            return Scope(self.cadre.id, everything=True)
        if self.is_unit_head:
            return Scope(self.cadre.id, unit_id=self.cadre.unit_id)
        return Scope(self.cadre.id)

    def may_act_on(self, item: Item | ItemRecord) -> bool:
        """首接首办 and 属地: owner or reporter; the unit's head; any leader."""
        c = self.cadre
        return (
            self.is_leader
            or item.owner_id == c.id
            or item.reporter_id == c.id
            or (self.is_unit_head and item.unit_id == c.unit_id)
        )

    def send_file(self, request: str, key: str) -> None:
        """Queue a file message to the sender; `request` says what file (JSON)."""
        self.outgoing.append(Notice(CadreAddress(self.cadre.id), request, key, kind="file"))

    def notify(self, cadre_id: int, text: str, key: str | None = None, *, even_sender: bool = False) -> None:
        """Queue `text` for cadre `cadre_id`; it is written to the outbox in the message's
        transaction. `key` makes it unique (a dedupe key), so a retry never sends it twice.
        The sender is skipped (they read the reply) unless `even_sender` (no chat to reply
        in, e.g. a resident's rating on a public page)."""
        if even_sender or cadre_id != self.cadre.id:
            self.outgoing.append(Notice(CadreAddress(cadre_id), text, key))
