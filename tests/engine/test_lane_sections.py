"""The lanes that name a section (责任科室, 科长, 分管领导, or a section's own code or name)
resolve to its active people in one statement: the section and who is in it, together."""
import pytest
from sqlalchemy import event, select

from engine.org.lanes import Context, resolve
from engine.store.org_tables import Section, Unit
from tests.helpers.province import build_province


@pytest.fixture
def province(engine):
    build_province(engine)
    return engine


def _resolve(engine, name, unit="xh", section=None):
    """(keys, users, statements run) of the lane `name` in `unit`, the data's section `section`."""
    statements = []
    count = lambda *args: statements.append(args[2])  # noqa: E731
    with engine.uow(write=False) as uow:
        unit_id = uow.session.scalar(select(Unit.id).where(Unit.code == unit))
        event.listen(engine.db, "before_cursor_execute", count)
        try:
            found = resolve(uow.session, name, Context(unit_id, None), {"section": section} if section else {})
        finally:
            event.remove(engine.db, "before_cursor_execute", count)
    return found.keys, found.users, len(statements)


def _section_id(engine, unit, code):
    with engine.uow(write=False) as uow:
        return str(uow.session.scalar(select(Section.id).join(Unit, Unit.id == Section.unit_id)
                                      .where(Unit.code == unit, Section.code == code)))


def test_the_responsible_section_is_everyone_in_it_claimable_by_the_section(province):
    water = _section_id(province, "xh", "water")
    everyone = {"xh_water1", "xh_water2", "xh_water_head"}
    assert _resolve(province, "责任科室", section="water") == ([("section", water)], everyone, 1)
    assert _resolve(province, "责任科室", section="水环境科") == ([("section", water)], everyone, 1)
    assert _resolve(province, "water") == ([("section", water)], everyone, 1)  # a lane named by its code


def test_the_head_and_the_leader_in_charge_are_named_people(province):
    assert _resolve(province, "科长", section="water") == ([("user", "xh_water_head")], {"xh_water_head"}, 1)
    assert _resolve(province, "分管领导", section="air") == ([("user", "xh_leader")], {"xh_leader"}, 1)


def test_a_section_with_nobody_in_it_still_names_the_section_and_no_section_names_nobody(province):
    office = _section_id(province, "bj", "office")
    assert _resolve(province, "责任科室", unit="bj", section="office") == ([("section", office)], set(), 1)
    assert _resolve(province, "科长", unit="bj", section="water") == ([], set(), 1)
    assert _resolve(province, "责任科室", section="土壤科") == ([], set(), 1)
    assert _resolve(province, "责任科室")[:2] == ([], set())  # no section in the data: nothing to ask


def test_disabled_accounts_drop_out_of_every_section_lane(province):
    for name in ("xh_water2", "xh_water_head", "xh_leader"):
        province.set_active(name, False, actor="root")
    assert _resolve(province, "责任科室", section="water")[1] == {"xh_water1"}
    assert _resolve(province, "科长", section="water")[:2] == ([], set())
    assert _resolve(province, "分管领导", section="water")[:2] == ([], set())
