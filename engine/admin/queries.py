"""Queries and one command for the admin pages (mixed into engine.service.Engine).

`accounts` lists people with their unit, sections, roles and state (for the system admin
and the security admin, who grants roles); `admin_options` the units, their sections and
the roles a form offers (business roles for the system admin, every role for the security
admin); `create_account` creates a person with an initial password (checked against the
policy before anything is written); `deputies` the current and coming leaves.
"""
from __future__ import annotations

import re
from dataclasses import replace

from sqlalchemy import or_, select

from engine import access, clock
from engine.admin.accounts import HASHER, check_policy
from engine.errors import InvalidInput, NotAllowed
from engine.org import directory
from engine.org.directory import Person
from engine.org.roles import ADMIN_ROLES, BUSINESS_ROLES, roles_for_system_admin
from engine.runtime.facade import EngineParts
from engine.store import audit
from engine.store.org_tables import ROLES, Deputy, LeaderSection, Section, Unit, UserRole, UserSection
from engine.store.tables import User

LOGIN = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class AdminQueries(EngineParts):
    def _account_manager(self, session, actor: str) -> bool:
        """The system admin or the security admin (True for the security admin)."""
        if access.actor(session, actor).is_admin:
            return False
        if access.has_role(session, actor, "security_admin"):
            return True
        raise NotAllowed("只有系统管理员或安全管理员可以查看账户 (administrators only)")

    def accounts(self, actor: str, q: str | None = None, limit: int = 1000, offset: int = 0) -> list[dict]:
        """A page of the accounts (name, display name, unit, sections, roles, leads, active), by
        name; `q` matches the login or the display name."""
        with self.uow(write=False) as uow:
            session = uow.session
            self._account_manager(session, actor)
            query = (select(User.id, User.name, User.display_name, User.active, User.phone, Unit.code, Unit.name)
                     .outerjoin(Unit, Unit.id == User.unit_id).order_by(User.name))
            if q:
                like = f"%{q}%"
                query = query.where(or_(User.name.ilike(like), User.display_name.ilike(like)))
            rows = session.execute(query.limit(limit).offset(offset)).all()
            ids = [row[0] for row in rows]
            sections = _by_user(session.execute(
                select(UserSection.user_id, Section.code, Section.name)
                .join(Section, Section.id == UserSection.section_id)
                .where(UserSection.user_id.in_(ids)).order_by(Section.code)))
            leads = _by_user(session.execute(
                select(LeaderSection.user_id, Section.code, Section.name)
                .join(Section, Section.id == LeaderSection.section_id)
                .where(LeaderSection.user_id.in_(ids)).order_by(Section.code)))
            roles = _by_user(session.execute(select(UserRole.user_id, UserRole.role, UserRole.role)
                                             .where(UserRole.user_id.in_(ids)).order_by(UserRole.role)))
            return [{"name": name, "display_name": display or name, "active": active, "phone": phone or "",
                     "unit_code": unit_code, "unit_name": unit_name,
                     "sections": [c for c, _ in sections.get(uid, [])],
                     "section_names": [n for _, n in sections.get(uid, [])],
                     "leads": [c for c, _ in leads.get(uid, [])], "roles": [r for r, _ in roles.get(uid, [])]}
                    for uid, name, display, active, phone, unit_code, unit_name in rows]

    def admin_options(self, actor: str) -> dict:
        """The units (code, name), each unit's sections (code, name) and the roles the
        actor may set (business roles for the system admin, all for the security admin)."""
        with self.uow(write=False) as uow:
            session = uow.session
            security = self._account_manager(session, actor)
            units = session.execute(select(Unit.id, Unit.code, Unit.name).order_by(Unit.id)).all()
            sections: dict[int, list] = {}
            for unit_id, code, name in session.execute(select(Section.unit_id, Section.code, Section.name)
                                                       .order_by(Section.id)):
                sections.setdefault(unit_id, []).append((code, name))
            return {"units": [(code, name) for _, code, name in units],
                    "sections": {code: sections.get(uid, []) for uid, code, _ in units},
                    "roles": list(ROLES) if security else list(BUSINESS_ROLES),
                    "admin_roles": list(ADMIN_ROLES)}

    def create_account(self, person: Person, password: str, *, actor: str) -> None:
        """A new account with an initial password: the login must be new and the password
        must follow the policy, or nothing is written."""
        check_policy(password)
        if not LOGIN.match(person.name or ""):
            raise InvalidInput("用户名只能包含字母、数字、下划线、点和连字符，最多 64 位 (login)")
        with self.uow() as uow:
            session = uow.session
            access.require_admin(session, actor)
            if session.scalar(select(User.id).where(User.name == person.name)) is not None:
                raise InvalidInput(f"用户名 '{person.name}' 已存在 (user exists)")
            roles = roles_for_system_admin(session, actor, person.name, person.roles)
            user = directory.save_person(session, replace(person, roles=roles))
            user.password_hash = HASHER.hash(password)
            audit.record(session, actor, "account_created", detail={
                "name": person.name, "unit": person.unit_code, "sections": list(person.sections),
                "roles": list(roles)})

    def deputies(self, actor: str) -> list[dict]:
        """Leaves that have not ended, soonest first, with who stands in."""
        with self.uow(write=False) as uow:
            session = uow.session
            access.require_admin(session, actor)
            principal, deputy = User.__table__.alias("principal"), User.__table__.alias("deputy")
            rows = session.execute(
                select(principal.c.name, deputy.c.name, Deputy.starts_at, Deputy.ends_at, Deputy.created_by)
                .select_from(Deputy).join(principal, principal.c.id == Deputy.user_id)
                .join(deputy, deputy.c.id == Deputy.deputy_id)
                .where(Deputy.ends_at > clock.now()).order_by(Deputy.starts_at).limit(500))
            return [{"user": user, "deputy": sub, "starts_at": starts.isoformat(), "ends_at": ends.isoformat(),
                     "created_by": by} for user, sub, starts, ends, by in rows]


def _by_user(rows) -> dict[int, list[tuple[str, str]]]:
    out: dict[int, list] = {}
    for user_id, code, name in rows:
        out.setdefault(user_id, []).append((code, name))
    return out
