"""Designers' scenario files (sanfu test-process): the shipped processes' scenarios pass, a
wrong expectation is reported with its difference, and a bad file is refused naming the
step and the field in Chinese."""
import json
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.errors import InvalidInput
from engine.scenarios.format import load_scenario
from engine.scenarios.report import as_text, element_marks
from engine.scenarios.runner import run_scenario
from tests.helpers.models import HEADER
from tests.helpers.paths import FORMS, PROCESSES

SHIPPED = sorted(PROCESSES.glob("*.scenario.yaml"))


def test_the_three_shipped_processes_carry_scenarios():
    assert {p.name for p in SHIPPED} >= {"enterprise_service.scenario.yaml", "ledger_matter.scenario.yaml",
                                         "complaint_12369.scenario.yaml"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_scenario_passes(path):
    result = run_scenario(load_scenario(path, forms_default=FORMS))
    assert result.passed, as_text(result)
    kinds = {step.kind for step in result.steps}
    assert {"complete", "clock", "expect"} <= kinds          # each walks its main path through a clock jump
    assert result.instance_status == "completed"


def ledger_scenario(tmp_path: Path, edit=lambda text: text) -> Path:
    """The shipped ledger_matter scenario, moved beside nothing: its models named by absolute path."""
    text = (PROCESSES / "ledger_matter.scenario.yaml").read_text(encoding="utf-8")
    text = text.replace("process: [ledger_matter.bpmn, routing.dmn]",
                        f"process: [{PROCESSES / 'ledger_matter.bpmn'}, {PROCESSES / 'routing.dmn'}]")
    path = tmp_path / "mine.scenario.yaml"
    path.write_text(edit(text), encoding="utf-8")
    return path


def test_a_wrong_lane_fails_its_step_with_the_difference_and_exit_code_1(tmp_path, capsys):
    path = ledger_scenario(tmp_path, lambda t: t.replace("{task: verify, lane: 科长,", "{task: verify, lane: 督办,"))
    assert main(["test-process", str(path), "--forms", str(FORMS)]) == 1
    out = capsys.readouterr().out
    assert "✗ 10 预期：待办" in out
    assert "待办 verify 的泳道 lane：预期 督办，实际 科长" in out
    assert "✓ 11 退回 verify（xh_water_head）" in out       # a failed expectation does not stop the story
    assert "结果：失败 — 15 步通过，1 步失败" in out


def test_the_json_report_lists_each_step_and_the_elements_it_visited(tmp_path, capsys):
    assert main(["test-process", str(ledger_scenario(tmp_path)), "--json", "--forms", str(FORMS)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] is True and report["instance_status"] == "completed"
    clock_step = next(s for s in report["steps"] if s["kind"] == "clock")
    assert clock_step["elements"] == ["rectification_overdue"]        # the timer that fired
    assert {"rectify", "verify", "urge_rectification"} <= {e for s in report["steps"] for e in s["elements"]}


def test_an_action_that_breaks_the_story_skips_the_steps_after_it(tmp_path):
    path = ledger_scenario(tmp_path, lambda t: t.replace("claim: {task: 整改, as: xh_water1}",
                                                         "claim: {task: 整改, as: bj_water1}"))
    result = run_scenario(load_scenario(path, forms_default=FORMS))
    failed = [s for s in result.steps if s.status == "failed"]
    assert [s.index for s in failed] == [3]
    assert failed[0].differences == ["用户 'bj_water1' 不是该任务的候选人 (not a candidate)"]
    assert {s.status for s in result.steps[4:]} == {"skipped"}
    assert element_marks(result)["rectify"] == "failed"


MESSAGE_MODEL = (HEADER.format(key="permit") + '<bpmn:message id="m" name="permit_granted"/>\n'
                 '<bpmn:process id="permit" name="排污许可" isExecutable="true"><bpmn:startEvent id="s"/>\n'
                 '<bpmn:userTask id="apply" name="提交申请" camunda:candidateUsers="alice,carol"/>\n'
                 '<bpmn:intermediateCatchEvent id="wait" name="等待许可"><bpmn:messageEventDefinition messageRef="m"/>'
                 '</bpmn:intermediateCatchEvent>\n'
                 '<bpmn:userTask id="proceed" name="继续办理" camunda:assignee="bob" camunda:dueDate="P2D"/>\n'
                 '<bpmn:endEvent id="e"/>\n'
                 '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="apply"/>'
                 '<bpmn:sequenceFlow id="f2" sourceRef="apply" targetRef="wait"/>'
                 '<bpmn:sequenceFlow id="f3" sourceRef="wait" targetRef="proceed"/>'
                 '<bpmn:sequenceFlow id="f4" sourceRef="proceed" targetRef="e"/>\n'
                 '</bpmn:process></bpmn:definitions>\n')

OWN_ORG = """
name: 许可
process: [permit.bpmn]
org:
  units: [{code: t, name: 测试厅, level: province}]
  sections: {office: 办公室}
  people:
    - {name: alice, unit: t, sections: [office]}
    - {name: bob, unit: t, sections: [office]}
    - {name: carol, unit: t}
at: 2026-03-02T09:00:00
start: {process: permit, as: alice, unit: t}
steps:
"""


def run_own(tmp_path, steps: str):
    (tmp_path / "permit.bpmn").write_text(MESSAGE_MODEL, encoding="utf-8")
    path = tmp_path / "permit.scenario.yaml"
    path.write_text(OWN_ORG + steps, encoding="utf-8")
    return run_scenario(load_scenario(path, forms_default=FORMS))


def test_claim_message_clock_return_and_expected_errors_in_an_organisation_of_its_own(tmp_path):
    result = run_own(tmp_path, """
  - expect: {tasks: [{task: apply, assignee: null, candidate_users: [carol, alice]}]}
  - claim: {task: 提交申请, as: carol}
  - claim: {task: apply, as: alice}
    expect_error: already_claimed
  - complete: {task: apply, as: carol, data: {permit_kind: 重点管理}}
  - message: {name: permit_granted, data: {permit_no: 91330106-001}}
  - expect:
      tasks: [{task: proceed, assignee: bob}]
      data: {permit_kind: 重点管理}
  - message: {name: permit_granted}
    expect_error: not_found
  - clock: 2026-03-10T09:00:00
  - return: {task: proceed, as: bob, reason: 许可证号与申请不符}
  - expect: {tasks: [{task: apply, assignee: carol}]}
  - complete: {task: apply, as: carol}
  - message: {name: permit_granted}
  - complete: {task: proceed, as: bob}
  - expect: {status: completed, tasks: []}
""")
    assert result.passed, as_text(result)
    assert [s.kind for s in result.steps][1:6] == ["expect", "claim", "claim", "complete", "message"]


def test_an_expected_error_that_does_not_come_or_differs_fails_the_step(tmp_path):
    result = run_own(tmp_path, """
  - claim: {task: apply, as: carol}
    expect_error: not_candidate
  - claim: {task: apply, as: bob}
    expect_error: already_claimed
""")
    first, second = result.steps[1:]
    assert first.status == "failed" and first.differences == ["预期错误 not_candidate，但命令成功了 (expected an error)"]
    assert second.status == "skipped"      # the story broke at the unexpected success

    result = run_own(tmp_path, """
  - claim: {task: apply, as: carol}
  - claim: {task: apply, as: bob}
    expect_error: not_candidate
""")
    assert result.steps[2].differences[0].startswith("预期错误 not_candidate，实际错误 already_claimed：")


def test_expecting_a_task_that_is_not_open_and_missing_one_that_is(tmp_path):
    result = run_own(tmp_path, """
  - expect: {tasks: [{task: proceed}], status: completed, data: {permit_no: X}}
""")
    assert result.steps[1].differences == [
        "状态 status：预期 completed，实际 running",
        "数据 permit_no：预期 X，实际没有这一项",
        "待办 proceed：预期有，实际没有",
        "待办 apply（提交申请）：预期没有，实际有"]


@pytest.mark.parametrize("steps, words", [
    ("  - complete: {task: apply, data: {}}\n", ["第 1 步", "办理（complete）", "缺少必填字段 办理人（as）"]),
    ("  - expect: {tasks: []}\n  - claim: {task: apply, as: carol, who: x}\n", ["第 2 步", "不认识的字段 who"]),
    ("  - claim: {task: apply, as: carol}\n    clock: +P1D\n", ["第 1 步", "恰好有一个动作"]),
    ("  - clock: next week\n", ["第 1 步", "时钟（clock）", "ISO"]),
    ("  - clock: +P1D\n    expect_error: x\n", ["第 1 步", "expect_error"]),
    ("  - expect: {status: done}\n", ["第 1 步", "状态（status）", "应为其中之一"]),
    ("  - complete: {task: apply, as: carol, nth: 0}\n", ["第 1 步", "第几个（nth）"]),
])
def test_a_bad_step_is_refused_naming_the_step_and_the_field(tmp_path, steps, words):
    (tmp_path / "bad.yaml").write_text(OWN_ORG + steps, encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        load_scenario(tmp_path / "bad.yaml")
    for word in words:
        assert word in str(refused.value)


def test_a_bad_file_is_refused_before_anything_runs(tmp_path, capsys):
    (tmp_path / "a.yaml").write_text("process: [x.bpmn]\norg: everyone\nstart: {process: x, as: a}\nsteps: []\n",
                                     encoding="utf-8")
    (tmp_path / "b.yaml").write_text("process: [x.bpmn\n", encoding="utf-8")
    (tmp_path / "c.yaml").write_text("org: demo-minimal\n", encoding="utf-8")
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(20))
    (tmp_path / "d.yaml").write_text(laughs, encoding="utf-8")
    for name, words in {"a.yaml": ["组织（org）", "demo-minimal"], "b.yaml": ["不是有效的 YAML"],
                        "c.yaml": ["缺少必填字段 模型文件（process）"], "d.yaml": ["不能使用 YAML 别名"]}.items():
        assert main(["test-process", str(tmp_path / name)]) == 1
        err = capsys.readouterr().err
        assert all(word in err for word in words), err
        assert "Traceback" not in err


def test_a_model_that_does_not_deploy_fails_the_start_and_skips_the_rest(tmp_path):
    result = run_own(tmp_path, "  - expect: {status: running}\n")
    (tmp_path / "permit.bpmn").write_text(MESSAGE_MODEL.replace('targetRef="wait"', 'targetRef="nowhere"'),
                                          encoding="utf-8")
    broken = run_scenario(load_scenario(tmp_path / "permit.scenario.yaml", forms_default=FORMS))
    assert result.passed and not broken.passed
    assert broken.steps[0].status == "failed" and "nowhere" in broken.steps[0].differences[0]
    assert broken.steps[1].status == "skipped"


def test_the_schema_is_printed_for_editors_and_a_missing_file_is_a_message(capsys):
    assert main(["test-process", "--schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["required"] == ["process", "org", "start", "steps"]
    assert set(schema["properties"]["steps"]["items"]["properties"]) >= {"complete", "clock", "expect_error"}
    assert main(["test-process"]) == 1
    assert "请给出场景文件" in capsys.readouterr().err


def test_a_clock_step_runs_the_schedulers_periodic_jobs_the_ladder_among_them(tmp_path, monkeypatch):
    from engine.service import Engine
    ran = []
    original = Engine.run_ladder
    monkeypatch.setattr(Engine, "run_ladder", lambda self, owner="scheduler": ran.append(owner) or original(self, owner))
    result = run_own(tmp_path, "  - clock: +P5D\n  - expect: {tasks: [{task: apply}]}\n")
    assert result.passed, as_text(result)
    assert ran == ["scenario"]
