"""The inbox: tabs with counts, rows, search, pages, due dates, and nothing of other counties."""
from __future__ import annotations

import re

from engine import clock
from tests.helpers.forms import INTAKE, VISIT
from tests.helpers.web import only_task, rows, tabs, text_of, to_rectification


def test_the_four_tabs_with_their_counts(client, auth, service):
    auth.login("xh_liaison")
    body = text_of(client.get("/"))
    assert tabs(body) == {"todo": ("待办", 1), "claimable": ("科室待认领", 0), "done": ("已办", 0),
                          "started": ("我发起的", 1), "copied": ("抄送我的", 0)}
    assert rows(body) == ["记录走访"] and "西湖印染有限公司" in body
    assert '<td data-label="办理人"><span title="xh_liaison">西湖 联络员</span></td>' in body  # a name, not a login
    assert 'aria-current="page"' in body and 'class="table-wrap cards"' in body


def test_a_row_shows_the_due_date_in_shanghai_time_and_the_time_left(client, auth, sanfu, ids):
    with clock.frozen_at(clock.parse_moment("2026-03-02T09:00:00")):
        sanfu.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})
        auth.login("xh_liaison")
        body = text_of(client.get("/"))
        assert "2026-03-11 09:00" in body and "剩 7 个工作日" in body and "left late" not in body  # P7D
    with clock.frozen_at(clock.parse_moment("2026-03-10T11:30:00")):                 # a working day left
        body = text_of(client.get("/"))
    assert '<tr class=" due-yellow"' in body and '<span class="deadline deadline-yellow">预警</span>' in body
    with clock.frozen_at(clock.parse_moment("2026-03-12T11:30:00")):
        body = text_of(client.get("/"))
    assert re.search(r'<tr class="overdue due-red"', body) and '<span class="left late">超期 1 个工作日 2 小时</span>' in body
    assert '<span class="deadline deadline-red">超期</span>' in body


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
        {"todo": 0, "claimable": 0, "done": 0, "started": 0, "copied": 0}
    assert "西湖印染" not in body and "没有待办任务" in body
    body = text_of(client.get("/?view=claimable&q=印染"))
    assert rows(body) == []



# --- 抄送我的, filters, capped counts, badges -------------------------------------------------
def clone_tasks(sanfu, task_id: str, count: int, **changes) -> list[str]:
    """Extra open inbox rows like `task_id` (the views read only these rows)."""
    import uuid

    from engine.store.tables import HumanTask
    made = []
    with sanfu.uow() as uow:
        source = uow.session.get(HumanTask, task_id)
        columns = {c.key: getattr(source, c.key) for c in HumanTask.__table__.columns}
        for _ in range(count):
            made.append(str(uuid.uuid4()))
            uow.session.add(HumanTask(**{**columns, "id": made[-1], **changes}))
    return made


def test_copied_tab_shows_unread_copies_in_bold_with_sender_and_note(client, auth, sanfu, service):
    from engine.store.collab_tables import TaskCopy
    task = only_task(sanfu, "xh_liaison")
    with sanfu.uow() as uow:
        uow.session.add(TaskCopy(task_id=task["id"], instance_id=task["instance_id"], recipient="xh_water_head",
                                 sender="xh_liaison", note="请关注走访安排", created_at=clock.now()))
    auth.login("xh_water_head")
    body = text_of(client.get("/?view=copied"))
    assert tabs(body)["copied"] == ("抄送我的", 1)
    assert rows(body) == ["记录走访"] and '<tr class=" unread"' in body
    assert "xh_liaison" in body and "请关注走访安排" in body and 'name="task_id"' not in body


def test_filters_persist_across_tabs_and_pages(client, auth, sanfu, service):
    clone_tasks(sanfu, only_task(sanfu, "xh_liaison")["id"], 22)
    auth.login("xh_liaison")
    body = text_of(client.get("/", query_string={"q": "印染", "process": "enterprise_service", "overdue": "",
                                                 "sort": "-created"}))
    assert "第 1 / 2 页，共 23 条" in body
    next_link = re.search(r'href="([^"]+)" rel="next"', body).group(1)
    assert "process=enterprise_service" in next_link and "sort=-created" in next_link and "page=2" in next_link
    done_tab = re.search(r'href="([^"]+)" class="tab[^"]*"\s+data-view="done"', body).group(1)
    assert "process=enterprise_service" in done_tab and "q=" in done_tab
    assert '<option value="enterprise_service" selected>' in body and '<option value="-created" selected>' in body
    assert rows(text_of(client.get("/?process=ledger_matter"))) == []


