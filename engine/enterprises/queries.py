"""Enterprises and their ledgers (mixed into engine.service.Engine): the enterprise list,
一企一账 (an enterprise's visits, health checks, matters and follow-up ratings), 一事一单
(one matter's sheet), the 服务跟踪卡 and the xlsx ledger export.

Scope: admins see every enterprise; leaders and supervisors those of their unit and of
every unit below it; everyone else those of their own unit (no unit: none).
"""
from __future__ import annotations

import os

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from engine import access, clock
from engine.calendar import deadlines
from engine.calendar.days import WORKING_DAY_SECONDS
from engine.calendar.store import work_calendar
from engine.enterprises import monthly_service
from engine.enterprises.ledger import ledger_of, matter_dict
from engine.enterprises.rating_queries import enterprise_link_ratings
from engine.enterprises.visits import VISIT_FORMS
from engine.errors import InvalidInput, NotAllowed, NotFound
from engine.exchange.ledger_xlsx import DONE, export_ledger, remarks, section_names, status_text
from engine.org import directory
from engine.runtime.facade import EngineParts
from engine.store.org_tables import Enterprise, LedgerMatter, Unit
from engine.store.tables import AuditEvent, HumanTask, Instance, User

# 服务跟踪卡: each stage and the forms of its steps.
STAGES = (("走访", VISIT_FORMS, "visit"), ("体检", ("health_check",), "health_check"),
          ("整改", ("matter_rectification",), "rectification"), ("回访", ("service_followup",), "overall"))
NO_ACCESS = "无权查看该企业 (enterprise outside your scope)"


def _counts():
    open_ = LedgerMatter.status.not_in(DONE)
    late = and_(open_, LedgerMatter.deadline < clock.now())
    return (select(LedgerMatter.enterprise_id.label("eid"),
                   func.sum(case((open_, 1), else_=0)).label("open"),
                   func.sum(case((late, 1), else_=0)).label("overdue"))
            .group_by(LedgerMatter.enterprise_id).subquery())


def _filtered(session: Session, query, units, f: dict):
    if units is not None:
        query = query.where(Enterprise.unit_id.in_(units))
    if f.get("q"):
        pattern = "%" + f["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Enterprise.name.like(pattern, escape="\\"),
                                Enterprise.credit_code.like(pattern, escape="\\")))
    if f.get("unit"):
        unit_id = session.scalar(select(Unit.id).where(Unit.code == f["unit"]))
        query = query.where(Enterprise.unit_id.in_(directory.units_below(session, unit_id) if unit_id else []))
    if f.get("liaison"):
        query = query.where(Enterprise.liaison_id == select(User.id).where(User.name == f["liaison"])
                            .scalar_subquery())
    for key in ("scale", "type", "status"):
        if f.get(key):
            query = query.where(getattr(Enterprise, key) == f[key])
    service = monthly_service.list_filter(f.get("service"), monthly_service.today())  # 本月服务
    return query if service is None else query.where(service)


def _row(e: Enterprise, unit: str, liaison: str | None, leader: str | None, open_: int | None,
         overdue: int | None) -> dict:
    return {"id": e.id, "name": e.name, "credit_code": e.credit_code, "scale": e.scale, "type": e.type,
            "priority": e.priority, "unit": unit, "liaison": liaison or "", "contact_leader": leader or "",
            "status": e.status, "phone": e.phone, "pairing_year": e.pairing_year,
            "open_matters": int(open_ or 0), "overdue_matters": int(overdue or 0)}


def list_enterprises(session: Session, actor, filters: dict, page: int, per_page: int) -> dict:
    units = access.visible_units(session, actor)
    liaison, leader, counts = aliased(User), aliased(User), _counts()
    query = (select(Enterprise, Unit.name, liaison.display_name, leader.display_name, counts.c.open,
                    counts.c.overdue)
             .join(Unit, Unit.id == Enterprise.unit_id)
             .outerjoin(liaison, liaison.id == Enterprise.liaison_id)
             .outerjoin(leader, leader.id == Enterprise.contact_leader_id)
             .outerjoin(counts, counts.c.eid == Enterprise.id))
    query = _filtered(session, query, units, filters)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = list(session.execute(query.order_by(Unit.id, Enterprise.id).offset((page - 1) * per_page).limit(per_page)))
    service = monthly_service.month_statuses(session, [r[0] for r in rows])
    return {"rows": [{**_row(*r), "service": service[r[0].id]} for r in rows], "total": total, "page": page,
            "per_page": per_page}


