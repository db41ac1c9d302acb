"""Sign-in, the inbox views and the task page's view of a task, from the engine side."""
import pytest

from engine.errors import InvalidInput, NotAllowed
from tests.helpers.forms import CHECK, VISIT, WATER
from tests.helpers.paths import FORMS, PROCESSES
from tests.helpers.province import build_province


@pytest.fixture
def county(engine):
    ids = build_province(engine)
    engine.forms_dir = FORMS
    engine.deploy([PROCESSES / "enterprise_service.bpmn", PROCESSES / "ledger_matter.bpmn",
                   PROCESSES / "routing.dmn"], "root")
    return engine, ids


def test_passwords_follow_the_policy_and_failures_are_throttled(county):
    engine, _ = county
    with pytest.raises(InvalidInput, match="10"):
        engine.set_password("xh_water1", "short1", actor="root")
    engine.set_password("xh_water1", "water-2026-ok", actor="xh_water1")
    with pytest.raises(NotAllowed):
        engine.set_password("xh_water2", "water-2026-ok", actor="xh_water1")
    account = engine.authenticate("xh_water1", "water-2026-ok", client="10.0.0.1")
    assert account["name"] == "xh_water1" and account["roles"] == ["staff"]
    for _ in range(5):
        with pytest.raises(NotAllowed, match="用户名或密码错误"):
            engine.authenticate("xh_water1", "wrong-password-1", client="10.0.0.1")
    with pytest.raises(NotAllowed, match="15 分钟"):
        engine.authenticate("xh_water1", "water-2026-ok", client="10.0.0.1")
    with pytest.raises(NotAllowed, match="用户名或密码错误"):
        engine.authenticate("nobody", "whatever-123", client="10.0.0.2")
    assert engine.account("xh_water1")["display_name"] == "西湖 水 科员1" and engine.account("nobody") is None


def test_inbox_views_count_and_page_and_the_task_view_respects_who_may_see(county):
    engine, ids = county
    service = engine.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})["id"]
    visit = engine.inbox("xh_liaison")["rows"][0]
    assert visit["enterprise_name"] == "西湖印染有限公司"
    engine.complete(visit["id"], "xh_liaison", VISIT)
    engine.complete(engine.inbox("xh_expert")["rows"][0]["id"], "xh_expert", dict(CHECK, findings=[WATER]))
    page = engine.inbox("xh_water1", "claimable")
    assert page["counts"] == {"todo": 0, "claimable": 1, "done": 0, "started": 0, "copied": 0} and page["total"] == 1
    matter = page["rows"][0]
    view = engine.task_view(matter["id"], "xh_water1")
    assert view["can_claim"] and view["can_complete"] and not view["can_release"]
    assert view["form"]["title"] and view["data"]["category"] == "水"
    assert engine.inbox("xh_liaison", "started")["counts"]["started"] == 1
    assert engine.inbox("xh_liaison", "done")["rows"][0]["id"] == visit["id"]
    assert engine.inbox("xh_water1", "claimable", q="印染")["total"] == 1
    assert engine.inbox("xh_water1", "claimable", q="不存在的企业")["total"] == 0
    with pytest.raises(NotAllowed):
        engine.task_view(matter["id"], "bj_water1")          # another county
    assert engine.task_view(matter["id"], "hz_super")["can_complete"] is False  # supervises, read-only
    engine.claim(matter["id"], "xh_water1")
    assert engine.inbox("xh_water1")["counts"]["todo"] == 1
    assert engine.task_view(matter["id"], "xh_water1")["can_release"] is True
    assert engine.inbox("xh_water2", "claimable")["total"] == 0
    assert engine.show(service, "xh_liaison")["id"] == service
