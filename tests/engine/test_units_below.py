"""A supervisor's units — their own and every unit under it — come from one statement (a
recursive CTE), the unit first and then the tree level by level, on SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import update

from engine.org import directory
from engine.store.org_tables import Unit
from tests.helpers.statements import statements_of


def _province(engine) -> dict[str, int]:
    engine.add_user("root", admin=True)
    tree = [("zj", "province", None), ("hz", "city", "zj"), ("nb", "city", "zj"),
            ("xh", "county", "hz"), ("bj", "county", "hz"), ("yz", "county", "nb")]
    return {code: engine.add_unit(code, code, level, parent, actor="root") for code, level, parent in tree}


def _below(engine, unit_id: int) -> list[int]:
    with engine.uow(write=False) as uow:
        return directory.units_below(uow.session, unit_id)


def test_a_unit_and_everything_under_it_level_by_level_in_one_statement(engine):
    ids = _province(engine)
    sent = statements_of(engine.db, lambda: _below(engine, ids["zj"]))
    assert len([s for s in sent if s.startswith(("SELECT", "WITH"))]) == 1
    found = _below(engine, ids["zj"])
    assert found[0] == ids["zj"]
    assert set(found[1:3]) == {ids["hz"], ids["nb"]}                      # the cities,
    assert set(found[3:]) == {ids["xh"], ids["bj"], ids["yz"]}            # then their counties
    assert len(found) == 6
    assert _below(engine, ids["hz"]) == [ids["hz"], *sorted([ids["xh"], ids["bj"]])]
    assert _below(engine, ids["yz"]) == [ids["yz"]]                       # a leaf: itself alone


def test_a_parent_loop_from_a_corrupt_import_still_ends(engine):
    ids = _province(engine)
    with engine.uow() as uow:   # 西湖 made the parent of its own parent, behind the engine's back
        uow.session.execute(update(Unit).where(Unit.id == ids["hz"]).values(parent_id=ids["xh"]))
    found = _below(engine, ids["hz"])
    assert found[:3] == [ids["hz"], *sorted([ids["xh"], ids["bj"]])] and set(found) == {ids["hz"], ids["xh"], ids["bj"]}
