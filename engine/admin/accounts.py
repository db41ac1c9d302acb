"""Sign-in for the web application: hashed passwords (Argon2), a password policy, and
throttling of failed attempts stored in the database so it holds across workers."""
from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, func, select, update

from engine import access, clock
from engine.errors import Conflict, InvalidInput, NotAllowed, NotFound
from engine.org.roles import ADMIN_ROLE_NAMES, OWN_ROLES, replace_roles, roles_of
from engine.runtime.facade import EngineParts
from engine.store import audit
from engine.store.org_tables import LoginAttempt, UserRole
from engine.store.tables import User

HASHER = PasswordHasher()
WINDOW = timedelta(minutes=15)
MAX_FAILURES = 5
BAD_LOGIN = "用户名或密码错误 (wrong user name or password)"
LOCKED = "登录失败次数过多，请 15 分钟后再试 (too many failed sign-ins; try again in 15 minutes)"


def check_policy(password: str) -> None:
    if len(password) < 10 or not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        raise InvalidInput("密码至少 10 位，且须同时包含字母和数字 (at least 10 characters, letters and digits)")


def account_dict(session, user: User) -> dict:
    roles = sorted(session.scalars(select(UserRole.role).where(UserRole.user_id == user.id)))
    return {"name": user.name, "display_name": user.display_name or user.name, "is_admin": user.is_admin,
            "unit_id": user.unit_id, "roles": roles, "session_epoch": user.session_epoch or 0}


ROLE_SEPARATOR = ","  # role names are identifiers (engine.org.roles): never a comma


def account_columns() -> tuple:
    """What `account_dict` says about an active user, as columns of ONE statement: the roles
    come as a correlated aggregate, so checking a session or a token reads one row."""
    roles = (select(func.aggregate_strings(UserRole.role, ROLE_SEPARATOR))
             .where(UserRole.user_id == User.id).scalar_subquery())
    return (User.name, User.display_name, User.is_admin, User.unit_id, User.session_epoch, roles.label("roles"))


# Built once: an active account by name (`name`). Statements built per call cost more Python
# than the query itself; SQLAlchemy caches this one's compiled form.
ACCOUNT_BY_NAME = select(*account_columns()).where(User.name == bindparam("name"), User.active.is_(True))


def account_from_row(row) -> dict:
    """`account_dict` of a row selected with `account_columns()`."""
    roles = sorted(row.roles.split(ROLE_SEPARATOR)) if row.roles else []
    return {"name": row.name, "display_name": row.display_name or row.name, "is_admin": row.is_admin,
            "unit_id": row.unit_id, "roles": roles, "session_epoch": row.session_epoch or 0}


def end_sessions(session, name: str) -> None:
    """Every web session of the account ends at its next request (the session carries the
    epoch it was signed in with)."""
    session.execute(update(User).where(User.name == name)
                    .values(session_epoch=func.coalesce(User.session_epoch, 0) + 1))


