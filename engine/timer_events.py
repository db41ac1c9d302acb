"""Timer events as designers draw them, evaluated against the engine clock.

Spiff's timers only take Python expressions (`"PT1H"` quoted), read the machine clock and
treat naive date-times as the machine's zone. Camunda Modeler users write unquoted ISO 8601
(`PT72H`, `R3/PT10H`) and Quartz crons, and sanfu must evaluate timers "as of" any moment
(`engine.clock`). So: deploy normalises texts into Python string literals (crons marked
`cron:`) and validates literals; Spiff's timer definitions are subclassed to use
`clock.now()`, Shanghai for naive times and APScheduler for crons (engine.cron); the parser
hook builds them; `timer_due`/`waiting_timers` tell the scheduler when to wake. Spiff's
internal_data conventions (`event_value`, `event_fired`, the cycle dict) are kept so its
boundary/start-event machinery works unchanged.
"""
from __future__ import annotations

import ast
import math
from datetime import date, datetime, time, timedelta, timezone

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.parser.util import first
from SpiffWorkflow.bpmn.serializer.default.event_definition import (
    TimerConditionalEventDefinitionConverter)
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition, DurationTimerEventDefinition, TimeDateEventDefinition,
    TimerEventDefinition)
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.clock import SHANGHAI, now
from engine.cron import advance_cron, cached_quartz, cron_state, looks_like_cron
from engine.errors import ScriptError

CRON_PREFIX = "cron:"
# kind -> (BPMN element, zh name, en name, example)
KINDS = {
    "date": ("timeDate", "日期时间", "date-time", "2025-03-01T10:00:00"),
    "duration": ("timeDuration", "时长", "duration", "PT1H, P3D"),
    "cycle": ("timeCycle", "循环", "repeating cycle", "R3/PT10H, 0 0 9 ? * MON-FRI"),
    "cron": ("timeCycle", "cron 表达式", "cron expression", "0 0 9 ? * MON-FRI"),
}
ISO_ALPHABET = set("0123456789PYMWDTHSR/:-+.,Z")


# --- reading timer values (shared by deploy-time validation and run time) -------------

def _parse_iso_datetime(text: str) -> datetime:
    """ISO date/date-time/week date → aware UTC; without an offset it is Shanghai time."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(timezone.utc)


def _parse_iso_duration(text: str) -> dict:
    """Spiff's duration parser, plus the checks it lacks (bare `P`, stray `P`s)."""
    upper = text.strip().upper()
    if len(upper) < 2 or not upper.startswith("P") or "P" in upper[1:]:
        raise ValueError("expected P followed by components, e.g. PT1H")
    parsed = TimerEventDefinition.parse_iso_duration(upper)
    if not parsed:
        raise ValueError("no duration components")
    return parsed


def add_duration(start: datetime, parsed: dict) -> datetime:
    """start + an ISO duration, months/years counted on the Shanghai calendar."""
    local = start.astimezone(SHANGHAI)
    delta = TimerEventDefinition.get_timedelta_from_start(dict(parsed), local)
    return (local + delta).astimezone(timezone.utc)


def _parse_iso_cycle(text: str, moment: datetime) -> dict:
    """`R[n]/duration`, `R[n]/start/duration` or `R[n]/duration/end` → cycle state dict."""
    upper = text.strip().upper()
    if not upper.startswith("R"):
        raise ValueError("a repeating interval starts with R, e.g. R3/PT10H")
    parts = upper[1:].replace("--", "/").split("/")
    if len(parts) not in (2, 3) or (parts[0] and not parts[0].isdigit()):
        raise ValueError("expected R[n]/duration or R[n]/start/duration")
    cycles = int(parts[0]) if parts[0] else -1
    if cycles == 0:
        raise ValueError("R0 never fires; repeat at least once")
    if len(parts) == 2:
        period = parts[1]
        first_fire = add_duration(moment, _parse_iso_duration(period))
    elif parts[1].startswith("P"):
        period, end = parts[1], _parse_iso_datetime(parts[2])
        delta = TimerEventDefinition.get_timedelta_from_end(
            _parse_iso_duration(period), end.astimezone(SHANGHAI))
        first_fire = end - delta
    else:
        first_fire, period = _parse_iso_datetime(parts[1]), parts[2]
    seconds = (add_duration(first_fire, _parse_iso_duration(period)) - first_fire).total_seconds()
    if seconds <= 0:
        raise ValueError("the interval must be longer than zero")
    return {"cycles": cycles, "next": first_fire.isoformat(), "duration": seconds,
            "period": period}


