"""Databases written by earlier releases upgrade (`sanfu init` runs the migrations) and run on.

Each `tests/fixtures/release-*.sqlite.gz` is `sanfu init && sanfu demo` as written by a release:
0.1 (commit 9f3da99, before engine/ became folders, schema 0006), 5ec2de7 (schema 0016, before
the designer's editors and the inbox indexes) and a675f03 (schema 0017; with two 整改 loops that
release added after the demo — one running after 40 rounds, its finished rounds compacted out of
the stored tree, one completed after 5: tools/release_loops.py) — made in a worktree of that
commit, the SQLite file checkpointed, vacuumed and gzipped. Add one at each release whose schema changes; keep the old. SpiffWorkflow serializes task
specs and data by class name, and sanfu stores the spec by reference to the deployed version,
so an old row must rebuild with today's classes: every instance shows, every running one's
open task rows still equal the workflow's ready user tasks, a liaison's pending visit
completes into the expert's health check, and the overdue timers fire without failures.
"""
import gzip
import shutil
from pathlib import Path

import pytest
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine import clock
from engine.service import Engine
from engine.store.db import make_engine
from engine.store.migrate import current_revision, head_revision, upgrade
from engine.store.tables import HumanTask, Instance
from tests.helpers.forms import VISIT
from tests.helpers.paths import FORMS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# instances and running instances each demo was written with
RELEASES = {"release-0.1-demo.sqlite.gz": (33, 27), "release-5ec2de7-demo.sqlite.gz": (34, 28),
            "release-a675f03-demo.sqlite.gz": (36, 29)}


@pytest.fixture(params=sorted(RELEASES))
def old_demo(request, tmp_path):
    path = tmp_path / "sanfu.db"
    with gzip.open(FIXTURES / request.param) as packed, path.open("wb") as out:
        shutil.copyfileobj(packed, out)
    db = make_engine(f"sqlite:///{path}")
    upgrade(db)
    with db.connect() as conn:
        assert current_revision(conn) == head_revision()
    engine = Engine(db_engine=db, forms_dir=FORMS)
    engine.release_counts = RELEASES[request.param]
    yield engine
    db.dispose()


def _ready_user_tasks(engine, instance) -> set[str]:
    with engine.uow(write=False) as uow:
        row = uow.session.get(Instance, instance)
        loaded = engine.runtime.load(uow.session, row)
        return {str(t.id) for t in loaded.workflow.get_tasks(state=TaskState.READY)
                if t.task_spec.__class__.__name__.endswith("UserTask")}


def test_every_old_instance_loads_and_its_open_rows_match_its_workflow(old_demo):
    with old_demo.uow(write=False) as uow:
        instances = uow.session.execute(select(Instance.id, Instance.status)).all()
    assert (len(instances), sum(s == "running" for _i, s in instances)) == old_demo.release_counts
    for instance, status in instances:
        shown = old_demo.show(instance, actor="root")
        assert shown["status"] == status
        if status == "running":
            assert {t["id"] for t in shown["open_tasks"]} == _ready_user_tasks(old_demo, instance)


def test_an_old_pending_visit_completes_into_the_health_check(old_demo):
    with old_demo.uow(write=False) as uow:
        visit = uow.session.scalars(select(HumanTask).where(
            HumanTask.element_id == "record_visit", HumanTask.status == "open",
            HumanTask.assignee == "xh_liaison2").order_by(HumanTask.created_at)).first()
        instance = visit.instance_id
    old_demo.complete(visit.id, "xh_liaison2", VISIT)
    opened = old_demo.show(instance, actor="root")["open_tasks"]
    assert [(t["element_id"], t["assignee"]) for t in opened] == [("health_check", "xh_expert")]


def test_old_timers_fire_without_failures(old_demo):
    with clock.frozen_at(clock.parse_moment("2027-06-01T09:00:00")):
        outcome = old_demo.fire_due_timers()
    assert outcome["failed"] == 0 and outcome["fired"] > 0


def test_an_old_compacted_loop_goes_round_again_and_ends(old_demo):
    """The a675f03 database's loop, 40 rounds in: a 41st round and then verification."""
    if old_demo.release_counts != RELEASES["release-a675f03-demo.sqlite.gz"]:
        pytest.skip("the earlier releases' demos have no loop")
    [task] = old_demo.tasks("loop_rectifier")
    assert old_demo.complete(task["id"], "loop_rectifier", {"done": False})["status"] == "running"
    [again] = old_demo.tasks("loop_rectifier")
    assert again["id"] != task["id"] and again["element_id"] == "rectify"
    assert old_demo.complete(again["id"], "loop_rectifier", {"done": True})["status"] == "completed"
    history = old_demo.show(task["instance_id"], actor="root")["history"]
    assert sum(e["action"] == "task_completed" for e in history) == 42
