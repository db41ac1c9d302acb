"""Deploying: versions, and refusals that name the file, the element and the reason."""
import json

import pytest

from engine.errors import DefinitionError
from tests.helpers.models import chain, process, user_task, write
from tests.helpers.paths import FORMS, PROCESSES


def one_task(key="visit", name="记录走访", **attrs):
    return process(key, chain(user_task("record", name, **attrs)))


def test_redeploying_identical_content_is_a_no_op_and_a_change_is_a_new_version(people, tmp_path):
    path = write(tmp_path, "visit.bpmn", one_task())
    first = people.deploy([path], "designer")
    again = people.deploy([path], "designer")
    write(tmp_path, "visit.bpmn", one_task(name="记录走访（新）"))
    changed = people.deploy([path], "designer")
    assert [p["version"] for p in (first.processes + again.processes + changed.processes)] == [1, 1, 2]
    assert again.processes[0]["status"] == "unchanged"


def test_running_instances_stay_on_their_version_and_start_can_pin_one(people, tmp_path):
    path = write(tmp_path, "visit.bpmn", one_task())
    people.deploy([path], "designer")
    old = people.start("visit", "liaison1")
    write(tmp_path, "visit.bpmn", one_task(name="新名称"))
    people.deploy([path], "designer")
    new = people.start("visit", "liaison1")
    pinned = people.start("visit", "liaison1", version=1)
    assert (old["version"], new["version"], pinned["version"]) == (1, 2, 1)
    names = {t["instance_id"]: t["name"] for t in people.tasks("liaison1")}
    assert names[old["id"]] == "记录走访" and names[new["id"]] == "新名称"


def test_a_changed_form_bumps_the_version(people, tmp_path):
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "f1.json").write_text(json.dumps({"type": "object"}), encoding="utf-8")
    people.forms_dir = forms
    path = write(tmp_path, "visit.bpmn", one_task(formKey="f1"))
    assert people.deploy([path], "designer").processes[0]["version"] == 1
    (forms / "f1.json").write_text(json.dumps({"type": "object", "required": ["x"]}), encoding="utf-8")
    assert people.deploy([path], "designer").processes[0]["version"] == 2


def refusal(engine, tmp_path, xml, file_name="model.bpmn") -> DefinitionError:
    path = write(tmp_path, file_name, xml)
    with pytest.raises(DefinitionError) as err:
        engine.deploy([path], "designer")
    message = str(err.value)
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith(file_name)
    return err.value


def test_non_executable_process_is_refused_with_how_to_fix(people, tmp_path):
    err = refusal(people, tmp_path, process("draft", chain(user_task("t")), executable=False))
    assert err.element_id == "draft" and "Executable" in str(err) and "isExecutable" in str(err)


def test_javascript_script_task_is_refused(people, tmp_path):
    task = '<bpmn:scriptTask id="js" name="算分" scriptFormat="javascript"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>'
    err = refusal(people, tmp_path, process("p", chain(task)))
    assert err.element_id == "js" and err.element_name == "算分" and "Python" in str(err)


def test_method_call_in_juel_condition_is_refused_with_element_and_hint(people, tmp_path):
    body = """<bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="gw" default="f_no"/>
<bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw"/>
<bpmn:sequenceFlow id="f_yes" sourceRef="gw" targetRef="e1"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${dateTime().plusDays(1) != null}</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f_no" sourceRef="gw" targetRef="e2"/>"""
    err = refusal(people, tmp_path, process("p", body))
    assert err.element_id == "f_yes" and "dateTime" in str(err)


def test_sandbox_escape_in_a_condition_is_refused_at_deploy(people, tmp_path):
    body = """<bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="gw" default="f_no"/>
<bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw"/>
<bpmn:sequenceFlow id="f_yes" sourceRef="gw" targetRef="e1"><bpmn:conditionExpression>().__class__.__base__.__subclasses__()</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f_no" sourceRef="gw" targetRef="e2"/>"""
    err = refusal(people, tmp_path, process("p", body))
    assert err.element_id == "f_yes" and "__class__" in str(err)


def test_script_task_import_is_refused_at_deploy(people, tmp_path, monkeypatch):
    task = '<bpmn:scriptTask id="evil"><bpmn:script>import os\nos.system("touch /tmp/sanfu-pwned")</bpmn:script></bpmn:scriptTask>'
    err = refusal(people, tmp_path, process("p", chain(task)))
    assert err.element_id == "evil"


