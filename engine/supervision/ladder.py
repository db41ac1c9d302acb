"""The escalation ladder (逐级督办), run by the scheduler: red → the section head hears of it
and sees it on their 督办 view; red + N working days → the 分管领导; red + M → 挂牌督办 with a
督办单 (engine.supervision.records). N, M and who hears: engine.calendar.escalation.

Exactly once, whatever number of schedulers run: a task climbs with one conditional UPDATE
(`ladder_step` from what was read to the step reached), in the same transaction as its
escalation rows (unique per task, step and deadline), notifications and audit. A scheduler
that loses the race changes nothing. A task that skipped steps (the scheduler was down)
takes each step it missed, in order, in one go."""
from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import clock
from engine.calendar.days import SHANGHAI
from engine.calendar.escalation import LEADER, LISTED, SECTION_HEAD, STEP_WORDS, STEPS, LadderTerms
from engine.calendar.store import work_calendar
from engine.notifications.centre import notify
from engine.org import people
from engine.runtime.facade import EngineParts
from engine.store import audit
from engine.store.supervision_tables import Escalation
from engine.store.tables import HumanTask, Instance, ProcessDefinition, TaskCandidate
from engine.supervision import records

SYSTEM = "督办系统"  # the actor the ladder's notifications and audit rows name
BATCH = 500
RETRY_AFTER = timedelta(hours=1)
log = logging.getLogger("sanfu.ladder")
MAX_ROUNDS = 100  # a run takes at most 50,000 steps; the next run goes on
LADDER_EVERY = 30  # seconds between runs: a step is due on a working-day boundary, not to the second
NOTIFY_KIND = {SECTION_HEAD: "escalated", LEADER: "escalated", LISTED: "listed"}


class LadderCommands(EngineParts):
    """Mixed into engine.service.Engine."""

    def run_ladder(self, owner: str = "scheduler") -> dict:
        """Take every ladder step due as of clock.now(), each task in its own transaction;
        how many tasks took each step."""
        now = clock.now()
        taken: Counter = Counter()
        for _round in range(MAX_ROUNDS):
            with self.uow(write=False) as uow:
                session = uow.session
                calendar = work_calendar(session)
                terms = _TermsCache(session)
                due = _candidates(session, now)
                climbs = [(row, terms.of(row)) for row in due]
            roster = Roster()
            for row, row_terms in climbs:
                taken.update(self._climb_one(row, row_terms, calendar, now, roster))
            if len(due) < BATCH:
                break
        return {step: taken[step] for step in STEPS}

    def _climb_one(self, row, terms: LadderTerms, calendar, now: datetime, roster: Roster) -> list[str]:
        """One task's climb in its own transaction. A task that cannot climb (a bug, bad data)
        is logged and looked at again an hour later, so it never holds up the tasks behind it."""
        try:
            with self.uow() as uow:
                return climb(uow.session, row, terms, calendar, now, roster)
        except Exception:  # noqa: BLE001 - one task's failure must not stop the ladder for the others
            log.exception("ladder: task %s could not climb; retried in an hour", row.id)
            with self.uow() as uow:
                uow.session.execute(update(HumanTask).where(HumanTask.id == row.id,
                                                            HumanTask.ladder_next_at == row.ladder_next_at)
                                    .values(ladder_next_at=now + RETRY_AFTER).execution_options(
                                        synchronize_session=False))
            return []

    def ladder_of(self, task_id: str) -> list[dict]:
        """The ladder steps taken for a task, oldest first (the task page shows them)."""
        with self.uow(write=False) as uow:
            return escalations_of(uow.session, task_id)


class _TermsCache:
    """Each definition's ladder terms, read once per run."""

    def __init__(self, session: Session):
        self.session, self.meta = session, {}

    def of(self, row) -> LadderTerms:
        key = (row.process_key, row.version)
        if key not in self.meta:
            self.meta[key] = self.session.scalar(select(ProcessDefinition.task_meta).where(
                ProcessDefinition.key == row.process_key, ProcessDefinition.version == row.version)) or {}
        return LadderTerms.of((self.meta[key].get(row.element_id) or {}).get("ladder"))


def _candidates(session: Session, now: datetime) -> list:
    """Open tasks whose next ladder step is due, the longest waiting first (ix_human_tasks_ladder:
    a task waiting for a later step is not read again until that step falls due)."""
    return session.execute(
        select(HumanTask.id, HumanTask.ladder_step, HumanTask.ladder_next_at, HumanTask.due_at,
               HumanTask.process_key, HumanTask.version, HumanTask.element_id)
        .where(HumanTask.status == "open", HumanTask.ladder_next_at <= now)
        .order_by(HumanTask.ladder_next_at).limit(BATCH)).all()


def next_step_at(terms: LadderTerms, calendar, due_at: datetime, step: int) -> datetime | None:
    """When a task at ladder step `step` takes the next one (None: it has none to take)."""
    if step == 0:
        return due_at
    if step == 1:
        return calendar.add_working_days(due_at, terms.leader_days)
    if step == 2 and terms.list_days:
        return calendar.add_working_days(due_at, terms.list_days)
    return None


