"""The demo shows people acting on deadlines on first login: overdue work urged (催办 ×N on
its rows, the most overdue twice and with a 效能告诫 to its holder), and a 延期申请 waiting
under its section head's 延期审批."""
import pytest
from sqlalchemy import select

from engine.demo.loader import load_demo
from engine.store.supervision_tables import DeadlineExtension, EfficiencyWarning, Urge
from engine.store.tables import HumanTask

pytestmark = pytest.mark.usefixtures("demo_day")  # tests/scenario/conftest.py


def test_the_demo_has_urges_a_warning_and_a_pending_extension(engine):
    lines = load_demo(engine)
    [line] = [line for line in lines if "效能告诫" in line]
    assert "效能告诫 1 次，待审批延期申请 1 件" in line
    with engine.uow(write=False) as uow:
        session = uow.session
        counted = dict(session.execute(select(HumanTask.id, HumanTask.urge_count).where(HumanTask.urge_count > 0)).all())
        urges = list(session.scalars(select(Urge)))
        [warning] = session.scalars(select(EfficiencyWarning))
        [pending] = session.scalars(select(DeadlineExtension).where(DeadlineExtension.status == "pending"))
        holder = session.get(HumanTask, warning.task_id).assignee
    assert len(counted) >= 3 and max(counted.values()) == 2 and len(urges) == sum(counted.values())
    assert f"催办 {len(urges)} 次" in line
    assert counted[warning.task_id] == 2 and warning.person == holder
    assert engine.pending_extensions("admin")["rows"][0]["id"] == pending.id
    assert engine.warnings_of(warning.person, warning.issued_by)[0]["reason"].startswith("整改事项超期")
