"""校验 and `sanfu deploy` list every error of a bundle, not only the first: one per bad
element, with file, element and reason, in file and then document order; nothing deployed.
Hostile XML is still refused at once, with the message it always had."""
import pytest
from sqlalchemy import func, select

from engine.cli.main import main
from engine.definitions.xmlsafe import parse_xml
from engine.errors import DefinitionError, DefinitionErrors
from engine.store.tables import ProcessDefinition
from tests.helpers.broken_ledger import EXPECTED, broken_ledger_matter
from tests.helpers.models import chain, process, user_task, write
from tests.helpers.paths import FORMS, PROCESSES

XXE = """<?xml version="1.0"?>
<!DOCTYPE definitions [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&xxe;</definitions>"""


def deploy_refused(engine, paths) -> DefinitionError:
    with pytest.raises(DefinitionError) as caught:
        engine.deploy(paths, "designer")
    return caught.value


def definitions_count(engine) -> int:
    with engine.uow(write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(ProcessDefinition))


def test_four_mistakes_in_ledger_matter_are_all_listed_in_document_order_and_nothing_deploys(people, tmp_path):
    people.forms_dir = FORMS
    model = write(tmp_path, "ledger_matter.bpmn", broken_ledger_matter())
    err = deploy_refused(people, [model, PROCESSES / "routing.dmn"])
    assert isinstance(err, DefinitionErrors)
    assert [(e.file, e.element_id) for e in err.errors] == [("ledger_matter.bpmn", element) for element, _ in EXPECTED]
    for problem, (_element, named) in zip(err.errors, EXPECTED, strict=True):
        assert named in str(problem) and str(problem).startswith("ledger_matter.bpmn")
    assert "交办其他部门" in str(err.errors[1]) and err.errors[1].element_name == "交办其他部门"
    # Still a DefinitionError like any other: message and location are the first error's.
    first = err.errors[0]
    assert (str(err), err.file, err.element_id, err.line) == (str(first), first.file, first.element_id, first.line)
    assert err.code == "definition_error"
    assert definitions_count(people) == 0


def test_one_mistake_is_one_error_with_the_message_it_always_had(people, tmp_path):
    people.forms_dir = FORMS
    model = write(tmp_path, "ledger_matter.bpmn", broken_ledger_matter(only=("hand_over",)))
    err = deploy_refused(people, [model, PROCESSES / "routing.dmn"])
    assert len(err.errors) == 1 and err.element_id == "hand_over"
    assert str(err) == ("ledger_matter.bpmn:108, element 'hand_over' (交办其他部门): 调用活动引用的流程 "
                        "'no_such_process' 不存在：请一并部署它 (called process not found)")


def test_a_file_that_breaks_the_schema_stops_that_file_only(people, tmp_path):
    """Later checks of a file SpiffWorkflow cannot read would only echo its schema errors, so it
    is left out of them; the other files are checked, and a call into the refused file is not
    reported as unresolved because of it."""
    bad_schema = process("p", chain(user_task("t"))).replace('<bpmn:userTask id="t"', '<bpmn:userTask bogus="1" id="t"')
    two_flaws = process("q", chain(user_task("u1"), user_task("u2"))) \
        .replace('<bpmn:userTask id="u2"', '<bpmn:userTask id="u2" also="bad"') \
        .replace('<bpmn:userTask id="u1"', '<bpmn:userTask id="u1" odd="1"')
    calls = process("r", chain('<bpmn:callActivity id="c1" calledElement="nowhere"/>',
                               '<bpmn:callActivity id="c2" calledElement="p"/>'))
    paths = [write(tmp_path, "a_schema.bpmn", bad_schema), write(tmp_path, "b_calls.bpmn", calls),
             write(tmp_path, "c_schema.bpmn", two_flaws)]
    err = deploy_refused(people, paths)
    assert [(e.file, e.element_id) for e in err.errors] == [
        ("a_schema.bpmn", "t"), ("b_calls.bpmn", "c1"), ("c_schema.bpmn", "u1"), ("c_schema.bpmn", "u2")]
    assert "bogus" in str(err.errors[0]) and "nowhere" in str(err.errors[1])
    assert "odd" in str(err.errors[2]) and "also" in str(err.errors[3])
    assert definitions_count(people) == 0


def test_when_every_file_is_refused_only_their_own_errors_are_listed(people, tmp_path):
    bad_schema = process("p", chain(user_task("t"))).replace('<bpmn:userTask id="t"', '<bpmn:userTask bogus="1" id="t"')
    err = deploy_refused(people, [write(tmp_path, "only.bpmn", bad_schema)])
    assert [(e.file, e.element_id) for e in err.errors] == [("only.bpmn", "t")]  # no "no process in the files"


