"""The world `sanfu bench-http` drives: one clerk per client, each with an API token, a deputy in
the same group and a process of their own — 认领办理 (claimed from the clerk's group) then 办结
(assigned to the clerk) — with enough instances started that completions never run out.

Run as a script (`python -c <this file's text> '<json args>'`, cwd and PYTHONPATH the tree
under test) so the previous release fills its database with its own code; it uses only the
service API both releases share, and prints {"tokens": {clerk: token}, "instances": n}.
Clients never race one another: a 409 in the results is the server's doing, not the workload's.
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Defs_{key}" targetNamespace="http://sanfu.local/bench">
  <bpmn:process id="{key}" name="压测事项{n}" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="take" name="认领办理" camunda:candidateGroups="{group}"/>
    <bpmn:userTask id="finish" name="办结" camunda:assignee="{clerk}"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="take"/>
    <bpmn:sequenceFlow id="f1" sourceRef="take" targetRef="finish"/>
    <bpmn:sequenceFlow id="f2" sourceRef="finish" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def fill(url: str, clients: int, per_client: int) -> dict:
    from engine.service import Engine
    from engine.store.db import make_engine
    from engine.store.migrate import upgrade
    began = time.perf_counter()
    db = make_engine(url)
    try:
        upgrade(db)
        with tempfile.TemporaryDirectory() as tmp:
            engine = Engine(db_engine=db, forms_dir=Path(tmp) / "no-forms")
            tokens = _people_and_processes(engine, Path(tmp), clients)
            for _ in range(per_client):   # interleaved, so every clerk's inbox is alike
                for n in range(clients):
                    engine.start(f"bench_http_{n}", "root", {})
        _analyze(db)
    finally:
        db.dispose()
    return {"tokens": tokens, "instances": clients * per_client,
            "fill_seconds": round(time.perf_counter() - began, 2)}


def _analyze(db) -> None:
    """Give PostgreSQL's planner statistics of the filled tables, as a database in service has:
    without them the first minute's plans depend on whether autovacuum has come by yet, and the
    runs measure that instead of the application."""
    if db.dialect.name != "postgresql":
        return
    from sqlalchemy import text
    with db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


def _people_and_processes(engine, folder: Path, clients: int) -> dict[str, str]:
    engine.add_user("root", admin=True)
    tokens, paths = {}, []
    for n in range(clients):
        clerk, group = f"clerk{n}", f"bench_clerks{n}"
        engine.add_user(clerk, [group])
        engine.add_user(f"deputy{n}", [group])   # two in the group: 认领办理 waits to be claimed
        tokens[clerk] = engine.create_api_token(clerk, "bench-http")
        path = folder / f"bench_http_{n}.bpmn"
        path.write_text(MODEL.format(key=f"bench_http_{n}", n=n, group=group, clerk=clerk), encoding="utf-8")
        paths.append(path)
    engine.deploy(paths, "root")
    return tokens


if __name__ == "__main__":
    args = json.loads(sys.argv[1])
    print(json.dumps(fill(args["url"], args["clients"], args["per_client"])))
