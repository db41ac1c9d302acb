"""Small BPMN models for tests, written inline so each test shows what it runs."""
from __future__ import annotations

from pathlib import Path

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    id="Defs_{key}" targetNamespace="http://sanfu.local/test">
"""


def process(key: str, body: str, executable: bool = True, name: str = "") -> str:
    flag = "true" if executable else "false"
    return (HEADER.format(key=key) + f'<bpmn:process id="{key}" name="{name or key}" isExecutable="{flag}">\n'
            + body + "\n</bpmn:process>\n</bpmn:definitions>\n")


def chain(*elements: str, start: str = "start", end: str = "end") -> str:
    """start → elements (each an element XML whose id is the first id="...") → end."""
    ids = [start] + [_id(e) for e in elements] + [end]
    flows = "".join(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>\n'
                    for i, (a, b) in enumerate(zip(ids, ids[1:])))
    return (f'<bpmn:startEvent id="{start}"/>\n' + "\n".join(elements)
            + f'\n<bpmn:endEvent id="{end}"/>\n' + flows)


def _id(element: str) -> str:
    return element.split('id="', 1)[1].split('"', 1)[0]


def user_task(task_id: str, name: str = "", **attrs: str) -> str:
    extra = " ".join(f'camunda:{k}="{v}"' for k, v in attrs.items())
    return f'<bpmn:userTask id="{task_id}" name="{name or task_id}" {extra}/>'


def write(tmp_path: Path, file_name: str, xml: str) -> Path:
    path = tmp_path / file_name
    path.write_text(xml, encoding="utf-8")
    return path


def parallel_two_tasks(key: str = "parallel") -> str:
    body = """
<bpmn:startEvent id="start"/>
<bpmn:parallelGateway id="split"/>
<bpmn:userTask id="task_a" name="A"/>
<bpmn:userTask id="task_b" name="B"/>
<bpmn:parallelGateway id="join"/>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="split"/>
<bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="task_a"/>
<bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="task_b"/>
<bpmn:sequenceFlow id="f4" sourceRef="task_a" targetRef="join"/>
<bpmn:sequenceFlow id="f5" sourceRef="task_b" targetRef="join"/>
<bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="end"/>
"""
    return process(key, body)


# A user task whose candidate group has no members: it waits in the admin's unrouted queue.
GHOST_MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
<bpmn:process id="ghostly" isExecutable="true"><bpmn:startEvent id="s"/>
<bpmn:userTask id="t" name="无人认领的步骤" camunda:candidateGroups="ghosts"/><bpmn:endEvent id="e"/>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
</bpmn:process></bpmn:definitions>"""
