"""首问负责: what the holder of a task may do besides completing it — release it, transfer it
(转办) to a person, a section or another unit, or return it (退回) to the previous step.
Each needs a reason; a return is filed for the section head (否定报告备案)."""
from __future__ import annotations

from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, select

from engine import access, clock
from engine.errors import Conflict, InvalidInput
from engine.inbox import task_rows
from engine.notifications.centre import notify
from engine.org import directory
from engine.org.people import task_section
from engine.runtime.core import engine_errors
from engine.runtime.facade import EngineParts
from engine.store import audit, revision
from engine.store.collab_tables import TaskDraft
from engine.store.org_tables import Filing, Section, Unit
from engine.store.tables import HumanTask, TaskCandidate

REASON_MOST = 2000  # filings.reason


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("请填写理由 (a reason is required)")
    if len(text) > REASON_MOST:  # refused by name, never cut: what the user wrote is the record
        raise InvalidInput(f"理由不能超过 {REASON_MOST} 字，未保存 (a reason: at most {REASON_MOST} characters; "
                           "nothing was saved)", code="reason_too_long", params={"field": "理由", "max": REASON_MOST})
    return text


def set_assignee(session, row: HumanTask, assignee: str | None, actor: str, action: str) -> None:
    """Claim, assign or release: the new holder, audited; the instance's revision is bumped
    so that commands on one instance serialize (last: on PostgreSQL its UPDATE carries the other two)."""
    previous = row.assignee
    task_rows.set_holder(session, row, assignee)
    audit.record(session, actor, action, instance_id=row.instance_id, task_id=row.id,
                 detail={"from": previous, "to": assignee})
    revision.bump(session, row.instance_id, clock.now())
    if action == "task_assigned":
        notify(session, assignee, "assigned", actor, f"任务指派给你：{row.name}",
               task_id=row.id, instance_id=row.instance_id)


