"""The `sanfu` command line: its contract of outputs and exit codes."""
import json
from datetime import timedelta

import pytest

from engine import clock
from engine.cli.main import main
from tests.helpers.paths import FORMS, PROCESSES

TASK_KEYS = {"id", "instance_id", "process_key", "version", "element_id", "name", "lane", "assignee",
             "candidate_groups", "candidate_users", "due_at", "created_at"}


@pytest.fixture
def sanfu(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SANFU_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SANFU_INSTANCE_PATH", str(tmp_path / "instance"))

    def run(*args):
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    assert run("init")[0] == 0
    return run


def test_a_user_starts_lists_completes_and_shows(sanfu):
    assert sanfu("group", "add", "water")[0] == 0
    assert sanfu("user", "add", "alice", "--groups", "water,liaisons", "--roles", "designer")[0] == 0
    assert sanfu("user", "add", "root", "--admin")[0] == 0
    code, out, _ = sanfu("deploy", PROCESSES / "demo_visit.bpmn", "--forms", FORMS, "--as", "alice")
    assert code == 0 and "demo_visit v1" in out
    code, out, _ = sanfu("start", "demo_visit", "--as", "alice", "--data", '{"source": "cli"}')
    assert code == 0 and "实例 1" in out
    code, out, _ = sanfu("tasks", "--as", "alice", "--json")
    tasks = json.loads(out)
    assert code == 0 and len(tasks) == 1 and TASK_KEYS <= set(tasks[0])
    data = json.dumps({"visit_date": "2026-11-20", "mode": "电话", "problem_count": 0})
    assert sanfu("complete", tasks[0]["id"], "--as", "alice", "--data", data)[0] == 0
    code, out, _ = sanfu("show", "1", "--json")
    shown = json.loads(out)
    assert code == 0 and {"id", "process_key", "version", "status", "data", "open_tasks", "history"} <= set(shown)
    assert shown["status"] == "completed" and shown["data"]["mode"] == "电话"


def test_exit_codes_say_what_went_wrong(sanfu):
    sanfu("user", "add", "alice", "--roles", "designer")
    sanfu("deploy", PROCESSES / "bench_three_user_tasks.bpmn", "--as", "alice")
    sanfu("start", "Process_three_user_tasks", "--as", "alice")
    task = json.loads(sanfu("tasks", "--as", "alice", "--json")[1])[0]["id"]
    assert sanfu("complete", task, "--as", "alice", "--data", "{not json")[0] == 1
    assert sanfu("complete", task, "--as", "alice", "--data", "[1]")[0] == 1
    assert sanfu("complete", "no-such-task", "--as", "alice")[0] == 4
    assert sanfu("start", "missing", "--as", "alice")[0] == 4
    assert sanfu("start", "Process_three_user_tasks", "--as", "nobody")[0] == 4
    assert sanfu("assign", task, "alice", "--as", "alice")[0] == 4  # not an admin
    assert sanfu("complete", task, "--as", "alice")[0] == 0
    code, _, err = sanfu("complete", task, "--as", "alice")
    assert code == 3 and "completed" in err
    assert sanfu("frobnicate")[0] == 2
    assert sanfu("start")[0] == 2


def test_refusals_print_one_clear_line_and_no_traceback(sanfu, tmp_path):
    sanfu("user", "add", "alice", "--roles", "designer")
    broken = tmp_path / "broken.bpmn"
    broken.write_text("<definitions><process id='x'></definitions>", encoding="utf-8")
    code, out, err = sanfu("deploy", broken, "--as", "alice")
    assert code == 1 and "Traceback" not in err + out
    assert err.startswith("错误：broken.bpmn:1") and len(err.strip().splitlines()) == 1
    code, _, err = sanfu("deploy", tmp_path / "absent.bpmn", "--as", "alice")
    assert code == 1 and "absent.bpmn" in err


def test_unrouted_tasks_are_listed_for_admins_and_assignable(sanfu, tmp_path):
    sanfu("user", "add", "root", "--admin")
    sanfu("user", "add", "alice", "--roles", "designer")
    model = tmp_path / "u.bpmn"
    model.write_text("""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
<bpmn:process id="u" isExecutable="true"><bpmn:startEvent id="s"/><bpmn:userTask id="t" camunda:candidateGroups="ghosts"/><bpmn:endEvent id="e"/>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/></bpmn:process></bpmn:definitions>""",
                     encoding="utf-8")
    code, out, _ = sanfu("deploy", model, "--as", "root")
    assert code == 0 and "ghosts" in out and "警告" in out
    sanfu("start", "u", "--as", "alice")
    assert json.loads(sanfu("tasks", "--as", "alice", "--json")[1]) == []
    assert sanfu("tasks", "--unrouted", "--as", "alice")[0] == 4
    unrouted = json.loads(sanfu("tasks", "--unrouted", "--as", "root", "--json")[1])
    assert len(unrouted) == 1 and unrouted[0]["unrouted"] is True
    assert sanfu("assign", unrouted[0]["id"], "alice", "--as", "root")[0] == 0
    assert json.loads(sanfu("tasks", "--as", "alice", "--json")[1])[0]["assignee"] == "alice"
    assert json.loads(sanfu("tasks", "--unrouted", "--as", "root", "--json")[1]) == []


def test_fire_timers_as_of_a_moment(sanfu):
    sanfu("user", "add", "alice", "--groups", "liaisons,water", "--roles", "designer")
    sanfu("user", "add", "bob", "--groups", "water,supervisors")
    sanfu("deploy", PROCESSES / "demo_visit.bpmn", "--forms", FORMS, "--as", "alice")
    sanfu("start", "demo_visit", "--as", "alice")
    task = json.loads(sanfu("tasks", "--as", "alice", "--json")[1])[0]["id"]
    sanfu("complete", task, "--as", "alice", "--data", json.dumps({"visit_date": "2026-11-20", "mode": "走访",
                                                                   "problem_count": 2}))
    assert "到期 0" in sanfu("fire-timers", "--now", "2026-11-23T00:00:00")[1]
    code, out, _ = sanfu("fire-timers", "--now", "2099-01-01T00:00:00")
    assert code == 0 and "已触发 1" in out
    assert sanfu("fire-timers", "--now", "yesterday")[0] == 1


def test_oversized_or_non_json_data_is_refused_and_nothing_changes(sanfu):
    sanfu("user", "add", "alice", "--roles", "designer")
    sanfu("deploy", PROCESSES / "bench_three_user_tasks.bpmn", "--as", "alice")
    sanfu("start", "Process_three_user_tasks", "--as", "alice")
    task = json.loads(sanfu("tasks", "--as", "alice", "--json")[1])[0]["id"]
    code, _, err = sanfu("complete", task, "--as", "alice", "--data", json.dumps({"notes": "x" * (1024 * 1024)}))
    assert code == 1 and "过大" in err
    assert json.loads(sanfu("tasks", "--as", "alice", "--json")[1])[0]["id"] == task


def test_org_and_pairing_commands(sanfu, tmp_path):
    from engine.exchange.pairing import PairingRow, SectionRow, UnitRow, UserRow, write_org, write_pairing
    from engine.org.creditcode import demo_credit_codes
    sanfu("user", "add", "root", "--admin")
    write_org([UnitRow("zj", "省厅", "province", None), UnitRow("xh", "西湖区分局", "county", "zj")],
              [SectionRow("xh", "water", "水环境科")],
              [UserRow("w1", "水 科员", "xh", ("water",), ("staff",)),
               UserRow("lia", "联络员甲", "xh", ("water",), ("staff", "liaison"))], tmp_path / "org.xlsx")
    code, out, _ = sanfu("org", "import", tmp_path / "org.xlsx", "--as", "root")
    assert code == 0 and "已导入 5 行" in out
    good, bad = demo_credit_codes(2, seed=3)
    write_pairing([PairingRow(1, "甲企业", good, "小", "传统产业", "西湖区分局", "联络员甲", "", "", False, 2026, "paired"),
                   PairingRow(2, "乙企业", bad, "小", "传统产业", "不存在的局", "", "", "", False, 2026, "paired")],
                  tmp_path / "p.csv")
    code, _, err = sanfu("pairing", "import", tmp_path / "p.csv", "--as", "root")
    assert code == 1 and "序号 2" in err and "不存在的局" in err
    assert sanfu("pairing", "export", tmp_path / "out.csv")[1].startswith("已导出 0 家")
    code, out, _ = sanfu("pairing", "import", tmp_path / "p.csv", "--good-rows-only", "--as", "root")
    assert code == 0 and "已导入 1 行" in out and "跳过" in out
    assert sanfu("deputy", "lia", "w1", "--from", "2026-01-01T00:00", "--to", "2026-01-02T00:00", "--as", "lia")[0] == 0
    assert sanfu("deputy", "lia", "w1", "--from", "2026-01-02T00:00", "--to", "2026-01-01T00:00", "--as", "lia")[0] == 1
    code, out, _ = sanfu("handover", "lia", "w1", "--as", "root")
    assert code == 0 and "联络企业 1" in out


def test_a_disabled_user_can_do_nothing(sanfu):
    sanfu("user", "add", "root", "--admin")
    sanfu("user", "add", "alice", "--roles", "designer")
    sanfu("deploy", PROCESSES / "bench_three_user_tasks.bpmn", "--as", "alice")
    assert sanfu("user", "disable", "alice", "--as", "alice")[0] == 4
    assert sanfu("user", "disable", "alice", "--as", "root")[0] == 0
    assert sanfu("start", "Process_three_user_tasks", "--as", "alice")[0] == 4
    assert sanfu("user", "enable", "alice", "--as", "root")[0] == 0
    assert sanfu("start", "Process_three_user_tasks", "--as", "alice")[0] == 0


def test_the_task_list_pages_and_says_when_there_is_more(sanfu):
    sanfu("user", "add", "alice", "--roles", "designer")
    sanfu("deploy", PROCESSES / "bench_three_user_tasks.bpmn", "--as", "alice")
    for _ in range(5):
        sanfu("start", "Process_three_user_tasks", "--as", "alice")
    everything = json.loads(sanfu("tasks", "--as", "alice", "--json")[1])
    assert len(everything) == 5
    code, out, err = sanfu("tasks", "--as", "alice", "--limit", "2", "--json")
    first = json.loads(out)
    assert code == 0 and len(first) == 2 and "--page 2" in err                # never cut silently
    second = json.loads(sanfu("tasks", "--as", "alice", "--limit", "2", "--page", "2", "--json")[1])
    code, out, err = sanfu("tasks", "--as", "alice", "--limit", "2", "--page", "3", "--json")
    last = json.loads(out)
    assert len(last) == 1 and err == ""
    assert [t["id"] for t in first + second + last] == [t["id"] for t in everything]
    code, out, _ = sanfu("tasks", "--as", "alice", "--limit", "2")
    assert code == 0 and len(out.strip().splitlines()) == 2
    assert sanfu("tasks", "--as", "alice", "--limit", "0")[0] == 1


def test_the_task_list_says_the_time_left_in_working_days_and_the_colour(sanfu):
    sanfu("user", "add", "alice", "--groups", "water,liaisons", "--roles", "designer")
    sanfu("deploy", PROCESSES / "demo_visit.bpmn", "--forms", FORMS, "--as", "alice")
    with clock.frozen_at(clock.parse_moment("2026-03-06T15:00:00")):            # a Friday
        sanfu("start", "demo_visit", "--as", "alice")
        out = sanfu("tasks", "--as", "alice")[1]
    assert "剩 " in out and "个工作日" in out and "【" not in out
    due = json.loads(sanfu("tasks", "--as", "alice", "--json")[1])[0]["due_at"]
    with clock.frozen_at(clock.parse_moment(due) - timedelta(hours=3)):
        assert "【预警】剩 3 小时 0 分" in sanfu("tasks", "--as", "alice")[1]
    with clock.frozen_at(clock.parse_moment(due) + timedelta(hours=2)):
        assert "【超期 2 小时 0 分】" in sanfu("tasks", "--as", "alice")[1]


def test_an_overlong_display_name_is_refused_by_name(sanfu):
    """The command line refuses a value its column cannot hold by the field's Chinese name (exit 1,
    nothing created), on the same check as the pages and the API (engine.store.limits)."""
    code, _, err = sanfu("user", "add", "alice", "--display-name", "张" * 129)
    assert code == 1 and "姓名不能超过 128 字，未保存" in err
    code, _, err = sanfu("group", "add", "water", "--display-name", "水" * 129)
    assert code == 1 and "组名称不能超过 128 字" in err
    assert sanfu("user", "add", "alice", "--display-name", "张" * 128)[0] == 0   # nothing was half-made before
    assert sanfu("group", "add", "water", "--display-name", "水环境科")[0] == 0