def filter_options(session: Session, actor) -> dict:
    """The values the list can be filtered by, within the actor's scope."""
    units = access.visible_units(session, actor)
    query = select(Unit.code, Unit.name).order_by(Unit.id)
    if units is not None:
        query = query.where(Unit.id.in_(units))
    liaisons = select(User.name, User.display_name).where(
        User.id.in_(select(Enterprise.liaison_id).where(Enterprise.liaison_id.is_not(None)))).order_by(User.name)
    if units is not None:
        liaisons = liaisons.where(User.unit_id.in_(units))
    return {"units": [(r.code, r.name) for r in session.execute(query)], "scales": directory.SCALES,
            "types": directory.TYPES, "statuses": directory.STATUSES,
            "liaisons": [(r.name, r.display_name or r.name) for r in session.execute(liaisons)]}


def header(session: Session, actor, enterprise_id: int) -> dict:
    """The enterprise (with unit, liaison and contact leader), if the actor may see it."""
    liaison, leader = aliased(User), aliased(User)
    found = session.execute(
        select(Enterprise, Unit.name, liaison.display_name, leader.display_name, liaison.phone)
        .join(Unit, Unit.id == Enterprise.unit_id)
        .outerjoin(liaison, liaison.id == Enterprise.liaison_id)
        .outerjoin(leader, leader.id == Enterprise.contact_leader_id)
        .where(Enterprise.id == enterprise_id)).first()
    if found is None:
        raise NotFound(f"企业 {enterprise_id} 不存在 (no such enterprise)")
    units = access.visible_units(session, actor)
    if units is not None and found[0].unit_id not in units:
        raise NotAllowed(NO_ACCESS)
    out = _row(*found[:4], None, None)
    out.update(unit_id=found[0].unit_id, liaison_phone=found[4] or "")
    return out


def completed_steps(session: Session, enterprise_id: int, forms) -> list[dict]:
    """The completed steps (forms `forms`) of the enterprise's instances, oldest first, with
    the data submitted (from the audit trail)."""
    instances = select(Instance.id).where(Instance.enterprise_id == enterprise_id)
    rows = session.execute(
        select(AuditEvent, HumanTask.form_key)
        .join(HumanTask, HumanTask.id == AuditEvent.task_id)
        .where(AuditEvent.action == "task_completed", AuditEvent.instance_id.in_(instances),
               HumanTask.form_key.in_(list(forms)))
        .order_by(AuditEvent.id))
    return [{"instance_id": e.instance_id, "form_key": key, "actor": e.actor, "at": e.at.isoformat(),
             "data": (e.detail or {}).get("data") or {}} for e, key in rows]


def _visit(step: dict) -> dict:
    data = step["data"]
    return {"instance_id": step["instance_id"], "date": str(data.get("visit_date") or step["at"][:10]),
            "mode": str(data.get("mode") or ""), "members": _names(data.get("members")),
            "needs": str(data.get("needs") or ""), "actor": step["actor"]}


def _check(step: dict) -> dict:
    data = step["data"]
    findings = data.get("findings") if isinstance(data.get("findings"), list) else []
    return {"instance_id": step["instance_id"], "date": str(data.get("check_date") or step["at"][:10]),
            "experts": _names(data.get("experts")), "summary": str(data.get("summary") or ""),
            "findings": len(findings), "actor": step["actor"]}