class TaskActions(EngineParts):
    def claim(self, task_id: str, actor: str) -> dict:
        with self.uow() as uow:
            session = uow.session
            user, row = access.actor_and_open_task(session, actor, task_id)  # one statement, as a completion
            if row.assignee == actor:
                return task_rows.task_dict(row)
            if row.assignee is not None:
                raise Conflict(f"任务已由 {row.assignee} 认领 (already claimed by {row.assignee})",
                               code="already_claimed", params={"task_id": row.id, "assignee": row.assignee})
            access.require_candidate(session, row, user)
            set_assignee(session, row, actor, actor, "task_claimed")
            return task_rows.task_dict(row)

    def assign(self, task_id: str, assignee: str, actor: str) -> dict:
        with self.uow() as uow:
            session = uow.session
            access.require_admin(session, actor)
            access.actor(session, assignee)
            row = access.open_task(session, task_id)
            set_assignee(session, row, assignee, actor, "task_assigned")
            row.unrouted, row.owner, row.delegation = False, None, None  # an admin's assignment ends a 委派
            return task_rows.task_dict(row)

    def release(self, task_id: str, actor: str, reason: str | None = None) -> dict:
        reason = _reason(reason)
        with self.uow() as uow:
            session = uow.session
            row = access.open_task(session, task_id)
            access.holder(session, row, actor)
            has_candidates = session.scalar(select(TaskCandidate.task_id).where(TaskCandidate.task_id == row.id))
            if has_candidates is None:
                raise InvalidInput("该任务没有候选人，不能释放 (no candidates to release it to)")
            set_assignee(session, row, None, actor, "task_released")
            audit.record(session, actor, "task_release_reason", instance_id=row.instance_id, task_id=row.id,
                         detail={"reason": reason})
            return task_rows.task_dict(row)

    def transfer(self, task_id: str, actor: str, *, reason: str | None, to_user: str | None = None,
                 to_section: str | None = None, to_unit: str | None = None) -> dict:
        """转办 to a person (who then holds it), or to a section of this or another unit
        (whose staff may claim it)."""
        reason = _reason(reason)
        if not (to_user or to_section or to_unit):
            raise InvalidInput("请指定转办给谁：人员、科室或单位 (transfer to whom?)")
        with self.uow() as uow:
            session = uow.session
            row = access.open_task(session, task_id)
            access.holder(session, row, actor)
            # 否定报告备案: filed for the head of the section that passes the task on (read
            # before the candidates are replaced), or of the receiving section if it had none.
            from_section, from_unit = _section_key(session, row), row.unit_id
            target = self._retarget(session, row, to_user, to_section, to_unit)
            session.add(Filing(kind="transfer", instance_id=row.instance_id, task_id=row.id, actor=actor,
                               reason=reason, section_id=from_section or target.get("section_id"),
                               unit_id=from_unit, created_at=clock.now()))
            audit.record(session, actor, "task_transferred", instance_id=row.instance_id, task_id=row.id,
                         detail={"reason": reason, **target})
            notify(session, target.get("to_user"), "transferred", actor, f"转办给你：{row.name}（{reason}）",
                   task_id=row.id, instance_id=row.instance_id)
            return task_rows.task_dict(row)

    def _retarget(self, session, row: HumanTask, to_user, to_section, to_unit) -> dict:
        access.instance(session, row.instance_id).updated_at = clock.now()  # serialize on the instance
        session.execute(delete(TaskCandidate).where(TaskCandidate.task_id == row.id))
        row.owner, row.delegation = None, None  # a transferred task starts afresh with its new holder
        if to_user:
            user = directory.user_by_name(session, to_user)
            if not user.active:
                raise InvalidInput(f"用户 '{to_user}' 已停用 (disabled)")
            row.assignee, row.unrouted = to_user, False
            return {"to_user": to_user}
        unit_id = row.unit_id
        if to_unit:
            unit_id = directory.unit_by_code(session, to_unit).id
        if unit_id is None:
            raise InvalidInput("该任务不属于任何单位，只能转办给人员 (transfer to a person)")
        code = to_section or "office"
        section = directory.section_of(session, unit_id, code) or session.scalar(
            select(Section).where(Section.unit_id == unit_id, Section.name == code))
        if section is None:
            unit_name = session.scalar(select(Unit.name).where(Unit.id == unit_id))
            raise InvalidInput(f"{unit_name} 没有科室 '{code}' (no such section)")
        session.add(TaskCandidate(task_id=row.id, kind="section", name=str(section.id)))
        row.assignee, row.unit_id, row.unrouted = None, unit_id, False
        row.candidate_groups, row.candidate_users = [section.name], []
        return {"to_section": section.code, "section_id": section.id, "unit_id": unit_id}

    def return_task(self, task_id: str, actor: str, reason: str | None = None) -> dict:
        """退回: the step before this one (the nearest completed user task on its path) is
        reopened for whoever completed it; this task is withdrawn; the return is filed."""
        reason = _reason(reason)
        with self.uow() as uow:
            session = uow.session
            row = access.open_task(session, task_id)
            access.holder(session, row, actor)
            section_id = _section_key(session, row)
            loaded = self.runtime.load(session, access.instance(session, row.instance_id))
            prev_row, previous = previous_step(session, loaded.workflow.get_task_from_id(UUID(task_id)))
            if prev_row is None:
                raise InvalidInput("这是第一步，没有可退回的上一步 (nothing to return to)")
            with engine_errors(row.element_id):
                loaded.workflow.reset_from_task_id(previous.id)
            self.runtime.advance(loaded)
            task_rows.close_task(session, row, "returned", actor)
            prev_row.status, prev_row.assignee = "open", prev_row.completed_by
            prev_row.completed_at, prev_row.completed_by = None, None
            prev_row.owner, prev_row.delegation = None, None
            # A draft left from before it was completed would read as current: drop it.
            session.execute(delete(TaskDraft).where(TaskDraft.task_id == prev_row.id))
            loaded.open_before = loaded.open_before | {prev_row.id}
            self.runtime.save(session, loaded, actor)
            session.add(Filing(kind="return", instance_id=row.instance_id, task_id=row.id, actor=actor,
                               reason=reason, section_id=section_id, unit_id=row.unit_id,
                               created_at=clock.now()))
            audit.record(session, actor, "task_returned", instance_id=row.instance_id, task_id=row.id,
                         detail={"reason": reason, "to_task": prev_row.id, "to_element": prev_row.element_id,
                                 "to_user": prev_row.assignee})
            notify(session, prev_row.assignee, "returned", actor, f"退回给你：{prev_row.name}（{reason}）",
                   task_id=prev_row.id, instance_id=row.instance_id)
            return task_rows.task_dict(prev_row)



def previous_step(session, spiff_task) -> tuple[HumanTask | None, object]:
    """(inbox row, workflow task) of the step a return goes back to; (None, …) when none."""
    previous = _previous_user_task(spiff_task) if spiff_task is not None else None
    return (session.get(HumanTask, str(previous.id)) if previous else None), previous


def _previous_user_task(task):
    node = task.parent
    while node is not None:
        if node.task_spec.manual and node.has_state(TaskState.COMPLETED):
            return node
        node = node.parent
    return None


def _section_key(session, row: HumanTask) -> int | None:
    """The section a task comes from, for its 备案 (engine.org.people.task_section)."""
    return task_section(session, row)
