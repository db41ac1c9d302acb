"""三员分立: administration split three ways, as Chinese security baselines (等保) expect.

- 系统管理员 (`admin`, `User.is_admin`): accounts, sections and business roles, the unrouted
  queue, handover, deputies, imports.
- 安全管理员 (`security_admin`): grants and revokes roles (the three administrator roles
  included), resets passwords, unlocks throttled sign-ins. No business data.
- 审计管理员 (`audit_admin`): reads the audit log, nothing else.

No account holds two of the three, and no one changes their own roles. Functions here work
inside the caller's unit of work; every path that sets roles (account forms, org import,
the CLI, the demo) goes through :func:`check_separation`.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import InvalidInput, NotAllowed
from engine.store.org_tables import ROLES, UserRole
from engine.store.tables import User

ADMIN_ROLES = ("admin", "security_admin", "audit_admin")
ADMIN_ROLE_NAMES = {"admin": "系统管理员", "security_admin": "安全管理员", "audit_admin": "审计管理员"}
BUSINESS_ROLES = tuple(role for role in ROLES if role not in ADMIN_ROLES)


def check_separation(roles) -> None:
    """Refuse a role set holding two or three of the administrator roles."""
    held = [role for role in ADMIN_ROLES if role in set(roles)]
    if len(held) > 1:
        names = "、".join(ADMIN_ROLE_NAMES[role] for role in held)
        raise InvalidInput(f"三员分立：一个账号不能同时担任{names} "
                           "(separation of duties: one account holds one administrator role)")


def check_known(roles) -> None:
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise InvalidInput(f"角色 {', '.join(unknown)} 无效，可用：{', '.join(ROLES)} (unknown role)")


def roles_of(session: Session, user: User) -> set[str]:
    """The user's roles; an account made with `add_user(admin=True)` counts as `admin`."""
    roles = set(session.scalars(select(UserRole.role).where(UserRole.user_id == user.id)))
    return roles | {"admin"} if user.is_admin else roles


def has_role(session: Session, name: str, role: str) -> bool:
    query = select(User.id).join(UserRole, UserRole.user_id == User.id).where(
        User.name == name, User.active.is_(True), UserRole.role == role)
    return session.scalar(query) is not None


def require_role(session: Session, name: str, role: str) -> None:
    if not has_role(session, name, role):
        raise NotAllowed(f"只有{ADMIN_ROLE_NAMES[role]}可以执行此操作 ({role.replace('_', ' ')} only)")


def roles_for_system_admin(session: Session, actor: str, name: str, requested) -> tuple[str, ...]:
    """The roles an account gets when the system admin saves it: the business roles asked
    for, plus the administrator roles it already holds (those are the security admin's to
    grant or revoke). Asking for an administrator role the account lacks is refused, and so
    is changing one's own roles."""
    requested = tuple(dict.fromkeys(requested))
    check_known(requested)
    check_separation(requested)
    user = session.scalar(select(User).where(User.name == name))
    current = roles_of(session, user) if user is not None else set()
    # The roles it holds count too: 管理员 given to the security admin names both roles.
    check_separation(set(requested) | (current & set(ADMIN_ROLES)))
    added = [role for role in requested if role in ADMIN_ROLES and role not in current]
    if added:
        raise NotAllowed(f"系统管理员只能设置业务角色；{'、'.join(ADMIN_ROLE_NAMES[r] for r in added)}"
                         "由安全管理员授予 (business roles only; administrator roles are granted by "
                         "the security admin)")
    final = tuple(r for r in requested if r in BUSINESS_ROLES) + tuple(r for r in ADMIN_ROLES if r in current)
    check_separation(final)
    if actor == name and user is not None and set(final) != current:
        raise NotAllowed(OWN_ROLES)
    return final


OWN_ROLES = "不能修改自己的角色 (no one changes their own roles)"


def replace_roles(session: Session, user: User, roles) -> None:
    """Write the account's roles (and the `is_admin` flag that mirrors `admin`)."""
    roles = tuple(dict.fromkeys(roles))
    check_known(roles)
    check_separation(roles)
    session.query(UserRole).filter(UserRole.user_id == user.id).delete(synchronize_session=False)
    session.add_all([UserRole(user_id=user.id, role=role) for role in roles])
    user.is_admin = "admin" in roles
