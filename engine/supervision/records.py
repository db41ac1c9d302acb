"""督办单 (挂牌督办): a supervision record and its lifecycle.

    督办中 (open) ──整改情况报告──▶ 待复核 (verifying) ──复核通过──▶ 已销号 (closed)
        ▲                                   │
        └──────────── 复核不通过 ────────────┘

The ladder opens one when a task stays red M working days; a supervisor may open one by hand
on any open task in scope. The supervisor sets 限期整改 (a new deadline: the task's due date
moves with it, so the ladder watches the new one), the person responsible reports the
rectification, and only the supervisor's 复核 closes it. A record still open at the end of
its year is carried into the next year's list as 跨年 until it is closed."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import clock
from engine.calendar.days import SHANGHAI
from engine.errors import Conflict, InvalidInput, checked_text
from engine.inbox import task_rows
from engine.notifications.centre import notify
from engine.org import people
from engine.store import audit
from engine.store.org_tables import Enterprise
from engine.store.supervision_tables import SupervisionRecord, SupervisionRecordEvent
from engine.store.tables import HumanTask

OPEN, VERIFYING, CLOSED = "open", "verifying", "closed"
STATUS_WORDS = {OPEN: "督办中", VERIFYING: "待复核", CLOSED: "已销号"}
ACTION_WORDS = {"opened": "挂牌督办", "deadline_set": "限期整改", "reported": "报告整改情况",
                "verified": "复核通过，销号", "rejected": "复核不通过", "overdue_again": "逾期未整改"}
NOTE_MOST = 2000
MOST_AHEAD = timedelta(days=366)


def number(record: SupervisionRecord) -> str:
    return f"督办〔{record.year}〕{record.serial}号"


def year_of(moment: datetime) -> int:
    return moment.astimezone(SHANGHAI).year


def note_text(note: str | None, what: str, *, required: bool = True) -> str:
    return checked_text(note, what, NOTE_MOST, required=required)


def open_record(session: Session, row: HumanTask, actor: str, *, source: str, note: str = "",
                deadline: datetime | None = None) -> SupervisionRecord:
    """挂牌督办 on task `row`: a new record; if the task has one, that one — still open, or
    closed by a 复核 while the task itself went on and is overdue again: reopened (督办中)."""
    existing = session.scalar(select(SupervisionRecord).where(SupervisionRecord.task_id == row.id))
    if existing is not None:
        if existing.status == CLOSED:
            existing.status, existing.closed_at, existing.closed_by = OPEN, None, None
        add_event(session, existing, actor, "overdue_again", f"期限 {_day(row.due_at)} 已过，仍未办结")
        return existing
    section_id = people.task_section(session, row)
    now = clock.now()
    record = SupervisionRecord(
        title=_title(session, row), detail=note, source=source, task_id=row.id, instance_id=row.instance_id,
        enterprise_id=row.enterprise_id, unit_id=row.unit_id, section_id=section_id,
        responsible=row.assignee or next(iter(people.section_heads(session, section_id)), None),
        status=OPEN, deadline=deadline, opened_at=now, opened_by=actor)
    _number_and_add(session, record)
    add_event(session, record, actor, "opened", note, deadline)
    if deadline is not None:
        task_rows.set_deadline(session, row, deadline)
    return record


def about(session: Session, row: HumanTask) -> str | None:
    """What a task is about, for people: its enterprise's name, else its subject (a complaint)."""
    if row.enterprise_id is not None:
        name = session.scalar(select(Enterprise.name).where(Enterprise.id == row.enterprise_id))
        if name:
            return name
    return row.subject


def _title(session: Session, row: HumanTask) -> str:
    return f"{about(session, row) or row.process_key}：{row.name}超期未办结"[:200]


def _number_and_add(session: Session, record: SupervisionRecord) -> None:
    """Give the record the next serial of its year. Two schedulers listing at the same moment
    may pick the same one; the unique key refuses the second, which takes the next."""
    record.year = year_of(record.opened_at)
    for _attempt in range(20):
        last = session.scalar(select(func.max(SupervisionRecord.serial)).where(SupervisionRecord.year == record.year))
        record.serial = (last or 0) + 1
        try:
            with session.begin_nested():
                session.add(record)
            return
        except IntegrityError:  # the savepoint's rollback leaves `record` unsaved: try the next serial
            continue
    raise Conflict("督办单编号冲突，请重试 (could not number the record)", code="record_number_conflict")


