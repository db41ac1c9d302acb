"""Sign-in for the web application: hashed passwords (Argon2), a password policy, and
throttling of failed attempts stored in the database so it holds across workers."""
from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select

from . import audit, clock
from .errors import InvalidInput, NotAllowed
from .store.org_tables import LoginAttempt, UserRole
from .store.tables import User

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
            "unit_id": user.unit_id, "roles": roles}


class AccountCommands:
    def set_password(self, name: str, password: str, *, actor: str) -> None:
        check_policy(password)
        with self.uow() as uow:
            acting = self._user(uow.session, actor)
            if actor != name and not acting.is_admin:
                raise NotAllowed("只能修改自己的密码 (only your own password, or by an admin)")
            user = uow.session.scalar(select(User).where(User.name == name))
            if user is None:
                raise NotAllowed(f"用户 '{name}' 不存在 (unknown user)")
            user.password_hash = HASHER.hash(password)
            audit.record(uow.session, actor, "password_set", detail={"user": name})

    def set_initial_passwords(self, names: list[str], password: str, *, actor: str) -> int:
        """Give new accounts (an import, the demo) one initial password, hashed once."""
        check_policy(password)
        with self.uow() as uow:
            if not self._user(uow.session, actor).is_admin:
                raise NotAllowed("只有管理员可以设置初始密码 (admins only)")
            hashed = HASHER.hash(password)
            users = list(uow.session.scalars(select(User).where(User.name.in_(names))))
            for user in users:
                user.password_hash = hashed
            audit.record(uow.session, actor, "initial_passwords_set", detail={"users": len(users)})
            return len(users)

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
        with self.uow(write=False) as uow:
            user = uow.session.scalar(select(User).where(User.name == name))
            return account_dict(uow.session, user) if user is not None and user.active else None


def _verify(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
