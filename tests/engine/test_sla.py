"""Where a step's deadline comes from: the model's dueDate, else the SLA table (sla.dmn, by
process, step, category and severity), else the process's default — in working days."""
import pytest

from engine import clock
from engine.errors import DefinitionError
from tests.helpers.models import write

SLA = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d_sla" name="SLA" namespace="t">
  <decision id="sla" name="办理时限">
    <decisionTable id="t" hitPolicy="FIRST">
      <input id="i1" label="流程"><inputExpression id="e1" typeRef="string"><text>process</text></inputExpression></input>
      <input id="i2" label="步骤"><inputExpression id="e2" typeRef="string"><text>step</text></inputExpression></input>
      <input id="i3" label="严重程度"><inputExpression id="e3" typeRef="string"><text>severity</text></inputExpression></input>
      <output id="o1" label="工作日" name="days" typeRef="number"/>
      <output id="o2" label="临近比例" name="blue_share" typeRef="number"/>
      <rule id="r1"><inputEntry id="a1"><text>"sla_case"</text></inputEntry><inputEntry id="a2"><text>"fix"</text></inputEntry>
        <inputEntry id="a3"><text>"严重"</text></inputEntry><outputEntry id="b1"><text>2</text></outputEntry>
        <outputEntry id="b2"><text>0.5</text></outputEntry></rule>
      <rule id="r2"><inputEntry id="a4"><text>"sla_case"</text></inputEntry><inputEntry id="a5"><text>"fix"</text></inputEntry>
        <inputEntry id="a6"><text>-</text></inputEntry><outputEntry id="b3"><text>10</text></outputEntry>
        <outputEntry id="b4"><text></text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
"""


def model(default: str = "P5D") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
<bpmn:process id="sla_case" isExecutable="true">
  <bpmn:extensionElements><camunda:properties>
    <camunda:property name="sanfu:dueDate" value="{default}"/></camunda:properties></bpmn:extensionElements>
  <bpmn:startEvent id="start"/>
  <bpmn:parallelGateway id="split"/>
  <bpmn:userTask id="own" name="自定" camunda:dueDate="P1D" camunda:candidateUsers="water1"/>
  <bpmn:userTask id="fix" name="整改" camunda:candidateUsers="water1"/>
  <bpmn:userTask id="other" name="其他" camunda:candidateUsers="water1"/>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="split"/>
  <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="own"/>
  <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="fix"/>
  <bpmn:sequenceFlow id="f4" sourceRef="split" targetRef="other"/>
</bpmn:process></bpmn:definitions>"""


def dues(people, data: dict) -> dict:
    with clock.frozen_at(clock.parse_moment("2026-03-02T09:00:00")):       # a Monday
        instance = people.start("sla_case", "water1", data)["id"]
    return {t["element_id"]: (t["due_at_local"][:16], t["blue_at"]) for t in people.tasks("water1")
            if t["instance_id"] == instance}


def test_the_model_then_the_sla_table_then_the_process_default(people, tmp_path):
    people.deploy([write(tmp_path, "sla.dmn", SLA)], "designer")
    people.deploy([write(tmp_path, "case.bpmn", model())], "designer")
    ordinary = dues(people, {"severity": "一般"})
    assert ordinary["own"][0] == "2026-03-03T09:00"             # its own dueDate: 1 working day
    assert ordinary["fix"][0] == "2026-03-16T09:00"             # the table: 10 working days
    assert ordinary["other"][0] == "2026-03-09T09:00"           # no row: the process default, 5
    grave = dues(people, {"severity": "严重"})
    assert grave["fix"][0] == "2026-03-04T09:00"                # 严重: 2 working days
    assert grave["fix"][1].startswith("2026-03-03T01:00")       # and blue at half of it (UTC)


def test_without_a_table_the_process_default_applies(people, tmp_path):
    people.deploy([write(tmp_path, "case.bpmn", model())], "designer")
    assert dues(people, {})["fix"][0] == "2026-03-09T09:00"


def test_a_bad_process_default_is_refused_at_deploy(people, tmp_path):
    with pytest.raises(DefinitionError) as err:
        people.deploy([write(tmp_path, "case.bpmn", model("fünf Tage"))], "designer")
    assert err.value.file == "case.bpmn" and "dueDate" in str(err.value)
