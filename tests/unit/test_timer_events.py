"""Timer events: text normalisation/validation, Quartz crons, and timers firing on the
engine clock inside real SpiffWorkflow workflows (with state round-tripped through JSON)."""
from __future__ import annotations

import ast
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings, strategies as st
from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine.clock import SHANGHAI, frozen_at
from engine.errors import ScriptError
from engine.sandbox.script_engine import SandboxScriptEngine
from engine.timers.cron import parse_quartz
from engine.timers.event_definitions import (
    ENGINE_TIMER_CLASSES,
    TIMER_PARSER_OVERRIDES,
    normalize_timer_text,
    resolve_date,
    resolve_duration,
    timer_due,
    validate_timer,
    waiting_timers,
)

UTC = UTC
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
KIND_OF_TAG = {"timeDate": "date", "timeDuration": "duration", "timeCycle": "cycle"}
# Spiff's default serializer embeds the spec (sanfu's state serializer does not): it must
# know the engine's timer event classes to write them.
SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(
    {**SPIFF_CONFIG, **dict.fromkeys(ENGINE_TIMER_CLASSES, TimerConditionalEventDefinitionConverter)}))


class P(SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {**SpiffBpmnParser.OVERRIDE_PARSER_CLASSES, **TIMER_PARSER_OVERRIDES}


def script_engine():
    return SandboxScriptEngine()


# --- BPMN building blocks -----------------------------------------------------------

def flow(source, target):
    return f'<bpmn:sequenceFlow id="{source}_{target}" sourceRef="{source}" targetRef="{target}"/>'


def timer(tag, text):
    return (f"<bpmn:timerEventDefinition><bpmn:{tag}>{text}</bpmn:{tag}>"
            "</bpmn:timerEventDefinition>")


def script(task_id, code):
    return (f'<bpmn:scriptTask id="{task_id}" scriptFormat="python">'
            f"<bpmn:script>{code}</bpmn:script></bpmn:scriptTask>")


def load(body, normalize=True):
    """Parse a one-process model the way deploy does: normalise timer texts, then parse."""
    xml = (f'<bpmn:definitions xmlns:bpmn="{BPMN}" id="d" targetNamespace="t">'
           f'<bpmn:process id="p" isExecutable="true">{body}</bpmn:process></bpmn:definitions>')
    root = etree.fromstring(xml.encode())
    if normalize:
        for tag, kind in KIND_OF_TAG.items():
            for element in root.iter(f"{{{BPMN}}}{tag}"):
                element.text = normalize_timer_text(kind, element.text)
    parser = P()
    parser.add_bpmn_xml(root, filename="t.bpmn")
    return BpmnWorkflow(parser.get_spec("p"), parser.get_subprocess_specs("p"),
                        script_engine=script_engine())


def start(body, at, data=None, normalize=True):
    with frozen_at(at):
        workflow = load(body, normalize)
        if data:
            workflow.task_tree.data.update(data)
        workflow.do_engine_steps()
    return workflow


def step(workflow, at):
    """Serialize/deserialize (as the engine stores state between wake-ups), then refresh."""
    workflow = SERIALIZER.deserialize_json(SERIALIZER.serialize_json(workflow))
    workflow.script_engine = script_engine()
    with frozen_at(at):
        workflow.refresh_timers()
        workflow.do_engine_steps()
    return workflow


def states(workflow, name):
    return [TaskState.get_name(t.state) for t in workflow.get_tasks() if t.task_spec.name == name]


def completed(workflow, name):
    return states(workflow, name).count("COMPLETED")


def dues(workflow):
    return [(task.task_spec.name, due) for task, due in waiting_timers(workflow)]


T0 = datetime(2025, 3, 3, 0, 0, tzinfo=UTC)  # Monday 08:00 in Shanghai

INTERMEDIATE = ('<bpmn:startEvent id="s"/>' + flow("s", "t")
                + '<bpmn:intermediateCatchEvent id="t">{timer}</bpmn:intermediateCatchEvent>'
                + flow("t", "after") + script("after", "done = True") + flow("after", "e")
                + '<bpmn:endEvent id="e"/>')


def intermediate(tag, text):
    return INTERMEDIATE.format(timer=timer(tag, text))


def boundary(tag, text, interrupting):
    cancel = str(interrupting).lower()
    return ('<bpmn:startEvent id="s"/>' + flow("s", "u") + '<bpmn:userTask id="u"/>'
            + flow("u", "e") + '<bpmn:endEvent id="e"/>'
            + f'<bpmn:boundaryEvent id="b" attachedToRef="u" cancelActivity="{cancel}">'
            + timer(tag, text) + "</bpmn:boundaryEvent>"
            + flow("b", "n") + script("n", "nudged = True") + flow("n", "e2")
            + '<bpmn:endEvent id="e2"/>')


# --- normalize_timer_text -----------------------------------------------------------

@pytest.mark.parametrize("kind, text", [
    ("duration", "PT72H"), ("duration", "P3D"), ("duration", "PT5M"), ("duration", "P1M"),
    ("duration", "P1Y2M3DT4H"), ("date", "2025-03-01T10:00:00"),
    ("date", "2025-03-01T10:00:00+08:00"), ("date", "2025-03-01T02:00:00Z"),
    ("cycle", "R3/PT10H"), ("cycle", "R/P1M"), ("cycle", "R5/2025-01-01T00:00:00Z/PT1H"),
])
def test_unquoted_iso_becomes_a_string_literal(kind, text):
    assert normalize_timer_text(kind, f"  {text}\n") == repr(text)
    validate_timer(kind, text)


@pytest.mark.parametrize("text", ["0/5 0/1 * 1/1 * ?", "0 0 9 ? * MON-FRI", "0 0 12 * * ?",
                                  "0 0 12 * * ? 2099"])
def test_quartz_cron_becomes_a_marked_string_literal(text):
    assert normalize_timer_text("cycle", text) == repr("cron:" + text)
    validate_timer("cycle", text)


def test_cron_whitespace_is_collapsed():
    assert normalize_timer_text("cycle", " 0  0 9\t? * MON-FRI ") == "'cron:0 0 9 ? * MON-FRI'"


@pytest.mark.parametrize("kind, text", [
    ("duration", '"PT1H"'), ("date", "'2025-01-01T09:00:00'"), ("duration", "due_time"),
    ("duration", '"PT" + str(hours) + "H"'), ("date", "deadline.isoformat()"),
    ("cycle", "'R3/PT10H'"), ("cycle", "cycle_text"),
])
def test_quoted_strings_and_expressions_are_left_alone(kind, text):
    assert normalize_timer_text(kind, text) == text


@pytest.mark.parametrize("kind, text", [
    ("duration", "PT72H"), ("cycle", "0 0 9 ? * MON-FRI"), ("duration", "PT"), ("cycle", "R3/"),
    ("cycle", "0 0 12 *"), ("duration", "due_time"),
])
def test_normalize_is_idempotent(kind, text):
    once = normalize_timer_text(kind, text)
    assert normalize_timer_text(kind, once) == once


@pytest.mark.parametrize("kind, text, expected", [
    ("duration", "PT", "'PT'"), ("cycle", "R3/", "'R3/'"),
    ("cycle", "0 0 12 *", "'cron:0 0 12 *'"), ("cycle", "0 0 12 * 13 ?", "'cron:0 0 12 * 13 ?'"),
])
def test_malformed_literals_are_quoted_so_validation_can_explain(kind, text, expected):
    assert normalize_timer_text(kind, text) == expected


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        normalize_timer_text("time", "PT1H")


# --- validate_timer -------------------------------------------------------------------

@pytest.mark.parametrize("kind, text, fragment", [
    ("duration", "R3/PT10H", "timeCycle"),
    ("duration", "PT", "'PT'"),
    ("duration", "P", "'P'"),
    ("duration", '"P1DT"', "P1DT"),
    ("cycle", "R3/", "R3/"),
    ("cycle", "R0/PT1H", "R0"),
    ("cycle", "PT10H", "timeDuration"),
    ("cycle", "0 0 12 *", "got 4"),
    ("cycle", "0 0 12 * 13 ?", "13"),
    ("cycle", "0 0 12 15W * ?", "15W"),
    ("cycle", "0 0 12 LW * ?", "LW"),
    ("cycle", "0 0 12 L-3 * ?", "L-3"),
    ("cycle", "0 0 12 1 * MON", "'?'"),
    ("cycle", "0 0 12 1 1 ? 2020", "never fires"),
    ("date", "2025-13-01T00:00:00", "2025-13-01"),
    ("date", "PT1H", "timeDuration"),
    ("duration", "0 0 9 ? * MON-FRI", "timeCycle"),
    ("duration", "   ", "empty"),
])
def test_invalid_literal_timers_are_refused_with_a_bilingual_reason(kind, text, fragment):
    with pytest.raises(ScriptError) as caught:
        validate_timer(kind, text)
    message = str(caught.value)
    assert fragment in message
    assert re.search(r"[\u4e00-\u9fff]", message) and " / " in message


def test_non_literal_expressions_are_left_to_the_sandbox():
    validate_timer("duration", '"PT" + str(hours) + "H"')
    validate_timer("date", "due_time")


def test_parser_refuses_invalid_literals_too():
    with pytest.raises(ValidationException, match="Time Specification Error"):
        load(intermediate("timeDuration", "PT"))


# --- values produced by expressions -------------------------------------------------------

def test_values_from_expressions():
    assert resolve_date(datetime(2025, 3, 5, 10, 0)) == datetime(2025, 3, 5, 2, 0, tzinfo=UTC)
    assert resolve_duration(timedelta(hours=1), T0) == T0 + timedelta(hours=1)
    # months follow the Shanghai calendar: 3 March 08:00 local + P1M = 3 April 08:00 local
    assert resolve_duration("P1M", T0) == datetime(2025, 4, 3, 0, 0, tzinfo=UTC)
    with pytest.raises(ScriptError, match="must be a string"):
        resolve_date(20250305)


# --- Quartz → APScheduler -------------------------------------------------------------

@pytest.mark.parametrize("expression, fields", [
    ("0/5 0/1 * 1/1 * ?", {"second": "0,5,10,15,20,25,30,35,40,45,50,55", "minute": "0-59",
                           "hour": "*", "day": "1-31", "month": "*", "day_of_week": "*"}),
    ("0 0 9 ? * MON-FRI", {"day": "*", "day_of_week": "mon,tue,wed,thu,fri"}),
    ("0 0 9 ? * 2-6", {"day_of_week": "mon,tue,wed,thu,fri"}),
    ("0 0 9 ? * 1,7", {"day_of_week": "sun,sat"}),
    ("0 0 9 ? * L", {"day_of_week": "sat"}),
    ("0 0 9 ? * FRI-MON", {"day_of_week": "sun,mon,fri,sat"}),
    ("0 0 12 ? * 6L", {"day": "last fri", "day_of_week": "*"}),
    ("0 0 12 ? * 6#3", {"day": "3rd fri", "day_of_week": "*"}),
    ("0 0 12 L * ?", {"day": "last"}),
    ("0 0 22-2 * * ?", {"hour": "0-2,22-23"}),
    ("0 15/20 * * JAN-MAR/2 ? 2030", {"minute": "15,35,55", "month": "1,3", "year": "2030"}),
])
def test_quartz_fields_convert_to_cron_trigger_fields(expression, fields):
    converted = parse_quartz(expression).fields
    assert {key: converted[key] for key in fields} == fields


@pytest.mark.parametrize("expression, after, expected", [
    # Friday 2025-03-07 08:00 Shanghai → 09:00 Shanghai (01:00 UTC), then Monday
    ("0 0 9 ? * MON-FRI", datetime(2025, 3, 7, 0, 0, tzinfo=UTC),
     [datetime(2025, 3, 7, 1, 0, tzinfo=UTC), datetime(2025, 3, 10, 1, 0, tzinfo=UTC)]),
    ("0 0 12 * * ?", datetime(2025, 3, 7, 4, 0, tzinfo=UTC),
     [datetime(2025, 3, 8, 4, 0, tzinfo=UTC), datetime(2025, 3, 9, 4, 0, tzinfo=UTC)]),
    ("0/5 0/1 * 1/1 * ?", datetime(2025, 3, 7, 0, 0, 3, tzinfo=UTC),
     [datetime(2025, 3, 7, 0, 0, 5, tzinfo=UTC), datetime(2025, 3, 7, 0, 0, 10, tzinfo=UTC)]),
    ("0 0 12 ? * 6#3", datetime(2025, 3, 1, tzinfo=UTC),
     [datetime(2025, 3, 21, 4, tzinfo=UTC), datetime(2025, 4, 18, 4, tzinfo=UTC)]),
    ("0 0 0 1 1 ? 2026-2027", datetime(2025, 3, 1, tzinfo=UTC),
     [datetime(2025, 12, 31, 16, tzinfo=UTC), datetime(2026, 12, 31, 16, tzinfo=UTC), None]),
])
def test_quartz_fire_times_are_shanghai_wall_clock(expression, after, expected):
    cron, fires, moment = parse_quartz(expression), [], after
    for _ in expected:
        moment = cron.next_after(moment)
        fires.append(moment)
        if moment is None:
            break
    assert fires == expected


# --- timers in running workflows ----------------------------------------------------------

def test_intermediate_unquoted_duration_fires_when_due():
    workflow = start(intermediate("timeDuration", "PT72H"), T0)
    due = T0 + timedelta(hours=72)
    assert dues(workflow) == [("t", due)]
    workflow = step(workflow, due - timedelta(seconds=1))
    assert states(workflow, "t") == ["WAITING"] and not workflow.completed
    workflow = step(workflow, due)
    assert workflow.completed and workflow.last_task.data["done"] is True


def test_parser_normalizes_raw_camunda_text_itself():
    workflow = start(intermediate("timeDuration", "PT72H"), T0, normalize=False)
    assert dues(workflow) == [("t", T0 + timedelta(hours=72))]


def test_spiff_style_quoted_duration():
    workflow = start(intermediate("timeDuration", '"PT1H"'), T0)
    assert dues(workflow) == [("t", T0 + timedelta(hours=1))]
    assert step(step(workflow, T0 + timedelta(minutes=59)), T0 + timedelta(hours=1)).completed


@pytest.mark.parametrize("text, due", [
    ("2025-03-05T10:00:00", datetime(2025, 3, 5, 2, 0, tzinfo=UTC)),  # naive = Shanghai
    ("2025-03-05T10:00:00+08:00", datetime(2025, 3, 5, 2, 0, tzinfo=UTC)),
    ("2025-03-05T02:00:00Z", datetime(2025, 3, 5, 2, 0, tzinfo=UTC)),
    ("'2025-03-05T10:00:00'", datetime(2025, 3, 5, 2, 0, tzinfo=UTC)),
])
def test_time_date_fires_at_the_moment_named(text, due):
    workflow = start(intermediate("timeDate", text), T0)
    assert dues(workflow) == [("t", due)]
    assert not step(workflow, due - timedelta(seconds=1)).completed
    assert step(workflow, due).completed


def test_expressions_over_task_data():
    body = intermediate("timeDuration", '"PT" + str(hours) + "H"')
    workflow = start(body, T0, data={"hours": 5})
    assert dues(workflow) == [("t", T0 + timedelta(hours=5))]
    workflow = start(intermediate("timeDate", "due_time"), T0, data={"due_time": "2025-03-04"})
    assert dues(workflow) == [("t", datetime(2025, 3, 3, 16, 0, tzinfo=UTC))]


def test_interrupting_boundary_duration_cancels_the_user_task():
    workflow = start(boundary("timeDuration", "P3D", interrupting=True), T0)
    due = T0 + timedelta(days=3)
    assert dues(workflow) == [("b", due)]
    workflow = step(workflow, due - timedelta(minutes=1))
    assert states(workflow, "u") == ["READY"]
    workflow = step(workflow, due)
    assert states(workflow, "u") == ["CANCELLED"] and completed(workflow, "n") == 1
    assert workflow.completed


def test_completing_the_task_first_cancels_the_boundary_timer():
    workflow = start(boundary("timeDuration", "P3D", interrupting=True), T0)
    with frozen_at(T0 + timedelta(days=1)):
        workflow.get_next_task(state=TaskState.READY, spec_name="u").run()
        workflow.do_engine_steps()
    assert workflow.completed and dues(workflow) == [] and completed(workflow, "n") == 0


def test_non_interrupting_boundary_cycle_fires_exactly_three_times():
    workflow = start(boundary("timeCycle", "R3/PT10H", interrupting=False), T0)
    expected_dues = [T0 + timedelta(hours=10 * k) for k in (1, 2, 3)]
    for k, due in enumerate(expected_dues):
        assert dues(workflow) == [("b", due)]
        workflow = step(workflow, due - timedelta(seconds=1))
        assert completed(workflow, "n") == k
        workflow = step(workflow, due)
        assert completed(workflow, "n") == k + 1
    for hours in (40, 50, 100):
        workflow = step(workflow, T0 + timedelta(hours=hours))
    assert completed(workflow, "n") == 3 and dues(workflow) == []
    assert states(workflow, "u") == ["READY"]


CRON_START = ('<bpmn:startEvent id="s">{timer}</bpmn:startEvent>'.format(
    timer=timer("timeCycle", "0 0 9 ? * MON-FRI"))
    + flow("s", "work") + script("work", "ran = True") + flow("work", "e")
    + '<bpmn:endEvent id="e"/>')


def test_cron_start_event_fires_on_weekday_mornings_shanghai_time():
    friday = datetime(2025, 3, 7, 0, 0, tzinfo=UTC)  # Friday 08:00 Shanghai
    workflow = start(CRON_START, friday)
    nine_am = datetime(2025, 3, 7, 1, 0, tzinfo=UTC)
    assert dues(workflow) == [("s", nine_am)]
    assert nine_am.astimezone(SHANGHAI).hour == 9
    workflow = step(workflow, nine_am - timedelta(seconds=1))
    assert completed(workflow, "work") == 0
    workflow = step(workflow, nine_am)
    assert completed(workflow, "work") == 1
    monday = datetime(2025, 3, 10, 1, 0, tzinfo=UTC)
    assert dues(workflow) == [("s", monday)]
    workflow = step(workflow, datetime(2025, 3, 8, 1, 0, tzinfo=UTC))  # Saturday: nothing
    assert completed(workflow, "work") == 1
    workflow = step(workflow, monday)
    assert completed(workflow, "work") == 2
    assert dues(workflow) == [("s", monday + timedelta(days=1))]


def test_cron_missed_firings_collapse_into_one():
    workflow = start(CRON_START, datetime(2025, 3, 7, 0, 0, tzinfo=UTC))
    workflow = step(workflow, datetime(2025, 3, 13, 3, 0, tzinfo=UTC))  # down for 6 days
    assert completed(workflow, "work") == 1
    assert dues(workflow) == [("s", datetime(2025, 3, 14, 1, 0, tzinfo=UTC))]


def test_unbounded_iso_cycle_skips_missed_firings():
    workflow = start(boundary("timeCycle", "R/PT1H", interrupting=False), T0)
    workflow = step(workflow, T0 + timedelta(hours=5, minutes=30))
    assert completed(workflow, "n") == 1
    assert dues(workflow) == [("b", T0 + timedelta(hours=6))]


def test_cycle_with_explicit_start():
    workflow = start(boundary("timeCycle", "R2/2025-03-04T09:00:00/P1D", interrupting=False), T0)
    first = datetime(2025, 3, 4, 1, 0, tzinfo=UTC)
    assert dues(workflow) == [("b", first)]
    workflow = step(step(workflow, first), first + timedelta(days=1))
    assert completed(workflow, "n") == 2


def test_timer_due_computes_missing_event_value_consistently():
    workflow = start(intermediate("timeDuration", "PT2H"), T0)
    task = workflow.get_next_task(state=TaskState.WAITING, spec_name="t")
    task.internal_data.pop("event_value")
    later = T0 + timedelta(hours=1)
    with frozen_at(later):
        assert timer_due(task) == later + timedelta(hours=2)
    assert not step(workflow, later + timedelta(hours=1)).completed
    assert step(workflow, later + timedelta(hours=2)).completed


def test_internal_data_is_plain_json():
    workflow = start(boundary("timeCycle", "R3/PT10H", interrupting=False), T0)
    workflow = step(workflow, T0 + timedelta(hours=10))
    task = workflow.get_next_task(state=TaskState.WAITING, spec_name="b")
    assert json.loads(json.dumps(task.internal_data)) == task.internal_data
    assert task.internal_data["event_value"]["cycles"] == 2


def test_timers_inside_subprocesses_are_reported():
    inner = intermediate("timeDuration", "PT30M").replace('id="', 'id="i_').replace(
        'Ref="', 'Ref="i_')
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "sub") + f'<bpmn:subProcess id="sub">{inner}'
            "</bpmn:subProcess>" + flow("sub", "e") + '<bpmn:endEvent id="e"/>')
    workflow = start(body, T0)
    assert dues(workflow) == [("i_t", T0 + timedelta(minutes=30))]
    assert step(workflow, T0 + timedelta(minutes=30)).completed