def _classify(text: str) -> str | None:
    """Which kind of timer text this parses as, if any (for kind-mismatch messages)."""
    stripped = text.strip().removeprefix(CRON_PREFIX)
    attempts = (("date", _parse_iso_datetime), ("duration", _parse_iso_duration),
                ("cycle", lambda t: _parse_iso_cycle(t, now())), ("cron", cached_quartz))
    for kind, attempt in attempts:
        try:
            attempt(stripped)
            return kind
        except Exception:  # noqa: BLE001 - any failure just means "not this kind"
            continue
    return None


def _invalid(kind: str, text: str, exc: Exception) -> ScriptError:
    """The clearest reason a value is not a valid timer of `kind`."""
    element, zh, en, example = KINDS[kind]
    other, text = _classify(text), text.removeprefix(CRON_PREFIX)
    if other is not None and KINDS[other][0] != element:
        o_element, o_zh, o_en, _ = KINDS[other]
        return ScriptError(f"{element} 中不能使用{o_zh} '{text}'，请改用 {o_element} / "
                           f"a {o_en} ('{text}') is not allowed in {element}; use {o_element}")
    if isinstance(exc, ScriptError):
        return exc
    return ScriptError(f"无效的定时器{zh} '{text}'，示例：{example} / "
                       f"invalid timer {en} '{text}' ({exc}); e.g. {example}")


def _expect_text(kind: str, value) -> str:
    if isinstance(value, str):
        return value.strip()
    _, zh, en, _ = KINDS[kind]
    name = type(value).__name__
    raise ScriptError(f"定时器{zh}须为字符串，实际为 {name} / "
                      f"the timer {en} must be a string, got {name}")


def resolve_date(value) -> datetime:
    """A timeDate value (ISO text, date or datetime) → aware UTC."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
        return aware.astimezone(timezone.utc)
    if isinstance(value, date):
        return datetime.combine(value, time(), SHANGHAI).astimezone(timezone.utc)
    text = _expect_text("date", value)
    try:
        return _parse_iso_datetime(text)
    except ValueError as exc:
        raise _invalid("date", text, exc) from None


def resolve_duration(value, moment: datetime) -> datetime:
    """A timeDuration value (ISO text or timedelta) started at `moment` → due time."""
    if isinstance(value, timedelta):
        return moment + value
    text = _expect_text("duration", value)
    try:
        return add_duration(moment, _parse_iso_duration(text))
    except Exception as exc:  # noqa: BLE001 - Spiff's parser raises bare Exception
        raise _invalid("duration", text, exc) from None


def resolve_cycle(value, moment: datetime) -> dict:
    """A timeCycle value (ISO repeating interval or cron) → initial cycle state."""
    text = _expect_text("cycle", value)
    try:
        if text.startswith(CRON_PREFIX):
            return cron_state(text[len(CRON_PREFIX):], moment)
        if text.upper().startswith("R"):
            return _parse_iso_cycle(text, moment)
        return cron_state(text, moment)  # Spiff-style quoted cron without the marker
    except Exception as exc:  # noqa: BLE001
        raise _invalid("cycle", text, exc) from None


def advance_cycle(state: dict, fired: datetime, moment: datetime) -> dict:
    """State after the firing due at `fired`, as of `moment`.

    Bounded ISO cycles count every repetition (R3 fires three times, even late). Unbounded
    cycles and crons skip firings missed while the engine was down, so waking after an
    outage fires once instead of replaying every missed tick.
    """
    if "cron" in state:
        return advance_cron(state, fired, moment)
    state = dict(state)
    parsed = _parse_iso_duration(state["period"])
    if state["cycles"] > 0:
        state["cycles"] -= 1
        fire = add_duration(fired, parsed) if state["cycles"] else fired
    else:
        fire = _skip_missed(add_duration(fired, parsed), parsed, moment)
    state["next"] = fire.isoformat()
    return state


def _skip_missed(fire: datetime, parsed: dict, moment: datetime) -> datetime:
    if fire > moment:
        return fire
    if not parsed.get("years") and not parsed.get("months"):
        step = add_duration(fire, parsed) - fire
        return fire + step * (math.floor((moment - fire) / step) + 1)
    while fire <= moment:
        fire = add_duration(fire, parsed)
    return fire


# --- deploy time ------------------------------------------------------------------------

def _string_literal(text: str) -> str | None:
    """The value if `text` is exactly a Python string literal, else None."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError):
        return None
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _looks_like_iso(text: str) -> bool:
    """Made only of ISO 8601 lexemes: a (possibly malformed) literal such as `PT` or `R3/`."""
    upper = text.upper()
    return (upper[0] in "PR" or upper[0].isdigit()) and set(upper) <= ISO_ALPHABET


