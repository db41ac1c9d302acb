"""表单 on the designer's workbench, the server side: the list names each form with the processes
using it; the editor opens the current schema (or the draft, with who saved it); the live preview is
the task page's own markup with the field titles typed, or a Chinese error naming the file and the
reason; 保存草稿 / 放弃草稿; 部署为新版本 deploys the processes using the form, or nothing and the
error; without JavaScript a refused deploy comes back with what was typed; designers and admins only."""
import json
import re

from tests.helpers.paths import FORMS
from tests.helpers.web import PASSWORD, csrf_token

URGE = (FORMS / "supervision_urge.json").read_text(encoding="utf-8")


def retitled(title: str) -> str:
    schema = json.loads(URGE)
    schema["properties"]["urge_mode"]["title"] = title
    return json.dumps(schema, ensure_ascii=False, indent=2)


def post(client, path: str, data: dict | None = None, accept: str = "application/json"):
    token = csrf_token(client, "/designer/")
    return client.post(path, data=data or {}, headers={"X-CSRFToken": token, "Accept": accept})


def newest(sanfu, key: str) -> int:
    entry = next(p for p in sanfu.definition_catalog("root")["processes"] if p["key"] == key)
    return max(v["version"] for v in entry["versions"])


def test_the_list_names_each_form_and_the_processes_using_it(client, designer):
    page = client.get("/designer/forms/")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    row = re.search(r'<tr data-form="supervision_urge">(.*?)</tr>', body, re.S).group(1)
    assert "督办" in row and "/designer/edit/form/supervision_urge" in row
    assert "/designer/process/ledger_matter/" in row and "/designer/process/complaint_12369/" in row
    assert "/designer/forms/" in client.get("/designer/").get_data(as_text=True)


def test_the_editor_opens_the_schema_and_its_preview_uses_the_task_page_markup(client, designer):
    page = client.get("/designer/edit/form/supervision_urge")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "&#34;urge_mode&#34;" in body or '"urge_mode"' in body     # the schema in the textarea
    assert 'id="f-urge_mode"' in body and "督办方式" in body             # the preview, rendered server side
    assert "form_editor.js" in body and "部署为新版本" in body
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"]


def test_the_preview_shows_the_titles_typed(client, designer):
    preview = post(client, "/designer/edit/form/supervision_urge/preview", {"content": retitled("督办形式")},
                   accept="text/html")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "督办形式" in html and "督办方式" not in html
    assert 'name="urge_mode"' in html and "电话催办" in html and "<html" not in html   # a fragment


def test_a_broken_json_previews_a_chinese_error_naming_the_problem(client, designer):
    preview = post(client, "/designer/edit/form/supervision_urge/preview",
                   {"content": URGE.replace('"title": "督办",', '"title": "督办"', 1)}, accept="text/html")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 422
    assert "无法预览" in html and "supervision_urge.json:" in html and "表单不是合法 JSON" in html
    assert 'id="f-urge_mode"' not in html
    schema = post(client, "/designer/edit/form/supervision_urge/preview",
                  {"content": '{"type": "object", "properties": {"x": {"type": 5}}}'}, accept="text/html")
    assert schema.status_code == 422 and "不是合法的 JSON Schema" in schema.get_data(as_text=True)


def test_a_draft_is_saved_reopened_and_discarded_without_deploying(client, designer, sanfu):
    before = newest(sanfu, "ledger_matter")
    saved = post(client, "/designer/edit/form/supervision_urge/draft", {"content": retitled("督办形式")})
    assert saved.status_code == 200 and saved.get_json()["ok"] and "草稿已保存" in saved.get_json()["message"]
    page = client.get("/designer/edit/form/supervision_urge").get_data(as_text=True)
    assert "正在编辑草稿" in page and "designer1" in page and "督办形式" in page
    assert "草稿" in re.search(r'<tr data-form="supervision_urge">(.*?)</tr>',
                              client.get("/designer/forms/").get_data(as_text=True), re.S).group(1)
    assert newest(sanfu, "ledger_matter") == before
    gone = post(client, "/designer/edit/form/supervision_urge/discard")
    assert gone.get_json()["discarded"] is True and gone.get_json()["content"] == URGE
    assert "正在编辑草稿" not in client.get("/designer/edit/form/supervision_urge").get_data(as_text=True)


def test_deploying_makes_new_versions_of_the_processes_using_the_form(client, designer, sanfu):
    before = {key: newest(sanfu, key) for key in ("ledger_matter", "complaint_12369", "enterprise_service")}
    post(client, "/designer/edit/form/supervision_urge/draft", {"content": retitled("督办形式")})
    done = post(client, "/designer/edit/form/supervision_urge/deploy", {"content": retitled("督办形式")})
    body = done.get_json()
    assert done.status_code == 200 and body["ok"], body
    assert {(p["key"], p["version"]) for p in body["processes"]} == {
        ("ledger_matter", before["ledger_matter"] + 1), ("complaint_12369", before["complaint_12369"] + 1)}
    assert "已部署" in body["message"]
    assert newest(sanfu, "enterprise_service") == before["enterprise_service"]
    assert sanfu.designer_draft("root", "form", "supervision_urge") is None
    assert "督办形式" in client.get("/designer/edit/form/supervision_urge").get_data(as_text=True)


def test_a_refused_deploy_names_file_and_reason_and_deploys_nothing(client, designer, sanfu):
    before = newest(sanfu, "ledger_matter")
    broken = '{"title": "督办", "type": "object", "properties": {"urge_mode": {"type": "text"}}}'
    refused = post(client, "/designer/edit/form/supervision_urge/deploy", {"content": broken})
    body = refused.get_json()
    assert refused.status_code == 422 and body["ok"] is False
    assert body["errors"][0]["file"] == "supervision_urge.json" and "不是合法的 JSON Schema" in body["errors"][0]["text"]
    assert newest(sanfu, "ledger_matter") == before
    page = post(client, "/designer/edit/form/supervision_urge/deploy", {"content": broken}, accept="text/html")
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and "未完成" in html and "supervision_urge.json" in html
    assert "&#34;text&#34;" in html or '"text"' in html          # what was typed comes back in the textarea


def test_staff_get_403_on_every_form_route(client, auth, sanfu):
    sanfu.add_user("clerk1", display_name="科员")
    sanfu.set_password("clerk1", PASSWORD, actor="root")
    auth.login("clerk1")
    assert client.get("/designer/forms/").status_code == 403
    assert client.get("/designer/edit/form/supervision_urge").status_code == 403
    for action in ("preview", "draft", "discard", "deploy"):
        response = post(client, f"/designer/edit/form/supervision_urge/{action}", {"content": URGE})
        assert response.status_code == 403, action
