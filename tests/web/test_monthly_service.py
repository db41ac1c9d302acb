"""每月服务 in the web app: the liaison records a phone call on the enterprise page (记录服务),
the month shows 已服务 there and in the list's 本月服务 column; a refused form comes back with
what was typed and the field named; last month's miss shows in red words; a liaison's own
list (我的本月服务)."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from engine import clock
from engine.enterprises.monthly_service import first_day, month_of, shift, today
from engine.store.org_tables import Enterprise
from engine.store.supervision_tables import ServiceContact
from tests.helpers.web import text_of

CALL = {"mode": "电话", "summary": "电话了解污水站运行情况"}


def contacts(sanfu) -> list[ServiceContact]:
    with sanfu.uow(write=False) as uow:
        return list(uow.session.scalars(select(ServiceContact)))


def pair_long_ago(sanfu) -> None:
    """The province's enterprises were paired 70 days ago. Built today, from the 25th on they
    would need no service this month (paired too late in it), whatever the test."""
    with sanfu.uow() as uow:
        uow.session.execute(update(Enterprise).values(created_at=clock.now() - timedelta(days=70)))


def service_cell(body: str, enterprise_id: int) -> str:
    row = re.search(rf'<tr[^>]*data-enterprise="{enterprise_id}".*?</tr>', body, re.S).group(0)
    return re.search(r'data-service="(\w+)"', row).group(1)


def test_the_liaison_records_a_phone_call_and_the_month_is_served(client, auth, post, sanfu, ids):
    enterprise = ids["enterprise_id"]
    pair_long_ago(sanfu)
    auth.login("xh_liaison")
    page = text_of(client.get(f"/enterprises/{enterprise}"))
    assert "记录服务" in page and 'name="contacted_on"' in page
    assert service_cell(text_of(client.get("/enterprises")), enterprise) in ("pending", "warning")
    response = post(f"/enterprises/{enterprise}/contacts", {**CALL, "contacted_on": today().isoformat()})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/enterprises/{enterprise}#monthly-service")
    [row] = contacts(sanfu)
    assert (row.mode, row.contacted_on, row.recorded_by, row.liaison) == ("电话", today(), "xh_liaison", "xh_liaison")
    page = text_of(client.get(f"/enterprises/{enterprise}"))
    this_month = re.search(rf'data-month="{today():%Y-%m}" data-status="(\w+)"', page)
    assert this_month.group(1) == "served" and CALL["summary"] in page
    assert service_cell(text_of(client.get("/enterprises")), enterprise) == "served"
    assert "西湖印染有限公司" in text_of(client.get("/enterprises?service=served"))
    assert "西湖印染有限公司" not in text_of(client.get("/enterprises?service=unserved"))


def test_the_api_lists_and_filters_this_months_service(api, sanfu, ids):
    pair_long_ago(sanfu)
    sanfu.record_contact(ids["enterprise_id"], "xh_liaison", "视频", today().isoformat(), "视频连线")
    [row] = api("GET", "/enterprises?service=served", "xh_liaison").get_json()["rows"]
    assert row["id"] == ids["enterprise_id"] and row["service"]["status"] == "served"
    assert api("GET", "/enterprises?service=unserved", "xh_liaison").get_json()["rows"] == []
    page = api("GET", f"/enterprises/{ids['enterprise_id']}", "xh_liaison").get_json()
    assert page["may_record_contact"] and page["service"][0]["contacts"][0]["mode"] == "视频"


def test_a_refused_contact_keeps_what_was_typed_and_names_the_field(client, auth, post, sanfu, ids):
    auth.login("xh_liaison")
    tomorrow = (today() + timedelta(days=1)).isoformat()
    typed = "上门检查了危废仓库，企业反映审批慢"
    response = post(f"/enterprises/{ids['enterprise_id']}/contacts",
                    {"mode": "视频", "contacted_on": tomorrow, "summary": typed})
    body = text_of(response)
    assert response.status_code == 422
    assert "服务日期：不能晚于今天" in body and 'aria-invalid="true" aria-describedby="e-contact-contacted_on"' in body
    assert typed in body and f'value="{tomorrow}"' in body and 'value="视频" checked' in body
    assert contacts(sanfu) == []
    body = text_of(post(f"/enterprises/{ids['enterprise_id']}/contacts", {"mode": "视频", "contacted_on": "",
                                                                         "summary": "x"}))
    assert "服务日期：请填写日期" in body
    body = text_of(post(f"/enterprises/{ids['enterprise_id']}/contacts",
                        {"mode": "电话", "contacted_on": today().isoformat(), "summary": " "}))
    assert "服务内容：请填写本次服务的内容" in body


def test_staff_who_are_not_the_liaison_get_no_form_and_are_refused(client, auth, post, sanfu, ids):
    auth.login("xh_water1")
    assert 'name="contacted_on"' not in text_of(client.get(f"/enterprises/{ids['enterprise_id']}"))
    response = post(f"/enterprises/{ids['enterprise_id']}/contacts", {**CALL, "contacted_on": today().isoformat()})
    assert response.status_code == 403 and contacts(sanfu) == []


def test_last_months_miss_shows_in_red_words_and_on_the_liaisons_own_list(client, auth, sanfu, ids):
    pair_long_ago(sanfu)
    last_month = shift(*month_of(today()), -1)
    auth.login("xh_liaison")
    body = text_of(client.get("/enterprises?service=missed"))
    assert "西湖印染有限公司" in body and f"{last_month[1]} 月逾期未服务" in body
    page = text_of(client.get(f"/enterprises/{ids['enterprise_id']}"))
    assert re.search(rf'data-month="{first_day(*last_month):%Y-%m}" data-status="missed"', page)
    assert "deadline-red" in page and "逾期未服务" in page  # colour and words
    mine = text_of(client.get("/enterprises/service"))
    assert 'href="/enterprises/service" aria-current="page"' in mine  # in the nav, for liaisons and leaders
    assert "西湖印染有限公司" in mine and "联络员" in mine and f"{last_month[1]} 月逾期未服务" in mine


def test_someone_without_enterprises_sees_an_empty_own_list(client, auth):
    auth.login("xh_water1")
    assert "您还不是任何结对企业的联络员或联系领导" in text_of(client.get("/enterprises/service"))


def test_a_monthly_reminder_links_to_the_liaisons_own_list(client, auth, sanfu):
    paired_long_ago = clock.now() - timedelta(days=70)
    with sanfu.uow() as uow:
        uow.session.execute(update(Enterprise).values(created_at=paired_long_ago))
    assert sanfu.monthly_service_reminders()["red"] >= 1  # last month: nobody served 西湖印染
    auth.login("xh_liaison")
    body = text_of(client.get("/notifications/"))
    assert re.search(r'<a href="/enterprises/service">【逾期未服务】结对企业「西湖印染有限公司」', body)

