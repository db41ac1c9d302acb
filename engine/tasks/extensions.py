"""延期申请: the holder of a task asks for a later deadline with a reason; the head of the
task's section (or an admin) approves or refuses it with a note. One request waits per task.

An approval moves the due date through task_rows.set_deadline (the blue and yellow moments
are recomputed, and the ladder starts again for a deadline not yet missed); the first
deadline stays in human_tasks.original_due_at, which the statistics count 按期办结率 by. The
new deadline keeps the current deadline's time of day, on the working day asked for."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import access, clock
from engine.calendar.store import work_calendar
from engine.errors import Conflict, InvalidInput, NotFound, checked_text
from engine.inbox import task_rows
from engine.notifications.centre import notify
from engine.org.people import section_heads, task_section
from engine.runtime.facade import EngineParts
from engine.store import audit
from engine.store.names import display_names
from engine.store.org_tables import Enterprise, Section
from engine.store.supervision_tables import DeadlineExtension
from engine.store.tables import HumanTask

MAX_TEXT = 2000
MOST_AHEAD = timedelta(days=366)
STATUS_TEXT = {"pending": "待审批", "approved": "已批准", "refused": "未批准", "withdrawn": "已撤回"}


def _reason(reason: str | None) -> str:
    return checked_text(reason, "延期理由", MAX_TEXT, code="extension_reason", english="a reason")


def _new_day(value: date | str | None) -> date:
    if isinstance(value, datetime):
        return clock.to_local(value).date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise InvalidInput("请填写新的期限，格式如 2026-03-20 (the new due date: YYYY-MM-DD)",
                           code="extension_date_invalid") from None


def new_deadline(session: Session, row: HumanTask, day: date) -> datetime:
    """The deadline asked for: `day` at the current deadline's time of day (the end of the day
    for a task without one); refused unless it is a working day later than both the current
    deadline and now."""
    if not work_calendar(session).is_working(day):
        raise InvalidInput(f"新的期限 {day.isoformat()} 不是工作日 (the new due date must be a working day)",
                           code="extension_not_working_day")
    current = clock.to_local(row.due_at)
    if current is not None and day <= current.date():
        raise InvalidInput(f"新的期限须晚于当前期限 {current.date().isoformat()} (the new due date must be later "
                           "than the current one)", code="extension_not_later")
    at = current.timetz().replace(tzinfo=None) if current is not None else time(23, 59, 59)
    moment = datetime.combine(day, at, tzinfo=clock.SHANGHAI).astimezone(UTC)
    if moment <= clock.now():
        raise InvalidInput("新的期限须晚于现在 (the new due date must be in the future)", code="extension_past")
    if moment > clock.now() + MOST_AHEAD:
        raise InvalidInput("新的期限不能超过一年 (the new due date must be within a year)",
                           code="extension_date_invalid")
    return moment


def _check_still_wanted(row: HumanTask, ext: DeadlineExtension, previous) -> None:
    """An approval moves the deadline of the one who asked, to a date still ahead."""
    if previous is not None and ext.new_due_at <= previous:
        raise Conflict("任务期限已另行调整到申请的日期之后，无需再批准延期 (the deadline has moved past "
                       "the date asked for meanwhile)", code="extension_overtaken")
    if ext.new_due_at <= clock.now():
        raise Conflict("申请的期限已过，无法批准，请不予批准并由办理人重新申请 (the date asked for has passed)",
                       code="extension_expired")
    if row.assignee != ext.requested_by:
        raise Conflict("申请人已不再办理此任务，无法批准，请不予批准 (the requester no longer holds the task)",
                       code="extension_requester_gone")


def _number(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound(f"延期申请 {value} 不存在 (no such extension request)", code="no_such_extension") from None


def _dict(ext: DeadlineExtension, names: dict, task_name: str = "", enterprise: str = "", section: str = "") -> dict:
    def iso(moment):
        return moment.isoformat() if moment else None
    return {"id": ext.id, "task_id": ext.task_id, "instance_id": ext.instance_id, "status": ext.status,
            "status_text": STATUS_TEXT.get(ext.status, ext.status), "section_id": ext.section_id,
            "requested_by": ext.requested_by,
            "requested_by_name": names.get(ext.requested_by) or ext.requested_by,
            "requested_at": iso(ext.requested_at), "current_due_at": iso(ext.current_due_at),
            "new_due_at": iso(ext.new_due_at), "new_due_date": clock.to_local(ext.new_due_at).date().isoformat(),
            "reason": ext.reason, "decided_by": ext.decided_by,
            "decided_by_name": names.get(ext.decided_by) or ext.decided_by, "decided_at": iso(ext.decided_at),
            "decision_note": ext.decision_note, "task_name": task_name, "enterprise_name": enterprise,
            "section_name": section}


def extensions_of(session: Session, task_id: str) -> list[dict]:
    """A task's extension requests, oldest first (the task page's history)."""
    rows = list(session.scalars(select(DeadlineExtension).where(DeadlineExtension.task_id == task_id)
                                .order_by(DeadlineExtension.id)))
    names = display_names(session, {r.requested_by for r in rows} | {r.decided_by for r in rows})
    return [_dict(r, names) for r in rows]


class ExtensionCommands(EngineParts):
    """Mixed into engine.service.Engine."""

    def request_extension(self, task_id: str, actor: str, new_due_date: date | str | None,
                          reason: str | None) -> dict:
        """延期申请 by the holder: pending until the section head decides; the heads are told."""
        text, day = _reason(reason), _new_day(new_due_date)
        with self.uow() as uow:
            session = uow.session
            row = access.open_task(session, task_id)
            access.holder(session, row, actor)
            waiting = session.scalar(select(DeadlineExtension.id).where(
                DeadlineExtension.task_id == row.id, DeadlineExtension.status == "pending"))
            if waiting is not None:
                raise Conflict("该任务已有待审批的延期申请 (an extension request is already pending)",
                               code="extension_pending", params={"task_id": row.id, "extension_id": waiting})
            moment, section_id = new_deadline(session, row, day), task_section(session, row)
            ext = DeadlineExtension(task_id=row.id, instance_id=row.instance_id, unit_id=row.unit_id,
                                    section_id=section_id, requested_by=actor, requested_at=clock.now(),
                                    current_due_at=row.due_at, new_due_at=moment, reason=text, status="pending",
                                    decision_note="")
            session.add(ext)
            uow.flush()
            audit.record(session, actor, "extension_requested", instance_id=row.instance_id, task_id=row.id,
                         detail={"extension_id": ext.id, "new_due_at": moment.isoformat(), "reason": text})
            asked = f"延期申请待审批：{row.name}，申请延至 {day.isoformat()}（{text}）"
            for head in section_heads(session, section_id):
                notify(session, head, "extension", actor, asked, task_id=row.id, instance_id=row.instance_id)
            return _dict(ext, display_names(session, [actor]))

    def decide_extension(self, extension_id: int, actor: str, approve: bool, note: str | None = "") -> dict:
        """Approve (the deadline moves) or refuse (it stays) a pending request; the requester is told."""
        note = (note or "").strip()
        if len(note) > MAX_TEXT:
            raise InvalidInput(f"审批意见不能超过 {MAX_TEXT} 字 (at most {MAX_TEXT} characters)",
                               code="extension_note_too_long")
        if not approve and not note:
            raise InvalidInput("不批准时请填写审批意见 (say why when refusing)", code="extension_note_required")
        with self.uow() as uow:
            session = uow.session
            user = access.actor(session, actor)
            ext = session.get(DeadlineExtension, _number(extension_id))
            if ext is None:
                raise NotFound(f"延期申请 {extension_id} 不存在 (no such extension request)", code="no_such_extension")
            access.require_extension_decider(session, ext.section_id, ext.requested_by, user)
            # The task first, then the request: the order 退单 and the other task commands lock in.
            row = access.open_task(session, ext.task_id)
            session.refresh(ext, with_for_update=True)
            if ext.status != "pending":
                raise Conflict(f"该延期申请{STATUS_TEXT.get(ext.status, ext.status)} (already decided)",
                               code="extension_decided")
            previous = row.due_at
            if approve:
                _check_still_wanted(row, ext, previous)
            ext.status, ext.decided_by, ext.decided_at, ext.decision_note = (
                "approved" if approve else "refused", actor, clock.now(), note)
            if approve:
                self._move_deadline(session, row, ext)
            audit.record(session, actor, "extension_approved" if approve else "extension_refused",
                         instance_id=row.instance_id, task_id=row.id,
                         detail={"extension_id": ext.id, "note": note,
                                 "previous_due_at": previous.isoformat() if previous else None,
                                 "due_at": row.due_at.isoformat() if row.due_at else None})
            day = clock.to_local(ext.new_due_at).date().isoformat()
            text = (f"延期申请已批准：{row.name} 期限延至 {day}" if approve
                    else f"延期申请未批准：{row.name} 期限不变（{note}）")
            notify(session, ext.requested_by, "extension", actor, text, task_id=row.id, instance_id=row.instance_id)
            return _dict(ext, display_names(session, [ext.requested_by, actor]), row.name)

    def _move_deadline(self, session: Session, row: HumanTask, ext: DeadlineExtension) -> None:
        if row.original_due_at is None:
            row.original_due_at = row.due_at  # the first deadline: 按期办结率 counts it
        task_rows.set_deadline(session, row, ext.new_due_at)
        access.instance(session, row.instance_id).updated_at = clock.now()  # serialize on the instance

    def pending_extensions(self, actor: str, *, limit: int = 200) -> dict:
        """The requests waiting for `actor`'s decision (the sections they head; admins: all; never
        their own), the oldest `limit` first, with the step, the enterprise and the section;
        `more` says that others wait behind them."""
        most = max(1, min(limit, 1000))
        with self.uow(write=False) as uow:
            session = uow.session
            user = access.actor(session, actor)
            sections = access.extension_sections(session, user)
            query = (select(DeadlineExtension, HumanTask.name, Enterprise.name, Section.name)
                     .join(HumanTask, HumanTask.id == DeadlineExtension.task_id)
                     .outerjoin(Enterprise, Enterprise.id == HumanTask.enterprise_id)
                     .outerjoin(Section, Section.id == DeadlineExtension.section_id)
                     .where(DeadlineExtension.status == "pending", HumanTask.status == "open",
                            DeadlineExtension.requested_by != actor)
                     .order_by(DeadlineExtension.id).limit(most + 1))
            if sections is not None:
                query = query.where(DeadlineExtension.section_id.in_(sections))
            found = session.execute(query).all()
            names = display_names(session, {ext.requested_by for ext, *_ in found})
            rows = [_dict(ext, names, task or "", enterprise or "", section or "")
                    for ext, task, enterprise, section in found[:most]]
            return {"rows": rows, "more": len(found) > most, "heads_sections": sections is None or bool(sections)}
