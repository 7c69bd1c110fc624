"""「回访链接 #12」: a link (and its QR code) the people served open to rate a resolved item
themselves — no account; the rating counts as a 回访 with source 群众 (bot/public/rating.py).

Only in a one-to-one chat (the link is for one person), by those who may act on the item
(owner, reporter, the unit's head, leaders), and only once the item is resolved (办结).
"""

from __future__ import annotations

from handlers.commands import Command, handles
from handlers.context import Ctx
from handlers.errors import UserFacingError
from handlers.lifecycle import load_item
from handlers.texts import replies
from storage import rating_links


def link_reply(item_id: int, url: str, days: int) -> str:
    """The 回访链接 reply, valid `days` days, with the QR image at `url` + ".png":
    「问题 #12 的回访链接（14天内有效，只能评价一次）：…」"""
    return (
        f"问题 #{item_id} 的回访链接（{days}天内有效，只能评价一次）：\n{url}\n"
        f"二维码图片：{url}.png\n"
        "请转发给提出问题的同学、家长或群众，由本人评价满意、基本满意或不满意。"
    )


@handles("rating_link")
async def rating_link(ctx: Ctx, cmd: Command) -> str:
    """A new 回访链接 for the item's current round. UserFacingError in a group, for an item the
    sender may not act on, or one not resolved."""
    item = await load_item(ctx, cmd.ref, cmd.natural)
    if item.status != "resolved":
        raise UserFacingError(replies.wrong_state(item, "生成回访链接（办结后才能请群众评价）"))
    days = ctx.policy.rating_days
    token = await rating_links.issue(ctx.session, item.id, ctx.cadre.id, ctx.now, days)
    return link_reply(item.id, f"{ctx.policy.console_url.rstrip('/')}/r/{token}", days)