def _rating(step: dict) -> dict:
    data = step["data"]
    satisfaction = data.get("satisfaction") if isinstance(data.get("satisfaction"), dict) else {}
    return {"instance_id": step["instance_id"], "date": str(data.get("followup_date") or step["at"][:10]),
            "mode": str(data.get("mode") or ""), "satisfaction": satisfaction,
            "comments": str(data.get("comments") or ""), "actor": step["actor"]}


def _names(value) -> str:
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return str(value or "")


def decorate(matter: dict, names: dict, unit_id: int, calendar) -> dict:
    """A matter dict with its status text, section name, whether it is overdue, and its
    deadline's colour: red overdue, yellow within a working day (engine.calendar.deadlines)."""
    deadline = clock.parse_moment(matter["deadline"]) if matter.get("deadline") else None
    is_open, now = matter["status"] not in DONE, clock.now()
    overdue = bool(deadline and is_open and deadline < now)
    colour = deadlines.colour(now, deadline, None, deadlines.yellow_moment(calendar, deadline)) \
        if deadline and is_open else None
    return {**matter, "status_text": status_text(matter["status"]), "overdue": overdue, "colour": colour,
            "section_name": names.get((unit_id, matter["section"]), matter["section"])}


def enterprise_page(session: Session, actor, enterprise_id: int) -> dict:
    head = header(session, actor, enterprise_id)
    enterprise = session.get(Enterprise, enterprise_id)
    steps = completed_steps(session, enterprise_id, VISIT_FORMS + ("health_check", "service_followup"))
    names = section_names(session, {head["unit_id"]})
    calendar = work_calendar(session)
    return {"enterprise": head,
            "visits": [_visit(s) for s in steps if s["form_key"] in VISIT_FORMS],
            "checks": [_check(s) for s in steps if s["form_key"] == "health_check"],
            "matters": [decorate(m, names, head["unit_id"], calendar) for m in ledger_of(session, enterprise_id)],
            "ratings": [_rating(s) for s in steps if s["form_key"] == "service_followup"],
            # What the enterprise itself submitted through its one-time links (engine.enterprises.rating_links).
            "link_ratings": enterprise_link_ratings(session, enterprise_id),
            # 每月服务: the last months, served or not, with their contacts; whether the actor records them.
            "service": monthly_service.service_history(session, enterprise),
            "may_record_contact": access.may_record_contact(session, actor, enterprise.liaison_id,
                                                            enterprise.contact_leader_id)}


def matter_sheet(session: Session, actor, instance_id: int, scope: str) -> dict:
    """一事一单: one matter with its enterprise, for the printable sheet."""
    row = session.scalar(select(LedgerMatter).where(LedgerMatter.instance_id == instance_id,
                                                    LedgerMatter.scope == ("" if scope == "main" else scope)))
    if row is None or row.enterprise_id is None:
        raise NotFound("事项不存在 (no such matter)")
    head = header(session, actor, row.enterprise_id)
    names = section_names(session, {head["unit_id"]})
    return {"enterprise": head, "matter": {**decorate(matter_dict(row), names, head["unit_id"], work_calendar(session)),
                                           "remarks": remarks(row)}}


def _stage(tasks: list, rating, calendar) -> dict:
    due = max((t.due_at for t in tasks if t.due_at), default=None)
    start = min((t.created_at for t in tasks), default=None)
    done = all(t.status == "completed" for t in tasks) and bool(tasks)
    limit = round(calendar.working_seconds(start, due) / WORKING_DAY_SECONDS) if due and start else None
    return {"limit_days": limit,  # in working days, as the deadlines count
            "due_at": due.isoformat() if due else None, "started_at": start.isoformat() if start else None,
            "done_at": max(t.completed_at for t in tasks).isoformat() if done else None,
            "rating": rating, "overdue": bool(due and not done and due < clock.now())}


