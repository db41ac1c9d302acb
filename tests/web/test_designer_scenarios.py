"""场景测试 on the designer's workbench: a designer runs a shipped scenario or uploads one with
its models, and reads each step passed or failed, with the elements marked on the diagram;
nobody else may."""
import io
import json
import re

import pytest

from tests.helpers.paths import PROCESSES
from tests.helpers.web import csrf_token


def text_of(response) -> str:
    """The page's HTML with its whitespace runs made single spaces."""
    return " ".join(response.get_data(as_text=True).split())


def diagram_data(response) -> dict:
    found = re.search(r'<script type="application/json" id="scenario-diagrams">(.*?)</script>',
                      response.get_data(as_text=True), re.S)
    return json.loads(found.group(1))


def test_the_designer_lists_the_shipped_scenarios_and_runs_one(client, designer):
    page = client.get("/designer/scenarios/")
    assert page.status_code == 200
    listed = text_of(page)
    for name in ("enterprise_service.scenario.yaml", "ledger_matter.scenario.yaml", "complaint_12369.scenario.yaml"):
        assert name in listed
    result = client.post("/designer/scenarios/run", data={"scenario": "ledger_matter.scenario.yaml",
                                                          "csrf_token": csrf_token(client, "/designer/scenarios/")})
    assert result.status_code == 200
    shown = text_of(result)
    assert "通过 — 16 步通过，0 步失败，0 步未运行" in shown and "退回 verify（xh_water_head）" in shown
    data = diagram_data(result)
    assert data["marks"]["rectification_overdue"] == "passed" and data["marks"]["verify"] == "passed"
    assert len(data["xml"]) == 1 and 'id="ledger_matter"' in data["xml"][0]   # routing.dmn has no diagram here


def test_an_uploaded_scenario_with_a_wrong_lane_shows_the_difference_in_red(client, designer):
    text = (PROCESSES / "ledger_matter.scenario.yaml").read_text(encoding="utf-8")
    text = text.replace("{task: verify, lane: 科长,", "{task: verify, lane: 督办,")
    # Only the scenario uploaded: the models it names come from the shipped processes.
    result = client.post("/designer/scenarios/run", content_type="multipart/form-data", data={
        "files": [(io.BytesIO(text.encode()), "mine.scenario.yaml")],
        "csrf_token": csrf_token(client, "/designer/scenarios/")})
    assert result.status_code == 200
    shown = text_of(result)
    assert "失败 — 15 步通过，1 步失败" in shown
    assert "待办 verify 的泳道 lane：预期 督办，实际 科长" in shown
    assert diagram_data(result)["marks"]["verify"] == "failed"
    assert 'class="scenario-step failed"' in result.get_data(as_text=True)


@pytest.mark.parametrize("content, words", [
    ("process: [/etc/passwd]\norg: demo-minimal\nstart: {process: x, as: a}\nsteps: [{clock: +P1D}]\n",
     "须与场景文件一起上传"),
    ("process: [../../engine/service.py]\norg: demo-minimal\nstart: {process: x, as: a}\nsteps: [{clock: +P1D}]\n",
     "须与场景文件一起上传"),
    ("steps: [{complete: {task: a}}]\n", "缺少必填字段"),
])
def test_a_bad_upload_is_refused_with_the_page_and_the_reason(client, designer, content, words):
    result = client.post("/designer/scenarios/run", content_type="multipart/form-data", data={
        "files": [(io.BytesIO(content.encode()), "bad.yaml")],
        "csrf_token": csrf_token(client, "/designer/scenarios/")})
    assert result.status_code == 422
    shown = text_of(result)
    assert words in shown and "上传场景运行" in shown and "Traceback" not in shown


def test_a_script_is_not_a_model(client, designer):
    result = client.post("/designer/scenarios/run", content_type="multipart/form-data", data={
        "files": [(io.BytesIO(b"print(1)"), "run.py"), (io.BytesIO(b"steps: []"), "a.yaml")],
        "csrf_token": csrf_token(client, "/designer/scenarios/")})
    assert result.status_code == 422 and "run.py" in text_of(result)


@pytest.mark.parametrize("user", ["xh_water1", "xh_water_head", "hz_super"])
def test_staff_and_supervisors_may_not_run_scenarios(client, auth, user):
    auth.login(user)
    assert client.get("/designer/scenarios/").status_code == 403
    refused = client.post("/designer/scenarios/run", data={"scenario": "ledger_matter.scenario.yaml",
                                                           "csrf_token": csrf_token(client)})
    assert refused.status_code == 403


XXE = """<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
<bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s" name="&x;"/></bpmn:process></bpmn:definitions>"""


def test_a_hostile_model_uploaded_with_a_scenario_is_refused_as_deploy_refuses_it(client, designer):
    scenario = "process: [p.bpmn]\norg: demo-minimal\nstart: {process: p, as: xh_water1}\nsteps: [{expect: {status: completed}}]\n"
    result = client.post("/designer/scenarios/run", content_type="multipart/form-data", data={
        "files": [(io.BytesIO(scenario.encode()), "p.yaml"), (io.BytesIO(XXE.encode()), "p.bpmn")],
        "csrf_token": csrf_token(client, "/designer/scenarios/")})
    shown = text_of(result)
    assert result.status_code == 200 and "0 步通过，1 步失败，1 步未运行" in shown
    assert "p.bpmn:2: 不允许 DOCTYPE 声明" in shown and "root:" not in shown
