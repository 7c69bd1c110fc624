"""A tiny driver for conversation tests: say(user, text) → the reply text."""

from __future__ import annotations

import itertools

from handlers.types import IncomingMessage

_ids = itertools.count(1)


async def say(
    dispatcher, user: str, text: str, *, msg_id: str | None = None, chat_id: str | None = None, channel: str = "console"
) -> str:
    msg = IncomingMessage(
        channel=channel,
        msg_id=msg_id or f"t{next(_ids)}",
        user_id=user,
        text=text,
        received_at=dispatcher.clock.now(),
        chat_id=chat_id,
        is_group=chat_id is not None,
    )
    replies = await dispatcher.handle(msg)
    return "\n".join(r.text for r in replies)