def normalize_timer_text(kind: str, text: str) -> str:
    """Timer text as written in the model → a Python expression for the script engine.

    Quoted strings and other expressions are returned unchanged. Text that parses as ISO
    8601 (any kind: a mismatch is reported by `validate_timer`) becomes a string literal;
    a Quartz cron becomes `'cron:<fields>'`. Malformed literals (`PT`, `R3/`, a 4-field
    cron) are quoted too, so validation explains what is wrong with them instead of a
    Python syntax error. An identifier that is valid ISO (`PT1H`) is taken as ISO.
    """
    if kind not in ("date", "duration", "cycle"):
        raise ValueError(f"timer kind must be 'date', 'duration' or 'cycle', not {kind!r}")
    stripped = (text or "").strip()
    if not stripped or _string_literal(stripped) is not None:
        return text
    found = _classify(stripped)
    if found == "cron" or (found is None and looks_like_cron(stripped)):
        return repr(CRON_PREFIX + " ".join(stripped.split()))
    if found is not None or _looks_like_iso(stripped):
        return repr(stripped)
    return text


def validate_timer(kind: str, text: str, *, require_future: bool = True) -> None:
    """Deploy-time check of a literal timer (raw or normalised text); raises ScriptError.

    Non-literal expressions are left alone: their syntax/sandbox check is the caller's.
    `require_future` refuses crons that never fire again; the parser turns it off because
    stored specs are re-parsed long after deploy.
    """
    if text is None or not text.strip():
        raise ScriptError("定时器表达式为空 / the timer expression is empty")
    value, moment = _string_literal(normalize_timer_text(kind, text)), now()
    if value is None:
        return
    if kind == "date":
        resolve_date(value)
    elif kind == "duration":
        resolve_duration(value, moment)
    elif resolve_cycle(value, moment)["cycles"] == 0 and require_future:
        shown = value.removeprefix(CRON_PREFIX)
        raise ScriptError(f"cron 表达式 '{shown}' 此后不会再触发 / "
                          f"cron '{shown}' never fires after now")


# --- event definitions ------------------------------------------------------------------

class _EngineTimer:
    """Mixin: evaluate the expression through the workflow's script engine, as Spiff does."""

    def _evaluate(self, my_task):
        return my_task.workflow.script_engine.evaluate(my_task, self.expression)


class _OneShotTimer(_EngineTimer):
    """Date and duration timers: event_value is the due moment as ISO UTC text, computed
    once (lazily, like Spiff) so has_fired and timer_due always agree."""

    def due_at(self, my_task) -> datetime:
        value = my_task._get_internal_data("event_value")
        if value is None:
            value = self._first_due(my_task).isoformat()
            my_task._set_internal_data(event_value=value)
        return resolve_date(value)

    def has_fired(self, my_task):
        if self.due_at(my_task) <= now():
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class EngineTimeDateEventDefinition(_OneShotTimer, TimeDateEventDefinition):
    """timeDate: due at the moment named (naive = Shanghai)."""

    def _first_due(self, my_task) -> datetime:
        return resolve_date(self._evaluate(my_task))


class EngineDurationTimerEventDefinition(_OneShotTimer, DurationTimerEventDefinition):
    """timeDuration: due that long after the task starts waiting."""

    def _first_due(self, my_task) -> datetime:
        return resolve_duration(self._evaluate(my_task), now())