def test_timers_inside_call_activities_are_reported():
    called = intermediate("timeDuration", "PT2H").replace('id="', 'id="q_').replace(
        'Ref="', 'Ref="q_')
    xml = (f'<bpmn:definitions xmlns:bpmn="{BPMN}" id="d" targetNamespace="t">'
           '<bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s"/>' + flow("s", "c")
           + '<bpmn:callActivity id="c" calledElement="q"/>' + flow("c", "e")
           + '<bpmn:endEvent id="e"/></bpmn:process>'
           f'<bpmn:process id="q" isExecutable="true">{called}</bpmn:process></bpmn:definitions>')
    parser = P()
    parser.add_bpmn_xml(etree.fromstring(xml.encode()), filename="t.bpmn")
    with frozen_at(T0):
        workflow = BpmnWorkflow(parser.get_spec("p"), parser.get_subprocess_specs("p"),
                                script_engine=script_engine())
        workflow.do_engine_steps()
    assert dues(workflow) == [("q_t", T0 + timedelta(hours=2))]
    assert step(workflow, T0 + timedelta(hours=2)).completed


def test_spiff_waiting_events_show_the_due_moment():
    workflow = start(intermediate("timeDuration", "PT2H"), T0)
    [pending] = workflow.waiting_events()
    assert datetime.fromisoformat(pending.value) == T0 + timedelta(hours=2)


