"""否定报告备案: a 退回 or 转办 is filed for the head of the section whose queue the task was
in; the head reads it and acknowledges it (知悉); nobody else can, and a refused
acknowledgement changes nothing."""
from __future__ import annotations

import re

from tests.helpers.web import only_task, text_of, to_rectification


def filing_ids(body: str) -> list[str]:
    return re.findall(r'name="filing" value="(\d+)"', body)


def transfer_the_water_matter(sanfu) -> dict:
    water = to_rectification(sanfu)
    sanfu.claim(water["id"], "xh_water1")
    sanfu.transfer(water["id"], "xh_water1", reason="属大气科职责，转大气环境科", to_section="air")
    return water


def test_the_section_head_reads_and_acknowledges_a_transfer(client, auth, post, sanfu, service):
    transfer_the_water_matter(sanfu)
    auth.login("xh_water_head")
    home = text_of(client.get("/"))
    assert 'href="/filings/"' in home                                          # the heads' nav link
    page = text_of(client.get("/filings/"))
    assert "属大气科职责" in page and "转办" in page and "西湖印染有限公司" in page
    [filing] = filing_ids(page)
    done = post("/filings/acknowledge", {"filing": filing}, follow_redirects=True)
    assert "已确认知悉 1 条备案" in text_of(done) and filing_ids(text_of(done)) == []
    shown = text_of(client.get("/filings/?all=1"))
    assert "xh_water_head" in shown and "属大气科职责" in shown
    [row] = [f for f in sanfu.filing_list("xh_water_head", include_acknowledged=True)["rows"]]
    assert row["acknowledged_by"] == "xh_water_head"


def test_others_cannot_acknowledge_and_nothing_changes(client, auth, post, sanfu, service):
    transfer_the_water_matter(sanfu)
    [filing] = sanfu.filing_list("root")["rows"]
    auth.login("xh_water1")                                                    # staff, not the head
    assert 'href="/filings/"' not in text_of(client.get("/"))
    assert "您不是科长" in text_of(client.get("/filings/"))
    refused = post("/filings/acknowledge", {"filing": str(filing["id"])}, follow_redirects=True)
    assert "只能确认本人任科长的科室的备案" in text_of(refused)
    assert sanfu.filing_list("root")["rows"][0]["acknowledged_by"] is None
    nothing = post("/filings/acknowledge", {}, follow_redirects=True)
    assert "请选择要确认知悉的备案" in text_of(nothing)


def test_a_return_is_filed_for_the_head_of_the_section_it_came_from(client, auth, sanfu, service):
    water = to_rectification(sanfu)
    sanfu.claim(water["id"], "xh_water1")
    assert only_task(sanfu, "xh_water1")["id"] == water["id"]
    auth.login("xh_air_head")                                                  # another section's head
    assert filing_ids(text_of(client.get("/filings/"))) == []


def test_a_return_by_a_person_holding_the_task_is_filed_for_their_section(client, auth, post, sanfu, service):
    """The head's own 科长审核 has no section queue: its 退回 is filed for the section the head
    holds it in, where the head and the leader in charge of that section (分管领导) read it."""
    from tests.helpers.forms import RECTIFIED
    water = to_rectification(sanfu)
    sanfu.claim(water["id"], "xh_water1")
    sanfu.complete(water["id"], "xh_water1", RECTIFIED)
    review = only_task(sanfu, "xh_water_head")
    sanfu.return_task(review["id"], "xh_water_head", reason="佐证材料不全，请补充整改后照片")
    [filing] = sanfu.filing_list("xh_water_head")["rows"]
    assert filing["kind"] == "return" and filing["section_name"] == "水环境科"
    assert [f["id"] for f in sanfu.filing_list("xh_leader")["rows"]] == [filing["id"]]
    assert sanfu.filing_list("xh_air_head")["rows"] == []
    auth.login("xh_leader")
    page = text_of(client.get("/"))
    assert 'href="/filings/"' in page and "佐证材料不全" in text_of(client.get("/filings/"))
    done = post("/filings/acknowledge", {"filing": str(filing["id"])}, follow_redirects=True)
    assert "已确认知悉 1 条备案" in text_of(done)


def _more_filings_like(sanfu, filing_id: int, count: int) -> None:
    """`count` more filings of the same transfer (as a busy section collects over months)."""
    from engine.store.org_tables import Filing
    with sanfu.uow() as uow:
        first = uow.session.get(Filing, filing_id)
        for n in range(count):
            uow.session.add(Filing(kind=first.kind, instance_id=first.instance_id, task_id=first.task_id,
                                   actor=first.actor, reason=f"第{n + 2}次转办", section_id=first.section_id,
                                   unit_id=first.unit_id, created_at=first.created_at))


def test_a_long_history_of_filings_pages_and_none_is_lost(client, auth, sanfu, service, monkeypatch):
    transfer_the_water_matter(sanfu)
    [filing] = sanfu.filing_list("xh_water_head")["rows"]
    _more_filings_like(sanfu, filing["id"], 4)                                 # five in all
    monkeypatch.setattr("web.filings.PER_PAGE", 2)
    auth.login("xh_water_head")
    seen, page = [], 1
    while True:
        body = text_of(client.get(f"/filings/?page={page}"))
        seen += filing_ids(body)
        if "下一页" not in body:
            break
        page += 1
    assert page == 3 and len(seen) == 5 == len(set(seen))                     # newest first, each once
    assert seen == sorted(seen, key=int, reverse=True)
    assert "上一页" in body and "第 3 页" in body
    first = sanfu.filing_list("xh_water_head", limit=4)
    assert len(first["rows"]) == 4 and first["more"] is True
    assert sanfu.filing_list("xh_water_head", limit=5)["more"] is False
