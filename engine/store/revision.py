"""An instance's revision bumped without reading the instance.

Claim, assign and release change a task's holder, not the workflow; they bump the instance's
revision only so that commands on one instance serialize (a completion that read the instance
before them then fails its revision check: a Conflict, nothing saved). Reading the instance for
that would fetch its whole workflow state, one round trip and kilobytes for nothing: one UPDATE
does it. An instance this command already loaded is bumped the ORM's way instead, so that its
own revision check at the flush stays right.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from engine.errors import NotFound
from engine.store import write_behind
from engine.store.tables import Instance

_INSTANCES = Instance.__table__
_BUMP = update(_INSTANCES).where(_INSTANCES.c.id == bindparam("b_id")) \
    .values(revision=_INSTANCES.c.revision + 1, updated_at=bindparam("b_now"))


def bump(session: Session, instance_id: int, now: datetime) -> None:
    loaded = session.identity_map.get(identity_key(Instance, instance_id))
    if loaded is not None:
        loaded.updated_at = now   # the flush writes it, checking and bumping the revision
        return
    # on PostgreSQL it carries the command's writes still waiting (engine.store.write_behind)
    done = write_behind.execute(session.connection(), "bump", _BUMP, {"b_id": instance_id, "b_now": now})
    if done.rowcount != 1:
        raise NotFound(f"流程实例 {instance_id} 不存在 (no such instance)", code="no_such_instance",
                       params={"instance_id": instance_id})
