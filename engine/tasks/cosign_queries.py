"""加签 read side for tools (`sanfu cosign list`): a task's co-signs, and the co-signs waiting for
someone's signature. The task page gets the same from engine.tasks.cosign.cosign_view."""
from __future__ import annotations

from sqlalchemy import select

from engine import access
from engine.runtime.facade import EngineParts
from engine.store.cosign_tables import TaskCosign
from engine.store.tables import HumanTask, User
from engine.tasks.cosign import cosign_dict


class CosignQueries(EngineParts):
    """Mixed into engine.service.Engine."""

    def task_cosigns(self, task_id: str, actor: str) -> list[dict]:
        """The co-signs of a task `actor` may see, oldest first, each with the task's name."""
        with self.uow(write=False) as uow:
            session = uow.session
            row = access.visible_task(session, actor, task_id)[0]
            found = list(session.scalars(select(TaskCosign).where(TaskCosign.task_id == row.id)
                                         .order_by(TaskCosign.id)))
            return _with_names(session, [(c, row) for c in found])

    def cosigns_waiting(self, actor: str) -> list[dict]:
        """The pending co-signs `actor` (or someone they stand in for) is to sign: the task still
        open and handed to the co-signer (one reassigned meanwhile can no longer be signed)."""
        with self.uow(write=False) as uow:
            session = uow.session
            access.actor(session, actor)
            pairs = session.execute(
                select(TaskCosign, HumanTask).join(HumanTask, HumanTask.id == TaskCosign.task_id)
                .where(TaskCosign.status == "pending", TaskCosign.cosigner.in_(access.acting_users(session, actor)),
                       HumanTask.status == "open", HumanTask.delegation == "cosign",
                       HumanTask.assignee == TaskCosign.cosigner)
                .order_by(TaskCosign.created_at, TaskCosign.id)).all()
            return _with_names(session, [tuple(pair) for pair in pairs])


def _with_names(session, pairs: list[tuple[TaskCosign, HumanTask]]) -> list[dict]:
    people = {p for c, _ in pairs for p in (c.holder, c.cosigner)}
    names = {k: v for k, v in session.execute(select(User.name, User.display_name)
                                              .where(User.name.in_(sorted(people)))).all() if v} if people else {}
    return [{**cosign_dict(c, names), "task_name": row.name} for c, row in pairs]
