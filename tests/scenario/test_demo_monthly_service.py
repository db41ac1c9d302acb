"""The demo's 每月服务 on first login: most paired enterprises served last month and many this
month, and one liaison who missed an enterprise last month — shown red on the list, and
told (with the enterprise's contact leader) in the notification centre."""
import pytest
from sqlalchemy import select

from engine.demo.loader import load_demo
from engine.enterprises import monthly_service as ms
from engine.store.org_tables import Enterprise
from engine.store.tables import User


@pytest.fixture
def demo(sqlite_engine):
    from engine.service import Engine
    engine = Engine(db_engine=sqlite_engine)
    load_demo(engine)
    return engine


def test_a_liaison_missed_last_month_and_hears_of_it_with_the_contact_leader(demo):
    today = ms.today()
    last, this = ms.shift(*ms.month_of(today), -1), ms.month_of(today)
    with demo.uow(write=False) as uow:
        [missed] = ms.unserved_enterprises(uow.session, None, *last)
        before = ms.monthly_coverage(uow.session, None, *last)["total"]
        now = ms.monthly_coverage(uow.session, None, *this)["total"]
        leader = uow.session.scalar(select(User.name).join(Enterprise, Enterprise.contact_leader_id == User.id)
                                    .where(Enterprise.id == missed["id"]))
    assert before["required"] >= 20 and before["missed"] == 1
    assert 0 < now["served"] < now["required"]  # served and not yet served side by side
    for person in (missed["liaison"], leader):
        texts = [n["text"] for n in demo.notifications(person)["rows"] if n["kind"] == "monthly_service"]
        assert any("逾期未服务" in t and missed["name"] in t for t in texts), person
    rows = demo.enterprises(missed["liaison"], service="missed")["rows"]
    assert [r["id"] for r in rows] == [missed["id"]] and rows[0]["service"]["last_missed"]
