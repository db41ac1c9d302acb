"""Enterprises and ledgers: the scoped list, 一企一账, the xlsx ledger, printable sheets."""
from __future__ import annotations

import io
import re
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from engine import clock
from engine.errors import NotAllowed
from engine.exchange.ledger_xlsx import COLUMNS
from engine.org.creditcode import demo_credit_codes
from engine.org.directory import Pairing
from tests.helpers.forms import AIR, CHECK, RECTIFIED, VISIT, WATER
from tests.helpers.web import only_task, text_of

START = clock.parse_moment("2026-03-02T09:00:00")
INJECTED = dict(AIR, description="=HYPERLINK(\"http://evil\",\"点我\")")


def names(body: str) -> list[str]:
    return re.findall(r'class="task-link">([^<]+)</a>', body)


@pytest.fixture
def binjiang(sanfu):
    """A second county's enterprise (滨江)."""
    code = demo_credit_codes(3, seed=11)[2]
    return sanfu.pair_enterprise(Pairing("滨江电子有限公司", code, "小", "传统产业", "bj", year=2026),
                                 actor="root")[0]


@pytest.fixture
def two_findings(sanfu, ids):
    """A service whose health check found a 水 and a 气 problem (the 气 one's text looks
    like an Excel formula)."""
    with clock.frozen_at(START):
        instance = sanfu.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})["id"]
        sanfu.complete(only_task(sanfu, "xh_liaison")["id"], "xh_liaison", VISIT)
        sanfu.complete(only_task(sanfu, "xh_expert")["id"], "xh_expert", dict(CHECK, findings=[WATER, INJECTED]))
    return instance


def close_water(sanfu) -> None:
    with clock.frozen_at(START):
        water = only_task(sanfu, "xh_water1")
        sanfu.claim(water["id"], "xh_water1")
        sanfu.complete(water["id"], "xh_water1", RECTIFIED)
        sanfu.complete(only_task(sanfu, "xh_water_head")["id"], "xh_water_head", {"decision": "销号"})


def test_a_county_user_sees_only_their_county_and_a_city_supervisor_the_counties_below(
        client, auth, sanfu, ids, binjiang):
    auth.login("xh_water1")
    body = text_of(client.get("/enterprises"))
    assert names(body) == ["西湖印染有限公司"] and "企业台账" in body
    assert sanfu.enterprises("bj_water1")["rows"][0]["id"] == binjiang
    assert sanfu.enterprises("bj_water1")["total"] == 1
    auth.logout()
    auth.login("hz_super")
    body = text_of(client.get("/enterprises"))
    assert sorted(names(body)) == ["滨江电子有限公司", "西湖印染有限公司"]
    assert names(text_of(client.get("/enterprises?unit=bj"))) == ["滨江电子有限公司"]
    assert names(text_of(client.get("/enterprises?q=印染"))) == ["西湖印染有限公司"]
    assert names(text_of(client.get("/enterprises?scale=小&type=传统产业"))) == ["滨江电子有限公司"]
    assert sanfu.enterprises("root")["total"] == 2


def test_the_list_counts_open_and_overdue_matters(sanfu, ids, two_findings):
    with clock.frozen_at(clock.parse_moment("2026-03-26T09:00:00")):  # past the 15-working-day rectification
        row = sanfu.enterprises("xh_water1")["rows"][0]
    assert row["open_matters"] == 2 and row["overdue_matters"] == 2
    assert row["liaison"] == "西湖 联络员" and row["unit"] == "西湖区分局"
    with clock.frozen_at(START):
        assert sanfu.enterprises("xh_water1")["rows"][0]["overdue_matters"] == 0


def test_the_enterprise_page_shows_visits_checks_and_both_matters(client, auth, sanfu, ids, two_findings):
    close_water(sanfu)
    auth.login("xh_liaison")
    with clock.frozen_at(clock.parse_moment("2026-03-26T09:00:00")):
        body = text_of(client.get(f"/enterprises/{ids['enterprise_id']}"))
    assert "西湖印染有限公司" in body and "张明、李华" in body and "王工" in body and "发现问题 2 个" in body
    assert "雨污分流不彻底" in body and "HYPERLINK" in body
    assert "已销号" in body and "整改中" in body and "水环境科" in body
    assert body.count('<span class="left late">已超期</span>') == 1       # the open 气 matter, not the closed one
    assert body.count('<span class="deadline deadline-red">超期</span>') == 1
    with clock.frozen_at(clock.parse_moment("2026-03-20T12:00:00")):     # Friday; due Monday: under a working day
        body = text_of(client.get(f"/enterprises/{ids['enterprise_id']}"))
    assert body.count('<span class="deadline deadline-yellow">预警</span>') == 1 and "已超期" not in body
    page = sanfu.enterprise("xh_liaison", ids["enterprise_id"])
    assert {m["category"] for m in page["matters"]} == {"水", "气"} and len(page["visits"]) == 1


