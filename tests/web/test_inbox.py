"""The inbox: tabs with counts, rows, search, pages, due dates, and nothing of other counties."""
from __future__ import annotations

import re
from engine import clock
from tests.scenario.test_models_deploy import CHECK, VISIT, WATER
from tests.web.conftest import only_task, text_of

TAB = re.compile(r'data-view="(\w+)"[^>]*>\s*([^<]+?)\s*<span class="count">(\d+)</span>')


def tabs(body: str) -> dict[str, tuple[str, int]]:
    return {view: (label, int(count)) for view, label, count in TAB.findall(body)}


def rows(body: str) -> list[str]:
    return re.findall(r'class="task-link">([^<]+)</a>', body)


def to_rectification(sanfu) -> dict:
    """Visit and health check done: one 水 matter waits in the 西湖 water section's queue."""
    sanfu.complete(only_task(sanfu, "xh_liaison")["id"], "xh_liaison", VISIT)
    sanfu.complete(only_task(sanfu, "xh_expert")["id"], "xh_expert", dict(CHECK, findings=[WATER]))
    return only_task(sanfu, "xh_water1")


def test_the_four_tabs_with_their_counts(client, auth, service):
    auth.login("xh_liaison")
    body = text_of(client.get("/"))
    assert tabs(body) == {"todo": ("待办", 1), "claimable": ("科室待认领", 0), "done": ("已办", 0),
                          "started": ("我发起的", 1)}
    assert rows(body) == ["记录走访"] and "西湖印染有限公司" in body and "xh_liaison" in body
    assert 'aria-current="page"' in body and 'class="table-wrap cards"' in body


def test_a_row_shows_the_due_date_in_shanghai_time_and_the_time_left(client, auth, sanfu, ids):
    with clock.frozen_at(clock.parse_moment("2026-03-02T09:00:00")):
        sanfu.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})
        auth.login("xh_liaison")
        body = text_of(client.get("/"))
        assert "2026-03-09 09:00" in body and "剩 7 天" in body and "超期" not in body  # P7D
    with clock.frozen_at(clock.parse_moment("2026-03-10T11:30:00")):
        body = text_of(client.get("/"))
    assert re.search(r'<tr class="overdue"', body) and '<span class="left late">超期 1 天 2 小时</span>' in body


def test_the_section_queue_and_claiming_move_a_task_between_tabs(client, auth, sanfu, service):
    water = to_rectification(sanfu)
    auth.login("xh_water1")
    body = text_of(client.get("/?view=claimable"))
    assert tabs(body)["claimable"][1] == 1 and tabs(body)["todo"][1] == 0
    assert rows(body) == ["整改"] and "科室待认领" in body
    sanfu.claim(water["id"], "xh_water1")
    body = text_of(client.get("/"))
    assert tabs(body)["todo"][1] == 1 and tabs(body)["claimable"][1] == 0 and rows(body) == ["整改"]


def test_done_lists_what_i_completed(client, auth, sanfu, service):
    sanfu.complete(only_task(sanfu, "xh_liaison")["id"], "xh_liaison", VISIT)
    auth.login("xh_liaison")
    body = text_of(client.get("/?view=done"))
    assert tabs(body)["done"][1] == 1 and rows(body) == ["记录走访"] and "已完成" in body
    assert tabs(body)["todo"][1] == 0 and tabs(body)["started"][1] == 1  # the health check is open


def test_search_by_enterprise_name_or_credit_code(client, auth, ids, service):
    auth.login("xh_liaison")
    for q in ("印染", ids["credit_code"], ids["credit_code"][:8]):
        body = text_of(client.get("/", query_string={"q": q}))
        assert rows(body) == ["记录走访"], q
        assert f'value="{q}"' in body
    body = text_of(client.get("/", query_string={"q": "没有这家企业"}))
    assert rows(body) == [] and "没有与“没有这家企业”匹配的任务" in body
    assert tabs(body)["todo"][1] == 0 and tabs(body)["started"][1] == 0


def test_pages_of_twenty(client, auth, sanfu, ids):
    for _ in range(23):
        sanfu.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})
    auth.login("xh_liaison")
    first = text_of(client.get("/"))
    assert len(rows(first)) == 20 and "第 1 / 2 页，共 23 条" in first and 'rel="next"' in first
    second = text_of(client.get("/?page=2"))
    assert len(rows(second)) == 3 and 'rel="prev"' in second and 'rel="next"' not in second
    assert len(rows(text_of(client.get("/?page=abc")))) == 20
    assert rows(text_of(client.get("/?page=99"))) == []


def test_an_unknown_view_shows_the_todo_tab(client, auth, service):
    auth.login("xh_liaison")
    body = text_of(client.get("/?view=everything"))
    assert re.search(r'data-view="todo" aria-current="page"', body) and rows(body) == ["记录走访"]


def test_another_countys_staff_see_none_of_it(client, auth, sanfu, service):
    to_rectification(sanfu)
    auth.login("bj_water1")  # 滨江 water section: same section code, other county
    body = text_of(client.get("/"))
    assert {view: count for view, (_label, count) in tabs(body).items()} == \
        {"todo": 0, "claimable": 0, "done": 0, "started": 0}
    assert "西湖印染" not in body and "没有待办任务" in body
    body = text_of(client.get("/?view=claimable&q=印染"))
    assert rows(body) == []

