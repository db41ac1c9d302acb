"""Presentation helpers shared by the blueprints and templates: local times, time left,
readable audit events, messages in the user's language, safe redirects."""
from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import urlsplit

from flask import Flask
from flask_babel import get_locale, gettext, lazy_gettext as _l

from engine import clock
from engine.admin.audit_log import ACTION_LABELS
from engine.errors import SanfuError, bilingual
from engine.store.audit import PEOPLE_KEYS

DETAIL_LABELS = {"reason": _l("理由"), "to_user": _l("转给"), "to_section": _l("转至科室"), "to_unit": _l("转至单位"),
                 "from": _l("原办理人"), "to": _l("新办理人"), "name": _l("步骤"), "warnings": _l("提醒"),
                 "process_key": _l("流程"), "version": _l("版本"), "due_at": _l("到期"), "filename": _l("文件"),
                 "size": _l("大小"), "note": _l("附言"), "comment": _l("意见"), "body": _l("内容"),
                 "to_users": _l("抄送给"), "delegate": _l("委派给"), "owner": _l("委派人"),
                 "expires_at": _l("有效期至"), "replaced": _l("作废旧链接"), "ratings": _l("评分"),
                 "step_text": _l("督办环节"), "recipients": _l("通知"), "record": _l("督办单"),
                 "deadline": _l("整改期限"), "message": _l("内容"), "count": _l("次数"),
                 "new_due_at": _l("申请延至"), "previous_due_at": _l("原期限"),
                 "extensions_withdrawn": _l("撤回的延期申请"), "filenames": _l("文件"), "mode": _l("方式"),
                 "contacted_on": _l("联系日期"), "kind": _l("类型"), "key": _l("标识")}
# Ids and technical fields an auditor may need but the history page need not show.
HIDDEN_DETAILS = {"data", "element_id", "instance_id", "task_id", "client", "attachment_id", "content_type",
                  "field", "sha256", "storage_key", "link_id", "comment_id", "step"}
def language() -> str:
    return str(get_locale() or "zh_CN")


def error_text(error: SanfuError) -> str:
    """A domain error's message in the page's language (the error carries both)."""
    return error.text(language())


def plain_message(text: str) -> str:
    """An engine warning or report line ("中文 (English)", as errors are made) in the page's
    language, split by the engine's own rule (engine.errors.bilingual)."""
    zh, en = bilingual(text)
    return en if language().startswith("en") else zh


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


def _span(seconds: float, working: bool = False) -> str:
    """A span of time: "2 天 3 小时", or of working time "2 个工作日 3 小时" (a working day is a
    whole working calendar day)."""
    days, rest = divmod(int(seconds) // 60, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days and working:
        return (gettext("%(days)s 个工作日 %(hours)s 小时", days=days, hours=hours) if hours
                else gettext("%(days)s 个工作日", days=days))
    if days:
        return (gettext("%(days)s 天 %(hours)s 小时", days=days, hours=hours) if hours
                else gettext("%(days)s 天", days=days))
    if hours:
        return gettext("%(hours)s 小时 %(mins)s 分", hours=hours, mins=mins)
    return gettext("%(mins)s 分钟", mins=max(mins, 1))


#: The three colours' words: a colour is never the only signal (engine.calendar.deadlines).
COLOUR_WORDS = {"red": _l("超期"), "yellow": _l("预警"), "blue": _l("临近")}


def colour_word(colour: str | None) -> str:
    return str(COLOUR_WORDS[colour]) if colour in COLOUR_WORDS else ""


def due_info(row: dict) -> dict | None:
    """The due date in Asia/Shanghai with the working time left (or how long overdue) and
    the deadline's colour with its word."""
    due = parse_time(row.get("due_at"))
    if due is None:
        return None
    is_open = row.get("status", "open") == "open"
    working_left = row.get("working_seconds_left")
    left = working_left if working_left is not None else (due - clock.now()).total_seconds()
    working = working_left is not None
    overdue = bool(row.get("overdue")) if "overdue" in row else (is_open and due < clock.now())
    colour = row.get("colour") or ("red" if overdue and is_open else None)
    if not is_open:
        text = ""
    elif colour == "red" or left < 0:
        text = gettext("超期 %(time)s", time=_span(max(-left, 0), working))
    else:
        text = gettext("剩 %(time)s", time=_span(left, working))
    return {"local": local_time(due), "text": text, "overdue": colour == "red" and is_open,
            "colour": colour if is_open else None, "word": colour_word(colour) if is_open else ""}


def action_label(action: str) -> str:
    """An audit action's name (engine.admin.audit_log.ACTION_LABELS) in the page's language."""
    label = ACTION_LABELS.get(action)
    return gettext(label) if label else action


def detail_items(event: dict) -> list[tuple[str, str]]:
    """An audit event's detail as readable (label, value) pairs; submitted data apart."""
    detail, names = event.get("detail") or {}, event.get("names") or {}
    items = []
    for key, value in detail.items():
        if key in HIDDEN_DETAILS or value in (None, "", []):  # a first claim has no 原办理人
            continue
        if key in ("due_at", "expires_at", "deadline", "new_due_at", "previous_due_at"):
            value = local_time(value)
        elif key == "process_key":
            value = names.get(f"process:{value}", value)
        elif key in PEOPLE_KEYS:  # people by name, not by login
            value = "、".join(names.get(v, v) for v in value) if isinstance(value, list) else names.get(value, value)
        items.append((DETAIL_LABELS.get(key, key), show_value(value)))
    return items


def show_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return gettext("是") if value else gettext("否")
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


#: Texts the browser scripts show, translated on the server and handed to them as JSON
#: (base.html, #js-messages): {name} placeholders are filled in by the scripts.
JS_MESSAGES = {
    "picked": _l("已选 {n} 项"), "pick_first": _l("请先勾选任务"),
    "diagram_done": _l("已完成"), "diagram_active": _l("当前"),
    "diagram_missing": _l("流程图组件未安装（运行 make setup），以下为步骤列表。"),
    "diagram_failed": _l("流程图无法显示，以下为步骤列表。"), "diagram_loading": _l("正在加载流程图…"),
    "diagram_unavailable": _l("流程图暂时无法加载，请刷新页面重试。"),
    "file_too_large": _l("文件过大，超过了上传大小限制。"),
    "upload_failed": _l("上传失败（{status}），请刷新页面后重试。"),
    "delete_file": _l("删除 {name}"), "delete": _l("删除"),
    "choose_file": _l("请先选择要上传的照片或 PDF 文件。"),
    "file_over_limit": _l("文件“{name}”过大：每个文件不能超过 {mb} MB。"),
    "uploading": _l("正在上传…"), "uploaded": _l("已上传：{names}。"),
    "upload_network": _l("网络错误，上传未完成，请重试。"), "delete_failed": _l("删除失败"),
    "delete_network": _l("网络错误，删除未完成，请重试。"),
}


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(local_time=local_time, due_info=due_info, action_label=action_label,
                                 detail_items=detail_items, show_value=show_value,
                                 plain_message=plain_message, colour_word=colour_word)

    @app.context_processor
    def _globals():
        return {"current_locale": str(get_locale() or "zh_CN"),
                "js_messages": lambda: {key: str(text) for key, text in JS_MESSAGES.items()}}
