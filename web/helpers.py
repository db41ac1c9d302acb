"""Presentation helpers shared by the blueprints and templates: local times, time left,
readable audit events, messages in the user's language, safe redirects."""
from __future__ import annotations

import json
import re
from datetime import datetime
from urllib.parse import urlsplit

from flask import Flask
from flask_babel import get_locale

from engine import clock
from engine.audit_log import ACTION_LABELS

ACTIONS = {**ACTION_LABELS,
    "instance_started": "发起流程", "instance_completed": "流程办结", "task_completed": "办理完成",
    "task_claimed": "认领", "task_released": "释放", "task_release_reason": "释放理由",
    "task_assigned": "指派", "task_transferred": "转办", "task_returned": "退回",
    "timer_fired": "定时器触发", "timer_failed": "定时器失败", "call_activity_bound": "调用子流程",
    "handover": "工作交接", "message_delivered": "收到消息", "signal_delivered": "收到信号",
}
DETAIL_LABELS = {"reason": "理由", "to_user": "转给", "to_section": "转至科室", "to_unit": "转至单位",
                 "from": "原办理人", "to": "新办理人", "name": "步骤", "warnings": "提醒",
                 "process_key": "流程", "version": "版本", "due_at": "到期", "filename": "文件",
                 "size": "大小", "note": "附言", "comment": "意见", "body": "内容", "to_users": "抄送给",
                 "delegate": "委派给", "owner": "委派人", "expires_at": "有效期至",
                 "replaced": "作废旧链接", "ratings": "评分"}
# Ids and technical fields an auditor may need but the history page need not show.
HIDDEN_DETAILS = {"data", "element_id", "instance_id", "task_id", "client", "attachment_id", "content_type",
                  "field", "sha256", "storage_key", "link_id", "comment_id"}
_TRAILING_ENGLISH = re.compile(r"\s*\(([ -~]+)\)\s*$")


def plain_message(text: str) -> str:
    """Engine messages read "中文 (English)": show the part in the user's language."""
    text = str(text)
    match = _TRAILING_ENGLISH.search(text)
    if match is None:
        return text
    if str(get_locale() or "zh_CN").startswith("en"):
        return match.group(1)
    return text[:match.start()]


def parse_time(value) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def local_time(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    moment = parse_time(value)
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.SHANGHAI)
    return clock.to_local(moment).strftime(fmt)


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} 天 {hours} 小时" if hours else f"{days} 天"
    if hours:
        return f"{hours} 小时 {mins} 分"
    return f"{max(mins, 1)} 分钟"


def due_info(row: dict) -> dict | None:
    """The due date in Asia/Shanghai with the time left, or how long it is overdue."""
    due = parse_time(row.get("due_at"))
    if due is None:
        return None
    left = (due - clock.now()).total_seconds()
    is_open = row.get("status", "open") == "open"
    overdue = bool(row.get("overdue")) if "overdue" in row else (is_open and left < 0)
    if not is_open:
        text = ""
    elif overdue or left < 0:
        text = "超期 " + _span(-left)
    else:
        text = "剩 " + _span(left)
    return {"local": local_time(due), "text": text, "overdue": overdue and is_open}


def action_label(action: str) -> str:
    return ACTIONS.get(action, action)


def detail_items(event: dict) -> list[tuple[str, str]]:
    """An audit event's detail as readable (label, value) pairs; submitted data apart."""
    detail = event.get("detail") or {}
    items = []
    for key, value in detail.items():
        if key in HIDDEN_DETAILS:
            continue
        if key in ("due_at", "expires_at"):
            value = local_time(value)
        items.append((DETAIL_LABELS.get(key, key), show_value(value)))
    return items


def show_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, indent=1)
    return str(value)


def safe_next(target: str | None) -> str | None:
    """A redirect target only if it stays on this site (no open redirect)."""
    if not target or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(local_time=local_time, due_info=due_info, action_label=action_label,
                                 detail_items=detail_items, show_value=show_value,
                                 plain_message=plain_message)

    @app.context_processor
    def _globals():
        return {"current_locale": str(get_locale() or "zh_CN")}