def add_event(session: Session, record: SupervisionRecord, actor: str, action: str, note: str = "",
              deadline: datetime | None = None) -> None:
    session.add(SupervisionRecordEvent(record_id=record.id, at=clock.now(), actor=actor, action=action,
                                       note=note, deadline=deadline))
    audit.record(session, actor, f"record_{action}", instance_id=record.instance_id, task_id=record.task_id,
                 detail={"record": number(record), "note": note[:200],
                         "deadline": deadline.isoformat() if deadline else None})


def check_deadline(deadline: datetime) -> datetime:
    """A rectification deadline: later than now, and within a year."""
    now = clock.now()
    if deadline <= now:
        raise InvalidInput("整改期限应晚于现在 (the deadline must be in the future)", code="field_invalid",
                           params={"field": "整改期限"})
    if deadline > now + MOST_AHEAD:
        raise InvalidInput("整改期限不能超过一年 (the deadline must be within a year)", code="field_invalid",
                           params={"field": "整改期限"})
    return deadline


def set_deadline(session: Session, record: SupervisionRecord, actor: str, deadline: datetime, note: str) -> None:
    """限期整改: the new deadline of the record, and of its task while that is open."""
    if record.status == CLOSED:
        raise Conflict(f"{number(record)} 已销号 (closed)", code="record_closed")
    check_deadline(deadline)
    record.deadline = deadline
    add_event(session, record, actor, "deadline_set", note, deadline)
    row = session.get(HumanTask, record.task_id) if record.task_id else None
    if row is not None and row.status == "open":
        task_rows.set_deadline(session, row, deadline)
    tell(session, record, actor, f"{number(record)} 限期整改至 {_day(deadline)}：{record.title}",
         [record.responsible, *people.section_heads(session, record.section_id)])


def report(session: Session, record: SupervisionRecord, actor: str, note: str) -> None:
    if record.status != OPEN:
        raise Conflict(f"{number(record)} 当前为{STATUS_WORDS[record.status]}，不能报告整改情况 (not open)",
                       code="record_not_open")
    record.status = VERIFYING
    add_event(session, record, actor, "reported", note)
    tell(session, record, actor, f"{number(record)} 已报告整改情况，请复核：{record.title}",
         [record.opened_by, *people.unit_role_holders(session, record.unit_id, "supervisor")])


def verify(session: Session, record: SupervisionRecord, actor: str, approve: bool, note: str) -> None:
    if record.status != VERIFYING:
        raise Conflict(f"{number(record)} 尚未报告整改情况，不能复核 (nothing to verify)", code="record_not_verifying")
    if approve:
        record.status, record.closed_at, record.closed_by = CLOSED, clock.now(), actor
    else:
        record.status = OPEN
    add_event(session, record, actor, "verified" if approve else "rejected", note)
    word = "复核通过，已销号" if approve else "复核不通过，请继续整改"
    tell(session, record, actor, f"{number(record)} {word}：{record.title}",
         [record.responsible, *people.section_heads(session, record.section_id)])


def tell(session: Session, record: SupervisionRecord, actor: str, text: str, recipients) -> None:
    for name in dict.fromkeys(r for r in recipients if r):
        notify(session, name, "record", actor, text, task_id=record.task_id, instance_id=record.instance_id)


def _day(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d")


def record_dict(record: SupervisionRecord, year: int | None = None, section_name: str = "") -> dict:
    now = clock.now()
    return {"id": record.id, "number": number(record), "year": record.year, "serial": record.serial,
            "title": record.title, "detail": record.detail, "source": record.source,
            "task_id": record.task_id, "instance_id": record.instance_id, "enterprise_id": record.enterprise_id,
            "unit_id": record.unit_id, "section_id": record.section_id,
            "section_name": section_name, "responsible": record.responsible,
            "status": record.status, "status_text": STATUS_WORDS[record.status],
            "deadline": record.deadline.isoformat() if record.deadline else None,
            "deadline_passed": bool(record.deadline and record.deadline < now and record.status != CLOSED),
            "opened_at": record.opened_at.isoformat(), "opened_by": record.opened_by,
            "closed_at": record.closed_at.isoformat() if record.closed_at else None, "closed_by": record.closed_by,
            "carried_over": year is not None and record.year < year}


def history(session: Session, record: SupervisionRecord) -> list[dict]:
    rows = session.scalars(select(SupervisionRecordEvent).where(SupervisionRecordEvent.record_id == record.id)
                           .order_by(SupervisionRecordEvent.id))
    return [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action,
             "action_text": ACTION_WORDS.get(e.action, e.action), "note": e.note,
             "deadline": e.deadline.isoformat() if e.deadline else None} for e in rows]

