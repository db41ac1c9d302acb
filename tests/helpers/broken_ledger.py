"""The shipped ledger_matter.bpmn with four mistakes a designer makes, for the tests of 校验
listing every error: two broken conditions, a due date that is not ISO 8601, and a call
activity to a process that does not exist. Listed as (element id, what the message names),
in document order."""
from tests.helpers.paths import PROCESSES

EXPECTED = [
    ("rectify", "十五天"),            # line 92: camunda:dueDate="十五天"
    ("hand_over", "no_such_process"),  # line 108: callActivity calledElement="no_such_process"
    ("flow_closed", "${decision ==}"),  # line 186: JUEL syntax error
    ("flow_rework", "__class__"),      # line 192: a sandbox escape written as JUEL
]


def broken_ledger_matter(only: tuple[str, ...] | None = None) -> str:
    """The XML with the mistakes of EXPECTED (or only those whose element ids are given)."""
    wanted = set(only or [element for element, _ in EXPECTED])
    xml = (PROCESSES / "ledger_matter.bpmn").read_text(encoding="utf-8")
    if "flow_closed" in wanted:
        xml = _once(xml, '${decision == "销号"}', "${decision ==}")
    if "flow_rework" in wanted:
        xml = _once(xml, '${decision == "退回"}', "${().__class__.__base__}")
    if "rectify" in wanted:
        xml = _once(xml, 'camunda:formKey="matter_rectification" camunda:dueDate="P15D"',
                    'camunda:formKey="matter_rectification" camunda:dueDate="十五天"')
    if "hand_over" in wanted:
        start = '<bpmn:userTask id="hand_over" name="交办其他部门" camunda:formKey="matter_handover" camunda:dueDate="P3D">'
        xml = _once(xml, start, '<bpmn:callActivity id="hand_over" name="交办其他部门" calledElement="no_such_process">')
        at = xml.index('<bpmn:callActivity id="hand_over"')
        end = xml.index("</bpmn:userTask>", at)
        xml = xml[:end] + "</bpmn:callActivity>" + xml[end + len("</bpmn:userTask>"):]
    return xml


def _once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"ledger_matter.bpmn changed: {old!r} is not there once"
    return text.replace(old, new)
