"""SpiffWorkflow's own dialect (as bpmn-js + spiffworkflow properties panels write it)
runs too: Python conditions and scripts, pre/post scripts, JSON Schema form files, lanes."""
import json

from tests.helpers.models import write

SPIFF = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="spiff_check" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l1" name="water"><bpmn:flowNodeRef>score</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="s"/>
    <bpmn:scriptTask id="prepare"><bpmn:script>items = [3, 4, 5]
total = sum(items)</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="score" name="打分">
      <bpmn:extensionElements>
        <spiffworkflow:properties><spiffworkflow:property name="formJsonSchemaFilename" value="score-schema.json"/></spiffworkflow:properties>
        <spiffworkflow:preScript>hint = f"合计 {total}"</spiffworkflow:preScript>
        <spiffworkflow:postScript>passed = rating >= 3</spiffworkflow:postScript>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="gw" default="f_fail"/>
    <bpmn:endEvent id="ok"/><bpmn:endEvent id="bad"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="prepare"/>
    <bpmn:sequenceFlow id="f2" sourceRef="prepare" targetRef="score"/>
    <bpmn:sequenceFlow id="f3" sourceRef="score" targetRef="gw"/>
    <bpmn:sequenceFlow id="f_pass" sourceRef="gw" targetRef="ok"><bpmn:conditionExpression>passed and total == 12</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_fail" sourceRef="gw" targetRef="bad"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_spiff_dialect_model_runs_with_its_form(people, tmp_path):
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "score.json").write_text(json.dumps({
        "type": "object", "required": ["rating"],
        "properties": {"rating": {"type": "integer", "title": "评分", "minimum": 1, "maximum": 5}}}),
        encoding="utf-8")
    people.forms_dir = forms
    result = people.deploy([write(tmp_path, "spiff.bpmn", SPIFF)], "designer")
    assert result.processes[0]["status"] == "deployed" and not [w for w in result.warnings if "score" in w]
    instance = people.start("spiff_check", "liaison1")["id"]
    task = people.tasks("water1")[0]
    assert task["form_key"] == "score" and task["lane"] == "water"
    people.claim(task["id"], "water1")
    people.complete(task["id"], "water1", {"rating": 4})
    shown = people.show(instance)
    assert shown["status"] == "completed"
    assert shown["data"]["hint"] == "合计 12" and shown["data"]["passed"] is True