@pytest.mark.parametrize("timer", ["PT", "R3/", "P-3D", "0 0 * *", "__import__('os')"])
def test_bad_timer_value_is_refused_naming_the_event(people, tmp_path, timer):
    body = f"""<bpmn:startEvent id="start"/>
<bpmn:intermediateCatchEvent id="wait" name="等待"><bpmn:timerEventDefinition><bpmn:timeDuration>{timer}</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="wait"/><bpmn:sequenceFlow id="f1" sourceRef="wait" targetRef="end"/>"""
    err = refusal(people, tmp_path, process("p", body))
    assert err.element_id in ("wait", None) or "wait" in str(err)
    assert "wait" in str(err)


def test_schema_error_gives_line_and_element(people, tmp_path):
    xml = process("p", chain(user_task("t"))).replace('<bpmn:userTask id="t"', '<bpmn:userTask bogus="1" id="t"')
    err = refusal(people, tmp_path, xml)
    assert err.line is not None and err.element_id == "t" and "bogus" in str(err)


def test_call_activity_to_unknown_process_is_refused(people, tmp_path):
    call = '<bpmn:callActivity id="call" name="调用" calledElement="missing_process"/>'
    err = refusal(people, tmp_path, process("p", chain(call)))
    assert err.element_id == "call" and "missing_process" in str(err)


def test_invalid_form_schema_is_refused_naming_the_form_file(people, tmp_path):
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "bad.json").write_text(json.dumps({"type": "objekt"}), encoding="utf-8")
    people.forms_dir = forms
    path = write(tmp_path, "visit.bpmn", one_task(formKey="bad"))
    with pytest.raises(DefinitionError) as err:
        people.deploy([path], "designer")
    assert err.value.file == "bad.json" and "JSON Schema" in str(err.value)


@pytest.mark.parametrize("template, reason", [
    ("{nobody}：{what}", "'nobody' 不存在"),
    ("{who}：{what}", "个人敏感字段 'who'"),
    ("固定文字", "{字段名}"),
])
def test_a_form_subject_naming_an_unknown_or_sensitive_field_is_refused(people, tmp_path, template, reason):
    """A subject shows in every list, so it may name only the form's own, non-sensitive fields."""
    forms = tmp_path / "forms"
    forms.mkdir()
    form = {"type": "object", "x-subject": template, "properties": {
        "what": {"type": "string", "title": "内容"}, "who": {"type": "string", "x-sensitive": True}}}
    (forms / "intake.json").write_text(json.dumps(form, ensure_ascii=False), encoding="utf-8")
    people.forms_dir = forms
    path = write(tmp_path, "visit.bpmn", one_task(formKey="intake"))
    with pytest.raises(DefinitionError) as err:
        people.deploy([path], "designer")
    assert err.value.file == "intake.json" and reason in str(err.value)


def test_missing_form_unrouted_group_and_listener_are_warnings_not_refusals(people, tmp_path):
    body = chain('<bpmn:userTask id="t" camunda:formKey="embedded:app:forms/x.html" camunda:candidateGroups="nobody_here">'
                 '<bpmn:extensionElements><camunda:taskListener class="org.Foo" event="create"/></bpmn:extensionElements>'
                 '</bpmn:userTask>')
    result = people.deploy([write(tmp_path, "w.bpmn", process("w", body))], "designer")
    text = "\n".join(result.warnings)
    assert result.processes[0]["status"] == "deployed"
    assert "embedded:app:forms/x.html" in text and "nobody_here" in text and "任务监听器" in text


def test_dmn_file_deploys_on_its_own_and_is_versioned(people, tmp_path):
    dmn = (tmp_path / "route.dmn")
    dmn.write_text("""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="x">
  <decision id="route" name="责任科室">
    <decisionTable id="t" hitPolicy="UNIQUE">
      <input id="i1" label="类别"><inputExpression id="ie1" typeRef="string"><text>category</text></inputExpression></input>
      <output id="o1" name="section" typeRef="string"/>
      <rule id="r1"><inputEntry id="e1"><text>"水"</text></inputEntry><outputEntry id="oe1"><text>"water"</text></outputEntry></rule>
      <rule id="r2"><inputEntry id="e2"><text>"气"</text></inputEntry><outputEntry id="oe2"><text>"air"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>""", encoding="utf-8")
    first = people.deploy([dmn], "designer")
    again = people.deploy([dmn], "designer")
    assert first.decisions == [{"key": "route", "version": 1, "status": "deployed"}]
    assert again.decisions[0]["status"] == "unchanged"


def test_the_shipped_processes_deploy(people):
    people.forms_dir = FORMS
    result = people.deploy(sorted(PROCESSES.glob("*.bpmn")) + sorted(PROCESSES.glob("*.dmn")), "designer")
    assert {p["key"] for p in result.processes} >= {"demo_visit", "Process_three_user_tasks"}
