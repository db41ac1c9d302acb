"""People's display names by login: what lists, histories and notifications show instead of
the login (one query for the logins a page mentions)."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.tables import User


def display_names(session: Session, logins: Iterable[str | None]) -> dict[str, str]:
    """{login: display name, or the login where the account has none}; unknown logins are left out."""
    wanted = sorted({login for login in logins if login})
    if not wanted:
        return {}
    rows = session.execute(select(User.name, User.display_name).where(User.name.in_(wanted)))
    return {name: display or name for name, display in rows}