def test_a_bad_date_is_a_clear_message_not_a_500(client, auth, service):
    auth.login("xh_liaison")
    response = client.get("/?due_from=2026-02-30&q=印染")
    body = text_of(response)
    assert response.status_code == 400 and "不是有效日期" in body and "YYYY-MM-DD" in body
    assert rows(body) == ["记录走访"]  # the rest of the filters still apply
    response = client.get("/?due_from=2026-03-10&due_to=2026-03-01")
    assert response.status_code == 400 and "起始日期不能晚于截止日期" in text_of(response)


def test_due_range_and_overdue_filters(client, auth, sanfu, ids):
    with clock.frozen_at(clock.parse_moment("2026-03-02T09:00:00")):
        sanfu.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})  # due 03-11
    auth.login("xh_liaison")
    with clock.frozen_at(clock.parse_moment("2026-03-12T11:30:00")):
        assert rows(text_of(client.get("/?due_from=2026-03-11&due_to=2026-03-11"))) == ["记录走访"]
        assert rows(text_of(client.get("/?due_from=2026-03-12"))) == []
        assert rows(text_of(client.get("/?overdue=1"))) == ["记录走访"]
    with clock.frozen_at(clock.parse_moment("2026-03-05T11:30:00")):
        assert rows(text_of(client.get("/?overdue=1"))) == []


def test_counts_beyond_the_cap_show_99_plus_and_page_by_next(client, auth, sanfu, service):
    clone_tasks(sanfu, only_task(sanfu, "xh_liaison")["id"], 120)
    auth.login("xh_liaison")
    body = text_of(client.get("/"))
    assert tabs(body)["todo"] == ("待办", "99+") and tabs(body)["started"] == ("我发起的", "99+")
    assert "第 1 页，共 99+ 条" in body and 'rel="next"' in body and len(rows(body)) == 20
    last = text_of(client.get("/?page=7"))
    assert len(rows(last)) == 1 and 'rel="next"' not in last and 'rel="prev"' in last


def test_rows_show_the_delegation_badge_and_started_rows_link_to_the_instance(client, app, auth, sanfu, service):
    from engine.store.tables import HumanTask
    task = only_task(sanfu, "xh_liaison")
    with sanfu.uow() as uow:
        row = uow.session.get(HumanTask, task["id"])
        row.delegation, row.owner = "pending", "xh_liaison"
    auth.login("xh_liaison")
    assert '<span class="badge delegated"' in text_of(client.get("/"))
    started = text_of(client.get("/?view=started"))
    if "instances.show" in app.view_functions:
        assert f'/instances/{service}' in started
    else:  # until the instance page exists, the task page
        assert f'href="/tasks/{task["id"]}"' in started


def test_the_bulk_form_is_offered_on_todo_and_claimable_only(client, auth, service):
    auth.login("xh_liaison")
    todo = text_of(client.get("/"))
    assert 'action="/inbox/bulk"' in todo and 'value="transfer"' in todo and 'value="claim"' not in todo
    assert 'src="/static/inbox.js"' in todo and "<script>" not in todo
    assert 'name="task_id"' not in text_of(client.get("/?view=started"))


def test_a_row_of_no_enterprise_says_which_process_it_is(client, auth, sanfu):
    """Names, not ids: a task of no enterprise shows its process's name in the 企业 column, not "—"."""
    sanfu.start("Process_three_user_tasks", "xh_water1")
    auth.login("xh_water1")
    body = text_of(client.get("/"))
    row = body.split('<td data-label="企业">', 1)[1].split("</td>", 1)[0]
    assert "Three user tasks" in row and "—" not in row


def test_a_complaint_row_says_what_the_complaint_is_about(client, auth, sanfu):
    """A 12369 complaint has no paired enterprise: once registered, its rows show the
    complaint's subject (category and summary, never the complainant) and search finds it."""
    sanfu.start("complaint_12369", "xh_liaison")
    auth.login("xh_liaison")
    row = text_of(client.get("/")).split('<td data-label="企业">', 1)[1].split("</td>", 1)[0]
    assert "12369" in row and 'class="subject"' not in row        # nothing registered yet
    intake = only_task(sanfu, "xh_liaison")
    sanfu.complete(intake["id"], "xh_liaison", INTAKE)
    body = text_of(client.get("/"))
    row = body.split('<td data-label="企业">', 1)[1].split("</td>", 1)[0]
    assert '<div class="subject">噪声：夜间车间噪声扰民，持续到凌晨</div>' in row and "陈女士" not in body
    assert rows(text_of(client.get("/", query_string={"q": "扰民"}))) == ["职责审查"]
    assert rows(text_of(client.get("/", query_string={"q": "印染"}))) == []
