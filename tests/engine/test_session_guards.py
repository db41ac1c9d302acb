"""Every sessionmaker the store makes guards its sessions: the column limits (engine.store.limits)
and the read-only guard (engine.store.uow.forbid_writes) are listened on each one.

They were listened only if `event.contains` said they were not yet: SQLAlchemy keys that registry
by id(), so a sessionmaker whose Session class took the address of a collected one was told yes and
left unguarded. A long test run makes a sessionmaker per engine fixture; CI saw an overlong value
reach the database unnamed, at random."""
from __future__ import annotations

import gc

import pytest
from sqlalchemy import create_engine

from engine.errors import InvalidInput
from engine.store.db import session_factory
from engine.store.tables import Group
from engine.store.uow import READ_ONLY


def test_every_new_sessionmaker_refuses_an_overlong_value_and_a_read_only_write():
    db = create_engine("sqlite://")     # no tables: both guards refuse before a statement is sent
    for _ in range(200):
        sessions = session_factory(db)
        with sessions() as session:
            session.add(Group(name="g" * 129, display_name="too long"))
            with pytest.raises(InvalidInput) as refused:
                session.flush()
            assert refused.value.params["field"] == "groups.name"
        with sessions() as session:
            session.info[READ_ONLY] = True
            session.add(Group(name="ok", display_name="ok"))
            with pytest.raises(RuntimeError, match="read-only unit of work"):
                session.flush()
        del sessions
        gc.collect()     # the next sessionmaker's class may take this one's address
    db.dispose()
