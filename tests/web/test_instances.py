"""The instance page and its diagram JSON: the starter and a worker see it (facts, open tasks
linking to their pages, the steps as text without JavaScript, the history), another county
gets 403, an unknown instance 404; the task page carries the collapsible 流程图."""
from __future__ import annotations

import re

from tests.helpers.forms import CHECK, VISIT
from tests.helpers.paths import PROCESSES
from tests.helpers.web import only_task, text_of


def steps_text(body: str, kind: str) -> list[str]:
    match = re.search(rf'<(?:ol|ul) class="steps {kind}">(.*?)</(?:ol|ul)>', body, re.S)
    return re.findall(r"<li[^>]*>([^<]+)</li>", match.group(1)) if match else []


def test_the_starter_sees_facts_open_tasks_steps_and_history(client, auth, sanfu, service):
    sanfu.complete(only_task(sanfu, "xh_liaison")["id"], "xh_liaison", VISIT)
    check = only_task(sanfu, "xh_expert")
    auth.login("xh_liaison")
    response = client.get(f"/instances/{service}")
    body = text_of(response)
    assert response.status_code == 200
    assert "<h1>结对服务（五个一） · 西湖印染有限公司</h1>" in body
    assert "西湖区分局" in body and "西湖 联络员" in body and "进行中" in body and "版本 1" in body
    assert f'<a href="/tasks/{check["id"]}">环保体检</a>' in body and "办理人：西湖 专家" in body
    assert re.search(r"剩 1[45] 个工作日", body), re.findall(r"剩 [^<]*", body)  # due in 15 working days
    # Without JavaScript: the note and the steps as text, done then current.
    assert "流程图需要 JavaScript 才能显示" in body
    assert steps_text(body, "done") == ["结对服务开始", "记录走访"] and steps_text(body, "active") == ["环保体检"]
    assert f'data-diagram-url="/instances/{service}/diagram"' in body and "<details class=\"diagram\"" in body
    assert "/static/diagram.js" in body and "bpmn-navigated-viewer.production.min.js" in body
    assert "<script>" not in body                                          # CSP: no inline scripts
    assert "发起流程" in body and "办理完成" in body and "希望指导污水处理设施提标改造" in body  # history + data


def test_the_diagram_json_for_the_viewer(client, auth, sanfu, service):
    auth.login("xh_liaison")
    response = client.get(f"/instances/{service}/diagram")
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.get_json()
    assert data["xml"] == (PROCESSES / "enterprise_service.bpmn").read_text(encoding="utf-8")
    assert data["completed"] == ["start_service"] and data["active"] == ["record_visit"]
    assert data["process_id"] == "enterprise_service"


def test_a_worker_sees_it_and_the_task_page_links_to_it(client, auth, sanfu, service):
    sanfu.complete(only_task(sanfu, "xh_liaison")["id"], "xh_liaison", VISIT)
    sanfu.complete(only_task(sanfu, "xh_expert")["id"], "xh_expert", CHECK)
    water = next(t for t in sanfu.tasks("xh_water1") if t["instance_id"] == service)
    auth.login("xh_water1")
    body = text_of(client.get(f"/instances/{service}"))
    assert steps_text(body, "active") == ["一事一单：逐项整改"] and "环保体检" in steps_text(body, "done")
    assert body.count(">整改</a>") == 2 and "科室待认领" in body
    assert client.get(f"/instances/{service}/diagram").get_json()["active"] == ["ledger_matters"]
    task_page = text_of(client.get(f"/tasks/{water['id']}"))
    assert f'<details class="diagram" data-diagram-url="/instances/{service}/diagram">' in task_page  # collapsed
    assert f'<a href="/instances/{service}">' in task_page and "<h2>流程图</h2>" in task_page
    assert "步骤列表见流程实例页" in task_page


def test_another_county_gets_403_and_an_unknown_instance_404(client, auth, service):
    auth.login("bj_water1")
    for path in (f"/instances/{service}", f"/instances/{service}/diagram"):
        response = client.get(path)
        assert response.status_code == 403 and "无权查看此流程实例" in text_of(response), path
        assert "Traceback" not in text_of(response)
    missing = client.get(f"/instances/{service + 999}")
    assert missing.status_code == 404 and "流程实例" in text_of(missing) and "不存在" in text_of(missing)
    assert client.get("/instances/abc").status_code == 404