def test_broken_forms_are_listed_after_the_models(people, tmp_path):
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "bad1.json").write_text('{"type": "objekt"}', encoding="utf-8")
    (forms / "bad2.json").write_text("{not json", encoding="utf-8")
    people.forms_dir = forms
    body = chain(user_task("t1", formKey="bad1"), user_task("t2", formKey="bad2"), user_task("t3", formKey="bad1"),
                 '<bpmn:callActivity id="call" calledElement="nowhere"/>')
    err = deploy_refused(people, [write(tmp_path, "forms.bpmn", process("p", body))])
    assert [(e.file, e.element_id) for e in err.errors] == [
        ("forms.bpmn", "call"), ("bad1.json", None), ("bad2.json", None)]  # each form once


def test_hostile_xml_is_refused_at_once_with_the_same_message_as_before(people, tmp_path):
    with pytest.raises(DefinitionError) as alone:
        parse_xml(XXE, "evil.bpmn")
    people.forms_dir = FORMS
    paths = [write(tmp_path, "ledger_matter.bpmn", broken_ledger_matter()), write(tmp_path, "evil.bpmn", XXE)]
    err = deploy_refused(people, paths)
    assert str(err) == str(alone.value) and "DOCTYPE" in str(err)
    assert getattr(err, "errors", None) is None  # nothing else was looked at
    assert definitions_count(people) == 0


def test_the_command_line_prints_every_error_one_per_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SANFU_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SANFU_INSTANCE_PATH", str(tmp_path / "instance"))
    assert main(["init"]) == 0
    assert main(["user", "add", "alice", "--groups", "designers", "--roles", "designer"]) == 0
    capsys.readouterr()
    model = write(tmp_path, "ledger_matter.bpmn", broken_ledger_matter())
    code = main(["deploy", str(model), str(PROCESSES / "routing.dmn"), "--forms", str(FORMS), "--as", "alice"])
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 1 and out == ""
    assert len(lines) == 5 and "4 errors, nothing deployed" in lines[-1]
    for line, (element, named) in zip(lines, EXPECTED, strict=False):
        assert line.startswith("错误：ledger_matter.bpmn") and f"element '{element}'" in line and named in line
    assert main(["deploy", str(PROCESSES / "ledger_matter.bpmn"), str(PROCESSES / "routing.dmn"),
                 "--forms", str(FORMS), "--as", "alice"]) == 0
    assert "ledger_matter v1" in capsys.readouterr().out  # the refused bundle left nothing behind


def test_scripts_timers_assignees_and_decision_tables_each_report_every_bad_element(people, tmp_path):
    body = chain(
        '<bpmn:scriptTask id="js" name="算分" scriptFormat="javascript"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>',
        '<bpmn:scriptTask id="evil"><bpmn:script>import os</bpmn:script></bpmn:scriptTask>',
        '<bpmn:intermediateCatchEvent id="wait" name="等待"><bpmn:timerEventDefinition id="timer_wait">'
        "<bpmn:timeDuration>P-3D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>",
        user_task("who", assignee="${user.getName()}"),
        user_task("fine", candidateGroups="water"))
    dmn = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="x">
  <decision id="first" name="一"><decisionTable id="t1">
    <input id="i1" label="类别"><inputExpression id="ie1" typeRef="string"><text>category</text></inputExpression></input>
    <output id="o1" name="section" typeRef="string"/>
    <rule id="r1"><inputEntry id="e1"><text>__import__("os")</text></inputEntry><outputEntry id="oe1"><text>"w"</text></outputEntry></rule>
  </decisionTable></decision>
  <decision id="second" name="二"><decisionTable id="t2">
    <input id="i2" label="类别"><inputExpression id="ie2" typeRef="string"><text>category</text></inputExpression></input>
    <output id="o2" name="section" typeRef="string"/>
    <rule id="r2"><inputEntry id="e2"><text>"水"</text></inputEntry><outputEntry id="oe2"><text>().__class__</text></outputEntry></rule>
  </decisionTable></decision>
</definitions>"""
    paths = [write(tmp_path, "many.bpmn", process("many", body)), write(tmp_path, "tables.dmn", dmn)]
    err = deploy_refused(people, paths)
    located = [(e.file, e.element_id) for e in err.errors]
    assert located[:4] == [("many.bpmn", "js"), ("many.bpmn", "evil"), ("many.bpmn", "timer_wait"), ("many.bpmn", "who")]
    assert [file for file, _ in located[4:]] == ["tables.dmn", "tables.dmn"]  # one error per bad decision
    assert "__import__" in str(err.errors[4]) and "__class__" in str(err.errors[5])
    assert definitions_count(people) == 0