class EngineCycleTimerEventDefinition(_EngineTimer, CycleTimerEventDefinition):
    """timeCycle (ISO repeating interval or cron); event_value is Spiff's cycle dict."""

    def _state(self, my_task) -> dict:
        state = my_task._get_internal_data("event_value")
        if state is None:
            state = resolve_cycle(self._evaluate(my_task), now())
            my_task._set_internal_data(event_value=state)
        return state

    def due_at(self, my_task) -> datetime:
        """Next firing; once the cycle is used up, the last firing (= refresh now to end)."""
        return datetime.fromisoformat(self._state(my_task)["next"])

    def cycle_complete(self, my_task) -> bool:
        """True when a firing is due now (Spiff then spawns one more outgoing token)."""
        state = self._state(my_task)
        if state["cycles"] == 0:
            my_task._set_internal_data(event_fired=True)
            return False
        fired, moment = datetime.fromisoformat(state["next"]), now()
        if fired > moment:
            return False
        state = advance_cycle(state, fired, moment)
        my_task._set_internal_data(event_value=state)
        if state["cycles"] == 0:
            my_task._set_internal_data(event_fired=True)
        return True


ENGINE_TIMER_CLASSES = (EngineTimeDateEventDefinition, EngineDurationTimerEventDefinition,
                        EngineCycleTimerEventDefinition)
# For serializers that embed the spec (Spiff's default); sanfu's state serializer does not.
TIMER_SERIALIZER_CONFIG = {cls: TimerConditionalEventDefinitionConverter
                           for cls in ENGINE_TIMER_CLASSES}


# --- parser hook ------------------------------------------------------------------------

class TimerParserMixin:
    """Build the engine's timer definitions instead of Spiff's (same XML, same shape)."""

    def parse_timer_event(self, event):
        try:
            name = self.node.get("name", self.node.get("id"))
            description = self.get_event_description(event)
            for cls, kind in zip(ENGINE_TIMER_CLASSES, ("date", "duration", "cycle")):
                node = first(self._xpath(event, f".//bpmn:{KINDS[kind][0]}"))
                if node is not None:
                    validate_timer(kind, node.text, require_future=False)
                    expression = normalize_timer_text(kind, node.text).strip()
                    return cls(name, expression, description=description)
            raise ValidationException("Unknown Time Specification", node=self.node,
                                      file_name=self.filename)
        except ValidationException:
            raise
        except Exception as exc:  # noqa: BLE001 - mirror Spiff: report as a validation error
            raise ValidationException("Time Specification Error. " + str(exc), node=self.node,
                                      file_name=self.filename) from None


def _with_timers(tag: str) -> tuple:
    """Spiff's own parser for `tag` with the timer mixin in front, same spec class."""
    base, spec_class = SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[full_tag(tag)]
    parser_class = type(f"Engine{base.__name__}", (TimerParserMixin, base), {})
    return full_tag(tag), (parser_class, spec_class)


# Every Spiff parser that calls parse_timer_event. Event-based gateways need nothing: their
# timers are parsed by the intermediateCatchEvent parser and moved into the gateway.
TIMER_PARSER_OVERRIDES = dict(_with_timers(tag) for tag in (
    "startEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"))


# --- when to wake -----------------------------------------------------------------------

def _engine_timer(task_spec):
    """The engine timer a task spec waits on (directly, or inside an event-based gateway)."""
    definition = getattr(task_spec, "event_definition", None)
    if isinstance(definition, _EngineTimer):
        return definition
    if isinstance(definition, MultipleEventDefinition):
        for item in definition.event_definitions:
            if isinstance(item, _OneShotTimer):  # Spiff only fires one-shot timers here
                return item
    return None


def timer_due(task) -> datetime | None:
    """When a WAITING timer task fires next (aware UTC); None if it is not waiting on one.

    Computes and stores the timer's event_value if Spiff has not yet, so the same moment is
    later used by has_fired. A moment in the past means "refresh now" (e.g. a cycle that
    has used up its repetitions and only needs a refresh to complete).
    """
    if task.state != TaskState.WAITING:
        return None
    definition = _engine_timer(task.task_spec)
    return definition.due_at(task) if definition is not None else None


def waiting_timers(workflow) -> list[tuple[object, datetime]]:
    """(task, due) for every waiting timer of the instance, soonest first.

    Spiff's BPMN task iterator already descends into subprocesses (and call activities),
    so one walk from the top workflow sees them all.
    """
    found = []
    for task in workflow.top_workflow.get_tasks(state=TaskState.WAITING):
        due = timer_due(task)
        if due is not None:
            found.append((task, due))
    return sorted(found, key=lambda pair: pair[1])
