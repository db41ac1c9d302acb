"""Camunda's multi-instance variables, for models drawn for Camunda.

Inside a multi-instance activity Camunda exposes `loopCounter` (this instance's index),
`nrOfInstances`, `nrOfActiveInstances` and `nrOfCompletedInstances`; designers use them in
assignees, names and completion conditions (`${nrOfCompletedInstances/nrOfInstances >= 0.6}`).
SpiffWorkflow keeps the same facts in the multi-instance task's internal data; this module
derives the variables from there, for the task an expression is evaluated on.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.util.task import TaskState


def loop_variables(task) -> dict:
    """The Camunda loop variables visible from `task` (empty outside multi-instance)."""
    parent = task.parent
    if parent is None or not isinstance(parent.task_spec, MultiInstanceTask):
        return {}
    spec = parent.task_spec
    instances = [c for c in parent.children if c.task_spec.name == spec.task_spec]
    merged = parent.internal_data.get("merged", [])
    return {
        "loopCounter": _index(task, instances),
        "nrOfInstances": _count(parent, spec, instances),
        "nrOfActiveInstances": sum(1 for c in instances if not c.has_state(TaskState.FINISHED_MASK)),
        "nrOfCompletedInstances": len(merged),
    }


def _index(task, instances) -> int:
    key = task.internal_data.get("key_or_index")
    if isinstance(key, int):
        return key
    item = task.internal_data.get("item")
    if key is None and isinstance(item, int) and "cardinality" in task.parent.internal_data:
        return item
    return next((n for n, c in enumerate(instances) if c is task), 0)


def _count(parent, spec, instances) -> int:
    cardinality = parent.internal_data.get("cardinality")
    if isinstance(cardinality, int):
        return cardinality
    remaining = parent.internal_data.get("remaining")
    if remaining is not None:
        return len(instances) + len(remaining)
    return len(instances)
