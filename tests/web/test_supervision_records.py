"""督办单 pages refuse bad input with a message and change nothing: a year out of range, a
mistyped 整改期限, a 复核 without its decision; a deputy of the person responsible sees and
reports the record; the list reads its page with a fixed number of queries."""
from datetime import timedelta

from sqlalchemy import event

from engine import clock
from tests.helpers.web import only_task, text_of


def listed(sanfu) -> tuple[str, int]:
    task = only_task(sanfu, "xh_liaison")
    return task["id"], sanfu.list_for_supervision(task["id"], "hz_super", "重点督办")["id"]


def test_bad_input_is_refused_with_a_message(client, auth, post, sanfu, service):
    task_id, record_id = listed(sanfu)
    auth.login("hz_super")
    page = text_of(client.get("/supervision/records/?year=10000", follow_redirects=True))
    assert "年度应在 2000 到 2100 之间" in page
    other = only_task(sanfu, "xh_liaison")
    response = post("/supervision/records/list", {"task_id": task_id, "note": "再挂一次", "deadline": "2026-13-01"},
                    follow_redirects=True)
    assert "请填写有效的整改期限" in text_of(response) and other
    response = post(f"/supervision/records/{record_id}/verify", {"note": "x"}, follow_redirects=True)
    assert "请选择复核通过或不通过" in text_of(response)
    assert sanfu.supervision_record(record_id, "hz_super")["status"] == "open"
    assert len(sanfu.supervision_records("hz_super")["rows"]) == 1


def test_a_deputy_of_the_person_responsible_sees_and_reports_it(client, auth, post, sanfu, service):
    _, record_id = listed(sanfu)                                     # the liaison holds the visit
    now = clock.now()
    sanfu.set_deputy("xh_liaison", "xh_water2", now - timedelta(days=1), now + timedelta(days=3), actor="root")
    auth.login("xh_water2")
    assert client.get(f"/supervision/records/{record_id}").status_code == 200
    post(f"/supervision/records/{record_id}/report", {"note": "代为报告：已走访"})
    assert sanfu.supervision_record(record_id, "hz_super")["status"] == "verifying"


def test_the_list_reads_a_page_with_a_fixed_number_of_queries(sanfu, ids, service):
    listed(sanfu)
    statements = []
    event.listen(sanfu.db, "before_cursor_execute", lambda *_args: statements.append(1))
    sanfu.supervision_records("hz_super")
    with_one = len(statements)
    second = sanfu.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})["id"]
    task = next(t for t in sanfu.tasks("xh_liaison") if t["instance_id"] == second)
    sanfu.list_for_supervision(task["id"], "xh_leader", "重点督办")         # another person, another unit row
    statements.clear()
    assert len(sanfu.supervision_records("hz_super")["rows"]) == 2
    assert len(statements) == with_one
