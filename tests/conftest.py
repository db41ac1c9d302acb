"""Shared fixtures: a fresh database per test, on SQLite and (where available) PostgreSQL.

PostgreSQL tests need SANFU_TEST_POSTGRES_URL. Off CI they are skipped, with the reason,
when it is not set; in CI (CI=true) a missing PostgreSQL is a failure, never a skip.
"""
from __future__ import annotations

import pytest
from sqlalchemy import text

from engine.store.db import make_engine
from engine.store.migrate import upgrade
from tests.helpers.paths import FORMS, IN_CI, POSTGRES_URL


def _postgres_or_skip():
    if POSTGRES_URL:
        return POSTGRES_URL
    if IN_CI:
        pytest.fail("CI=true but SANFU_TEST_POSTGRES_URL is not set: PostgreSQL tests must run in CI")
    pytest.skip("PostgreSQL not available: set SANFU_TEST_POSTGRES_URL to run these tests")


def _fresh_postgres(url: str):
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    return engine


@pytest.fixture(params=["sqlite", "postgres"])
def db_engine(request, tmp_path):
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'sanfu.db'}")
    else:
        engine = _fresh_postgres(_postgres_or_skip())
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'sanfu.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(db_engine):
    """The Engine facade over a fresh database, with the repo's forms folder."""
    from engine.service import Engine
    return Engine(db_engine=db_engine, forms_dir=FORMS)


@pytest.fixture
def people(engine):
    """A small cast: an admin, a designer, two water-section staff, a head, a liaison."""
    engine.add_user("admin", admin=True)
    engine.add_user("designer", ["designers"], roles=("designer",))
    engine.add_user("liaison1", ["liaisons"])
    engine.add_user("water1", ["water"])
    engine.add_user("water2", ["water"])
    engine.add_user("head1", ["section_heads"])
    engine.add_user("outsider", ["air"])
    return engine
