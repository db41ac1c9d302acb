"""bench-inbox's bulk fill gives instances explicit ids: afterwards a start through the
Engine in the same database must still get a fresh id (PostgreSQL's sequence moved past
the filled rows), and the new instance's task shows up in the inbox beside the bulk ones."""
from sqlalchemy import func, select

from engine.bench.inbox import _fill, _org
from engine.demo.loader import load_demo
from engine.store.org_tables import Enterprise, Unit
from engine.store.tables import Instance


def test_a_start_after_the_bulk_fill_takes_a_fresh_id(engine, db_engine):
    load_demo(engine)
    counts = _fill(db_engine, _org(db_engine), instances=30, tasks_per_instance=2)
    assert counts["instances"] == 30
    with db_engine.connect() as conn:
        filled_max = conn.scalar(select(func.max(Instance.id)))
        enterprise = conn.scalar(select(Enterprise.id).join(Unit, Unit.id == Enterprise.unit_id)
                                 .where(Unit.code == "xh").order_by(Enterprise.id).limit(1))

    started = engine.start("enterprise_service", "xh_liaison", {"enterprise_id": enterprise})

    assert started["id"] > filled_max
    again = engine.start("enterprise_service", "xh_liaison", {"enterprise_id": enterprise})
    assert again["id"] > started["id"]
    started_tab = engine.inbox("xh_liaison", "started", per_page=100)
    assert {started["id"], again["id"]} <= {row["instance_id"] for row in started_tab["rows"]}
