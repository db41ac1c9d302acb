#!/usr/bin/env python
# Same inbox, before and after a change to its queries, on one filled database:
#   python tools/inbox_equivalence.py fill URL                 # bench-inbox's 100k province, kept
#   cd /tmp/prev && PYTHONPATH=. python /work/main/tools/inbox_equivalence.py dump URL before.json
#   PYTHONPATH=/work/main python tools/inbox_equivalence.py dump URL after.json
#   ... dump URL before_deep.json 26,60                        # other pages (a busy queue's deep ones)
#   python tools/inbox_equivalence.py compare before.json after.json
"""Dumps 2,700 inbox calls (bench-inbox's 20 sample users × the 5 views × 9 filters and sort
orders × pages 1, 2 and 6), at a frozen moment: every row, every tab count, total and
has_next — and compares two dumps call by call. Engine.inbox reads only, so both releases
can read the same database (the schema must be one both understand)."""
import json
import sys
import time
from datetime import UTC, datetime

FILTERS = ({}, {"sort": "-due"}, {"sort": "-created"}, {"sort": "created"}, {"overdue": True},
           {"process": "ledger_matter"}, {"task_name": "verify"}, {"q": "有限"},
           {"due_from": "2026-12-01", "due_to": "2026-12-20"})
MOMENT = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)


def fill(url: str) -> None:
    from engine.bench.inbox import _fill, _org
    from engine.demo.loader import load_demo
    from engine.service import Engine
    from engine.store.db import make_engine
    from engine.store.migrate import upgrade
    db = make_engine(url)
    upgrade(db)
    load_demo(Engine(db_engine=db))
    print(_fill(db, _org(db), 100_000, 10))


def dump(url: str, out: str, pages: str = "1,2,6") -> None:
    from engine import clock
    from engine.bench.inbox import _sample_users
    from engine.inbox.views import VIEWS
    from engine.service import Engine
    from engine.store.db import make_engine
    engine, found = Engine(db_engine=make_engine(url)), []
    started = time.perf_counter()
    with clock.frozen_at(MOMENT):
        for user in _sample_users():
            for view in VIEWS:
                for f in FILTERS:
                    for page in map(int, pages.split(",")):
                        got = engine.inbox(user, view, page=page, **f)
                        found.append({"call": [user, view, f, page], "counts": got["counts"], "total": got["total"],
                                      "has_next": got["has_next"], "rows": got["rows"]})
    print(len(found), "calls in", round(time.perf_counter() - started, 1), "s")
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(found, fh, default=str, sort_keys=True)


def compare(before: str, after: str) -> int:
    with open(before, encoding="utf-8") as a, open(after, encoding="utf-8") as b:
        old, new = json.load(a), json.load(b)
    differ = [x["call"] for x, y in zip(old, new, strict=True) if x != y]
    print(len(old), "calls,", sum(len(x["rows"]) for x in old), "rows compared;", len(differ), "differ", differ[:5])
    return 1 if differ else 0


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    sys.exit({"fill": fill, "dump": dump, "compare": compare}[command](*args) or 0)