class AccountCommands(EngineParts):
    def set_password(self, name: str, password: str, *, actor: str) -> None:
        """Change one's own password; reset another's (安全管理员, which also lifts a
        sign-in lock); or give an account without a password its first one (系统管理员,
        creating accounts)."""
        check_policy(password)
        with self.uow() as uow:
            session = uow.session
            acting = access.actor(session, actor)
            user = session.scalar(select(User).where(User.name == name))
            if user is None:
                raise NotAllowed(f"用户 '{name}' 不存在 (unknown user)")
            initial = acting.is_admin and not user.password_hash
            if actor != name and not initial and not access.has_role(session, actor, "security_admin"):
                raise NotAllowed("只能修改自己的密码；重置他人密码须由安全管理员办理 "
                                 "(only your own password; resets are the security admin's)")
            user.password_hash = HASHER.hash(password)
            if not initial:
                end_sessions(session, name)  # a changed or reset password signs the account out everywhere
            if actor == name or initial:
                audit.record(session, actor, "password_set", detail={"user": name})
            else:
                cleared = _clear_failures(session, name)
                audit.record(session, actor, "password_reset", detail={"user": name, "unlocked": cleared})

    def set_initial_passwords(self, names: list[str], password: str, *, actor: str) -> int:
        """Give new accounts (an import, the demo) one initial password, hashed once.
        Accounts that already have a password keep it (resetting is the security admin's)."""
        check_policy(password)
        with self.uow() as uow:
            if not access.actor(uow.session, actor).is_admin:
                raise NotAllowed("只有系统管理员可以设置初始密码 (system admins only)")
            hashed = HASHER.hash(password)
            users = list(uow.session.scalars(select(User).where(User.name.in_(names),
                                                                User.password_hash.is_(None))))
            for user in users:
                user.password_hash = hashed
            audit.record(uow.session, actor, "initial_passwords_set", detail={"users": len(users)})
            return len(users)

    def set_roles(self, name: str, roles: list[str], *, actor: str) -> list[str]:
        """安全管理员 grants and revokes roles, the administrator roles included; never their
        own, and never two administrator roles on one account."""
        with self.uow() as uow:
            session = uow.session
            access.actor(session, actor)
            access.require_role(session, actor, "security_admin")
            if name == actor:
                raise NotAllowed(OWN_ROLES)
            user = session.scalar(select(User).where(User.name == name))
            if user is None:
                raise NotFound(f"用户 '{name}' 不存在 (no such user)")
            before = sorted(roles_of(session, user))
            replace_roles(session, user, roles)
            after = sorted(dict.fromkeys(roles))
            audit.record(session, actor, "roles_set", detail={"user": name, "before": before, "after": after})
            return after

    def appoint_first_admin(self, name: str, role: str, *, actor: str) -> None:
        """Setting up: the system admin appoints the first 安全管理员 or 审计管理员 while no
        active account holds that role (after that, roles are the security admin's)."""
        if role not in ("security_admin", "audit_admin"):
            raise InvalidInput("只能指定安全管理员或审计管理员 (security_admin or audit_admin)")
        with self.uow() as uow:
            session = uow.session
            access.require_admin(session, actor)
            if name == actor:
                raise NotAllowed(OWN_ROLES)
            holder = session.scalar(select(User.name).join(UserRole, UserRole.user_id == User.id)
                                    .where(UserRole.role == role, User.active.is_(True)))
            if holder is not None:
                raise Conflict(f"已有{ADMIN_ROLE_NAMES[role]} {holder}，角色请由安全管理员授予 "
                               "(one exists already)")
            user = session.scalar(select(User).where(User.name == name))
            if user is None:
                raise NotFound(f"用户 '{name}' 不存在 (no such user)")
            before = roles_of(session, user)
            replace_roles(session, user, sorted(before | {role}))
            audit.record(session, actor, "admin_appointed", detail={"user": name, "role": role})

    def unlock_login(self, name: str, *, actor: str) -> int:
        """安全管理员 lifts a throttled sign-in: the user's failed attempts are forgotten."""
        with self.uow() as uow:
            access.actor(uow.session, actor)
            access.require_role(uow.session, actor, "security_admin")
            cleared = _clear_failures(uow.session, name)
            audit.record(uow.session, actor, "login_unlocked", detail={"user": name, "cleared": cleared})
            return cleared

    def locked_logins(self, actor: str) -> list[dict]:
        """User names with failed sign-ins in the throttle window, most failures first."""
        with self.uow(write=False) as uow:
            access.actor(uow.session, actor)
            access.require_role(uow.session, actor, "security_admin")
            rows = uow.session.execute(
                select(LoginAttempt.user_name, func.count(), func.max(LoginAttempt.at))
                .where(LoginAttempt.at >= clock.now() - WINDOW).group_by(LoginAttempt.user_name)
                .order_by(func.count().desc()).limit(200))
            return [{"user": user, "failures": count, "last_at": last.isoformat(),
                     "locked": count >= MAX_FAILURES} for user, count, last in rows]

    def record_logout(self, name: str, *, client: str = "") -> None:
        """退出: audited, and every session of the account ends (a copied cookie included)."""
        with self.uow() as uow:
            end_sessions(uow.session, name)
            audit.record(uow.session, name[:64], "logout", detail={"client": client})

    def authenticate(self, name: str, password: str, *, client: str = "") -> dict:
        """The account, or NotAllowed with one message for any wrong name or password."""
        with self.uow() as uow:
            session = uow.session
            since = clock.now() - WINDOW
            failures = session.scalar(select(func.count()).select_from(LoginAttempt).where(
                LoginAttempt.at >= since, (LoginAttempt.user_name == name) | (LoginAttempt.client == client)))
            if failures >= MAX_FAILURES:
                raise NotAllowed(LOCKED)
            user = session.scalar(select(User).where(User.name == name))
            if user is None or not user.active or not _verify(user.password_hash, password):
                session.add(LoginAttempt(user_name=name[:64], client=client[:64], at=clock.now()))
                audit.record(session, name[:64], "login_failed", detail={"client": client})
                uow_failure = NotAllowed(BAD_LOGIN)
            else:
                session.execute(delete(LoginAttempt).where(LoginAttempt.user_name == name))
                audit.record(session, name, "login", detail={"client": client})
                return account_dict(session, user)
        raise uow_failure  # raised after the unit of work committed the failed attempt

    def account(self, name: str) -> dict | None:
        """The active account `name` (None otherwise): one read of one row, never a write;
        the web checks every signed-in request with it."""
        row = self.read_one(ACCOUNT_BY_NAME, {"name": name})
        return account_from_row(row) if row is not None else None


def _clear_failures(session, name: str) -> int:
    return session.execute(delete(LoginAttempt).where(LoginAttempt.user_name == name)).rowcount


def _verify(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