def service_card(session: Session, actor, enterprise_id: int) -> dict:
    """服务跟踪卡 of the enterprise's latest service: each stage's limit, time and rating."""
    head = header(session, actor, enterprise_id)
    instance = session.scalar(select(Instance).where(Instance.enterprise_id == enterprise_id,
                                                     Instance.process_key == "enterprise_service")
                              .order_by(Instance.id.desc()).limit(1))
    tasks = list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)
                                 .where(HumanTask.status != "cancelled"))) if instance else []
    ratings = [r for r in (_rating(s) for s in completed_steps(session, enterprise_id, ("service_followup",)))
               if instance and r["instance_id"] == instance.id]
    satisfaction = ratings[-1]["satisfaction"] if ratings else {}
    calendar = work_calendar(session)
    stages = [{"name": name, **_stage([t for t in tasks if t.form_key in forms], satisfaction.get(key), calendar)}
              for name, forms, key in STAGES]
    return {"enterprise": head, "instance_id": instance.id if instance else None, "stages": stages,
            "comments": ratings[-1]["comments"] if ratings else ""}


class EnterpriseQueries(EngineParts):
    def ledger_for(self, enterprise_id: int, actor: str) -> list[dict]:
        """一企一账: every matter of the enterprise with its status and deadline, for those who
        may see the enterprise's page (the same scope rule)."""
        with self.uow(write=False) as uow:
            session = uow.session
            header(session, access.actor(session, actor), enterprise_id)
            return ledger_of(session, enterprise_id)

    def enterprises(self, actor: str, *, q: str | None = None, unit: str | None = None, scale: str | None = None,
                    type: str | None = None, liaison: str | None = None, status: str | None = None,
                    service: str | None = None, page: int = 1, per_page: int = 20) -> dict:
        """One page of the enterprises the actor sees, with open and overdue matter counts and
        this month's service (`service` filters by it: engine.enterprises.monthly_service.FILTERS)."""
        filters = {"q": q, "unit": unit, "scale": scale, "type": type, "liaison": liaison, "status": status,
                   "service": service}
        with self.uow(write=False) as uow:
            user = access.actor(uow.session, actor)
            return list_enterprises(uow.session, user, filters, max(page, 1), min(max(per_page, 1), 100))

    def enterprise_filters(self, actor: str) -> dict:
        with self.uow(write=False) as uow:
            return filter_options(uow.session, access.actor(uow.session, actor))

    def enterprise(self, actor: str, enterprise_id: int) -> dict:
        """一企一账: the enterprise, its visits, health checks, matters and ratings."""
        with self.uow(write=False) as uow:
            return enterprise_page(uow.session, access.actor(uow.session, actor), enterprise_id)

    def matter_sheet(self, actor: str, instance_id: int, scope: str = "main") -> dict:
        with self.uow(write=False) as uow:
            return matter_sheet(uow.session, access.actor(uow.session, actor), instance_id, scope)

    def service_card(self, actor: str, enterprise_id: int) -> dict:
        with self.uow(write=False) as uow:
            return service_card(uow.session, access.actor(uow.session, actor), enterprise_id)

    def export_ledger(self, actor: str, path: str | os.PathLike, enterprise_id: int | None = None,
                      unit: str | None = None) -> int:
        """Write the ledger of one enterprise, or of a unit (and the units below it), or of
        everything the actor sees, to `path` (xlsx); returns the number of matters."""
        with self.uow(write=False) as uow:
            session = uow.session
            user = access.actor(session, actor)
            if enterprise_id is not None:
                header(session, user, enterprise_id)
                return export_ledger(session, path=path, enterprise_id=enterprise_id)
            return export_ledger(session, path=path, unit_id=_export_units(session, user, unit))


def _export_units(session: Session, user, unit: str | None) -> list[int]:
    visible = access.visible_units(session, user)
    if unit is None:
        if visible is None:
            return list(session.scalars(select(Unit.id)))
        return visible
    unit_id = session.scalar(select(Unit.id).where(Unit.code == unit))
    if unit_id is None:
        raise InvalidInput(f"单位 '{unit}' 不存在 (no such unit)")
    if visible is not None and unit_id not in visible:
        raise NotAllowed("无权导出该单位的台账 (unit outside your scope)")
    return [u for u in directory.units_below(session, unit_id) if visible is None or u in visible]
