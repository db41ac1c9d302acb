"""Organisation commands of the Engine facade (mixed into engine.service.Engine).

Each method is one unit of work. Administration (units, sections, people, deputies,
handover) is for admins; pairing enterprises for admins and the unit's leaders.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import update

from engine import access
from engine.errors import InvalidInput, NotAllowed
from engine.org import directory
from engine.org.directory import Pairing, Person
from engine.org.roles import roles_for_system_admin
from engine.runtime.facade import EngineParts
from engine.store import audit
from engine.store.org_tables import Deputy, Enterprise
from engine.store.tables import HumanTask, TaskCandidate


class OrgCommands(EngineParts):
    def add_unit(self, code: str, name: str, level: str, parent: str | None = None, *, actor: str) -> int:
        with self.uow() as uow:
            access.require_admin(uow.session, actor)
            unit = directory.add_unit(uow.session, code, name, level, parent)
            audit.record(uow.session, actor, "unit_added", detail={"code": code, "name": name, "level": level})
            return unit.id

    def add_section(self, unit: str, code: str, name: str, *, actor: str) -> int:
        with self.uow() as uow:
            access.require_admin(uow.session, actor)
            section = directory.add_section(uow.session, unit, code, name)
            audit.record(uow.session, actor, "section_added", detail={"unit": unit, "code": code})
            return section.id

    def save_person(self, person: Person, *, actor: str) -> None:
        """Create or edit an account's unit, sections and business roles (系统管理员). The
        administrator roles it holds are kept: granting them is the security admin's."""
        with self.uow() as uow:
            access.require_admin(uow.session, actor)
            roles = roles_for_system_admin(uow.session, actor, person.name, person.roles)
            directory.save_person(uow.session, replace(person, roles=roles))
            audit.record(uow.session, actor, "person_saved", detail={"name": person.name, "unit": person.unit_code,
                                                                    "sections": list(person.sections),
                                                                    "roles": list(roles)})

    def set_active(self, name: str, active: bool, *, actor: str) -> None:
        """Disable (or re-enable) an account: a disabled user can do nothing and their
        web session ends at the next request."""
        with self.uow() as uow:
            access.require_admin(uow.session, actor)
            if name == actor and not active:
                raise InvalidInput("不能停用自己的账户 (you cannot disable your own account)")
            user = directory.user_by_name(uow.session, name)
            user.active = active
            audit.record(uow.session, actor, "user_enabled" if active else "user_disabled", detail={"user": name})

    def pair_enterprise(self, pairing: Pairing, *, actor: str) -> tuple[int, list[str]]:
        with self.uow() as uow:
            access.require_admin(uow.session, actor)
            enterprise, warnings = directory.pair_enterprise(uow.session, pairing)
            audit.record(uow.session, actor, "enterprise_paired",
                         detail={"enterprise_id": enterprise.id, "credit_code": enterprise.credit_code,
                                 "unit": pairing.unit_code, "warnings": warnings})
            return enterprise.id, warnings

    def duplicate_pairings(self) -> list[dict]:
        with self.uow(write=False) as uow:
            return directory.duplicate_pairings(uow.session)

    def set_deputy(self, user: str, deputy: str, starts_at: datetime, ends_at: datetime, *, actor: str) -> None:
        """`deputy` sees and acts on `user`'s tasks during the leave (the user or an admin
        names the deputy)."""
        if ends_at <= starts_at:
            raise InvalidInput("代理结束时间必须晚于开始时间 (leave must end after it starts)")
        with self.uow() as uow:
            acting = access.actor(uow.session, actor)
            if actor != user and not acting.is_admin:
                raise NotAllowed("只能为自己指定代理人 (only for yourself, or by an admin)")
            principal = directory.user_by_name(uow.session, user)
            substitute = directory.user_by_name(uow.session, deputy)
            uow.session.add(Deputy(user_id=principal.id, deputy_id=substitute.id, starts_at=starts_at,
                                   ends_at=ends_at, created_by=actor))
            audit.record(uow.session, actor, "deputy_set", detail={"user": user, "deputy": deputy,
                                                                   "starts_at": starts_at.isoformat(),
                                                                   "ends_at": ends_at.isoformat()})

    def handover(self, from_user: str, to_user: str, *, actor: str) -> dict:
        """移交: a departing user's enterprises (as liaison or contact leader) and open tasks
        move to a colleague, in one audited command."""
        with self.uow() as uow:
            session = uow.session
            access.require_admin(session, actor)
            old, new = directory.user_by_name(session, from_user), directory.user_by_name(session, to_user)
            moved = {
                "liaison_of": _move(session, Enterprise.liaison_id, old.id, new.id),
                "contact_leader_of": _move(session, Enterprise.contact_leader_id, old.id, new.id),
                "tasks": _move(session, HumanTask.assignee, from_user, to_user, HumanTask.status == "open"),
                # 委派 by the departing user: the delegate's resolution returns to the colleague.
                "delegated_tasks": _move(session, HumanTask.owner, from_user, to_user, HumanTask.status == "open"),
                "candidate_tasks": _move(session, TaskCandidate.name, from_user, to_user,
                                         TaskCandidate.kind == "user"),
            }
            audit.record(session, actor, "handover", detail={"from": from_user, "to": to_user, **moved})
            return moved


def _move(session, column, old, new, *conditions) -> int:
    table = column.class_
    result = session.execute(update(table).where(column == old, *conditions).values({column.key: new})
                             .execution_options(synchronize_session=False))
    return result.rowcount
