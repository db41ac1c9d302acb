"""督办看板 pages: a supervisor sees the dashboard of their city with every figure linking to
the list behind it, drills into a county and its red tasks, downloads the bulletin (xlsx,
opened with openpyxl) and prints it; staff get 403; a bad period is said in words."""
from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook

from engine import clock
from tests.helpers.dashboard_rows import NOW, RED_TASK_NAME, fill, make_red
from tests.helpers.web import text_of, to_rectification


def test_a_supervisor_drills_from_the_city_to_a_red_task(client, auth, sanfu, service):
    water = to_rectification(sanfu)  # a real 整改 task of 西湖, left lying past its deadline
    make_red(sanfu, water["id"], urges=3)
    with clock.frozen_at(NOW):
        fill(sanfu)
        auth.login("hz_super")
        home = text_of(client.get("/"))
        assert 'href="/supervision/"' in home                                   # the nav link
        page = text_of(client.get("/supervision/?period=2026-11"))
        assert "督办看板" in page and "杭州市生态环境局" in page and 'data-unit="bj"' in page
        board = sanfu.dashboard("hz_super", period="2026-11")
        bj = next(r for r in board["units"] if r["code"] == "bj")
        assert f'href="/supervision/tasks?colour=red&amp;unit=bj" aria-label="超期 {bj["figures"]["red"]}"' in page
        county = text_of(client.get("/supervision/?unit=bj&period=2026-11"))
        assert "滨江区分局" in county and 'id="by-section"' in county
        red = text_of(client.get("/supervision/tasks?unit=bj&colour=red"))
        assert RED_TASK_NAME in red and "超期" in red and "催办 ×2" in red
        xh_red = text_of(client.get("/supervision/tasks?unit=xh&colour=red"))
        assert f'href="/tasks/{water["id"]}"' in xh_red and "催办 ×3" in xh_red
        assert water["name"] in text_of(client.get(f"/tasks/{water['id']}"))


def test_the_bulletin_downloads_as_xlsx_and_prints(client, auth, sanfu):
    with clock.frozen_at(NOW):
        fill(sanfu)
        auth.login("hz_super")
        response = client.get("/supervision/bulletin.xlsx?unit=hz&week=2026-W49")
        assert response.status_code == 200
        book = load_workbook(BytesIO(response.data))
        assert book.sheetnames == ["汇总", "超期事项", "挂牌督办", "联络员服务"]
        summary = book["汇总"]
        assert summary["A1"].value == "杭州市生态环境局三服务工作周通报（2026年第49周）"
        assert [c.value for c in summary[2]][:4] == ["单位", "在办", "超期（红）", "预警（黄）"]
        assert [summary.cell(row=r, column=1).value for r in range(3, summary.max_row + 1)] == \
            ["杭州市生态环境局（本级）", "西湖区分局", "滨江区分局", "合计"]
        board = sanfu.dashboard("hz_super", "hz", period="2026-W49")
        assert summary.cell(row=summary.max_row, column=3).value == board["total"]["red"]
        overdue = book["超期事项"]
        assert overdue.max_row - 2 == board["total"]["red"] and summary.freeze_panes == "A3"
        records = [[c.value for c in row] for row in book["挂牌督办"].iter_rows(min_row=3)]
        assert any(row[-1] == "跨年" and row[0].startswith("督办〔2025〕") for row in records)
        printed = text_of(client.get("/supervision/bulletin?unit=hz&period=2026-11"))
        assert "杭州市生态环境局三服务工作月通报（2026年11月）" in printed and RED_TASK_NAME in printed


def test_staff_get_403_and_a_county_leader_only_their_county(client, auth, sanfu):
    auth.login("xh_water1")
    assert client.get("/supervision/").status_code == 403
    assert 'href="/supervision/"' not in text_of(client.get("/"))
    auth.logout()
    auth.login("xh_leader")
    assert client.get("/supervision/").status_code == 200
    assert client.get("/supervision/?unit=hz").status_code == 403
    assert client.get("/supervision/tasks?unit=bj").status_code == 403


def test_a_bad_period_is_named_and_this_month_is_shown(client, auth):
    auth.login("hz_super")
    page = text_of(client.get("/supervision/?period=2026-13"))
    assert "统计周期：" in page and "2026-W48" in page and "督办看板" in page
