"""The workflow part of one completion in a parallel multi-instance step, without the database:
load the stored state, complete one item, advance, compact, save — timed phase by phase, in
this process's CPU time, over the engine on PYTHONPATH (so a previous release runs it too).
Steadier than whole commands on a shared machine: no SQL, no commit, the same state texts.

    PYTHONPATH=/path/to/checkout python tools/bench_mi_state.py [--items 1,50,200] [--json]

Prints, per step size, the median microseconds of each phase and of the whole, over every
completion of the step (each item, then the step's last, which opens the next task)."""
from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time

PHASES = ("load", "ready", "step", "compact", "save")


def _step(items: int, rounds: int) -> dict:
    from SpiffWorkflow.bpmn import BpmnWorkflow

    from engine.bench.hot_path import MI_TEMPLATE  # `sanfu bench`'s model: visit, the step, close
    from engine.definitions.bundle import SourceDoc, compile_docs, process_spec
    from engine.runtime import compaction
    from engine.runtime.core import ready_human_tasks
    from engine.runtime.serializer import StateSerializer
    from engine.sandbox.expressions import script_engine

    spec, embedded = process_spec(compile_docs([SourceDoc("mi.bpmn", "bpmn", MI_TEMPLATE.format(n=items))]),
                                   f"bench_mi_{items}")
    serializer, engine = StateSerializer(), script_engine()
    times = {phase: [] for phase in (*PHASES, "total")}
    clock = time.thread_time
    for _round in range(rounds):
        workflow = BpmnWorkflow(spec, dict(embedded), script_engine=engine)
        workflow.do_engine_steps()
        _complete(ready_human_tasks(workflow), workflow)  # Visit: the step's items are ready
        state = serializer.dumps(workflow)
        for _item in range(items):
            t0 = clock()
            workflow = serializer.loads(state, spec, dict(embedded), engine)
            t1 = clock()
            ready = ready_human_tasks(workflow)
            t2 = clock()
            _complete(ready, workflow)
            t3 = clock()
            compaction.compact(workflow)
            t4 = clock()
            state = serializer.dumps(workflow)
            t5 = clock()
            for phase, spent in zip(PHASES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
                times[phase].append(spent)
            times["total"].append(t5 - t0)
    return {phase: round(statistics.median(spent) * 1e6, 1) for phase, spent in times.items()}


def _complete(ready: dict, workflow) -> None:
    task = next(iter(ready.values()))
    task.data.update({"ok": True})
    task.run()
    workflow.do_engine_steps()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", default="1,50,200")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    try:  # as a served process runs (engine.runtime.heap), when the release has it
        from engine.runtime.heap import settle
        settle()
    except ImportError:
        gc.collect()
    sizes = [int(size) for size in args.items.split(",")]
    report = {f"items_{n}_us": _step(n, max(2, 400 // n)) for n in sizes}
    if 1 in sizes:
        for n in (n for n in sizes if n > 1):
            report[f"items_{n}_vs_1_ratio"] = round(report[f"items_{n}_us"]["total"] / report["items_1_us"]["total"], 2)
    print(json.dumps(report) if args.json else report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
