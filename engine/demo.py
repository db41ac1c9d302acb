"""`sanfu demo`: a few users and groups, the benchmark model and a sample 走访 process with
instances at different stages — driven there through the same service API users go
through (start, claim, complete), so the demo is also a smoke test of the engine.

Logins (documented in the README):
  admin        administrator (assigns unrouted tasks)
  designer     process designer (deploys models)
  liaison1     联络员 (group liaisons)
  water1/2     水环境科 staff (group water)
  head1        科长 (group section_heads)
  supervisor1  督办 (group supervisors)
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from .store.tables import User

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ROOT / "processes"
FORMS = ROOT / "forms"

USERS = [
    ("admin", [], True, "系统管理员"),
    ("designer", ["designers"], False, "流程设计员"),
    ("liaison1", ["liaisons"], False, "联络员 张三"),
    ("water1", ["water"], False, "水环境科 李四"),
    ("water2", ["water"], False, "水环境科 王五"),
    ("head1", ["section_heads"], False, "水环境科 科长 赵六"),
    ("supervisor1", ["supervisors"], False, "督查室 钱七"),
]


def load_demo(engine) -> list[str]:
    lines = []
    with engine.uow() as uow:
        if uow.session.scalar(select(User.id).where(User.name == "admin")) is not None:
            return ["演示数据已存在，跳过 (demo data already loaded)"]
    for name, groups, admin, display in USERS:
        engine.add_user(name, groups, admin=admin, display_name=display)
        lines.append(f"用户 {name}（{display}）组：{','.join(groups) or '-'}")
    engine.forms_dir = FORMS
    for file_name in ("bench_three_user_tasks.bpmn", "demo_visit.bpmn"):
        result = engine.deploy([PROCESSES / file_name], "designer")
        lines += [f"已部署 {p['key']} v{p['version']}" for p in result.processes]
    lines += _drive_instances(engine)
    return lines


def _task_of(engine, user: str, instance_id: int) -> str:
    for task in engine.tasks(user):
        if task["instance_id"] == instance_id:
            return task["id"]
    raise LookupError(f"no task for {user} in instance {instance_id}")


def _drive_instances(engine) -> list[str]:
    visit = {"visit_date": "2026-11-20", "mode": "走访", "members": ["liaison1", "water1"],
             "needs": "希望指导污水处理设施升级", "problem_count": 1, "problem": "雨污分流不彻底"}
    started = [engine.start("demo_visit", "liaison1")["id"] for _ in range(4)]
    # 1: waits for the visit record; 2: waits in 水环境科 to be claimed;
    # 3: claimed and rectified, waiting for the section head; 4: closed out.
    for instance_id in started[1:]:
        engine.complete(_task_of(engine, "liaison1", instance_id), "liaison1", visit)
    for instance_id in started[2:]:
        task_id = _task_of(engine, "water1", instance_id)
        engine.claim(task_id, "water1")
        engine.complete(task_id, "water1", {"measures": "已完成雨污管网改造", "evidence": ["照片1.jpg"]})
    engine.complete(_task_of(engine, "head1", started[3]), "head1", {"verified": True, "opinion": "同意销号"})
    bench = [engine.start("Process_three_user_tasks", "liaison1")["id"] for _ in range(2)]
    return [f"示例实例：{', '.join(map(str, started))}（走访/待认领/待销号/已销号）",
            f"基准模型实例：{', '.join(map(str, bench))}"]
