"""The working-day calendar page (工作日历, 系统管理员): the year's month grids, marking a day,
importing a calendar CSV and downloading the year's."""
from __future__ import annotations

import re
from datetime import date
from io import BytesIO

from sqlalchemy import select

from engine.store.tables import AuditEvent
from tests.helpers.web import text_of


def cell(body: str, day: str) -> str:
    """The grid cell of `day` (YYYY-MM-DD)."""
    match = re.search(rf'<td class="d [^"]*" data-day="{day}".*?</td>', body)
    assert match, f"no cell for {day}"
    return match.group(0)


def listed(sanfu, year: int) -> list[dict]:
    return sanfu.calendar("root", year)["days"]


def upload(post, text: str, name: str = "calendar.csv", **kwargs):
    return post("/admin/calendar/import", {"file": (BytesIO(text.encode("utf-8")), name)},
                content_type="multipart/form-data", **kwargs)


def test_the_admin_sees_2026_with_its_holidays_and_working_weekends(client, auth):
    auth.login("root")
    body = text_of(client.get("/admin/calendar?year=2026"))
    assert "2026 年工作日历" in body and 'aria-current="page">工作日历</a>' in body
    national_day = cell(body, "2026-10-01")
    assert "d-holiday" in national_day and ">休<" in national_day and "国庆节" in national_day
    assert 'data-working="0"' in national_day
    shifted = cell(body, "2026-10-10")  # a Saturday worked (国庆节调休上班)
    assert "d-work" in shifted and ">班<" in shifted and 'data-working="1"' in shifted
    weekend = cell(body, "2026-10-17")
    assert "d-weekend" in weekend and ">休<" not in weekend and 'data-working="0"' in weekend
    assert 'data-working="1"' in cell(body, "2026-10-12")
    assert "10-01–10-07 国庆节" in body and "10-10 国庆节调休上班" in body
    assert 'data-note=' not in body  # a complete year: no note
    assert 'href="/admin/calendar?year=2027"' in body and 'href="/admin/calendar?year=2025"' in body


def test_a_year_without_entries_and_a_provisional_year_say_so(client, auth):
    auth.login("root")
    empty = text_of(client.get("/admin/calendar?year=2030"))
    assert "该年没有节假日安排，按周一至周五上班计算" in empty and 'data-working="1"' in cell(empty, "2030-10-01")
    provisional = text_of(client.get("/admin/calendar?year=2027"))
    assert "预排" in provisional and "未含调休安排" in provisional
    assert "d-holiday" in cell(provisional, "2027-10-01")
    assert client.get("/admin/calendar?year=abc").status_code == 200  # this year instead


def test_marking_a_day_changes_the_calendar_and_the_page(client, auth, post, sanfu):
    auth.login("root")
    response = post("/admin/calendar/day", {"day": "2026-11-02", "kind": "rest", "name": "防汛调休"},
                    follow_redirects=True)
    body = text_of(response)
    assert response.status_code == 200 and "已设置 2026-11-02" in body
    assert {"day": "2026-11-02", "kind": "rest", "name": "防汛调休"} in listed(sanfu, 2026)
    assert "d-holiday" in cell(body, "2026-11-02") and "11-02 防汛调休" in body
    post("/admin/calendar/day", {"day": "2026-10-10", "kind": "default", "name": ""})
    assert all(d["day"] != "2026-10-10" for d in listed(sanfu, 2026))
    assert "d-weekend" in cell(text_of(client.get("/admin/calendar?year=2026")), "2026-10-10")
    with sanfu.db.connect() as connection:
        audited = connection.execute(select(AuditEvent.actor, AuditEvent.detail)
                                     .where(AuditEvent.action == "calendar_day_set")).all()
    assert [(actor, detail["day"]) for actor, detail in audited] == [("root", "2026-11-02"), ("root", "2026-10-10")]


def test_a_clicked_day_fills_the_form(client, auth):
    auth.login("root")
    body = text_of(client.get("/admin/calendar?year=2026&day=2026-10-10"))
    assert 'name="day" value="2026-10-10"' in body and 'value="国庆节调休上班"' in body
    assert re.search(r'value="work" checked', body)


def test_a_bad_day_is_refused_beside_the_field_and_the_input_kept(client, auth, post, sanfu):
    auth.login("root")
    before = listed(sanfu, 2026)
    response = post("/admin/calendar/day", {"day": "2026-13-40", "kind": "work", "name": "补班"})
    body = text_of(response)
    assert response.status_code == 422
    assert 'id="e-cal-day"' in body and "请填写日期，格式为 YYYY-MM-DD" in body
    assert 'value="2026-13-40"' in body and 'value="补班"' in body and 'value="work" checked' in body
    response = post("/admin/calendar/day", {"day": "2026-11-02", "kind": "holiday"})
    assert response.status_code == 422 and 'id="e-cal-kind"' in text_of(response)
    assert listed(sanfu, 2026) == before


def test_non_admins_get_403(client, auth, post):
    auth.login("xh_water_head")
    assert client.get("/admin/calendar").status_code == 403
    assert client.get("/admin/calendar/2026.csv").status_code == 403
    assert post("/admin/calendar/day", {"day": "2026-11-02", "kind": "rest"}).status_code == 403
    assert upload(post, "日期,类型,名称\n2026-11-02,休,x\n").status_code == 403


def test_a_bad_csv_shows_the_line_error_and_changes_nothing(client, auth, post, sanfu):
    auth.login("root")
    before = listed(sanfu, 2026)
    response = upload(post, "日期,类型,名称\n2026-11-02,休,防汛\n2026-11-31,休,坏日期\n", "bad.csv")
    body = text_of(response)
    assert response.status_code == 422 and 'id="e-cal-file"' in body
    assert "bad.csv" in body and "第 3 行" in body and "2026-11-31" in body
    assert listed(sanfu, 2026) == before
    response = upload(post, "not a csv", "calendar.xlsx")
    assert response.status_code == 422 and "只能导入 .csv 文件" in text_of(response)


def test_the_csv_download_round_trips(client, auth, post, sanfu):
    auth.login("root")
    before = listed(sanfu, 2026)
    response = client.get("/admin/calendar/2026.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8-sig")
    assert text.startswith("日期,类型,名称\n") and "2026-10-01,休,国庆节\n" in text
    assert "2026-10-10,班,国庆节调休上班\n" in text
    post("/admin/calendar/day", {"day": "2026-11-02", "kind": "rest", "name": "临时"})
    response = upload(post, text, "工作日历-2026.csv", follow_redirects=True)
    assert response.status_code == 200 and "已导入 39 天，替换了 2026 年的工作日历" in text_of(response)
    assert listed(sanfu, 2026) == before
    assert date.fromisoformat(before[0]["day"]).year == 2026
