#!/usr/bin/env python
# Run from a worktree of the release, after `sanfu init && sanfu demo`:
#   PYTHONPATH=. python /work/main/tools/release_loops.py sqlite:////tmp/rel.db
"""Adds to a release's demo database two instances that looped (整改 rounds): one still running
after 40 rounds (its finished rounds compacted out of the stored tree), one completed after 5
rounds (tests/scenario/test_previous_release_db.py)."""
import sys
import tempfile
from pathlib import Path

from engine.bench.history import KEY, MODEL
from engine.service import Engine
from engine.store.db import make_engine

eng = Engine(db_engine=make_engine(sys.argv[1]), forms_dir=Path("forms"))
path = Path(tempfile.mkdtemp()) / f"{KEY}.bpmn"
path.write_text(MODEL, encoding="utf-8")
eng.add_user("loop_designer", roles=("designer",))
eng.add_user("loop_rectifier")
eng.deploy([path], "loop_designer")
for rounds, last_done in ((40, False), (5, True)):
    iid = eng.start(KEY, "loop_rectifier", {"round": 0})["id"]
    for n in range(1, rounds + 1):
        [task] = [t for t in eng.tasks("loop_rectifier") if t["instance_id"] == iid]
        eng.complete(task["id"], "loop_rectifier", {"done": last_done and n == rounds})
    print(iid, eng.show(iid)["status"])