def test_cron_year_field_ends_the_cycle():
    body = CRON_START.replace("0 0 9 ? * MON-FRI", "0 0 9 * * ? 2025")
    workflow = start(body, datetime(2025, 12, 30, 0, 0, tzinfo=UTC))
    for day in (30, 31):
        due = datetime(2025, 12, day, 1, 0, tzinfo=UTC)
        assert dues(workflow) == [("s", due)]
        workflow = step(workflow, due)
    workflow = step(workflow, datetime(2026, 1, 1, 1, 0, tzinfo=UTC))
    assert completed(workflow, "work") == 2 and dues(workflow) == []


def test_event_based_gateway_timer_is_reported_and_fires():
    body = ('<bpmn:startEvent id="s"/>' + flow("s", "g") + '<bpmn:eventBasedGateway id="g"/>'
            + flow("g", "t") + '<bpmn:intermediateCatchEvent id="t">'
            + timer("timeDuration", "PT1H") + "</bpmn:intermediateCatchEvent>"
            + flow("t", "e") + '<bpmn:endEvent id="e"/>'
            + flow("g", "m") + '<bpmn:intermediateCatchEvent id="m">'
            + '<bpmn:signalEventDefinition/></bpmn:intermediateCatchEvent>'
            + flow("m", "e2") + '<bpmn:endEvent id="e2"/>')
    workflow = start(body, T0)
    assert dues(workflow) == [("g", T0 + timedelta(hours=1))]
    assert step(workflow, T0 + timedelta(hours=1)).completed


