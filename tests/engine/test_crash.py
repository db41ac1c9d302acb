"""A process killed mid-work loses no committed completion and leaves no half-written state."""
import os
import signal
import subprocess
import sys
import textwrap
import time

from sqlalchemy import select

from engine.runtime.core import Runtime, ready_human_tasks
from engine.service import Engine
from engine.store.db import make_engine
from engine.store.migrate import upgrade
from engine.store.tables import HumanTask, Instance
from tests.helpers.paths import PROCESSES, ROOT

WORKER = textwrap.dedent("""
    import sys
    from engine.service import Engine
    from engine.store.tables import HumanTask
    from sqlalchemy import select
    engine = Engine(sys.argv[1])
    while True:
        with engine.uow(write=False) as uow:
            rows = uow.session.execute(select(HumanTask.id).where(HumanTask.status == "open").limit(1)).all()
        if not rows:
            engine.start("Process_three_user_tasks", "worker")
            continue
        engine.complete(rows[0][0], "worker", {"notes": "x" * 200})
        print(rows[0][0], flush=True)   # only after the commit returned
""")


def test_kill_during_completions_keeps_every_committed_one_and_state_consistent(tmp_path):
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    db = make_engine(url)
    upgrade(db)
    setup = Engine(db_engine=db)
    setup.add_user("worker", roles=("designer",))
    setup.deploy([PROCESSES / "bench_three_user_tasks.bpmn"], "worker")
    proc = subprocess.Popen([sys.executable, "-c", WORKER, url], stdout=subprocess.PIPE, text=True,
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    confirmed = []
    deadline = time.monotonic() + 60
    while len(confirmed) < 150 and time.monotonic() < deadline:
        confirmed.append(proc.stdout.readline().strip())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert len(confirmed) >= 150, "worker made no progress"

    db.dispose()
    engine = Engine(url)
    with engine.uow(write=False) as uow:
        session = uow.session
        statuses = dict(session.execute(select(HumanTask.id, HumanTask.status)).all())
        assert all(statuses.get(task_id) == "completed" for task_id in confirmed if task_id)
        runtime = Runtime()
        for instance in session.scalars(select(Instance)):
            open_rows = set(session.scalars(select(HumanTask.id).where(
                HumanTask.instance_id == instance.id, HumanTask.status == "open")))
            ready = set(ready_human_tasks(runtime.load(session, instance).workflow))
            assert open_rows == ready, f"instance {instance.id}: inbox and state disagree"
