"""退单: a misrouted task goes back to whoever dispatched it, with a reason, filed (备案) for the
head of the section it leaves, like a 退回.

退回 re-does the previous step (the workflow is reset to it); 退单 does not: the task itself is
re-dispatched. It is retargeted, with the engine's 转办 primitive, to its dispatcher, who then
routes it again (转办 to the right section or person) or does it:

- a task that was 转办 to its holder goes back to the person who transferred it, in the unit
  and section queue it was transferred from (so that person may also release it to that queue);
- otherwise to the 责任科室 routing's dispatcher: whoever completed the step before it (the
  step a 退回 would reopen), as the holder, without the misrouted section's queue."""
from __future__ import annotations

from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine import access, clock
from engine.errors import InvalidInput, checked_text
from engine.inbox import task_rows
from engine.notifications.centre import notify
from engine.org import directory
from engine.org.people import task_section
from engine.runtime.facade import EngineParts
from engine.store import audit
from engine.store.org_tables import Filing, Section
from engine.store.supervision_tables import DeadlineExtension
from engine.store.tables import HumanTask, TaskCandidate
from engine.tasks.actions import previous_step

MAX_TEXT = 2000


def _reason(reason: str | None) -> str:
    return checked_text(reason, "退单理由", MAX_TEXT, code="send_back_reason", english="a reason")


def last_transfer(session: Session, row: HumanTask, acting: list[str]) -> Filing | None:
    """The latest 转办 of this task by someone other than the one sending it back."""
    return session.scalar(select(Filing).where(Filing.task_id == row.id, Filing.kind == "transfer",
                                               Filing.actor.not_in(acting)).order_by(Filing.id.desc()).limit(1))


def was_transferred(session: Session, row: HumanTask, acting: list[str]) -> bool:
    return last_transfer(session, row, acting) is not None


class SendBackCommands(EngineParts):
    """Mixed into engine.service.Engine."""

    def send_back(self, task_id: str, actor: str, reason: str | None) -> dict:
        """退单 to the dispatcher (see the module's note); returns the task as it now is."""
        text = _reason(reason)
        with self.uow() as uow:
            session = uow.session
            row = access.open_task(session, task_id)
            access.holder(session, row, actor)
            acting = access.acting_users(session, actor)
            from_section = task_section(session, row)
            transfer = last_transfer(session, row, acting)
            if transfer is not None:
                target = _to_transferrer(session, row, transfer, from_section)
            else:
                target = self._to_previous_holder(session, row)
            if target["to_user"] in acting:
                raise InvalidInput("派单人就是您本人，无法退单 (you dispatched it yourself)", code="send_back_to_self")
            access.instance(session, row.instance_id).updated_at = clock.now()  # serialize on the instance
            row.assignee, row.owner, row.delegation, row.unrouted = target["to_user"], None, None, False
            withdrawn = _withdraw_extensions(session, row)
            session.add(Filing(kind="sent_back", instance_id=row.instance_id, task_id=row.id, actor=actor,
                               reason=text, section_id=from_section, unit_id=row.unit_id, created_at=clock.now()))
            audit.record(session, actor, "task_sent_back", instance_id=row.instance_id, task_id=row.id,
                         detail={"reason": text, **target, "extensions_withdrawn": withdrawn})
            notify(session, target["to_user"], "sent_back", actor, f"退单给你，请重新派发：{row.name}（{text}）",
                   task_id=row.id, instance_id=row.instance_id)
            return task_rows.task_dict(row)

    def _to_previous_holder(self, session: Session, row: HumanTask) -> dict:
        loaded = self.runtime.load(session, access.instance(session, row.instance_id))
        prev_row = dispatching_step(session, loaded.workflow.get_task_from_id(UUID(row.id)))
        dispatcher = prev_row.completed_by if prev_row is not None else None
        if not dispatcher or not directory.user_by_name(session, dispatcher).active:
            raise InvalidInput("找不到派单人：此任务不是转办来的，也没有上一步的办理人 (nobody dispatched this task)",
                               code="no_dispatcher")
        session.execute(delete(TaskCandidate).where(TaskCandidate.task_id == row.id))
        row.candidate_groups, row.candidate_users = [], []
        return {"to_user": dispatcher, "dispatched_by": "previous_step", "to_task": prev_row.id}


def _withdraw_extensions(session: Session, row: HumanTask) -> list[int]:
    """A 延期申请 still waiting is withdrawn: its requester no longer holds the task."""
    pending = list(session.scalars(select(DeadlineExtension).where(DeadlineExtension.task_id == row.id,
                                                                   DeadlineExtension.status == "pending")))
    for ext in pending:
        ext.status, ext.decided_at, ext.decision_note = "withdrawn", clock.now(), "退单，申请随之撤回"
    return [ext.id for ext in pending]


def dispatching_step(session: Session, spiff_task) -> HumanTask | None:
    """The completed user step before this one (as a 退回 finds it); for the first step of a
    called process (a matter's 整改: its 责任科室 comes from the routing), the step before the
    call in the calling process — the step whose outcome dispatched it."""
    while spiff_task is not None:
        prev_row, _previous = previous_step(session, spiff_task)
        if prev_row is not None:
            return prev_row
        parent_id = getattr(spiff_task.workflow, "parent_task_id", None)
        spiff_task = spiff_task.workflow.top_workflow.get_task_from_id(parent_id) if parent_id else None
    return None


def _to_transferrer(session: Session, row: HumanTask, transfer: Filing, current_section: int | None) -> dict:
    """Back where the transfer came from: its unit, its section's queue, held by the transferrer.
    (A transfer by someone outside any section is filed under the receiving section: not restored.)"""
    if not directory.user_by_name(session, transfer.actor).active:
        raise InvalidInput(f"转办人 {transfer.actor} 已停用，无法退单 (the transferrer's account is disabled)",
                           code="no_dispatcher")
    session.execute(delete(TaskCandidate).where(TaskCandidate.task_id == row.id))
    section = session.get(Section, transfer.section_id) if transfer.section_id is not None else None
    if section is not None and section.unit_id == transfer.unit_id and section.id != current_section:
        session.add(TaskCandidate(task_id=row.id, kind="section", name=str(section.id)))
        row.candidate_groups, row.candidate_users = [section.name], []
    else:
        row.candidate_groups, row.candidate_users = [], []
    if transfer.unit_id is not None:
        row.unit_id = transfer.unit_id
    return {"to_user": transfer.actor, "dispatched_by": "transfer", "filing_id": transfer.id,
            "section_id": section.id if section is not None else None}