# --- property: ISO durations round-trip ---------------------------------------------------

DATE_PARTS = (("years", "Y"), ("months", "M"), ("days", "D"))
TIME_PARTS = (("hours", "H"), ("minutes", "M"), ("seconds", "S"))


@st.composite
def durations(draw):
    """(text, components): an ISO duration assembled from random components."""
    count = st.integers(min_value=0, max_value=500)
    if draw(st.booleans()):
        weeks = draw(count)
        return f"P{weeks}W", {"weeks": weeks}
    parts = {name: draw(count) for name, _ in DATE_PARTS + TIME_PARTS if draw(st.booleans())}
    if not parts:
        parts = {"hours": draw(count)}
    text = "P" + "".join(f"{parts[n]}{d}" for n, d in DATE_PARTS if n in parts)
    if any(n in parts for n, _ in TIME_PARTS):
        text += "T" + "".join(f"{parts[n]}{d}" for n, d in TIME_PARTS if n in parts)
    return text, parts


@settings(max_examples=200, deadline=None)
@given(durations())
def test_iso_durations_round_trip_through_normalize_and_spiff(case):
    text, parts = case
    normalized = normalize_timer_text("duration", text)
    value = ast.literal_eval(normalized)
    assert value == text
    assert TimerEventDefinition.parse_iso_duration(value) == parts
    validate_timer("duration", text)
