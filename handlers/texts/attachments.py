"""Every sentence about pictures, files and locations (留痕) a user sees, in one place."""

from __future__ import annotations

from handlers.texts.formatting import fmt_date
from storage.items import ItemRecord
from storage.models import Item, Visit

KIND_NAMES = {"image": "照片", "file": "文件", "location": "位置"}
MOVE_HINT = "如不对，回复「照片移到 #{n}」"


def visit_place(visit: Visit) -> str:
    """「11月21日 梅园3栋 走访」."""
    return f"{fmt_date(visit.date)} {visit.place or visit.place_type} 走访"


def item_place(item: Item | ItemRecord, role: str) -> str:
    """Where media was put, for the confirmations:
    「问题 #12」, or 「问题 #12（办结结果照片）」 when `role` is "result"."""
    return f"问题 #{item.id}" + ("（办结结果照片）" if role == "result" else "")


def what(kinds: list[str]) -> str:
    """「照片」「2张照片」「照片和文件」 for the media of one message."""
    names = [KIND_NAMES[k] for k in kinds]
    if len(set(names)) == 1:
        return f"{len(names)}张照片" if names[0] == "照片" and len(names) > 1 else names[0]
    return "和".join(dict.fromkeys(names))


def attached(kinds: list[str], place: str, example: int, label: str | None = None) -> str:
    """「已附到 11月21日 梅园3栋 走访。如不对，回复「照片移到 #12」」."""
    if kinds == ["location"]:
        return f"已记下位置{f'「{label}」' if label else ''}，已附到 {place}。"
    return f"收到{what(kinds)}，已附到 {place}。" + MOVE_HINT.format(n=example)


def unattached(kinds: list[str], minutes: int) -> str:
    """Media with no visit or item of the sender's in the last `minutes` (shown as hours when whole):
    「收到照片，但最近2小时内没有您的走访或问题记录，暂未附到记录上。…」"""
    hours = f"{minutes // 60}小时" if minutes % 60 == 0 else f"{minutes}分钟"
    return (
        f"收到{what(kinds)}，但最近{hours}内没有您的走访或问题记录，暂未附到记录上。"
        "请回复「照片移到 #问题编号」，或先发走访情况再发照片。"
    )


def moved(n: int, item: Item | ItemRecord, role: str) -> str:
    """照片移到 confirmation, `n` attachments: 「已把2个附件移到 问题 #12。」"""
    return f"已把{n}个附件移到 {item_place(item, role)}。"


NOTHING_TO_MOVE = "最近没有您发的照片或文件，没有可移动的附件。"


def over_quota(quota: int) -> str:
    """Media over the per-person daily `quota` (nothing saved):
    「今天发送的照片和文件已达上限（每人每天60个），这次未保存。…」"""
    return f"今天发送的照片和文件已达上限（每人每天{quota}个），这次未保存。如确有需要，请联系管理员。"


def refused(kind: str, file_name: str | None, reason: str, limit: str) -> str:
    """After the download: not an image or PDF, or larger than `limit` (「10MB」)."""
    name = f"「{file_name}」" if file_name else ""
    if reason == "larger than the size limit":
        return f"{KIND_NAMES.get(kind, '文件')}{name}太大，未保存。请压缩后重发（单个不超过{limit}）。"
    return f"{KIND_NAMES.get(kind, '文件')}{name}不是图片或PDF，未保存。只能附图片（JPG、PNG等）或PDF文件。"


def download_failed(kind: str, file_name: str | None, attempts: int) -> str:
    """Media that could not be fetched after `attempts` tries:
    「您发的照片下载失败（已重试5次），未能保存，请重新发送。」"""
    name = f"「{file_name}」" if file_name else ""
    return f"您发的{KIND_NAMES.get(kind, '文件')}{name}下载失败（已重试{attempts}次），未能保存，请重新发送。"
