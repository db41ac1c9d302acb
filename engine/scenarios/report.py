"""A scenario's result for people (one line a step, each difference below its step) and for
tools (`--json`, the workbench)."""
from __future__ import annotations

from engine.scenarios.runner import ScenarioResult

MARKS = {"passed": "✓", "failed": "✗", "skipped": "–"}


def as_text(result: ScenarioResult) -> str:
    lines = [f"场景：{result.name}（{result.file}）"]
    for step in result.steps:
        number = f"{step.index:>2}"
        note = "（未运行）" if step.status == "skipped" else ""
        said = f" — {step.note}" if step.note else ""
        lines.append(f"  {MARKS[step.status]} {number} {step.summary}{note}{said}")
        lines += [f"      {difference}" for difference in step.differences]
    lines.append(summary(result))
    return "\n".join(lines)


def summary(result: ScenarioResult) -> str:
    counts = {status: sum(1 for s in result.steps if s.status == status) for status in MARKS}
    verdict = "通过" if result.passed else "失败"
    skipped = f"，{counts['skipped']} 步未运行" if counts["skipped"] else ""
    return (f"结果：{verdict} — {counts['passed']} 步通过，{counts['failed']} 步失败{skipped}"
            f"（{result.seconds} 秒）")


def as_dict(result: ScenarioResult) -> dict:
    return {"name": result.name, "file": result.file, "passed": result.passed,
            "instance_status": result.instance_status, "seconds": result.seconds,
            "steps": [{"index": s.index, "kind": s.kind, "summary": s.summary, "status": s.status,
                       "differences": s.differences, "elements": s.elements, "note": s.note} for s in result.steps]}


def element_marks(result: ScenarioResult) -> dict[str, str]:
    """Each element the scenario visited → 'passed' or 'failed' (a failure wins), for the diagram."""
    marks: dict[str, str] = {}
    for step in result.steps:
        if step.status == "skipped":
            continue
        for element in step.elements:
            if marks.get(element) != "failed":
                marks[element] = step.status
    return marks
