"""Timer events as designers draw them, evaluated against the engine clock.

Spiff's timers only take Python expressions (`"PT1H"` quoted), read the machine clock and
treat naive date-times as the machine's zone. Camunda Modeler users write unquoted ISO 8601
(`PT72H`, `R3/PT10H`) and Quartz crons, and sanfu must evaluate timers "as of" any moment
(`engine.clock`). So: deploy normalises texts into Python string literals (crons marked
`cron:`) and validates literals; Spiff's timer definitions are subclassed to use
`clock.now()`, Shanghai for naive times and APScheduler for crons (engine.timers.cron); reading
the timer values themselves is engine.timers.iso's job. The parser hook builds the
definitions; `timer_due`/`waiting_timers` tell the scheduler when to wake. Spiff's
internal_data conventions (`event_value`, `event_fired`, the cycle dict) are kept so its
boundary/start-event machinery works unchanged.
"""
from __future__ import annotations

from datetime import datetime

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.util import first
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
)
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.clock import now
from engine.errors import ScriptError
from engine.timers.cron import looks_like_cron
from engine.timers.iso import (
    CRON_PREFIX,
    KINDS,
    advance_cycle,
    classify_timer_text,
    looks_like_iso,
    resolve_cycle,
    resolve_date,
    resolve_duration,
    string_literal,
)

# --- deploy time ------------------------------------------------------------------------

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
    if not stripped or string_literal(stripped) is not None:
        return text
    found = classify_timer_text(stripped)
    if found == "cron" or (found is None and looks_like_cron(stripped)):
        return repr(CRON_PREFIX + " ".join(stripped.split()))
    if found is not None or looks_like_iso(stripped):
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
    value, moment = string_literal(normalize_timer_text(kind, text)), now()
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


def any_waiting_timer(workflow) -> bool:
    """Whether a timer of the instance is waiting (when it is due left uncomputed)."""
    return any(_engine_timer(task.task_spec) is not None
               for task in workflow.top_workflow.get_tasks(state=TaskState.WAITING))
