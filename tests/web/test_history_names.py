"""Names, not ids, where people read: the history on the task page says who did what by
their names, and a first claim has no empty 原办理人."""
from tests.helpers.web import only_task, text_of, to_rectification


def history_of(page: str) -> str:
    return page.split("<h2>办理记录</h2>", 1)[1].split("</section>", 1)[0]


def test_the_history_names_people_and_leaves_out_what_is_empty(client, auth, sanfu, service):
    water = to_rectification(sanfu)
    sanfu.claim(water["id"], "xh_water1")
    sanfu.transfer(water["id"], "xh_water1", reason="请同事协助", to_user="xh_water2")
    auth.login("xh_water2")
    history = history_of(text_of(client.get(f"/tasks/{water['id']}")))
    assert "西湖 水 科员1" in history and "西湖 联络员" in history             # actors by name
    assert "转给：西湖 水 科员2" in history                                  # the people in the detail too
    assert "原办理人：</span>" not in history and "原办理人：<" not in history   # a first claim: nothing to say
    assert "xh_water1" not in history and "xh_liaison" not in history
    assert "流程：结对服务" in history and "enterprise_service" not in history   # the process by its name
    assert only_task(sanfu, "xh_water2")["id"] == water["id"]