def test_the_xlsx_ledger_has_the_bureau_columns_and_one_row_per_matter(client, auth, sanfu, ids, two_findings):
    close_water(sanfu)
    auth.login("xh_water1")
    response = client.get(f"/enterprises/{ids['enterprise_id']}/ledger.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert "filename*=UTF-8''" + quote("西湖印染有限公司_一企一账") in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == COLUMNS and len(rows) == 3 and sheet.freeze_panes == "A2" and sheet["A1"].font.bold
    by_category = {r[4]: r for r in rows[1:]}
    water, air = by_category["水"], by_category["气"]
    assert water[1] == "西湖印染有限公司" and water[2] == ids["credit_code"] and water[6] == "水环境科"
    assert water[7] == "赵强" and water[9] == "已完成整改"
    assert water[10] == "2026-03-02" and water[11] == "已销号"
    assert air[11] == "整改中" and air[8] == "2026-03-23" and air[10] is None and air[5].startswith("=HYPERLINK")
    cell = next(c for c in sheet["F"] if str(c.value).startswith("="))
    assert cell.data_type == "s"                                      # text, never a formula


def test_a_unit_ledger_follows_the_scope(client, auth, sanfu, ids, two_findings, binjiang):
    auth.login("hz_super")
    response = client.get("/ledger.xlsx?unit=xh")
    assert response.status_code == 200 and quote("西湖区分局_台账") in response.headers["Content-Disposition"]
    assert len(list(load_workbook(io.BytesIO(response.data)).active.iter_rows())) == 3
    auth.logout()
    auth.login("bj_water1")
    assert client.get("/ledger.xlsx?unit=xh").status_code == 403
    rows = list(load_workbook(io.BytesIO(client.get("/ledger.xlsx").data)).active.iter_rows(values_only=True))
    assert rows == [COLUMNS]                                           # 滨江 has no matters


def test_an_enterprise_outside_the_scope_is_forbidden(client, auth, sanfu, ids, two_findings):
    auth.login("bj_water1")
    eid = ids["enterprise_id"]
    for path in (f"/enterprises/{eid}", f"/enterprises/{eid}/ledger.xlsx", f"/enterprises/{eid}/card/print",
                 f"/matters/{two_findings}/{sanfu.enterprise('root', eid)['matters'][0]['scope']}/print"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "无权" in text_of(response) and "Traceback" not in text_of(response)
    assert client.get("/enterprises/99999").status_code == 404
    with pytest.raises(NotAllowed):
        sanfu.enterprise("bj_water1", eid)


def test_print_pages_are_a4_sheets_without_the_navigation(client, auth, sanfu, ids, two_findings):
    close_water(sanfu)
    auth.login("xh_liaison")
    matter = next(m for m in sanfu.enterprise("xh_liaison", ids["enterprise_id"])["matters"] if m["category"] == "水")
    sheet = text_of(client.get(f"/matters/{two_findings}/{matter['scope'] or 'main'}/print"))
    card = text_of(client.get(f"/enterprises/{ids['enterprise_id']}/card/print"))
    for body in (sheet, card):
        assert "print.css" in body and 'class="nav"' not in body and "主导航" not in body
    assert "一事一单" in sheet and "雨污分流不彻底" in sheet and "已销号" in sheet and "水环境科" in sheet
    assert "服务跟踪卡" in card and "西湖 联络员" in card
    for stage, days in (("走访", 7), ("体检", 15), ("整改", 15)):
        assert re.search(rf'data-stage="{stage}">\s*<th>{stage}</th>\s*<td>{days} 个工作日</td>', card), \
            re.findall(r"<td>[^<]*工作日[^<]*</td>", card)
    css = client.get("/static/print.css")
    assert b"@media print" in css.data and b"size: A4" in css.data
    assert client.get(f"/matters/{two_findings}/nonexistent/print").status_code == 404


def test_the_list_filters_by_liaison_within_the_scope(client, auth, sanfu, ids, binjiang):
    auth.login("hz_super")
    body = text_of(client.get("/enterprises"))
    assert 'name="liaison"' in body and 'value="xh_liaison"' in body        # a menu of the scope's liaisons
    assert names(text_of(client.get("/enterprises?liaison=xh_liaison"))) == ["西湖印染有限公司"]
    assert names(text_of(client.get("/enterprises?liaison=nobody"))) == []
    assert sanfu.enterprise_filters("bj_water1")["liaisons"] == []           # 滨江 has no liaison yet
