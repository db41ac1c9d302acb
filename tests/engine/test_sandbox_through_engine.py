"""Escapes tried through the engine itself: a script task, a gateway condition and a timer
expression each carry a payload. Each is refused at deploy or fails at run time with a clear
error; the marker file the payload tries to create never appears."""
import pytest

from engine.errors import DefinitionError, ScriptError
from tests.helpers.models import process, write

PAYLOADS = [
    "__import__('os').system('touch {m}')",
    "().__class__.__base__.__subclasses__()",
    "open('{m}', 'w')",
    "getattr(x, '__class__')",
    "'{{0.__class__}}'.format(x)",
    "[c for c in ().__class__.__bases__[0].__subclasses__()]",
    "(y for y in []).gi_frame.f_globals",
    "10**10**9",
    "eval(\"open('{m}', 'w')\")",
]


def script_model(payload):
    return process("p", f"""<bpmn:startEvent id="s"/>
<bpmn:scriptTask id="evil" scriptFormat="python"><bpmn:script>x = 1
y = {payload}</bpmn:script></bpmn:scriptTask><bpmn:endEvent id="e"/>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="evil"/><bpmn:sequenceFlow id="f2" sourceRef="evil" targetRef="e"/>""")


def gateway_model(payload):
    return process("p", f"""<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="gw" default="f_no"/>
<bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>
<bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="gw"/>
<bpmn:sequenceFlow id="f_yes" sourceRef="gw" targetRef="e1"><bpmn:conditionExpression>{payload}</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f_no" sourceRef="gw" targetRef="e2"/>""")


def timer_model(payload):
    return process("p", f"""<bpmn:startEvent id="s"/>
<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>{payload}</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:endEvent id="e"/>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wait"/><bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="e"/>""")


@pytest.mark.parametrize("build", [script_model, gateway_model, timer_model], ids=["script", "gateway", "timer"])
@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_is_refused_or_fails_and_never_runs(people, tmp_path, build, payload):
    marker = tmp_path / "pwned"
    xml = build(payload.format(m=marker).replace("&", "&amp;").replace("<", "&lt;"))
    path = write(tmp_path, "evil.bpmn", xml)
    try:
        people.deploy([path], "designer")
    except DefinitionError as err:
        assert "evil.bpmn" in str(err) and ("element '" in str(err))
    else:
        with pytest.raises(ScriptError):
            people.start("p", "liaison1", {"x": 1})
    assert not marker.exists()
