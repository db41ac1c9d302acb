"""The demo's people acting on deadlines, as a first login should find them: the supervisors
have urged (催办) a few overdue tasks of their counties — the most overdue twice, with an
efficiency warning (效能告诫) to its holder — and one holder's 延期申请 waits for their
section head's decision under 延期审批."""
from __future__ import annotations

from sqlalchemy import select

from engine import clock
from engine.calendar.store import work_calendar
from engine.errors import SanfuError
from engine.org.people import section_heads, task_section, unit_role_holders
from engine.store.tables import HumanTask

URGES = ("企业反映整改进展缓慢，请加快办理并于三日内报送进展。", "已超期，请今日内说明原因并提出办结时间。")
WARNING = "整改事项超期未办结，且未申请延期、未说明原因，予以效能告诫。"
EXTENSION_REASON = "企业治理设备供货推迟，现场安装调试需延后一周。"


def add_deadline_actions(engine) -> list[str]:
    urged, warned = _urge_overdue(engine)
    asked = _one_extension(engine)
    return [f"督办：催办 {urged} 次，效能告诫 {warned} 次，待审批延期申请 {asked} 件 (urges, warnings, extensions)"]


def _supervisor_of(session, row: HumanTask) -> str | None:
    found = unit_role_holders(session, row.unit_id, "supervisor")
    return found[0] if found else None


def _urge_overdue(engine, most: int = 4) -> tuple[int, int]:
    with engine.uow(write=False) as uow:
        rows = list(uow.session.scalars(
            select(HumanTask).where(HumanTask.status == "open", HumanTask.assignee.is_not(None),
                                    HumanTask.delegation.is_(None), HumanTask.due_at < clock.now())
            .order_by(HumanTask.due_at, HumanTask.id).limit(most)))
        pairs = [(row.id, _supervisor_of(uow.session, row)) for row in rows]
    urged = warned = 0
    for index, (task_id, supervisor) in enumerate(pairs):
        if supervisor is None:
            continue
        for message in URGES[:2 if index == 0 else 1]:  # the most overdue: urged twice
            urged += _tried(engine.urge, task_id, supervisor, message)
        if index == 0:
            warned += _tried(engine.issue_warning, task_id, supervisor, WARNING)
    return urged, warned


def _one_extension(engine) -> int:
    """The first held task, not yet due, whose holder may ask and whose section has a head."""
    with engine.uow(write=False) as uow:
        calendar = work_calendar(uow.session)
        rows = list(uow.session.scalars(
            select(HumanTask).where(HumanTask.status == "open", HumanTask.assignee.is_not(None),
                                    HumanTask.delegation.is_(None), HumanTask.due_at > clock.now())
            .order_by(HumanTask.due_at, HumanTask.id).limit(20)))
        wanted = [(row.id, row.assignee, calendar.add_working_days(row.due_at, 5)) for row in rows
                  if section_heads(uow.session, task_section(uow.session, row)) not in ([], [row.assignee])]
    for task_id, holder, day in wanted:
        if _tried(engine.request_extension, task_id, holder, clock.to_local(day).date(), EXTENSION_REASON):
            return 1
    return 0


def _tried(command, *args) -> int:
    """1 if the command went through; 0 if the engine refused it (that task is skipped)."""
    try:
        command(*args)
    except SanfuError:
        return 0
    return 1
