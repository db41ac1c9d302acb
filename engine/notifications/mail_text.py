"""What a mail says: the subject and plain-text Chinese body of a notification's mail and of a
day's digest. Plain text only: bureau mail clients and gateways treat HTML mail with suspicion."""
from __future__ import annotations

from datetime import date, datetime

from engine import clock

KIND_WORDS = {"assigned": "指派", "transferred": "转办", "returned": "退回", "delegated": "委派",
              "copied": "抄送", "escalated": "超期督办", "listed": "挂牌督办", "record": "督办单",
              "urged": "催办", "extension": "延期申请", "sent_back": "退单", "warning": "效能告诫",
              "monthly_service": "月度服务"}
SITE = "三服务工作平台"
SUBJECT_MOST = 200
DIGEST_MOST = 50  # items listed in one digest; the rest are counted


def task_link(base_url: str, task_id: str | None) -> str:
    """The task page's address; relative when no base URL is configured."""
    return f"{base_url}/tasks/{task_id}" if task_id else ""


def _when(moment: datetime) -> str:
    return clock.to_local(moment).strftime("%Y-%m-%d %H:%M")


def _footer(base_url: str) -> list[str]:
    return ["", "——", f"{SITE}（系统自动发送，请勿直接回复）",
            f"更改邮件提醒方式：{base_url}/account/"]


def notification_mail(base_url: str, display_name: str, kind: str, text: str, created_at: datetime,
                      task_id: str | None) -> tuple[str, str]:
    """(subject, body) of one notification sent at once."""
    word = KIND_WORDS.get(kind, "通知")
    one_line = " ".join(text.split())  # a header is one line; what people typed may break lines
    subject = f"【{SITE}】{word}：{one_line}"[:SUBJECT_MOST]
    lines = [f"{display_name}，您好：", "", text, "", f"时间：{_when(created_at)}"]
    if task_id:
        lines.append(f"办理：{task_link(base_url, task_id)}")
    return subject, "\n".join(lines + _footer(base_url))


def digest_mail(base_url: str, display_name: str, day: date, items: list[dict], total: int) -> tuple[str, str]:
    """(subject, body) of a day's digest: the unread notifications in `items` (newest first,
    each with kind, text, created_at, task_id), `total` of them in all."""
    subject = f"【{SITE}】{day.isoformat()} 通知汇总：{total} 条未读"
    lines = [f"{display_name}，您好：", "", f"您有 {total} 条未读通知：", ""]
    for number, item in enumerate(items, 1):
        word = KIND_WORDS.get(item["kind"], "通知")
        lines.append(f"{number}. 【{word}】{item['text']}（{_when(item['created_at'])}）")
        if item.get("task_id"):
            lines.append(f"   办理：{task_link(base_url, item['task_id'])}")
    if total > len(items):
        lines.append(f"……另有 {total - len(items)} 条")
    lines += ["", f"全部通知：{base_url}/notifications/"]
    return subject, "\n".join(lines + _footer(base_url))
