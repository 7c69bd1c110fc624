"""Every user-visible text the scheduler sends, in one place (Chinese templates).

The reply hints name the conversation's commands through `handlers.commands.form`, so they
follow a renamed command word.
"""

from __future__ import annotations

from handlers.commands import form

PART_LABEL = "（{n}/{total}）"
MORE = "……等共{total}项"
SEP = "、"

# --- visit duties ---------------------------------------------------------------------------
DUTY_HEAD = "【民情通】{month}月走访提醒"
DUTY_INTRO = "{name}，您本月还有以下走访任务未完成（截至{today}）："
DUTY_POINTS = "· {rule}：{points} 本月尚未走访"
DUTY_POINT_TIMES = "{point}（{done}/{times}次）"
DUTY_TYPES = "· {rule}（{types}）：本月已{done}次，还需{left}次"
DUTY_REPLY = (
    "走访后直接发一条记录即可，例如「今天到{example}走访，听取了意见……」；"
    "请假请回复「请假 到{leave_until}」。"
)  # leave_until: a date ahead of the delivery day

# --- item deadlines -------------------------------------------------------------------------
DUE_SOON_HEAD = "【民情通】以下问题即将到期，请抓紧办理："
DUE_SOON_LINE = "#{id} {category}｜{text}｜{deadline}到期（{left}）"
DUE_LEFT = "还剩{n}个工作日"
DUE_TODAY = "今天到期"
NUDGE_HEAD = "【民情通】催办：以下问题已超过办理期限，请尽快办结："
NUDGE_LINE = "#{id} {category}｜{text}｜期限{deadline}，已逾期{days}天"
ACCEPT_HEAD = "【民情通】以下问题交办给您已超过{hours}小时，尚未签收："
ACCEPT_LINE = "#{id} {category}｜{text}｜交办于{created}"
REPLY_RESOLVE = f"回复「{form('resolve')}」办结，或「{form('progress')}」报告进展。"
REPLY_ACCEPT = f"回复「{form('accept')}」签收；不属本人办理请回复「{form('transfer')}」。"
ESC_HEAD_HEAD = "【民情通】督办：本单位以下问题逾期{days}个工作日以上仍未办结，请督促办理："
ESC_LEADERS_HEAD = "【民情通】督办（报领导）：以下问题逾期{days}个工作日以上仍未办结："
ESC_LINE = "#{id} {unit}｜{category}｜{text}｜责任人：{owner}｜已逾期{days}天"
ESC_REPLY = f"回复「{form('transfer')}」改派，或发送「逾期」查看全部逾期问题。"

# --- weekly digest --------------------------------------------------------------------------
DIGEST_TITLE = "**【民情通】{unit} 周报（{start}—{end}）**"
DIGEST_ORG_TITLE = "**【民情通】全校（全单位）周报（{start}—{end}）**"
DIGEST_VISITS = "走访：{visits}次，{went}/{cadres}名干部下基层（{share}）"
DIGEST_NEW = "新增问题：{total}项{detail}"
DIGEST_RESOLVED = "办结问题：{n}项"
DIGEST_OVERDUE = "逾期未办结：{n}项"
DIGEST_OVERDUE_LINE = "> #{id} {category}｜{text}｜逾期{days}天｜{owner}"
DIGEST_METRICS = "累计：响应率{response}，解决率{resolve}，按时办结率{ontime}，满意率{satisfaction}"
DIGEST_UNIT_LINE = (
    "{unit}：走访{visits}次（{share}下基层），新增{new}，办结{resolved}，逾期{overdue}，"
    "响应率{response}，解决率{resolve}，按时{ontime}，满意{satisfaction}"
)
DIGEST_BY_UNIT = "**各单位：**"
DIGEST_MORE_OVERDUE = "> ……共{total}项逾期，发送「逾期」查看全部"

# --- monthly report -------------------------------------------------------------------------
MONTHLY_TITLE = "【民情通】{year}年{month}月工作月报"
MONTHLY_DUTIES = "走访任务：{met}/{total}名干部完成（走访完成率{rate}），本月走访{visits}次"
MONTHLY_LISTS = "三个清单（本月）：问题清单{problems}项，任务清单{tasks}项，效果清单{effects}项"
MONTHLY_METRICS = (
    "累计指标：响应率{response}，解决率{resolve}，按时办结率{ontime}，满意率{satisfaction}，"
    "重办率{reopen}；当前逾期{overdue}项"
)
MONTHLY_BY_UNIT = "各单位（按走访完成率由低到高）："
MONTHLY_UNIT_LINE = (
    "{unit}：走访完成{met}/{total}，走访{visits}次，"
    "问题{problems}/任务{tasks}/效果{effects}，逾期{overdue}，响应{response}，解决{resolve}，按时{ontime}，满意{satisfaction}"
)
MONTHLY_UNMET = "未完成走访任务的干部："
MONTHLY_UNMET_LINE = "{unit}：{names}"
MONTHLY_TRUNCATED = "（其余单位和干部明细见台账）"
MONTHLY_LEDGER = (
    "台账（三个清单和走访记录）可在服务器上导出："
    "minqing export --format xlsx --month {ym} --out 台账.xlsx，或在对话中发送「导出台账」。"
)


# --- holiday calendar coverage (to administrators) ------------------------------------------
HOLIDAY_MISSING = (
    "【民情通】{year}年节假日安排尚未录入。国务院办公厅发布《关于{year}年部分节假日安排的通知》后，"
    "请把放假日期和调休上班日期写入节假日文件 {file}（格式见 README「定时任务」），"
    "保存即生效，无需重启；可用 minqing holidays check --year {year} 核对。{fallback}"
)
HOLIDAY_FALLBACK_STATUTORY = "录入前按法定节日规则推算放假日，调休上班日未知，调休周末不会发送提醒。"
HOLIDAY_FALLBACK_CLOSED = '录入前该年不发送任何提醒（fallback = "closed"）。'
