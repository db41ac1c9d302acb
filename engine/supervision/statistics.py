"""督办 statistics, aggregated in SQL and grouped by a key (a unit id or a section id):

- colours of the open tasks (index ix_human_tasks_open_unit covers unit, due, yellow, blue);
- 按期办结率 of the tasks completed in the period (ix_human_tasks_done_unit): on time when
  completed_at <= coalesce(original_due_at, due_at) — an approved extension moves due_at but
  keeps the first deadline in original_due_at, so it never improves the rate; the extended
  ones are counted apart;
- handling time per step (process + element), in natural hours from the task's creation to its
  completion: average and p90 (nearest rank) computed by the database with a window;
- 满意率: the share of 回访 (form service_followup) completed in the period whose overall score is
  4 or 5 (满意、非常满意), read from the completion's audit record (the data the liaison
  submitted, which includes what the enterprise gave through its rating link);
- 催办 and 效能告诫 issued in the period; 挂牌督办 records open now (跨年 when opened in an
  earlier year than now) and closed in the period.

Every function takes `where` (a clause on HumanTask, or None) and a grouping; callers roll the
groups up (a city's row is the sum of its counties' groups)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Integer, and_, case, cast, func, literal_column, or_, outerjoin, select
from sqlalchemy.orm import Session, aliased

from engine import clock
from engine.store.org_tables import Section, UserSection
from engine.store.supervision_tables import EfficiencyWarning, SupervisionRecord, Urge
from engine.store.tables import AuditEvent, HumanTask, ProcessDefinition, TaskCandidate, User

OPEN = literal_column("'open'")  # a literal, so SQLite proves the partial index's WHERE
COMPLETED = literal_column("'completed'")
FOLLOW_UP_FORM = "service_followup"
SATISFIED_FROM = 4  # overall 4 (满意) or 5 (非常满意)
OPEN_RECORD = ("open", "verifying")


@dataclass
class Figures:
    """One row of the dashboard (a unit's subtree, or a section)."""
    open: int = 0
    blue: int = 0
    yellow: int = 0
    red: int = 0
    done: int = 0
    on_time: int = 0
    extended: int = 0
    rated: int = 0
    satisfied: int = 0
    urges: int = 0
    warnings: int = 0
    records_open: int = 0
    records_cross_year: int = 0
    records_closed: int = 0
    coverage: dict = field(default_factory=dict)

    @property
    def late(self) -> int:
        return self.done - self.on_time

    @property
    def on_time_rate(self) -> float | None:
        return round(100 * self.on_time / self.done, 1) if self.done else None

    @property
    def satisfaction_rate(self) -> float | None:
        return round(100 * self.satisfied / self.rated, 1) if self.rated else None

    def add(self, other: Figures) -> None:
        for name in COUNTED:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict:
        out = {name: getattr(self, name) for name in COUNTED}
        out.update(late=self.late, on_time_rate=self.on_time_rate, satisfaction_rate=self.satisfaction_rate,
                   coverage=self.coverage)
        return out


COUNTED = ("open", "blue", "yellow", "red", "done", "on_time", "extended", "rated", "satisfied", "urges",
           "warnings", "records_open", "records_cross_year", "records_closed")


def section_of_task():
    """The task's section as SQL: the section queue it was claimable in, else the section its
    holder works in within the task's unit (as engine.org.people.task_section decides)."""
    queued = (select(cast(TaskCandidate.name, Integer)).where(TaskCandidate.task_id == HumanTask.id,
                                                               TaskCandidate.kind == "section")
              .limit(1).scalar_subquery())
    held = (select(func.min(UserSection.section_id)).join(User, User.id == UserSection.user_id)
            .join(Section, Section.id == UserSection.section_id)
            .where(User.name == HumanTask.assignee, Section.unit_id == HumanTask.unit_id).scalar_subquery())
    return func.coalesce(queued, held)


def sections_of_unit(unit_id: int):
    """(key, source) grouping a unit's tasks by section with joins instead of section_of_task's
    per-row subqueries: the section queue a task is claimable in, else its holder's section in
    that unit. Only for tasks of `unit_id`."""
    queued = aliased(TaskCandidate)
    held = (select(User.name.label("name"), func.min(UserSection.section_id).label("section_id"))
            .join(UserSection, UserSection.user_id == User.id).join(Section, Section.id == UserSection.section_id)
            .where(Section.unit_id == unit_id).group_by(User.name).subquery())
    source = (outerjoin(HumanTask, queued, and_(queued.task_id == HumanTask.id, queued.kind == "section"))
              .outerjoin(held, held.c.name == HumanTask.assignee))
    return func.coalesce(cast(queued.name, Integer), held.c.section_id), source


def _base(group, *columns):
    """select(key, *columns) for `group`: a column of human_tasks, or (key, source) from
    sections_of_unit."""
    if isinstance(group, tuple):
        key, source = group
        return select(key.label("k"), *columns).select_from(source)
    return select(group.label("k"), *columns)


def _sum(condition):
    return func.sum(case((condition, 1), else_=0))


def colours(session: Session, where, group, now: datetime) -> dict:
    """{key: (open, blue, yellow, red)} of the open tasks, colours exclusive as
    engine.calendar.deadlines.colour decides them (red, else yellow, else blue)."""
    stmt = colours_statement(where, group, now)
    return {key: tuple(int(v or 0) for v in values) for key, *values in session.execute(stmt)}


def colours_statement(where, group, now: datetime):
    t = (_base(group, HumanTask.due_at, HumanTask.yellow_at, HumanTask.blue_at)
         .where(HumanTask.status == OPEN, *_where(where)).subquery())
    not_red = t.c.due_at >= now
    stmt = (select(t.c.k, func.count(), _sum(and_(not_red, t.c.blue_at <= now,
                                                  or_(t.c.yellow_at.is_(None), t.c.yellow_at > now))),
                   _sum(and_(not_red, t.c.yellow_at <= now)), _sum(t.c.due_at < now))
            .group_by(t.c.k))
    return stmt


def completions(session: Session, where, group, start: datetime, end: datetime) -> dict:
    """{key: (done, on_time, extended)} of the tasks completed in [start, end)."""
    stmt = completions_statement(where, group, start, end)
    return {key: tuple(int(v or 0) for v in values) for key, *values in session.execute(stmt)}


def completions_statement(where, group, start: datetime, end: datetime):
    t = (_base(group, HumanTask.completed_at, HumanTask.due_at, HumanTask.original_due_at)
         .where(HumanTask.status == COMPLETED, HumanTask.completed_at >= start, HumanTask.completed_at < end,
                *_where(where)).subquery())
    first_due = func.coalesce(t.c.original_due_at, t.c.due_at)
    stmt = (select(t.c.k, func.count(), _sum(or_(first_due.is_(None), t.c.completed_at <= first_due)),
                   _sum(t.c.original_due_at.is_not(None)))
            .group_by(t.c.k))
    return stmt


def late_filter(start: datetime, end: datetime):
    """The clauses of 'completed late in the period' (for the drill-down list)."""
    first_due = func.coalesce(HumanTask.original_due_at, HumanTask.due_at)
    return [HumanTask.status == COMPLETED, HumanTask.completed_at >= start, HumanTask.completed_at < end,
            HumanTask.completed_at > first_due]


def handling_times(session: Session, where, start: datetime, end: datetime) -> list[dict]:
    """Per step (process, element) completed in [start, end): count, average and p90 hours
    (natural time from creation to completion), slowest average first."""
    if session.get_bind().dialect.name == "postgresql":
        seconds = func.extract("epoch", HumanTask.completed_at - HumanTask.created_at)
    else:
        seconds = (func.julianday(HumanTask.completed_at) - func.julianday(HumanTask.created_at)) * 86400
    step = (HumanTask.process_key, HumanTask.element_id)
    ranked = (select(HumanTask.process_key, HumanTask.element_id, HumanTask.name, seconds.label("s"),
                     func.row_number().over(partition_by=step, order_by=seconds).label("rn"),
                     func.count().over(partition_by=step).label("n"))
              .where(HumanTask.status == COMPLETED, HumanTask.completed_at >= start, HumanTask.completed_at < end,
                     *_where(where)).subquery())
    stmt = (select(ranked.c.process_key, ranked.c.element_id, func.max(ranked.c.name), func.count(),
                   func.avg(ranked.c.s), func.min(case((ranked.c.rn * 10 >= ranked.c.n * 9, ranked.c.s))))
            .group_by(ranked.c.process_key, ranked.c.element_id))
    found = session.execute(stmt).all()
    titles = dict(session.execute(select(ProcessDefinition.key, ProcessDefinition.name)
                                  .where(ProcessDefinition.key.in_({row[0] for row in found}))
                                  .order_by(ProcessDefinition.version)).all())  # the latest version's name
    rows = [{"process_key": key, "process_name": titles.get(key) or key, "element_id": element,
             "name": name or element, "count": int(count),
             "avg_hours": round(float(avg) / 3600, 1), "p90_hours": round(float(p90) / 3600, 1)}
            for key, element, name, count, avg, p90 in found]
    return sorted(rows, key=lambda r: (-r["avg_hours"], r["process_key"], r["element_id"]))


def satisfaction(session: Session, where, group, start: datetime, end: datetime) -> dict:
    """{key: (rated, satisfied)} of the 回访 completed in [start, end)."""
    followups = (_base(group, HumanTask.id, HumanTask.instance_id)
                 .where(HumanTask.status == COMPLETED, HumanTask.completed_at >= start,
                        HumanTask.completed_at < end, HumanTask.form_key == FOLLOW_UP_FORM, *_where(where))
                 .subquery())
    rows = session.execute(select(followups.c.k, AuditEvent.detail)
                           .join(AuditEvent, and_(AuditEvent.instance_id == followups.c.instance_id,
                                                  AuditEvent.task_id == followups.c.id))
                           .where(AuditEvent.action == "task_completed"))
    out: dict = defaultdict(lambda: [0, 0])
    for key, detail in rows:
        score = overall_score(detail)
        if score is not None:
            out[key][0] += 1
            out[key][1] += score >= SATISFIED_FROM
    return {key: tuple(v) for key, v in out.items()}


def overall_score(detail: dict | None) -> int | None:
    """The 总体满意度 (1–5) a completed 回访 recorded, or None."""
    data = (detail or {}).get("data") or {}
    value = (data.get("satisfaction") or {}).get("overall") if isinstance(data.get("satisfaction"), dict) else None
    return value if isinstance(value, int) and 1 <= value <= 5 else None


def counted_acts(session: Session, table, unit_ids, start: datetime, end: datetime, sections=None) -> dict:
    """{unit_id or section_id: n} of 催办 (Urge) or 效能告诫 (EfficiencyWarning) in [start, end)."""
    at = table.created_at
    if sections is not None:
        if table is Urge:  # an urge names its task, not a section: the task's section
            t = (select(section_of_task().label("k")).select_from(Urge).join(HumanTask, HumanTask.id == Urge.task_id)
                 .where(at >= start, at < end).subquery())
            stmt = select(t.c.k, func.count()).where(t.c.k.in_(sections)).group_by(t.c.k)
        else:
            stmt = (select(table.section_id, func.count()).where(at >= start, at < end,
                                                                 table.section_id.in_(sections))
                    .group_by(table.section_id))
    else:
        stmt = select(table.unit_id, func.count()).where(at >= start, at < end).group_by(table.unit_id)
        if unit_ids is not None:
            stmt = stmt.where(table.unit_id.in_(unit_ids))
    return {key: int(n) for key, n in session.execute(stmt)}


def records(session: Session, key_column, keys, start: datetime, end: datetime, year: int) -> dict:
    """{key: (open now, of which 跨年, closed in [start, end))} of 挂牌督办 records, keyed by
    SupervisionRecord.unit_id or .section_id."""
    is_open = SupervisionRecord.status.in_(OPEN_RECORD)
    closed = and_(SupervisionRecord.status == "closed", SupervisionRecord.closed_at >= start,
                  SupervisionRecord.closed_at < end)
    stmt = (select(key_column, _sum(is_open), _sum(and_(is_open, SupervisionRecord.year < year)), _sum(closed))
            .where(or_(is_open, closed)).group_by(key_column))
    if keys is not None:
        stmt = stmt.where(key_column.in_(keys))
    return {key: tuple(int(v or 0) for v in values) for key, *values in session.execute(stmt)}


def _where(where) -> list:
    return [] if where is None else [where]


def gather(session: Session, where, group, window, *, acts_units=None, acts_sections=None,
           record_column=None, record_keys=None) -> dict:
    """{key: Figures} for every group with anything to show. `window` = (start, end, now).
    Urges, warnings and records are keyed by unit (acts_units) or by section (acts_sections)."""
    start, end, now = window
    out: dict = defaultdict(Figures)
    for key, (n, blue, yellow, red) in colours(session, where, group, now).items():
        f = out[key]
        f.open, f.blue, f.yellow, f.red = n, blue, yellow, red
    for key, (done, on_time, extended) in completions(session, where, group, start, end).items():
        f = out[key]
        f.done, f.on_time, f.extended = done, on_time, extended
    for key, (rated, satisfied) in satisfaction(session, where, group, start, end).items():
        out[key].rated, out[key].satisfied = rated, satisfied
    for attr, table in (("urges", Urge), ("warnings", EfficiencyWarning)):
        for key, n in counted_acts(session, table, acts_units, start, end, acts_sections).items():
            setattr(out[key], attr, n)
    column = record_column if record_column is not None else SupervisionRecord.unit_id
    keys = record_keys if record_column is not None else acts_units
    for key, (opened, cross, closed) in records(session, column, keys, start, end, clock.to_local(now).year).items():
        out[key].records_open, out[key].records_cross_year, out[key].records_closed = opened, cross, closed
    out.pop(None, None)
    return dict(out)
