"""「后台」 (a one-time sign-in link to the web console) and 「导出台账」 (the 台账 file in chat).

Both are for leaders, unit heads and administrators, and only in a one-to-one chat (a link or a
file with personal data must never land in a group). The link's token is stored hashed in the
message's own transaction (storage/console_links.py). The 台账 file is queued in the outbox as
a `file` message whose body is the export request (JSON); the outbound side builds the xlsx
when it sends it, so the chat reply never waits for the spreadsheet.

The link's address and lifetime come from the policy ([web] base_url and link_minutes).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import date, timedelta

from handlers.commands import Command, handles
from handlers.context import Ctx
from handlers.errors import UserFacingError
from handlers.policy import ADMIN_ROLES, ROLE_LEADER, ROLE_UNIT_HEAD
from storage import console_links

log = logging.getLogger("minqing.console_access")

NO_SUCH_MONTH = "没有{month}月。请写成「导出台账 2026-10」「导出台账 10月」或「导出上月台账」。"
FUTURE_MONTH = "这个月份还没到，没有台账。请写成「导出台账 2026-10」「导出台账 10月」或「导出上月台账」。"
UNMASKED_LEADERS_ONLY = "只有领导可以导出不隐去手机号、证件号的完整台账。"


def is_admin(roles: Iterable[str] | None) -> bool:
    """True when the roster roles include an ADMIN_ROLES role (None: no roles)."""
    return any(r in ADMIN_ROLES for r in roles or ())


def may_use_console(roles: Iterable[str] | None) -> bool:
    """Leaders, unit heads and administrators may sign in to the console and export."""
    roles = roles or ()
    return ROLE_LEADER in roles or ROLE_UNIT_HEAD in roles or is_admin(roles)


def sees_everything(roles: Iterable[str] | None) -> bool:
    """Leaders and administrators see every unit in the console and exports; others are scoped."""
    roles = roles or ()
    return ROLE_LEADER in roles or is_admin(roles)


@handles("console")
async def console_link(ctx: Ctx, cmd: Command) -> str:
    """「后台」 → a one-time link (single use, valid `policy.console_link_minutes`)."""
    minutes = ctx.policy.console_link_minutes
    token = await console_links.issue(ctx.session, ctx.cadre.id, ctx.now, minutes)
    return (
        f"后台登录链接（{minutes}分钟内有效，只能使用一次，请勿转发）：\n"
        f"{ctx.policy.console_url.rstrip('/')}/console/login?t={token}"
    )


_MONTH = re.compile(r"(\d{4})\s*[-年.]\s*(\d{1,2})\s*月?")


_BARE_MONTH = re.compile(r"(?<![\d年.-])(\d{1,2})\s*月")


def export_month(arg: str, today: date) -> str:
    """The month asked for: 本月 (default), 上月, 2026-10 / 2026年10月, 10月 (the latest October) →
    "YYYY-MM". UserFacingError for a month that does not exist or has not begun."""
    if "上月" in arg or "上个月" in arg:
        last = today.replace(day=1) - timedelta(days=1)
        return f"{last:%Y-%m}"
    if "下月" in arg or "下个月" in arg:
        raise UserFacingError(FUTURE_MONTH)
    year: int | None = None
    if m := _MONTH.search(arg):
        year, month = int(m.group(1)), int(m.group(2))
    elif m := _BARE_MONTH.search(arg):
        month = int(m.group(1))
        year = today.year if month <= today.month else today.year - 1
    if year is None:
        return f"{today:%Y-%m}"
    if not 1 <= month <= 12:
        raise UserFacingError(NO_SUCH_MONTH.format(month=month))
    if (year, month) > (today.year, today.month):
        raise UserFacingError(FUTURE_MONTH)
    return f"{year:04d}-{month:02d}"


def wants_unmasked(arg: str) -> bool:
    """True when an 导出 argument asks for unmasked names and phones (「完整」「不脱敏」「不隐去」「原始」)."""
    return any(w in arg for w in ("完整", "不脱敏", "不隐去", "原始"))


@handles("export")
async def export_ledger(ctx: Ctx, cmd: Command) -> str:
    """「导出台账」 / 「导出本月台账」 / 「导出上月台账」 / 「导出台账 2026-10」 / 「导出完整台账」:
    queue the xlsx (scoped to what the sender may see) as a file message to the sender."""
    roles = ctx.cadre.roles
    words = f"{cmd.arg} {cmd.extra}".strip()  # 「导出<arg>台账<extra>」
    unmasked = wants_unmasked(words)
    if unmasked and ROLE_LEADER not in roles:
        raise UserFacingError(UNMASKED_LEADERS_ONLY)
    month = export_month(words, ctx.today)
    everything = sees_everything(roles)
    spec = {
        "ledger": {
            "month": month,
            "cadre_id": ctx.cadre.id,
            "everything": everything,
            "unit_id": None if everything else ctx.cadre.unit_id,
            "unmasked": unmasked,
            "as_of": ctx.today.isoformat(),
        }
    }
    if unmasked:
        log.warning("unmasked ledger export requested by cadre:%s for %s", ctx.cadre.id, month)
    ctx.send_file(json.dumps(spec, ensure_ascii=False), key=f"ledger:{ctx.msg.dedupe_key}")
    y, m = month.split("-")
    who = "全部单位" if everything else ctx.cadre.unit.name
    masked = "未隐去手机号和证件号，请妥善保管" if unmasked else "手机号和证件号已隐去"
    return f"正在生成{y}年{int(m)}月台账（{who}，{masked}），稍后以文件发给您。"
