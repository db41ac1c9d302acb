"""流程设计: the designer lists the deployed versions, reads one (diagram, tasks, forms), a decision
table and the diff between two versions; uploads a broken ledger_matter and reads the error (as
JSON for tools, on the diagram in the browser), uploads the fixed one and deploys version N+1.
Hostile files are refused as by the CLI; nobody but designers and admins gets in."""
import io
import json
import re
from pathlib import Path

import pytest

from engine.definitions.xmlsafe import MAX_BYTES
from tests.helpers.models import chain, process
from tests.helpers.paths import PROCESSES
from tests.helpers.web import csrf_token

LEDGER = (PROCESSES / "ledger_matter.bpmn").read_bytes()
BROKEN = LEDGER.replace('${decision == "退回"}'.encode(), b"${decision == }")
XXE = b"""<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</bpmn:definitions>"""
LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;">]>
<lolz>&lol1;</lolz>"""
SCRIPT = LEDGER.replace('${decision == "退回"}'.encode(), b"${__import__('os').system('touch /tmp/pwned')}")
ESCAPE = process("p", chain('<bpmn:scriptTask id="evil"><bpmn:script>import os\nos.system("touch /tmp/sanfu-pwned")'
                            '</bpmn:script></bpmn:scriptTask>')).encode()
SUBCLASSES = SCRIPT.replace(b"${__import__('os').system('touch /tmp/pwned')}", b"().__class__.__base__.__subclasses__()")


def text_of(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


def upload(client, files: list[tuple[str, bytes]], path: str = "/designer/validate", **kwargs):
    return client.post(path, content_type="multipart/form-data", data={
        "files": [(io.BytesIO(content), name) for name, content in files],
        "csrf_token": csrf_token(client, "/designer/")}, **kwargs)


def latest_version(sanfu, key: str) -> int:
    [entry] = [p for p in sanfu.definition_catalog("root")["processes"] if p["key"] == key]
    return entry["versions"][0]["version"]


def test_the_designer_lists_versions_and_reads_one(client, designer, sanfu):
    page = text_of(client.get("/designer/"))
    assert "台账事项" in page and "ledger_matter" in page and "首个版本" in page and "routing" in page
    assert 'href="/designer/process/ledger_matter/1"' in page
    version = client.get("/designer/process/ledger_matter/1")
    assert version.status_code == 200
    shown = text_of(version)
    assert "科长审核" in shown and "matter_verification" in shown and "P15D" in shown   # task, form, due
    data = json.loads(re.search(r'id="designer-diagrams">(.*?)</script>', version.get_data(as_text=True), re.S)[1])
    assert 'id="ledger_matter"' in data["xml"][0] and data["overlays"] == []
    table = text_of(client.get("/designer/decision/routing/1"))
    assert "决策表" in table and "<td>" in table


def test_validate_answers_json_for_a_broken_condition_and_saves_nothing(client, designer, sanfu):
    before = latest_version(sanfu, "ledger_matter")
    answer = upload(client, [("ledger_matter.bpmn", BROKEN)], "/designer/validate?format=json")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["ok"] is False and body["warnings"] == []
    [error] = body["errors"]
    assert error["file"] == "ledger_matter.bpmn" and error["element_id"] == "flow_rework"
    assert "JUEL" in error["message"] and set(error) >= {"file", "element_id", "element_name", "message"}
    assert latest_version(sanfu, "ledger_matter") == before
    by_header = upload(client, [("ledger_matter.bpmn", BROKEN)], headers={"Accept": "application/json"})
    assert by_header.get_json()["errors"][0]["element_id"] == "flow_rework"


def test_the_browser_shows_the_error_on_the_diagram_then_deploys_the_fixed_one(client, designer, sanfu):
    before = latest_version(sanfu, "ledger_matter")
    broken = upload(client, [("ledger_matter.bpmn", BROKEN)])
    assert "校验未通过" in text_of(broken) and "部署为新版本" not in text_of(broken)
    data = json.loads(re.search(r'id="designer-diagrams">(.*?)</script>', broken.get_data(as_text=True), re.S)[1])
    assert [o["id"] for o in data["overlays"] if o["kind"] == "error"] == ["flow_rework"]
    fixed = LEDGER.replace('name="整改"'.encode(), 'name="限期整改"'.encode())
    checked = upload(client, [("ledger_matter.bpmn", fixed)])
    assert "校验通过" in text_of(checked)
    token = re.search(r'name="upload" value="([^"]+)"', checked.get_data(as_text=True))[1]
    deployed = client.post("/designer/deploy", data={"upload": token, "csrf_token": csrf_token(client, "/designer/")})
    assert deployed.status_code == 200 and f"v{before + 1}" in text_of(deployed)
    assert latest_version(sanfu, "ledger_matter") == before + 1
    again = client.post("/designer/deploy", data={"upload": token, "csrf_token": csrf_token(client, "/designer/")})
    assert again.status_code == 404   # the upload is gone once deployed: no second version from it
    diff = text_of(client.get(f"/designer/process/ledger_matter/diff?from={before}&to={before + 1}"))
    assert "修改" in diff and "名称：整改 → 限期整改" in diff
    listed = text_of(client.get("/designer/"))
    assert "修改 1 个：限期整改" in listed


@pytest.mark.parametrize("content, words", [
    (XXE, "DOCTYPE"), (LAUGHS, "DOCTYPE"), (b"<a>" * 10 + b" " * (MAX_BYTES + 1), "文件过大"),
    (SCRIPT, "flow_rework"), (ESCAPE, "evil"), (SUBCLASSES, "__class__")])
def test_hostile_uploads_are_refused_as_by_the_cli(client, designer, sanfu, tmp_path, content, words):
    answer = upload(client, [("hostile.bpmn", content)], "/designer/validate?format=json").get_json()
    assert answer["ok"] is False and words in json.dumps(answer, ensure_ascii=False)
    path = tmp_path / "hostile.bpmn"
    path.write_bytes(content)
    with pytest.raises(Exception) as cli:
        sanfu.deploy([path], "root")
    assert answer["errors"][0]["message"] == str(cli.value)   # the same words as sanfu deploy
    assert not Path("/tmp/sanfu-pwned").exists() and not Path("/tmp/pwned").exists()   # nothing ran


def test_a_wrong_kind_of_file_is_refused_with_a_message(client, designer):
    answer = upload(client, [("notes.txt", b"hello")])
    assert answer.status_code == 422 and "不是 BPMN、DMN 或表单文件" in text_of(answer)


@pytest.mark.parametrize("path", ["/designer/", "/designer/process/ledger_matter/1",
                                  "/designer/process/ledger_matter/diff", "/designer/decision/routing/1"])
def test_others_are_refused(client, auth, path):
    auth.login("xh_water1")
    assert client.get(path).status_code == 403
    answer = client.post("/designer/validate?format=json", content_type="multipart/form-data",
                         data={"files": [(io.BytesIO(LEDGER), "ledger_matter.bpmn")],
                               "csrf_token": csrf_token(client, "/")})
    assert answer.status_code == 403
