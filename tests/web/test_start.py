"""发起 and 撤回 on the web and the API: /start/ lists what each user may start, the start form
is re-shown with its errors beside the fields (in Chinese) and what was typed, the enterprise
page carries the start buttons, a duplicate 结对服务 is refused with its reason, and the starter
withdraws from the instance page; others get 403."""
from sqlalchemy import select

from engine.store.tables import Instance


def test_the_start_page_lists_what_the_user_may_start(client, auth):
    auth.login("xh_water1")
    page = client.get("/start/").get_data(as_text=True)
    assert "台账事项（一事一单）" in page and "12369" not in page and "结对服务" not in page
    auth.logout()
    auth.login("xh_liaison")
    page = client.get("/start/").get_data(as_text=True)
    assert "台账事项（一事一单）" in page and "12369 环境投诉办理" in page and "结对服务（五个一）" in page
    assert client.get("/start/bench_three_user_tasks").status_code == 403  # no starters: admins only


def test_a_bad_start_form_comes_back_with_its_errors_and_values(client, auth, post, sanfu, ids):
    auth.login("xh_water1")
    form = client.get(f"/start/ledger_matter?enterprise_id={ids['enterprise_id']}").get_data(as_text=True)
    assert f'value="{ids["enterprise_id"]}"' in form and "问题类别" in form
    response = post("/start/ledger_matter", {"enterprise_id": str(ids["enterprise_id"]), "category": "水",
                                             "description": "", "severity": "一般", "source": "日常检查"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "请修改标出的内容" in page and 'value="日常检查"' in page
    assert 'id="e-description"' in page
    with sanfu.uow(write=False) as uow:
        assert uow.session.scalar(select(Instance.id).where(Instance.process_key == "ledger_matter")) is None
    response = post("/start/ledger_matter", {"enterprise_id": str(ids["enterprise_id"]), "category": "水",
                                             "description": "雨水口检出生产废水", "severity": "一般"})
    assert response.status_code == 302 and "/instances/" in response.headers["Location"]
    assert [t["name"] for t in sanfu.tasks("xh_water1")] == ["整改"]


def test_the_liaison_starts_the_service_from_the_enterprise_page_once_a_year(client, auth, post, ids):
    auth.login("xh_liaison")
    page = client.get(f"/enterprises/{ids['enterprise_id']}").get_data(as_text=True)
    assert f"/start/enterprise_service?enterprise_id={ids['enterprise_id']}" in page
    first = post("/start/enterprise_service", {"enterprise_id": str(ids["enterprise_id"])})
    assert first.status_code == 302
    again = post("/start/enterprise_service", {"enterprise_id": str(ids["enterprise_id"])})
    assert again.status_code == 409 and "今年已有进行中的结对服务" in again.get_data(as_text=True)
    auth.logout()
    auth.login("xh_expert")
    page = client.get(f"/enterprises/{ids['enterprise_id']}").get_data(as_text=True)
    assert "/start/enterprise_service" not in page and "/start/ledger_matter" not in page


def test_the_starter_withdraws_from_the_instance_page(client, auth, post, sanfu):
    started = sanfu.start_process("complaint_12369", "xh_liaison", {"channel": "来信", "summary": "夜间异味"})["id"]
    auth.login("xh_water1")
    assert "withdraw-reason" not in client.get(f"/instances/{started}").get_data(as_text=True)
    assert post(f"/start/withdraw/{started}", {"reason": "重复登记"}).status_code == 403
    auth.logout()
    auth.login("xh_liaison")
    assert "withdraw-reason" in client.get(f"/instances/{started}").get_data(as_text=True)
    empty = post(f"/start/withdraw/{started}", {"reason": ""}, follow_redirects=True)
    assert "请填写撤回原因" in empty.get_data(as_text=True)
    done = post(f"/start/withdraw/{started}", {"reason": "重复登记"}, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "已撤回" in page and "withdraw-reason" not in page
    assert sanfu.show(started, "root")["status"] == "cancelled"


def test_the_api_starts_and_withdraws(api, ids, sanfu):
    listed = api("GET", "/startable", "xh_water1").get_json()
    assert [p["key"] for p in listed] == ["ledger_matter"] and listed[0]["form"]["required"]
    bad = api("POST", "/processes/ledger_matter/start", "xh_water1", {"data": {"category": "水"}})
    assert bad.status_code == 422 and "description" in bad.get_json()["error"]["fields"]
    assert api("POST", "/processes/complaint_12369/start", "xh_water1",
               {"data": {"channel": "来信", "summary": "异味"}}).status_code == 403
    started = api("POST", "/processes/ledger_matter/start", "xh_water1", {"data": {
        "enterprise_id": ids["enterprise_id"], "category": "水", "description": "雨污未分流", "severity": "一般"}})
    assert started.status_code == 200, started.get_data(as_text=True)
    instance = started.get_json()["id"]
    assert api("POST", f"/instances/{instance}/withdraw", "xh_water2", {"reason": "x"}).status_code == 403
    assert api("POST", f"/instances/{instance}/withdraw", "xh_water1", {}).status_code == 422
    done = api("POST", f"/instances/{instance}/withdraw", "xh_water1", {"reason": "登记错了"})
    assert done.status_code == 200 and done.get_json()["status"] == "cancelled"
    assert api("POST", f"/instances/{instance}/withdraw", "xh_water1", {"reason": "再撤"}).status_code == 409


def test_my_started_list_marks_what_may_still_be_withdrawn(client, auth, sanfu, ids):
    fresh = sanfu.start_process("complaint_12369", "xh_liaison", {"channel": "来信", "summary": "夜间异味"})["id"]
    touched = sanfu.start_process("ledger_matter", "xh_liaison", {
        "enterprise_id": ids["enterprise_id"], "category": "水", "description": "雨污未分流", "severity": "一般"})["id"]
    task = sanfu.show(touched, "root")["open_tasks"][0]
    sanfu.claim(task["id"], "xh_water1")  # someone else acted: no longer withdrawable
    auth.login("xh_liaison")
    page = client.get("/?view=started").get_data(as_text=True)
    assert f'data-withdraw="{fresh}"' in page and f'data-withdraw="{touched}"' not in page


def test_only_the_enterprises_own_liaison_or_contact_leader_gets_the_service_button(client, auth, ids):
    auth.login("xh_leader")  # a leader, but not this enterprise's contact leader
    response = client.get(f"/enterprises/{ids['enterprise_id']}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-start="enterprise_service"' not in page
