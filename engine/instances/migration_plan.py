"""Whether one running instance can move to another version of its process, and how.

SpiffWorkflow's `diff_workflow` aligns the instance's tasks with the new version's specs (by
element id first, then by structure) and `migrate_workflow` swaps the specs and re-predicts
what is ready or waiting. sanfu adds the rules of a migration plan (as Camunda's):

Blocking — the instance stays on its version, the reason is reported:
- a current step (a user task ready, an event waited on, a call activity or subprocess running)
  whose element id is not in the new version and that the plan does not map OLD=NEW explicitly
  (SpiffWorkflow's structural guess is offered as a hint, never applied silently);
- a current step that becomes another kind of element;
- a timer or message/signal the instance waits on whose definition changed (its due date was
  computed from the old one: re-arming it silently would move a deadline nobody asked to move);
- a running call activity whose called process changed, or an embedded subprocess removed;
- a current user task whose form changed incompatibly: another form key, or the same form now
  requiring a field the old one did not have (the person working on it would be refused);
- a completed step the new version cannot place at all (the history would point nowhere).

Not blocking — applied, and said in the plan: a current user task whose lane or candidates
changed is re-routed by the new version's lane; a changed name, due date rule or outgoing flow
applies from the migration on (the due date already set stays).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff
from SpiffWorkflow.util.task import TaskState

from engine.definitions.deploy import BuiltSpec

CURRENT = TaskState.READY | TaskState.WAITING | TaskState.STARTED
ROUTING_KEYS = ("lane", "assignee", "candidate_groups", "candidate_users")


@dataclass
class Assessment:
    """One instance against the new version: whether it moves, why not, what changes."""
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    current: list[str] = field(default_factory=list)
    diffs: list[tuple] = field(default_factory=list)  # (WorkflowDiff, workflow, new spec) to apply

    @property
    def movable(self) -> bool:
        return not self.reasons


class SpecComparer:
    """What SpiffWorkflow's SpecDiff compares specs through (`convert` to a dict). sanfu's own
    spec classes (its business rule task) have no converter of their own: they are compared
    through the nearest registered base class, under their own type name."""

    def __init__(self, registry):
        self._registry = registry

    def convert(self, obj):
        registry = self._registry
        for cls in type(obj).__mro__:
            typename = registry.typenames.get(cls)
            if typename in registry.convert_to_dict:
                try:
                    converted = registry.convert_to_dict[typename](obj)
                except (AttributeError, KeyError, TypeError):
                    break
                converted = {key: self._nested(value) for key, value in converted.items()}
                return converted if cls is type(obj) else {**converted, "typename": type(obj).__name__}
        return {"typename": type(obj).__name__, "name": getattr(obj, "name", None),
                "outputs": [output.name for output in getattr(obj, "outputs", [])]}

    def _nested(self, value):
        """sanfu's event definitions (its working-day timers) inside a spec: compared by content too,
        never by identity (SpiffWorkflow's own __eq__ on them ignores the timer's expression)."""
        if value is None or isinstance(value, (str, int, float, bool)):
            return value
        if isinstance(value, dict):
            return {key: self._nested(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._nested(item) for item in value]
        return self.convert(value)


def element_of(spec) -> str:
    return spec.bpmn_id or spec.name


def label(spec) -> str:
    name = spec.bpmn_name or ""
    return f"「{name}」({element_of(spec)})" if name and name != element_of(spec) else f"({element_of(spec)})"


def assess(registry, workflow, old: BuiltSpec, new: BuiltSpec, mapping: dict[str, str]) -> Assessment:
    """Diff the instance (its top workflow and each subworkflow) with the new version."""
    result, registry = Assessment(), SpecComparer(registry)
    _assess_one(result, registry, workflow, workflow.spec, new.spec, mapping, old, new)
    for sp in workflow.subprocesses.values():
        name = sp.spec.name
        if name in old.embedded:  # an embedded subprocess: part of this process's versions
            target = new.embedded.get(name)
            if target is None:
                if any(True for _ in _current_tasks(sp)):
                    result.reasons.append(f"运行中的子流程 {name} 在新版本中已删除")
                continue
            _assess_one(result, registry, sp, sp.spec, target, mapping, old, new)
        # a called process keeps its own bound version (Instance.bindings): nothing to move
    return result


def _current_tasks(workflow):
    return workflow.get_tasks(state=CURRENT, skip_subprocesses=True)


def _assess_one(result: Assessment, registry, workflow, old_spec, new_spec, mapping, old, new) -> None:
    diff = WorkflowDiff(workflow, SpecDiff(registry, old_spec, new_spec))
    guessed = {}
    for task in list(diff.alignment) + diff.removed:
        name = task.task_spec.name
        if name in mapping:  # a target in another (sub)process than its source aligns with nothing
            diff.alignment[task] = new_spec.task_specs.get(mapping[name])
        elif name not in new_spec.task_specs and task.task_spec.bpmn_id is not None:
            # SpiffWorkflow may have aligned it by structure: a guess, explicit only for current steps
            guessed[task] = diff.alignment.get(task)
    diff.removed = [task for task in diff.removed if diff.alignment.get(task) is None]
    for task in _current_tasks(workflow):
        if task.task_spec.bpmn_id is None:
            continue  # Spiff's own bookkeeping specs (joins, start, end) follow their process
        if element_of(task.task_spec) not in result.current:  # a multi-instance step counts once
            result.current.append(element_of(task.task_spec))
        if task in guessed:
            result.reasons.append(_unmapped(task, guessed[task]))
            continue
        _check_current(result, registry, task, diff.alignment.get(task), old, new)
    for task in diff.removed:
        if not task.has_state(CURRENT) and task.has_state(TaskState.FINISHED_MASK) and task.task_spec.bpmn_id:
            result.reasons.append(f"已完成的环节 {label(task.task_spec)} 在新版本中不存在，"
                                  f"需要映射 {element_of(task.task_spec)}=新环节")
    result.diffs.append((diff, workflow, new_spec))


def _unmapped(task, guess) -> str:
    hint = f"；建议映射 {element_of(task.task_spec)}={element_of(guess)}" if guess is not None else ""
    return f"当前环节 {label(task.task_spec)} 在新版本中已删除或改名，需要映射{hint}"


def _check_current(result: Assessment, registry, task, target, old: BuiltSpec, new: BuiltSpec) -> None:
    spec = task.task_spec
    if target is None:
        result.reasons.append(_unmapped(task, None))
        return
    before, after = registry.convert(spec), registry.convert(target)
    if before.get("typename") != after.get("typename"):
        result.reasons.append(f"当前环节 {label(spec)} 在新版本中类型已改变")
        return
    if isinstance(spec, CatchingEvent) and task.has_state(TaskState.WAITING) \
            and before.get("event_definition") != after.get("event_definition"):
        result.reasons.append(f"正在等待的事件 {label(spec)} 的定义（定时器/消息）已更改")
    if isinstance(spec, SubWorkflowTask) and task.has_state(TaskState.STARTED) \
            and before.get("spec") != after.get("spec"):
        result.reasons.append(f"正在运行的调用活动/子流程 {label(spec)} 已更改")
    if spec.manual and task.has_state(TaskState.READY):
        _check_user_task(result, element_of(spec), element_of(target), old, new)


def _check_user_task(result: Assessment, old_id: str, new_id: str, old: BuiltSpec, new: BuiltSpec) -> None:
    before, after = old.task_meta.get(old_id, {}), new.task_meta.get(new_id, {})
    old_form, new_form = before.get("form_key"), after.get("form_key")
    if old_form != new_form:
        result.reasons.append(f"当前环节 ({old_id}) 的表单由 {old_form or '无'} 改为 {new_form or '无'}")
    elif new_form:
        added = _required(new.forms.get(new_form)) - _fields(old.forms.get(old_form))
        if added:
            result.reasons.append(f"当前环节 ({old_id}) 的表单 {new_form} 新增必填项：{'、'.join(sorted(added))}")
    if any(before.get(key) != after.get(key) for key in ROUTING_KEYS):
        result.notes.append(f"环节 ({new_id}) 的办理人设置已更改（泳道 {before.get('lane') or '无'} → "
                            f"{after.get('lane') or '无'}），迁移后按新版本重新分派")


def _required(form: dict | None) -> set[str]:
    return set((form or {}).get("required") or [])


def _fields(form: dict | None) -> set[str]:
    return set(((form or {}).get("properties") or {}).keys())
