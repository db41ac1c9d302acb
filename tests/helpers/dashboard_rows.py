"""Raw rows for the 督办看板 tests: task rows in every colour, completed on time and late (one
after an approved extension: original_due_at kept), 回访 with scores, 催办, 效能告诫 and 挂牌督办
records — written straight into the tables the dashboard reads, with a seeded generator, over
the test province (tests/helpers/province.py: zj → hz → xh, bj)."""
from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from engine.store.org_tables import Section, Unit
from engine.store.supervision_tables import EfficiencyWarning, SupervisionRecord, Urge
from engine.store.tables import AuditEvent, HumanTask, Instance, ProcessDefinition, TaskCandidate
from tests.helpers.paths import PROCESSES

NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)  # 2026-12-04 10:00 in Shanghai
HOLDERS = {"xh": {"water": ["xh_water1", "xh_water2"], "air": ["xh_air1"]}, "bj": {"water": ["bj_water1"]}}
STEPS = (("rectify", "整改"), ("verify", "科长审核"), ("follow_up", "回访"))
# A task completed late only because its deadline was extended: due 11-20 first, moved to 11-30.
EXTENDED_LATE_ID = "00000000-0000-4000-8000-00000000e001"
RED_TASK_NAME = "超期整改（看板测试）"


def fill(engine, seed: int = 9, per_unit: int = 40) -> dict:
    """Rows for xh, bj and hz (and zj); returns {unit code: id}."""
    engine.deploy([PROCESSES / "bench_three_user_tasks.bpmn"], "root")
    rng = random.Random(seed)
    with engine.uow() as uow:
        session = uow.session
        units = dict(session.execute(select(Unit.code, Unit.id)).all())
        sections = {(u, c): i for i, u, c in session.execute(select(Section.id, Section.unit_id, Section.code))}
        definition = session.scalar(select(ProcessDefinition).order_by(ProcessDefinition.id.desc()).limit(1))
        for code in ("xh", "bj", "hz", "zj"):
            for n in range(per_unit if code in ("xh", "bj") else per_unit // 4):
                _task(session, rng, definition, units[code], code, sections, n)
        _extended_late(session, definition, units["xh"], sections[(units["xh"], "water")])
        _red(session, definition, units["bj"], sections[(units["bj"], "water")])
        _acts(session, rng, units, sections)
    return units


def _instance(session, definition, unit_id: int, created: datetime) -> Instance:
    inst = Instance(definition_id=definition.id, process_key=definition.key, version=definition.version,
                    status="running", state="{}", revision=1, started_by="xh_liaison", unit_id=unit_id,
                    created_at=created, updated_at=created, bindings={})
    session.add(inst)
    session.flush()
    return inst


def _task(session, rng, definition, unit_id: int, code: str, sections: dict, n: int) -> None:
    created = NOW - timedelta(days=rng.uniform(5, 70), hours=rng.uniform(0, 8))
    inst = _instance(session, definition, unit_id, created)
    element, name = STEPS[n % len(STEPS)]
    section_code = rng.choice(list(HOLDERS.get(code, {"water": [None]})))
    row = HumanTask(id=str(uuid.UUID(int=rng.getrandbits(128), version=4)), instance_id=inst.id,
                    process_key=definition.key, version=definition.version, element_id=element, name=name,
                    status="open", unit_id=unit_id, created_at=created, candidate_groups=[], candidate_users=[],
                    form_key="service_followup" if element == "follow_up" else None,
                    urge_count=rng.choice((0, 0, 1, 2)))
    row.due_at = NOW + timedelta(days=rng.uniform(-10, 10))
    row.yellow_at = row.due_at - timedelta(days=1)
    row.blue_at = row.due_at - timedelta(days=rng.choice((2, 3, 6)))
    people = HOLDERS.get(code, {}).get(section_code) or []
    if rng.random() < 0.55:
        row.status = "completed"
        row.completed_at = created + timedelta(days=rng.uniform(1, 60))
        row.completed_at = min(row.completed_at, NOW - timedelta(hours=1))
        row.completed_by = rng.choice(people) if people else "root"
        row.due_at = created + timedelta(days=rng.choice((10, 20, 40)))
        if rng.random() < 0.2:  # an extension: the first deadline was earlier
            row.original_due_at = row.due_at - timedelta(days=rng.choice((3, 15)))
        if element == "follow_up":
            session.add(AuditEvent(at=row.completed_at, actor=row.completed_by, action="task_completed",
                                   instance_id=inst.id, task_id=row.id,
                                   detail={"data": {"satisfaction": {"overall": rng.randint(2, 5)}}}))
    elif people and rng.random() < 0.5:
        row.assignee = rng.choice(people)
    session.add(row)
    if section_code and (unit_id, section_code) in sections and row.status == "open" and row.assignee is None:
        session.add(TaskCandidate(task_id=row.id, kind="section", name=str(sections[(unit_id, section_code)])))


def _extended_late(session, definition, unit_id: int, section_id: int) -> None:
    created = datetime(2026, 11, 2, 1, tzinfo=UTC)
    inst = _instance(session, definition, unit_id, created)
    session.add(HumanTask(id=EXTENDED_LATE_ID, instance_id=inst.id, process_key=definition.key,
                          version=definition.version, element_id="rectify", name="整改（延期后办结）",
                          status="completed", unit_id=unit_id, created_at=created, candidate_groups=[],
                          candidate_users=[], original_due_at=datetime(2026, 11, 20, 9, tzinfo=UTC),
                          due_at=datetime(2026, 11, 30, 9, tzinfo=UTC),
                          completed_at=datetime(2026, 11, 25, 3, tzinfo=UTC), completed_by="xh_water1"))


def _red(session, definition, unit_id: int, section_id: int) -> None:
    """One red task with a known name, for the browser test's drill-down."""
    created = NOW - timedelta(days=20)
    inst = _instance(session, definition, unit_id, created)
    task_id = str(uuid.uuid4())
    session.add(HumanTask(id=task_id, instance_id=inst.id, process_key=definition.key, version=definition.version,
                          element_id="rectify", name=RED_TASK_NAME, status="open", unit_id=unit_id,
                          created_at=created, candidate_groups=[], candidate_users=[], assignee="bj_water1",
                          due_at=NOW - timedelta(days=3), yellow_at=NOW - timedelta(days=4),
                          blue_at=NOW - timedelta(days=8), urge_count=2))
    session.add(TaskCandidate(task_id=task_id, kind="section", name=str(section_id)))


def _acts(session, rng, units: dict, sections: dict) -> None:
    """催办, 效能告诫 in October to December, and 挂牌督办 records (one from 2025 still open)."""
    for _ in range(30):
        code = rng.choice(("xh", "bj", "hz"))
        at = datetime(2026, 10, 1, tzinfo=UTC) + timedelta(days=rng.uniform(0, 63))
        session.add(Urge(task_id=str(uuid.uuid4()), instance_id=0, unit_id=units[code], sender="hz_super",
                         message="请尽快办理", created_at=at))
        session.add(EfficiencyWarning(person="xh_water1", unit_id=units[code],
                                      section_id=sections.get((units[code], "water")), issued_by="hz_super",
                                      reason="超期未办", created_at=at + timedelta(hours=3)))
    records = [("xh", 2025, "open", None), ("xh", 2026, "verifying", None), ("bj", 2026, "open", None),
               ("bj", 2026, "closed", datetime(2026, 11, 10, tzinfo=UTC)),
               ("hz", 2026, "closed", datetime(2026, 10, 10, tzinfo=UTC))]
    for serial, (code, year, status, closed_at) in enumerate(records, start=1):
        session.add(SupervisionRecord(year=year, serial=serial, title=f"挂牌督办 {serial}", source="ladder",
                                      unit_id=units[code], section_id=sections.get((units[code], "water")),
                                      status=status, opened_at=datetime(year, 11, 1, tzinfo=UTC), opened_by="hz_super",
                                      closed_at=closed_at))


def make_red(engine, task_id: str, urges: int = 1) -> None:
    """Move a real task's deadline 3 days before NOW (red), as if it had been left lying."""
    from sqlalchemy import update
    with engine.uow() as uow:
        uow.session.execute(update(HumanTask).where(HumanTask.id == task_id).values(
            due_at=NOW - timedelta(days=3), yellow_at=NOW - timedelta(days=4), blue_at=NOW - timedelta(days=8),
            urge_count=urges))
