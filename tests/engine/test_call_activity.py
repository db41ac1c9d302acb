"""A call activity binds to the latest deployed version of the called process when it is
reached (as Camunda does), and the audit trail records which version."""
import json

from sqlalchemy import inspect

from engine.store.migrate import alembic_config
from engine.store.tables import Base, Instance
from tests.helpers.models import chain, process, user_task, write


def child(name):
    return process("child", chain(user_task("child_task", name)))


def parent():
    return process("parent", chain(user_task("prepare", "准备"),
                                   '<bpmn:callActivity id="call_child" name="调用子流程" calledElement="child"/>',
                                   user_task("finish", "收尾")))


def test_call_activity_binds_latest_version_when_reached(people, tmp_path):
    people.deploy([write(tmp_path, "child.bpmn", child("子任务 v1"))], "designer")
    people.deploy([write(tmp_path, "parent.bpmn", parent())], "designer")
    instance = people.start("parent", "liaison1")["id"]
    people.deploy([write(tmp_path, "child.bpmn", child("子任务 v2"))], "designer")  # before it is reached

    prepare = people.tasks("liaison1")[0]
    people.complete(prepare["id"], "liaison1", {"x": 1})
    sub = people.tasks("liaison1")[0]
    assert sub["name"] == "子任务 v2" and sub["instance_id"] == instance

    people.deploy([write(tmp_path, "child.bpmn", child("子任务 v3"))], "designer")  # after: no effect
    assert people.tasks("liaison1")[0]["name"] == "子任务 v2"
    people.complete(sub["id"], "liaison1", {"y": 2})
    finish = people.tasks("liaison1")[0]
    assert finish["element_id"] == "finish"
    people.complete(finish["id"], "liaison1")
    shown = people.show(instance)
    assert shown["status"] == "completed"
    bound = [e for e in shown["history"] if e["action"] == "call_activity_bound"]
    assert [(e["detail"]["process_key"], e["detail"]["version"]) for e in bound] == [("child", 2)]


def test_instance_state_holds_no_spec(people, tmp_path):
    people.deploy([write(tmp_path, "parent.bpmn", parent()), write(tmp_path, "child.bpmn", child("c"))],
                  "designer")
    instance_id = people.start("parent", "liaison1")["id"]
    with people.uow() as uow:
        state = json.loads(uow.session.get(Instance, instance_id).state)
    assert "spec" not in state and "subprocess_specs" not in state
    assert set(state) >= {"tasks", "root", "data"}


def test_migrations_create_exactly_the_models(db_engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    with db_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    assert set(inspect(db_engine).get_table_names()) >= {"instances", "human_tasks", "timers", "audit_events"}
    assert alembic_config(db_engine).get_main_option("script_location").endswith("migrations")


def test_a_call_inside_an_embedded_subprocess_reaches_a_process_deployed_apart(people, tmp_path):
    """The called process is deployed on its own, before: a call activity inside an embedded
    subprocess is bound when reached, as one at the top level is (it used to refuse the deploy:
    "The process 'child' was not found")."""
    people.deploy([write(tmp_path, "child.bpmn", child("子任务"))], "designer")
    nested = process("nested", chain(
        '<bpmn:subProcess id="handle" name="处理"><bpmn:startEvent id="h_start"/>'
        '<bpmn:callActivity id="call_child" name="调用子流程" calledElement="child"/><bpmn:endEvent id="h_end"/>'
        '<bpmn:sequenceFlow id="h1" sourceRef="h_start" targetRef="call_child"/>'
        '<bpmn:sequenceFlow id="h2" sourceRef="call_child" targetRef="h_end"/></bpmn:subProcess>'))
    people.deploy([write(tmp_path, "nested.bpmn", nested)], "designer")
    instance = people.start("nested", "liaison1")["id"]
    [sub] = people.tasks("liaison1")
    assert sub["name"] == "子任务" and sub["instance_id"] == instance
    people.complete(sub["id"], "liaison1", {"y": 2})
    shown = people.show(instance)
    assert shown["status"] == "completed" and shown["data"]["y"] == 2
