"""A value the database cannot hold — text past its column (PostgreSQL), a number past any
integer (the SQLite driver) — that a command's own checks missed is refused as bad input
(InvalidInput, a 422 for the user), never a 500, and the command saves nothing. On SQLite and
PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.errors import InvalidInput, NotFound
from engine.store.tables import Group, HumanTask
from tests.helpers.paths import PROCESSES
from tests.helpers.province import build_province


def _groups(engine) -> int:
    with engine.uow(write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(Group))


def test_text_past_its_column_is_refused_whole(engine):
    if engine.db.dialect.name != "postgresql":
        pytest.skip("SQLite stores text of any length")
    before = _groups(engine)
    with pytest.raises(InvalidInput) as refused, engine.uow() as uow:
        uow.session.add(Group(name="ok-group", display_name="ok"))      # would be saved with it
        uow.session.add(Group(name="g" * 129, display_name="too long"))
    assert refused.value.code == "value_too_long" and "未保存" in str(refused.value)
    assert _groups(engine) == before


def test_a_number_past_any_integer_is_refused_not_a_crash(engine):
    with pytest.raises(InvalidInput) as refused, engine.uow() as uow:
        uow.session.add(Group(name="overflow", display_name="x"))
        uow.session.flush()
        uow.session.execute(select(HumanTask.id).where(HumanTask.urge_count == 2**70)).all()
        if engine.db.dialect.name == "postgresql":   # PostgreSQL compares it as numeric: a write overflows
            uow.session.add(Group(id=2**40, name="overflow-id", display_name="x"))
    assert refused.value.code == "value_out_of_range"
    assert _groups(engine) == 0


def test_a_start_naming_an_enterprise_no_database_could_hold_is_not_found(engine):
    build_province(engine)
    engine.deploy([PROCESSES / name for name in ("enterprise_service.bpmn", "ledger_matter.bpmn", "routing.dmn")],
                  "root")
    for enterprise_id in (2**31, 2**63, 2**70):
        with pytest.raises((InvalidInput, NotFound)) as missing:   # the start form names the field
            engine.start("enterprise_service", "xh_liaison", {"enterprise_id": enterprise_id})
        assert f"企业 {enterprise_id} 不存在" in str(missing.value)