class Roster:
    """Who heads, leads and supervises what, asked once per batch: a batch climbs many tasks
    of the same few sections and units."""

    def __init__(self):
        self.known: dict = {}

    def get(self, session: Session, what: str, key: int | None) -> list[str]:
        if (what, key) not in self.known:
            self.known[(what, key)] = _LOOKUPS[what](session, key)
        return self.known[(what, key)]


_LOOKUPS = {
    "section_head": people.section_heads,
    "leader": lambda session, section_id: people.section_leaders(session, section_id),
    "unit_leader": lambda session, unit_id: people.unit_role_holders(session, unit_id, "leader", upward=False),
    "supervisor": lambda session, unit_id: people.unit_role_holders(session, unit_id, "supervisor"),
    "members": people.section_members,
}


def climb(session: Session, seen, terms: LadderTerms, calendar, now: datetime,
          roster: Roster | None = None) -> list[str]:
    """Move task `seen` from the step it was seen at to the step its lateness reaches, taking
    each step between; the steps taken ([] if another scheduler, a completion or a new
    deadline got there first)."""
    target = max(terms.step_reached(calendar, seen.due_at, now), seen.ladder_step)
    unchanged = (HumanTask.id == seen.id, HumanTask.status == "open", HumanTask.ladder_step == seen.ladder_step,
                 HumanTask.ladder_next_at == seen.ladder_next_at, HumanTask.due_at == seen.due_at)
    moved = session.execute(
        update(HumanTask).where(*unchanged)
        .values(ladder_step=target, ladder_next_at=next_step_at(terms, calendar, seen.due_at, target))
        .execution_options(synchronize_session=False))
    if moved.rowcount != 1 or target == seen.ladder_step:
        return []
    row = session.get(HumanTask, seen.id)
    section_id = people.task_section(session, row)
    roster = roster or Roster()
    about = records.about(session, row) or ""
    steps = list(STEPS[seen.ladder_step:target])
    for step in steps:
        _take(session, row, section_id, step, terms, roster, about)
    return steps


def _take(session: Session, row: HumanTask, section_id: int | None, step: str, terms: LadderTerms,
          roster: Roster, about: str) -> None:
    recipients = recipients_of(session, row, section_id, terms.notify[step], roster)
    session.add(Escalation(task_id=row.id, instance_id=row.instance_id, step=step, due_at=row.due_at,
                           recipients=recipients, at=clock.now()))
    audit.record(session, SYSTEM, "escalated", instance_id=row.instance_id, task_id=row.id,
                 detail={"step": step, "step_text": STEP_WORDS[step], "recipients": recipients,
                         "due_at": row.due_at.isoformat()})
    text = f"{STEP_WORDS[step]}：{about}「{row.name}」已于 {_day(row.due_at)} 到期仍未办结"
    if step == LISTED:
        record = records.open_record(session, row, SYSTEM, source="ladder",
                                     note=f"超期 {terms.list_days} 个工作日未办结，自动挂牌督办")
        text = f"{records.number(record)} {text}"
    # No once-only key needed: the conditional update in climb() already lets one scheduler only
    # take this step, in this same transaction (a key would cost a read and a savepoint each).
    for name in recipients:
        notify(session, name, NOTIFY_KIND[step], SYSTEM, text, task_id=row.id, instance_id=row.instance_id)


def recipients_of(session: Session, row: HumanTask, section_id: int | None, roles,
                  roster: Roster) -> list[str]:
    """Who hears of a ladder step, by the roles the process names (engine.calendar.escalation)."""
    found: list[str] = []
    for role in roles:
        if role == "holder":
            found += people.waiting_on(row) if row.assignee else _queue(session, row, section_id, roster)
        elif role == "section_head":
            found += roster.get(session, "section_head", section_id)
        elif role == "leader":
            found += roster.get(session, "leader", section_id) or roster.get(session, "unit_leader", row.unit_id)
        elif role == "supervisor":
            found += roster.get(session, "supervisor", row.unit_id)
        elif role == "starter":
            found += [session.scalar(select(Instance.started_by).where(Instance.id == row.instance_id))]
    return list(dict.fromkeys(name for name in found if name))


def _queue(session: Session, row: HumanTask, section_id: int | None, roster: Roster) -> list[str]:
    """An unclaimed task's holder is its queue: the section's members, or the named candidates."""
    if section_id is not None:
        return roster.get(session, "members", section_id)
    return list(session.scalars(select(TaskCandidate.name).where(TaskCandidate.task_id == row.id,
                                                                 TaskCandidate.kind == "user")))


def escalations_of(session: Session, task_id: str) -> list[dict]:
    rows = session.scalars(select(Escalation).where(Escalation.task_id == task_id).order_by(Escalation.id))
    return [{"step": e.step, "step_text": STEP_WORDS[e.step], "at": e.at.isoformat(), "recipients": e.recipients,
             "due_at": e.due_at.isoformat()} for e in rows]


def _day(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d")
