"""An `expect:` step against the instance: its open tasks (exactly those listed, each with the
fields given), its status and its data (the keys given, nested objects compared key by key).
Every difference is one line a designer reads: what was expected, what there is."""
from __future__ import annotations

TASK_FIELDS = {"name": "名称", "lane": "泳道", "assignee": "办理人", "candidate_groups": "候选组",
               "candidate_users": "候选人"}
LIST_FIELDS = ("candidate_groups", "candidate_users")


def compare(expected: dict, open_tasks: list[dict], instance: dict) -> tuple[list[str], list[str]]:
    """(differences, element ids of the tasks expected)."""
    differences: list[str] = []
    if "status" in expected and expected["status"] != instance["status"]:
        differences.append(f"状态 status：预期 {expected['status']}，实际 {instance['status']}")
    if "data" in expected:
        differences += _data_differences(expected["data"], instance["data"], "")
    elements: list[str] = []
    if "tasks" in expected:
        task_differences, elements = _task_differences(expected["tasks"], open_tasks)
        differences += task_differences
    return differences, elements


def _task_differences(expected: list[dict], actual: list[dict]) -> tuple[list[str], list[str]]:
    remaining, differences, elements = list(actual), [], []
    for wanted in expected:
        same_task = [t for t in remaining if wanted["task"] in (t["element_id"], t["name"])]
        if not same_task:
            differences.append(f"待办 {wanted['task']}：预期有，实际没有")
            continue
        # Of several open tasks with this id (a matter per finding), the one that fits best.
        best = min(same_task, key=lambda t: len(_field_differences(wanted, t)))
        remaining.remove(best)
        elements.append(best["element_id"])
        differences += [f"待办 {wanted['task']} 的{d}" for d in _field_differences(wanted, best)]
    for extra in remaining:
        differences.append(f"待办 {extra['element_id']}（{extra['name']}）：预期没有，实际有")
    return differences, elements


def _field_differences(wanted: dict, task: dict) -> list[str]:
    out = []
    for name, label in TASK_FIELDS.items():
        if name not in wanted:
            continue
        want, have = wanted[name], task.get(name)
        if name in LIST_FIELDS:
            want, have = sorted(want or []), sorted(have or [])
        if want != have:
            out.append(f"{label} {name}：预期 {_shown(want)}，实际 {_shown(have)}")
    return out


def _data_differences(want, have, path: str) -> list[str]:
    if isinstance(want, dict) and isinstance(have, dict):
        out = []
        for key, value in want.items():
            where = f"{path}.{key}" if path else key
            if key not in have:
                out.append(f"数据 {where}：预期 {_shown(value)}，实际没有这一项")
            else:
                out += _data_differences(value, have[key], where)
        return out
    if want != have:
        return [f"数据 {path}：预期 {_shown(want)}，实际 {_shown(have)}"]
    return []


def _shown(value) -> str:
    if value is None:
        return "（空）"
    if isinstance(value, list):
        return "[" + "、".join(map(str, value)) + "]"
    return str(value)
