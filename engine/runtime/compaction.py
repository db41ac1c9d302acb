"""Compaction: an instance's finished past is dropped from its task tree before each save.

SpiffWorkflow keeps every task it ever ran. A loop (退回, 整改 rounds, a 督办 that goes round
until verified) appends a few tasks per round to one ever-deeper chain, so each save writes
a state that grows ~1 KB a round and each command walks a longer tree; and SpiffWorkflow
3.2's task iterator stops at depth 1000 (util/task.py, max_depth), so past ~500 rounds it no
longer sees the open task at all and the instance looks completed. SpiffWorkflow offers no
pruning of its own.

What is dropped can no longer influence the future: every task that is not yet finished
(and the last completed one, whose data is the instance's data) lies below one task, the
cut; everything outside the cut's subtree is COMPLETED or CANCELLED. Of the chain above
the cut only a spine is kept: the nearest task of each element, and its parent
(SpiffWorkflow looks up ancestors by element: a join's split, a looping parallel gateway's
inputs, the step a 退回 goes back to, whose parent's data it takes; see `_spine`); the rest
(and the subprocesses it ran) is removed. The tree's depth is then what one round needs
plus at most two tasks per element. The data of every surviving task is untouched.

History is not lost: the audit table records every completion (the history the instance
page shows), and the steps the diagram shows as done are kept in `DONE_STEPS` (written in
the state by engine.runtime.serializer), because the dropped tasks no longer say so.
"""
from __future__ import annotations

from SpiffWorkflow.util.task import TaskState

# Dropped only when all that is left of them is history (ERROR stays: someone looks at it).
GONE = TaskState.COMPLETED | TaskState.CANCELLED
# The attribute of the top workflow that keeps (process, element id, name) of every step
# that completed in a dropped part of the tree, in the order they were dropped.
DONE_STEPS = "sanfu_done_steps"


def compact(workflow) -> int:
    """Drop the finished past of `workflow` (a top BpmnWorkflow) and of its subprocesses;
    returns how many tasks were dropped."""
    dropped = _compact_run(workflow, workflow)
    for task_id, run in list(workflow.subprocesses.items()):
        if workflow.subprocesses.get(task_id) is run:  # not dropped with its parent task
            dropped += _compact_run(workflow, run)
    return dropped


def done_steps(workflow) -> list[list[str]]:
    return getattr(workflow, DONE_STEPS, None) or []


def unfinished_tasks(workflow) -> list:
    """Every task of `workflow`'s own tree that is not finished, however deep it lies (the
    tree's dict, not SpiffWorkflow's depth-bounded iterator)."""
    return [task for task in workflow.tasks.values() if task.state & TaskState.NOT_FINISHED_MASK]


def _compact_run(top, run) -> int:
    """Compact one workflow's own tree (the top one or a subprocess).

    Walked by task id through the run's task dict (Task.parent and Task.children look each id up
    through the task's workflow): a 200-item step's save walks its ~210 tasks three times."""
    root, tasks = run.task_tree, run.tasks
    anchors = [task for task in tasks.values() if not task._state & GONE]
    if not anchors:
        return 0  # ended: nothing more will be added to it
    if run.last_task is not None and run.last_task.id in tasks:
        anchors.append(run.last_task)
    cut_path = _common_path(anchors, tasks)
    if len(cut_path) < 3:
        return 0  # the cut hangs under the root already
    spine = _spine(cut_path)
    subtree = _subtree(cut_path[-1], tasks)
    if len(subtree) + len(spine) + 1 == len(tasks):
        return 0  # root, spine and the cut's subtree are every task (and never overlap)
    keep = subtree.union(spine, (root,))
    dropped = [task for task in tasks.values() if task not in keep]
    if not dropped:
        return 0
    # Done steps in the order they first ran: the spine's too, as the diagram lists these first.
    _remember_done(top, [task for task in tasks.values() if task not in keep or task in spine])
    _drop_subprocesses(top, {task.id for task in dropped})
    for task in dropped:
        del tasks[task.id]
    chain = [root, *spine, cut_path[-1]]
    for parent, child in zip(chain, chain[1:]):
        parent._children = [child.id]
        child._parent = parent.id
    return len(dropped)


def _common_path(anchors: list, tasks: dict) -> list:
    """root → … → the deepest task above (or at) every anchor. Each further anchor walks up
    only until it meets the path found so far (siblings meet it at once). Tasks are kept by
    identity (a Task hashes as an object; its UUID id hashes in Python)."""
    path = _path(anchors[0])
    depth_of = {task: depth for depth, task in enumerate(path)}
    deepest = len(path) - 1
    for task in anchors[1:]:
        walked = []
        while task not in depth_of:
            walked.append(task)
            task = tasks[task._parent]
        meets = depth_of[task]
        if walked:
            depth_of.update(dict.fromkeys(walked, meets))  # later anchors below these stop there
        deepest = min(deepest, meets)
    return path[:deepest + 1]


def _spine(cut_path: list) -> list:
    """The finished tasks kept above the cut, in tree order: the nearest one of each task
    spec, and the parent of each of those (and of the cut).

    SpiffWorkflow walks up the ancestors to find the nearest task of a given spec (a
    structured join's split: Task.find_ancestor; a parallel gateway in a loop looking for
    its inputs: ParallelGateway._check_threshold_unstructured; sanfu's 退回 looking for the
    step before): that walk finds the same task in the spine as in the whole chain. A task
    reset (退回) takes its parent's data and makes its parent the last task: the parent it
    had. At most two tasks per element of the process, however many rounds ran."""
    seen, chosen = set(), set()
    for depth in range(len(cut_path) - 2, 0, -1):  # nearest first; the root and the cut stay anyway
        name = cut_path[depth].task_spec.name
        if name not in seen:
            seen.add(name)
            chosen.add(depth)
    chosen |= {depth - 1 for depth in [*chosen, len(cut_path) - 1] if depth > 1}
    return [cut_path[depth] for depth in sorted(chosen)]


def _path(task) -> list:
    """root → … → task, walked without recursion (trees before compaction can be deep)."""
    path = []
    while task is not None:
        path.append(task)
        task = task.parent
    path.reverse()
    return path


def _subtree(task, tasks: dict) -> set:
    """The task and every task below it (as objects: see _common_path)."""
    found, todo = set(), [task]
    while todo:
        current = todo.pop()
        found.add(current)
        todo.extend(map(tasks.__getitem__, current._children))
    return found


def _drop_subprocesses(top, dropped_ids: set) -> None:
    """Subprocesses run by dropped tasks (and those they ran in turn) go with them."""
    while True:
        gone = [task_id for task_id, run in top.subprocesses.items() if run.parent_task_id in dropped_ids]
        if not gone:
            return
        for task_id in gone:
            run = top.subprocesses.pop(task_id)
            _remember_done(top, list(run.tasks.values()))
            dropped_ids = dropped_ids | set(run.tasks)


def _remember_done(top, tasks: list) -> None:
    steps = done_steps(top)
    seen = {(process, element): step for step in steps for process, element, _name in [step]}
    for task in tasks:
        spec = task.task_spec
        key = (task.workflow.spec.name, getattr(spec, "bpmn_id", None))
        if task.state != TaskState.COMPLETED or not key[1]:
            continue
        if key not in seen:
            seen[key] = [key[0], key[1], ""]
            steps.append(seen[key])
        # A multi-instance activity's outer task has no name; its per-item tasks carry it.
        seen[key][2] = seen[key][2] or spec.bpmn_name or ""
    setattr(top, DONE_STEPS, steps)
