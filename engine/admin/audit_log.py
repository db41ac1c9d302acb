"""The audit log viewer (审计管理员) and its retention.

Viewing: `audit_events` filters by time range, actor, kind of action and instance, newest
first, one page at a time with a keyset cursor (the last row's time and id), so a page
costs the same on the millionth row as on the first: the time range and the cursor are a
range on `ix_audit_at` (or on `ix_audit_actor` when an actor is named), never an OFFSET
scan. `export_audit_csv` writes the same rows as CSV. Only the audit admin reads the log,
and reading it is itself recorded (`audit_viewed`, `audit_exported`).

Retention: audit rows are kept at least 180 days (等保 asks for six months of logs).
`purge_audit(before_days, actor)` deletes rows older than `before_days` days — refusing
fewer than 180 — in one transaction, and records the purge (with the cutoff and the count)
as a new event, so the purge itself survives it. It is an operator's command (`sanfu
audit-purge --older-than-days N`, e.g. from cron), not a web action: the audit admin only
reads, and nobody can purge from the browser.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select

from engine import access, clock
from engine.errors import InvalidInput
from engine.exchange.spreadsheet import _csv_value
from engine.runtime.facade import EngineParts
from engine.store import audit
from engine.store.tables import AuditEvent

RETENTION_DAYS = 180
PAGE_SIZE = 50
EXPORT_LIMIT = 100_000

def N_(text: str) -> str:
    """gettext_noop: marks a label for the web's translation catalog (web/babel.cfg extracts
    this module); the engine itself keeps the Chinese."""
    return text


#: The kinds of action the viewer filters by: (label, actions).
ACTION_KINDS = {
    "login": (N_("登录与退出"), ("login", "login_failed", "logout", "login_unlocked")),
    "account": (N_("账户与角色"), ("account_created", "person_saved", "roles_set", "admin_appointed",
                          "user_enabled", "user_disabled", "org_imported", "unit_added", "section_added",
                          "email_settings_changed")),
    "password": (N_("密码设置与重置"), ("password_set", "password_reset", "initial_passwords_set")),
    "admin": (N_("系统管理"), ("handover", "deputy_set", "task_assigned", "pairing_imported", "enterprise_paired",
                       "deploy", "api_token_created", "api_token_revoked", "calendar_imported",
                       "calendar_day_set", "email_retried", "instances_migrated", "instance_migrated")),
    "task": (N_("任务办理"), ("instance_started", "instance_withdrawn", "instance_completed", "task_completed",
                      "task_claimed", "task_released", "task_release_reason", "task_transferred", "task_returned",
                      "task_delegated", "delegation_resolved", "cosign_added", "cosign_signed",
                      "task_copied", "task_commented", "attachment_added",
                      "attachment_deleted", "rating_link_issued", "rating_submitted", "filings_acknowledged")),
    "audit": (N_("审计日志"), ("audit_viewed", "audit_exported", "audit_purged")),
}
#: The actions' names: Chinese in the CSV export, translated by the web pages (web.helpers.action_label).
ACTION_LABELS = {
    "login": N_("登录"), "login_failed": N_("登录失败"), "logout": N_("退出登录"), "login_unlocked": N_("解除登录锁定"),
    "account_created": N_("创建账户"), "person_saved": N_("修改账户"), "roles_set": N_("授予/撤销角色"),
    "admin_appointed": N_("指定管理员"), "user_enabled": N_("启用账户"), "user_disabled": N_("停用账户"),
    "org_imported": N_("导入组织机构"), "unit_added": N_("新增单位"), "section_added": N_("新增科室"),
    "password_set": N_("设置密码"), "password_reset": N_("重置密码"), "initial_passwords_set": N_("设置初始密码"),
    "deputy_set": N_("指定代理人"), "pairing_imported": N_("导入结对名单"), "enterprise_paired": N_("企业结对"),
    "calendar_imported": N_("导入工作日历"), "calendar_day_set": N_("修改工作日历"),
    "deploy": N_("部署流程"), "api_token_created": N_("创建 API 令牌"), "api_token_revoked": N_("撤销 API 令牌"),
    "audit_viewed": N_("查看审计日志"), "audit_exported": N_("导出审计日志"), "audit_purged": N_("清理过期审计日志"),
    "handover": N_("工作交接"), "task_assigned": N_("指派"), "instance_started": N_("发起流程"),
    "instance_completed": N_("流程办结"), "task_completed": N_("办理完成"), "task_claimed": N_("认领"),
    "task_released": N_("释放"), "task_release_reason": N_("释放理由"), "task_transferred": N_("转办"),
    "task_returned": N_("退回"), "task_delegated": N_("委派"), "delegation_resolved": N_("完成委派"),
    "task_copied": N_("抄送"), "cosign_added": N_("加签"), "cosign_signed": N_("签署加签"),
    "task_commented": N_("评论"), "attachment_added": N_("上传附件"), "attachment_deleted": N_("删除附件"),
    "rating_link_issued": N_("发送评价链接"), "rating_submitted": N_("企业评价"), "timer_fired": N_("定时器触发"),
    "timer_failed": N_("定时器失败"), "filings_acknowledged": N_("备案知悉"),
    "call_activity_bound": N_("调用子流程"), "message_delivered": N_("收到消息"), "signal_delivered": N_("收到信号"),
    "escalated": N_("逐级督办"), "record_opened": N_("挂牌督办"), "record_deadline_set": N_("限期整改"),
    "record_reported": N_("报告整改情况"), "record_verified": N_("复核通过，销号"), "record_rejected": N_("复核不通过"),
    "record_overdue_again": N_("逾期未整改"),
    "email_settings_changed": N_("修改邮件提醒设置"), "email_retried": N_("重新发送邮件"),
    "instance_migrated": N_("迁移到新版本"), "instances_migrated": N_("批量迁移流程实例"),
    "instance_withdrawn": N_("撤回流程"),
    "task_urged": N_("催办"), "task_sent_back": N_("退单"), "extension_requested": N_("申请延期"),
    "extension_approved": N_("同意延期"), "extension_refused": N_("驳回延期申请"), "efficiency_warning": N_("效能告诫"),
    "save_draft": N_("保存设计草稿"), "discard_draft": N_("放弃设计草稿"),
    "service_contact_recorded": N_("记录服务联系"), "start_attachments_taken": N_("发起时提交附件"),
    "monthly_service_reminded": N_("月度服务提醒"),
}
CSV_HEADER = ("编号", "时间", "操作人", "操作", "流程实例", "任务", "详情")


class AuditLogQueries(EngineParts):
    """Mixed into engine.service.Engine."""

    def audit_events(self, actor: str, *, since: datetime | None = None, until: datetime | None = None,
                     who: str | None = None, kind: str | None = None, instance_id: int | None = None,
                     after: str | None = None, limit: int = PAGE_SIZE) -> dict:
        """One page of the log, newest first: {"rows", "next"} where `next` is the cursor
        of the following (older) page, or None on the last page."""
        limit = min(max(limit, 1), 200)
        with self.uow() as uow:
            session = uow.session
            access.actor(session, actor)
            access.require_role(session, actor, "audit_admin")
            query = _filtered(since, until, who, kind, instance_id)
            if after:
                at, event_id = _cursor(after)
                # `at <= x` is the index range; the OR only settles ties within one instant.
                query = query.where(AuditEvent.at <= at, or_(AuditEvent.at < at, AuditEvent.id < event_id))
            rows = list(session.scalars(query.limit(limit + 1)))
            audit.record(session, actor, "audit_viewed", detail=_filters(since, until, who, kind, instance_id))
            more = len(rows) > limit
            rows = rows[:limit]
            return {"rows": [audit.event_dict(r) for r in rows],
                    "next": f"{rows[-1].at.isoformat()}~{rows[-1].id}" if more else None}

    def export_audit_csv(self, actor: str, *, since: datetime | None = None, until: datetime | None = None,
                         who: str | None = None, kind: str | None = None, instance_id: int | None = None) -> str:
        """The filtered rows (newest first, at most EXPORT_LIMIT) as CSV text with a BOM
        (Excel on a Chinese Windows); no cell starts a formula."""
        with self.uow() as uow:
            session = uow.session
            access.actor(session, actor)
            access.require_role(session, actor, "audit_admin")
            rows = session.scalars(_filtered(since, until, who, kind, instance_id).limit(EXPORT_LIMIT))
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow(CSV_HEADER)
            count = 0
            for row in rows:
                writer.writerow([_safe_cell(v) for v in _csv_row(row)])
                count += 1
            audit.record(session, actor, "audit_exported",
                         detail={**_filters(since, until, who, kind, instance_id), "rows": count})
            return "\ufeff" + out.getvalue()

    def purge_audit(self, before_days: int, actor: str) -> dict:
        """Delete audit rows older than `before_days` days (at least RETENTION_DAYS), in one
        transaction, and record the purge. Returns {"deleted", "before"}."""
        if not isinstance(before_days, int) or before_days < RETENTION_DAYS:
            raise InvalidInput(f"审计日志至少保留 {RETENTION_DAYS} 天，不能清理 {before_days} 天以内的记录 "
                               f"(audit rows are kept at least {RETENTION_DAYS} days)")
        cutoff = clock.now() - timedelta(days=before_days)
        with self.uow() as uow:
            deleted = uow.session.execute(delete(AuditEvent).where(AuditEvent.at < cutoff)
                                          .execution_options(synchronize_session=False)).rowcount
            audit.record(uow.session, actor, "audit_purged", detail={
                "older_than_days": before_days, "before": cutoff.isoformat(), "deleted": deleted})
        return {"deleted": deleted, "before": cutoff.isoformat()}


def _filtered(since, until, who, kind, instance_id):
    if kind is not None and kind not in ACTION_KINDS:
        raise InvalidInput(f"操作类别 '{kind}' 无效 (unknown kind of action)")
    conditions = []
    if since is not None:
        conditions.append(AuditEvent.at >= since)
    if until is not None:
        conditions.append(AuditEvent.at < until)
    if who:
        conditions.append(AuditEvent.actor == who)
    if kind:
        conditions.append(AuditEvent.action.in_(ACTION_KINDS[kind][1]))
    if instance_id is not None:
        conditions.append(AuditEvent.instance_id == instance_id)
    return (select(AuditEvent).where(*conditions)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))


def _filters(since, until, who, kind, instance_id) -> dict:
    given = {"since": since.isoformat() if since else None, "until": until.isoformat() if until else None,
             "actor": who or None, "kind": kind or None, "instance_id": instance_id}
    return {key: value for key, value in given.items() if value is not None}


def _cursor(text: str) -> tuple[datetime, int]:
    try:
        at, event_id = text.rsplit("~", 1)
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None:
            raise ValueError
        return moment, int(event_id)
    except ValueError:
        raise InvalidInput("翻页参数无效，请从第一页重新查看 (bad page cursor)") from None


def _csv_row(row: AuditEvent) -> list:
    local = clock.to_local(row.at).strftime("%Y-%m-%d %H:%M:%S")
    detail = json.dumps(row.detail or {}, ensure_ascii=False, sort_keys=True)
    return [row.id, local, row.actor, ACTION_LABELS.get(row.action, row.action), row.instance_id or "",
            row.task_id or "", detail]


def _safe_cell(value):
    """orgio's CSV rule (=, +, -, @ first get Excel's text marker), plus tab and carriage
    return, which some spreadsheet programs also read as the start of a formula."""
    if isinstance(value, str) and value[:1] in ("\t", "\r"):
        return "'" + value
    return _csv_value(value)
