"""Conversation policy: the numbers handlers need, built from config (bot/config.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

TRACK_QUICK = "即办"
TRACK_LEADER = "包保"

ROLE_CADRE = "cadre"
ROLE_UNIT_HEAD = "unit_head"
ROLE_LEADER = "leader"
ADMIN_ROLES = ("管理员", "admin")
"""Roster roles that make a cadre an administrator of the console (sees everything)."""
ROLE_NAMES = {ROLE_LEADER: "领导", ROLE_UNIT_HEAD: "单位负责人", "管理员": "管理员", "admin": "管理员"}
"""How a role reads in help and refusals."""

RATINGS = ("满意", "基本满意", "不满意")


@dataclass(frozen=True)
class Policy:
    profile: str = "campus"
    quick_days: int = 7  # 即办: 首接首办 deadline
    leader_days: int = 60  # 领导包保 target
    response_hours: int = 24  # 签收 limit for 响应率 and 签收 nudges
    max_text_chars: int = 4000
    # rating → weight in 满意率; "群众": how many cadre-entered ratings one by the people served counts as
    satisfaction_weights: dict[str, float] = field(
        default_factory=lambda: {"满意": 1.0, "基本满意": 0.9, "不满意": 0.0, "群众": 1.0}
    )
    admin_contact: str = "本单位管理员"  # named in the not-registered reply
    undo_minutes: int = 60  # 撤销 reaches back this far (each 撤销 one more step)
    attach_window_minutes: int = 120  # a photo goes to the sender's record of the last 2 hours
    attach_daily_quota: int = 60  # pictures and files one person may send per day
    console_url: str = "http://127.0.0.1:8080"  # [web] base_url: the 「后台」 link starts with it
    console_link_minutes: int = 10  # [web] link_minutes: a 「后台」 link's lifetime
    rating_days: int = 14  # [public] rating_days: a 回访链接's lifetime
