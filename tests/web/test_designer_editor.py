"""编辑 in the browser, the server side: the editor page carries the deployed file (or the draft)
for the modeler; 保存草稿 keeps it without deploying; 部署为新版本 answers JSON — the new version and
where to go, or every error with file and element; a renamed process id is refused; 新建流程 opens a
blank diagram for a new key; only the editor pages allow inline styles; designers and admins only."""
import json
import re

from tests.helpers.paths import PROCESSES
from tests.helpers.web import PASSWORD, csrf_token

LEDGER = (PROCESSES / "ledger_matter.bpmn").read_text(encoding="utf-8")


def editor_config(response) -> dict:
    match = re.search(r'<script type="application/json" id="editor-config">(.*?)</script>',
                      response.get_data(as_text=True), re.S)
    assert match, "no editor configuration on the page"
    return json.loads(match.group(1))


def post(client, path: str, data: dict | None = None):
    token = csrf_token(client, "/designer/")
    return client.post(path, data=data or {}, headers={"X-CSRFToken": token, "Accept": "application/json"})


def test_the_editor_page_carries_the_deployed_file_and_the_modeler(client, designer):
    page = client.get("/designer/edit/process/ledger_matter")
    assert page.status_code == 200
    config = editor_config(page)
    assert (config["key"], config["file_name"]) == ("ledger_matter", "ledger_matter.bpmn")
    assert 'id="ledger_matter"' in config["xml"]
    body = page.get_data(as_text=True)
    assert "vendor/editor/bpmn-editor.js" in body and "部署为新版本" in body and "保存草稿" in body
    assert "style-src 'self' 'unsafe-inline'" in page.headers["Content-Security-Policy"]
    assert "script-src" not in page.headers["Content-Security-Policy"]   # scripts stay 'self' (default-src)
    other = client.get("/designer/")
    assert "unsafe-inline" not in other.headers["Content-Security-Policy"]


def test_a_saved_draft_reopens_and_deploys_nothing(client, designer, sanfu):
    edited = LEDGER.replace('name="整改"', 'name="限期整改"', 1)
    saved = post(client, "/designer/edit/process/ledger_matter/draft", {"content": edited})
    assert saved.status_code == 200 and saved.get_json()["ok"] is True
    assert "草稿已保存" in saved.get_json()["message"]
    page = client.get("/designer/edit/process/ledger_matter")
    assert "限期整改" in editor_config(page)["xml"] and "正在编辑草稿" in page.get_data(as_text=True)
    assert "限期整改" not in json.dumps(sanfu.definition_detail("ledger_matter", 1, "root")["tasks"], ensure_ascii=False)
    index = client.get("/designer/").get_data(as_text=True)
    assert "/designer/edit/process/ledger_matter" in index and "草稿" in index
    gone = post(client, "/designer/edit/process/ledger_matter/discard")
    assert gone.get_json() == {"ok": True, "discarded": True}
    assert "限期整改" not in editor_config(client.get("/designer/edit/process/ledger_matter"))["xml"]


def test_deploy_answers_the_new_version_and_where_to_go(client, designer, sanfu):
    edited = LEDGER.replace('name="整改"', 'name="限期整改"', 1)
    answer = post(client, "/designer/edit/process/ledger_matter/deploy", {"content": edited})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    data = answer.get_json()
    assert data["ok"] is True and data["message"] == "已部署为 v2"
    assert data["next"] == "/designer/process/ledger_matter/2?deployed=1"
    landed = client.get(data["next"]).get_data(as_text=True)
    assert "已部署为新版本 v2" in landed and "限期整改" in landed


def test_a_broken_model_answers_every_error_with_file_and_element(client, designer, sanfu):
    broken = LEDGER.replace('${decision == "退回"}', "${decision == }")
    answer = post(client, "/designer/edit/process/ledger_matter/deploy", {"content": broken})
    assert answer.status_code == 422
    [error] = [e for e in answer.get_json()["errors"] if e["element_id"] == "flow_rework"]
    assert error["file"] == "ledger_matter.bpmn" and error["text"]
    renamed = LEDGER.replace('<bpmn:process id="ledger_matter"', '<bpmn:process id="matter2"')
    refused = post(client, "/designer/edit/process/ledger_matter/deploy", {"content": renamed}).get_json()
    assert refused["ok"] is False and "matter2" in refused["errors"][0]["message"]
    assert [p for p in sanfu.definition_catalog("root")["processes"] if p["key"] == "ledger_matter"][0]["versions"][0][
        "version"] == 1
    bad_key = post(client, "/designer/edit/process/a%20b/deploy", {"content": LEDGER})
    assert bad_key.status_code == 422 and "标识" in bad_key.get_json()["errors"][0]["message"]


def test_a_new_process_opens_a_blank_diagram_and_a_deployed_key_is_refused(client, designer):
    token = csrf_token(client, "/designer/new")
    opened = client.post("/designer/new", data={"key": "site_check", "name": "现场核查", "csrf_token": token})
    assert opened.status_code == 302 and "/designer/edit/process/site_check" in opened.headers["Location"]
    config = editor_config(client.get(opened.headers["Location"]))
    assert 'name="现场核查" isExecutable="true"' in config["xml"]
    taken = client.post("/designer/new", data={"key": "ledger_matter", "csrf_token": token})
    assert taken.status_code == 422 and "已部署" in taken.get_data(as_text=True)
    bad = client.post("/designer/new", data={"key": "9 lives", "csrf_token": token})
    assert bad.status_code == 422 and "标识只能由字母" in bad.get_data(as_text=True)


def test_the_decision_editor_opens_the_table(client, designer):
    page = client.get("/designer/edit/decision/routing")
    config = editor_config(page)
    assert config["file_name"] == "routing.dmn" and "decisionTable" in config["xml"]
    assert "vendor/editor/dmn-editor.js" in page.get_data(as_text=True)
    assert client.get("/designer/edit/decision/nothing").status_code == 404
    assert client.get("/designer/edit/script/x").status_code == 422


def test_staff_get_403_everywhere(client, auth, sanfu):
    sanfu.add_user("clerk", roles=(), display_name="科员")
    sanfu.set_password("clerk", PASSWORD, actor="root")
    auth.login("clerk")
    assert client.get("/designer/edit/process/ledger_matter").status_code == 403
    assert client.get("/designer/new").status_code == 403
    token = csrf_token(client, "/")
    refused = client.post("/designer/edit/process/ledger_matter/deploy", data={"content": LEDGER},
                          headers={"X-CSRFToken": token})
    assert refused.status_code == 403


def test_a_version_page_shows_its_forms_in_chinese_with_a_link_to_edit(client, designer):
    page = client.get("/designer/process/ledger_matter/1").get_data(as_text=True)
    shown = " ".join(re.findall(r'<pre class="designer-json">(.*?)</pre>', page, re.S))
    assert "整改措施" in shown and "\\u" not in shown
    assert "/designer/edit/form/matter_rectification" in page
