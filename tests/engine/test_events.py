"""Messages and signals: from outside to instances, and between instances."""
import pytest

from engine.errors import NotFound
from tests.helpers.models import HEADER, write


def model(key: str, body: str, extra: str = "") -> str:
    return (HEADER.format(key=key) + extra + f'<bpmn:process id="{key}" isExecutable="true">\n' + body
            + "\n</bpmn:process>\n</bpmn:definitions>\n")


WAIT_FOR_PERMIT = model("wait_permit", """
<bpmn:startEvent id="s"/>
<bpmn:intermediateCatchEvent id="permit" name="等待许可"><bpmn:messageEventDefinition messageRef="m_permit"/></bpmn:intermediateCatchEvent>
<bpmn:userTask id="proceed" name="继续办理"/><bpmn:endEvent id="e"/>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="permit"/><bpmn:sequenceFlow id="f2" sourceRef="permit" targetRef="proceed"/>
<bpmn:sequenceFlow id="f3" sourceRef="proceed" targetRef="e"/>""", '<bpmn:message id="m_permit" name="permit_granted"/>\n')

WAIT_FOR_ALERT = model("wait_alert", """
<bpmn:startEvent id="s"/>
<bpmn:intermediateCatchEvent id="alert"><bpmn:signalEventDefinition signalRef="sig"/></bpmn:intermediateCatchEvent>
<bpmn:userTask id="respond" name="应急响应"/><bpmn:endEvent id="e"/>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="alert"/><bpmn:sequenceFlow id="f2" sourceRef="alert" targetRef="respond"/>
<bpmn:sequenceFlow id="f3" sourceRef="respond" targetRef="e"/>""", '<bpmn:signal id="sig" name="pollution_alert"/>\n')

RAISE_ALERT = model("raise_alert", """
<bpmn:startEvent id="s"/><bpmn:userTask id="report" name="上报污染"/>
<bpmn:intermediateThrowEvent id="throw"><bpmn:signalEventDefinition signalRef="sig"/></bpmn:intermediateThrowEvent>
<bpmn:endEvent id="e"/>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="report"/><bpmn:sequenceFlow id="f2" sourceRef="report" targetRef="throw"/>
<bpmn:sequenceFlow id="f3" sourceRef="throw" targetRef="e"/>""", '<bpmn:signal id="sig" name="pollution_alert"/>\n')


def names(engine, user):
    return sorted((t["instance_id"], t["name"]) for t in engine.tasks(user))


def test_a_message_reaches_the_named_instance_only(people, tmp_path):
    people.deploy([write(tmp_path, "m.bpmn", WAIT_FOR_PERMIT)], "designer")
    first = people.start("wait_permit", "liaison1")["id"]
    second = people.start("wait_permit", "liaison1")["id"]
    assert people.tasks("liaison1") == []
    result = people.send_message("permit_granted", "admin", {"permit_no": "H-1"}, instance_id=second)
    assert result["instances"] == [second]
    assert names(people, "liaison1") == [(second, "继续办理")]
    people.send_message("permit_granted", "admin")  # no instance named: the oldest waiting one
    assert names(people, "liaison1") == [(first, "继续办理"), (second, "继续办理")]
    with pytest.raises(NotFound, match="permit_granted"):
        people.send_message("permit_granted", "admin")
    received = [e for e in people.show(second)["history"] if e["action"] == "message_received"]
    assert received[0]["actor"] == "admin" and received[0]["detail"]["payload"] == {"permit_no": "H-1"}


def test_a_signal_reaches_every_waiting_instance_and_can_be_thrown_by_another(people, tmp_path):
    people.deploy([write(tmp_path, "a.bpmn", WAIT_FOR_ALERT), write(tmp_path, "r.bpmn", RAISE_ALERT)],
                  "designer")
    waiting = [people.start("wait_alert", "water1")["id"] for _ in range(3)]
    assert people.broadcast_signal("no_such_signal", "admin")["instances"] == []
    reporter = people.start("raise_alert", "liaison1")["id"]
    people.complete(people.tasks("liaison1")[0]["id"], "liaison1")  # throws the signal
    assert people.show(reporter)["status"] == "completed"
    assert names(people, "water1") == [(i, "应急响应") for i in waiting]
    assert people.broadcast_signal("pollution_alert", "admin")["instances"] == []  # nobody waits now
