"""督办单 commands and queries on the Engine facade (the lifecycle is engine.supervision.records)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select

from engine import access, clock
from engine.calendar.days import SHANGHAI
from engine.errors import Conflict, InvalidInput, NotAllowed, NotFound
from engine.org import directory, people
from engine.runtime.facade import EngineParts
from engine.store.names import display_names
from engine.store.org_tables import Section, Unit
from engine.store.supervision_tables import SupervisionRecord
from engine.supervision import records
from engine.supervision.ladder import escalations_of

PAGE_MOST = 200
OFFSET_MOST = 1_000_000
MIN_YEAR, MAX_YEAR = 2000, 2100
STATUSES = (records.OPEN, records.VERIFYING, records.CLOSED)


class RecordCommands(EngineParts):
    """Mixed into engine.service.Engine."""

    def supervision_records(self, actor: str, *, year: int | None = None, status: str | None = None,
                            unit: str | None = None, limit: int = 50, offset: int = 0) -> dict:
        """The 督办单 of `year` the actor sees: opened that year, or opened earlier and still open
        when it began (跨年, marked `carried_over`); newest first, with counts per status."""
        year = year or records.year_of(clock.now())
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise InvalidInput(f"年度应在 {MIN_YEAR} 到 {MAX_YEAR} 之间 (year out of range)", code="field_invalid",
                               params={"field": "年度"})
        if status not in (None, "", *STATUSES):
            raise InvalidInput(f"未知的督办状态 {status!r} (unknown status)", code="field_invalid",
                               params={"field": "状态"})
        with self.uow(write=False) as uow:
            session = uow.session
            user = access.actor(session, actor)
            where = [_of_year(year)]
            scope = access.record_scope(session, user)
            if scope is not None:
                where.append(scope)
            if unit:
                found = directory.unit_by_code(session, unit)
                where.append(SupervisionRecord.unit_id.in_(directory.units_below(session, found.id)))
            counts = dict(session.execute(select(SupervisionRecord.status, func.count())
                                          .where(*where).group_by(SupervisionRecord.status)).all())
            if status:
                where.append(SupervisionRecord.status == status)
            limit, offset = max(1, min(limit, PAGE_MOST)), max(0, min(offset, OFFSET_MOST))
            rows = list(session.scalars(select(SupervisionRecord).where(*where)
                                        .order_by(SupervisionRecord.opened_at.desc(), SupervisionRecord.id.desc())
                                        .offset(offset).limit(limit + 1)))
            shown = _decorated(session, rows[:limit], year)
            return {"year": year, "rows": shown, "has_next": len(rows) > limit,
                    "counts": {s: counts.get(s, 0) for s in STATUSES},
                    "carried_over": sum(1 for r in shown if r["carried_over"])}

    def supervision_record(self, record_id: int, actor: str) -> dict:
        """One 督办单 with its history and what the actor may do with it."""
        with self.uow(write=False) as uow:
            session = uow.session
            user = access.actor(session, actor)
            record = _visible(session, user, record_id)
            [shown] = _decorated(session, [record], records.year_of(clock.now()))
            events = records.history(session, record)
            names = display_names(session, [e["actor"] for e in events])
            for event in events:
                event["actor_name"] = names.get(event["actor"]) or event["actor"]
            supervises = access.supervises_unit(session, user, record.unit_id)
            is_open = record.status != records.CLOSED
            return {**shown, "history": events,
                    "can_set_deadline": supervises and is_open,
                    "can_report": record.status == records.OPEN and access.may_report_record(session, user, record),
                    "can_verify": supervises and record.status == records.VERIFYING}

    def task_supervision(self, task_id: str, actor: str) -> dict:
        """What the task page shows of supervision: the ladder steps taken, its 督办单 (if the
        actor may see it) and whether the actor may list it (挂牌督办)."""
        with self.uow(write=False) as uow:
            session = uow.session
            row, user = access.visible_task(session, actor, task_id)
            record = session.scalar(select(SupervisionRecord).where(SupervisionRecord.task_id == row.id))
            scope = access.record_scope(session, user)
            seen = record is not None and (scope is None or session.scalar(
                select(SupervisionRecord.id).where(SupervisionRecord.id == record.id, scope)) is not None)
            return {"ladder": escalations_of(session, row.id),
                    "record": records.record_dict(record) if seen else None,
                    "can_list": (record is None and row.status == "open"
                                 and access.supervises_unit(session, user, row.unit_id))}

    def list_for_supervision(self, task_id: str, actor: str, note: str | None,
                             deadline: datetime | None = None) -> dict:
        """挂牌督办 by hand: a supervisor lists an open task of their scope."""
        with self.uow() as uow:
            session = uow.session
            row, user = access.visible_task(session, actor, task_id, lock=True)
            if row.status != "open":
                raise InvalidInput("只能对未办结的事项挂牌督办 (the task is closed)", code="task_closed")
            if not access.supervises_unit(session, user, row.unit_id):
                raise NotAllowed("只有本级及上级领导、督查人员可以挂牌督办 (supervisors only)", code="supervisors_only")
            text = records.note_text(note, "督办事由")
            listed = session.scalar(select(SupervisionRecord).where(SupervisionRecord.task_id == row.id))
            if listed is not None:
                raise Conflict(f"此事项已挂牌督办：{records.number(listed)} (already listed)", code="already_listed")
            if deadline is not None:
                records.check_deadline(deadline)
            record = records.open_record(session, row, actor, source="manual", note=text, deadline=deadline)
            records.tell(session, record, actor, f"{records.number(record)} 挂牌督办：{record.title}",
                         [record.responsible, *people.section_heads(session, record.section_id)])
            return {"id": record.id, "number": records.number(record)}

    def set_record_deadline(self, record_id: int, actor: str, deadline: datetime, note: str | None) -> dict:
        return self._supervising(record_id, actor, lambda s, r: records.set_deadline(
            s, r, actor, deadline, records.note_text(note, "整改要求", required=False)))

    def report_record(self, record_id: int, actor: str, note: str | None) -> dict:
        with self.uow() as uow:
            session = uow.session
            user = access.actor(session, actor)
            record = _visible(session, user, record_id, lock=True)
            if not access.may_report_record(session, user, record):
                raise NotAllowed("只有责任人或科室负责人可以报告整改情况 (the person responsible only)",
                                 code="record_not_responsible")
            records.report(session, record, actor, records.note_text(note, "整改情况"))
            return {"id": record.id, "status": record.status}

    def verify_record(self, record_id: int, actor: str, approve: bool, note: str | None) -> dict:
        what = "复核意见"
        return self._supervising(record_id, actor, lambda s, r: records.verify(
            s, r, actor, approve, records.note_text(note, what, required=not approve)))

    def _supervising(self, record_id: int, actor: str, change) -> dict:
        with self.uow() as uow:
            session = uow.session
            user = access.actor(session, actor)
            record = _visible(session, user, record_id, lock=True)
            if not access.supervises_unit(session, user, record.unit_id):
                raise NotAllowed("只有本级及上级领导、督查人员可以限期整改和复核 (supervisors only)",
                                 code="supervisors_only")
            change(session, record)
            return {"id": record.id, "status": record.status}


def _of_year(year: int):
    """Opened in `year`, or earlier and not closed before it began (跨年)."""
    start = datetime(year, 1, 1, tzinfo=SHANGHAI)
    carried = and_(SupervisionRecord.year < year,
                   or_(SupervisionRecord.closed_at.is_(None), SupervisionRecord.closed_at >= start))
    return or_(SupervisionRecord.year == year, carried)


def _visible(session, user, record_id: int, *, lock: bool = False) -> SupervisionRecord:
    query = select(SupervisionRecord).where(SupervisionRecord.id == record_id)
    scope = access.record_scope(session, user)
    if scope is not None:
        query = query.where(scope)
    record = session.scalar(query.with_for_update() if lock else query)
    if record is None:
        raise NotFound(f"督办单 {record_id} 不存在或无权查看 (no such record)", code="no_such_record",
                       params={"record_id": record_id})
    return record


def _decorated(session, rows: list[SupervisionRecord], year: int) -> list[dict]:
    """The records as shown, with their units', sections' and people's names: one query each
    for the whole page."""
    units = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_({r.unit_id for r in rows})))}
    sections = dict(session.execute(select(Section.id, Section.name)
                                    .where(Section.id.in_({r.section_id for r in rows}))).all())
    names = display_names(session, [n for r in rows for n in (r.responsible, r.opened_by)])
    shown = []
    for record in rows:
        unit = units.get(record.unit_id)
        shown.append({**records.record_dict(record, year, sections.get(record.section_id, "")),
                      "unit_name": unit.name if unit else "", "unit_code": unit.code if unit else "",
                      "responsible_name": names.get(record.responsible) or record.responsible or "",
                      "opened_by_name": names.get(record.opened_by) or record.opened_by})
    return shown