def test_signing_in_is_required(client, service):
    for path in (f"/instances/{service}", f"/instances/{service}/diagram"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), path


def _a_long_history(sanfu, instance_id: int, task_id: str, urges: int) -> None:
    """A matter urged round after round (as a 督办 that goes round until verified): the audit
    rows the urging writes, without the urging's once-a-day throttle."""
    from engine.store import audit
    with sanfu.uow() as uow:
        for n in range(1, urges + 1):
            audit.record(uow.session, "xh_liaison", "task_urged", instance_id=instance_id, task_id=task_id,
                         detail={"message": f"第{n}次催办"})


def test_a_long_history_is_paged_newest_first_on_the_instance_and_task_pages(client, auth, sanfu, service):
    task = only_task(sanfu, "xh_liaison")
    _a_long_history(sanfu, service, task["id"], 120)  # with 发起流程: 121 events, 3 pages of 50
    auth.login("xh_liaison")
    newest = text_of(client.get(f"/instances/{service}"))
    assert "第120次催办" in newest and "第71次催办" in newest and "第70次催办" not in newest
    assert "共 121 条记录，按时间分页：第 1 / 3 页（第 1 页为最新）。" in newest
    assert f'href="/instances/{service}?history_page=2#history">更早的记录' in newest and "较新的记录" not in newest
    middle = text_of(client.get(f"/instances/{service}?history_page=2"))
    assert "第70次催办" in middle and "第21次催办" in middle and "第20次催办" not in middle
    assert "第71次催办" not in middle and f'href="/instances/{service}?history_page=1#history">较新的记录' in middle
    oldest = text_of(client.get(f"/instances/{service}?history_page=3"))
    assert "第1次催办" in oldest and "第20次催办" in oldest and "发起流程" in oldest and "更早的记录" not in oldest
    assert oldest.index("发起流程") < oldest.index("第1次催办")  # oldest first within a page
    # A page past the last, or no number at all, is not an error.
    assert client.get(f"/instances/{service}?history_page=99").status_code == 200
    assert "第120次催办" in text_of(client.get(f"/instances/{service}?history_page=x"))
    # The task page shows the newest page and links to the earlier ones.
    page = text_of(client.get(f"/tasks/{task['id']}"))
    assert "第120次催办" in page and "第70次催办" not in page
    assert f'href="/instances/{service}?history_page=2#history">查看更早的记录' in page


def test_the_api_pages_a_long_history(sanfu, service, api):
    task = only_task(sanfu, "xh_liaison")
    _a_long_history(sanfu, service, task["id"], 120)
    shown = api("GET", f"/instances/{service}", "xh_liaison").get_json()
    assert shown["history_page"] == {"page": 1, "pages": 3, "per_page": 50, "total": 121}
    assert [e["detail"]["message"] for e in shown["history"]][::49] == ["第71次催办", "第120次催办"]
    oldest = api("GET", f"/instances/{service}?history_page=3", "xh_liaison").get_json()
    assert [e["action"] for e in oldest["history"]][:2] == ["instance_started", "task_urged"]
    assert len(oldest["history"]) == 21
    view = api("GET", f"/tasks/{task['id']}", "xh_liaison").get_json()
    assert view["history_page"]["total"] == 121 and len(view["history"]) == 50
    assert api("GET", f"/instances/{service}?history_page=0", "xh_liaison").status_code == 422


def test_a_long_discussion_shows_the_newest_50_comments_and_points_to_the_history(client, auth, sanfu, service):
    task = only_task(sanfu, "xh_liaison")
    for n in range(1, 56):
        sanfu.add_comment(task["id"], "xh_liaison", f"第{n}条意见")
    auth.login("xh_liaison")
    page = text_of(client.get(f"/tasks/{task['id']}"))
    bodies = re.findall(r'<p class="comment-body">([^<]+)</p>', page)
    assert bodies == [f"第{n}条意见" for n in range(6, 56)]
    assert '<span class="count">55</span>' in page and "另有 5 条更早的意见" in page
    assert f'href="/instances/{service}#history">见办理记录' in page
    # The history has every comment: the first ones on its second page.
    assert "第1条意见" in text_of(client.get(f"/instances/{service}?history_page=2"))
