"""Faults on PostgreSQL: gunicorn workers and schedulers killed, the database cut, racers on one
claim. PostgreSQL only (SANFU_TEST_POSTGRES_URL; in CI a must), each wait bounded."""
from __future__ import annotations

import pytest

from engine.service import Engine
from engine.store.migrate import upgrade
from tests.conftest import _fresh_postgres, _postgres_or_skip
from tests.helpers.paths import FORMS


@pytest.fixture
def pg_url() -> str:
    """The URL of a migrated, empty PostgreSQL database (its public schema dropped first)."""
    url = _postgres_or_skip()
    db = _fresh_postgres(url)
    upgrade(db)
    db.dispose()
    return url


@pytest.fixture
def pg_engine(pg_url):
    engine = Engine(pg_url, forms_dir=FORMS)
    yield engine
    engine.db.dispose()
