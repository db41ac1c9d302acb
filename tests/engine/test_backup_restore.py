"""Backup and restore on PostgreSQL as the README says: `pg_dump -Fc` of a live database, then
`pg_restore --no-owner` into an empty one — every table's rows come back, and the work goes on
from the restored copy (an open task completes there)."""
from __future__ import annotations

import shutil
import subprocess

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from engine.service import Engine
from engine.store.migrate import upgrade
from engine.store.tables import AuditEvent, HumanTask, Instance, SourceFile, User
from tests.conftest import _fresh_postgres, _postgres_or_skip
from tests.helpers.models import GHOST_MODEL
from tests.helpers.paths import FORMS

TABLES = (Instance, HumanTask, AuditEvent, SourceFile, User)


def libpq(url) -> str:
    """The URL as pg_dump reads it (no SQLAlchemy driver suffix)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def restored_url():
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump/pg_restore not installed")
    source = make_url(_postgres_or_skip())
    target = source.set(database=f"{source.database}_restore")
    admin = create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}"'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    yield source, target
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    admin.dispose()


def counts(engine: Engine) -> dict[str, int]:
    with engine.uow(write=False) as uow:
        return {t.__tablename__: uow.session.scalar(select(func.count()).select_from(t)) for t in TABLES}


def test_a_dump_restores_every_row_and_work_goes_on(restored_url, tmp_path):
    source, target = restored_url
    db = _fresh_postgres(source.render_as_string(hide_password=False))
    upgrade(db)
    live = Engine(db_engine=db, forms_dir=FORMS)
    live.add_user("root", admin=True)
    live.add_user("clerk", ["ghosts"])
    path = tmp_path / "ghostly.bpmn"
    path.write_text(GHOST_MODEL, encoding="utf-8")
    live.deploy([path], "root")
    for _ in range(3):
        live.start("ghostly", "clerk", {})
    first = live.tasks("clerk")[0]
    live.complete(first["id"], "clerk", {})
    before = counts(live)

    dump = tmp_path / "sanfu.dump"
    subprocess.run(["pg_dump", "-Fc", "-f", str(dump), "-d", libpq(source)], check=True, timeout=120)
    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "-d", libpq(target), str(dump)],
                   check=True, timeout=120)
    db.dispose()

    copy = Engine(target.render_as_string(hide_password=False), forms_dir=FORMS)
    assert counts(copy) == before and before["instances"] == 3
    open_task = copy.tasks("clerk")[0]
    copy.complete(open_task["id"], "clerk", {})
    assert copy.show(open_task["instance_id"])["status"] == "completed"
    copy.db.dispose()
