"""A started process takes what it holds out of the collector's sight (engine.runtime.heap):
full collections then walk only what was made since, and garbage is still collected."""
from __future__ import annotations

import gc
import weakref

from engine.runtime import heap


class _Node:
    pass


def test_settle_freezes_what_the_process_holds_and_later_garbage_is_still_collected(monkeypatch):
    monkeypatch.setattr(heap, "_settled", False)
    try:
        heap.settle()
        assert gc.get_freeze_count() > 1000  # the modules and objects alive at start-up
        tracked = len(gc.get_objects())
        cycle = _Node()
        cycle.me = cycle
        gone = weakref.ref(cycle)
        del cycle
        gc.collect()
        assert gone() is None  # a reference cycle made after start-up is still freed
        assert len(gc.get_objects()) < tracked + 100
        frozen = gc.get_freeze_count()
        heap.settle()  # once per process
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_settle_collects_the_young_generation_less_often_and_a_dead_workflow_is_still_freed(monkeypatch):
    """A command's workflow is a web of cycles: freed by the young collection once it is dead, not
    walked again and again by the older ones while it is alive (see engine.runtime.heap)."""
    monkeypatch.setattr(heap, "_settled", False)
    before = gc.get_threshold()
    try:
        heap.settle()
        assert gc.get_threshold() == (heap.YOUNG_THRESHOLD, *before[1:])
        assert heap.YOUNG_THRESHOLD > 700  # CPython's default
        workflow = _Node()
        workflow.tasks = [_Node() for _ in range(100)]
        for task in workflow.tasks:
            task.workflow = workflow
        gone = weakref.ref(workflow)
        del workflow, task
        gc.collect(0)
        assert gone() is None
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
