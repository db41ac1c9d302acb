"""API tokens for the JSON API (`/api/v1`), and the API's scoped reads.

A token is `sanfu_<32 url-safe random bytes>`, shown once when created; only its SHA-256
is stored, with its first 8 characters (`prefix`) so that lists can tell tokens apart.
A token acts as its user: a revoked token or a disabled user authenticates nobody.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, or_, select, update

from engine import access, clock
from engine.admin.accounts import account_columns, account_from_row
from engine.errors import Conflict, InvalidInput, NotAllowed, NotFound
from engine.runtime.facade import EngineParts
from engine.store import audit
from engine.store.tables import ApiToken, User

TOKEN_PREFIX = "sanfu_"
BAD_TOKEN = "API 令牌无效或已撤销 (invalid or revoked API token)"
# A token's last-used time is kept to this grain: written at most once per token per grain.
LAST_USED_GRAIN = timedelta(minutes=15)


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


# Built once (SQLAlchemy caches its compiled form): a live token's account in one row.
TOKEN_ACCOUNT = (select(ApiToken.id.label("token_id"), ApiToken.last_used_at, *account_columns())
                 .join(User, User.name == ApiToken.user_name)
                 .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None),
                        User.active.is_(True)))


def token_dict(row: ApiToken) -> dict:
    def iso(value):
        return value.isoformat() if value else None
    return {"id": row.id, "user_name": row.user_name, "name": row.name, "prefix": row.prefix,
            "created_at": iso(row.created_at), "last_used_at": iso(row.last_used_at),
            "revoked_at": iso(row.revoked_at)}


class ApiTokenCommands(EngineParts):
    def create_api_token(self, actor: str, name: str) -> str:
        """A new token for `actor`; the secret is returned once and never stored."""
        name = (name or "").strip()
        if not name or len(name) > 128:
            raise InvalidInput("令牌名称不能为空，且不超过 128 个字符 (name: 1–128 characters)")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.uow() as uow:
            access.actor(uow.session, actor)
            row = ApiToken(user_name=actor, name=name, token_hash=hash_token(secret), prefix=secret[:8],
                           created_at=clock.now())
            uow.session.add(row)
            uow.flush()
            audit.record(uow.session, actor, "api_token_created", detail={"token_id": row.id, "name": name})
        return secret

    def revoke_api_token(self, actor: str, token_id: int) -> dict:
        """Revoke one of the actor's tokens (admins: anyone's)."""
        with self.uow() as uow:
            user = access.actor(uow.session, actor)
            row = uow.session.get(ApiToken, token_id)
            if row is None or (row.user_name != actor and not user.is_admin):
                raise NotFound(f"API 令牌 {token_id} 不存在 (no such token)")
            if row.revoked_at is None:
                row.revoked_at = clock.now()
                audit.record(uow.session, actor, "api_token_revoked", detail={"token_id": row.id})
            return token_dict(row)

    def api_tokens(self, actor: str) -> list[dict]:
        with self.uow(write=False) as uow:
            access.actor(uow.session, actor)
            rows = uow.session.scalars(select(ApiToken).where(ApiToken.user_name == actor).order_by(ApiToken.id))
            return [token_dict(r) for r in rows]

    def authenticate_token(self, secret: str) -> dict:
        """The account (as `Engine.account`) the token acts for; NotAllowed otherwise.

        One read of one row (token, user and roles in one statement) and no write: a revoked
        token or a disabled user is refused at the very next request, since nothing is cached.
        The last-used time is coarse: see `_touch`."""
        if not isinstance(secret, str) or not secret.startswith(TOKEN_PREFIX) or len(secret) > 128:
            raise NotAllowed(BAD_TOKEN)
        row = self.read_one(TOKEN_ACCOUNT, {"token_hash": hash_token(secret)})
        if row is None:
            raise NotAllowed(BAD_TOKEN)
        now = clock.now()
        if row.last_used_at is None or row.last_used_at < now - LAST_USED_GRAIN:
            self._touch(row.token_id, now)
        return account_from_row(row)

    def _touch(self, token_id: int, now) -> None:
        """Record that the token was used — at most once per LAST_USED_GRAIN, in its own short
        transaction after the request's read (never in it), so a request only writes when the
        last-used time it read is older than the grain. Chosen over an in-process buffer
        flushed by the scheduler: nothing to lose when a worker dies, nothing that needs the
        scheduler running, and the same with one worker or many. Two workers racing both run
        the guarded UPDATE; the second changes nothing. The time shown is thus coarse (up to
        LAST_USED_GRAIN behind); a busy database skips the touch rather than fail the request."""
        try:
            with self.uow() as uow:
                uow.session.execute(
                    update(ApiToken).where(ApiToken.id == token_id,
                                           or_(ApiToken.last_used_at.is_(None),
                                               ApiToken.last_used_at < now - LAST_USED_GRAIN))
                    .values(last_used_at=now))
        except Conflict:
            return
