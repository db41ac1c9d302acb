"""Conformance harness: the third-party BPMN/DMN corpus in `../shared/bpmn-corpus`, run
through the `Engine` facade exactly as a designer and the staff would use it.

Used by `tests/conformance/test_corpus.py` (one test per manifest row) and by
`tools/conformance_report.py` (writes `docs/conformance.md`). The corpus is read in place and
never copied. What this module decides, and where each decision is written down:

- `COMPANIONS`: files that only deploy together (call activities, decisions, signal pairs).
- `PLANS`: per file, the start data, the data each user task is completed with (chosen to
  satisfy the file's conditions), whether timers fire before tasks are done, external
  events to deliver, and what the run must have shown (tasks reached, data produced).
- `POLICIES` / `POLICY_REFUSALS`: executable files the engine refuses on purpose, each with
  the documented engine policy the refusal message must match.
- `KNOWN_GAPS` / `CULPRIT_GAPS`: what the engine cannot do yet (strict xfails in the test).
- `REJECT_CULPRITS`: for each negative fixture, the element (or line) that makes it invalid.

Every Engine call is made through `_call`, which lets only engine.errors (SanfuError)
exceptions through as refusals; anything else is recorded as a crash, never swallowed.
"""
from __future__ import annotations

import csv
import os
import re
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from lxml import etree

from engine import clock
from engine.errors import SanfuError

# --- where the corpus is ------------------------------------------------------------------

CORPUS_ENV = "SANFU_CORPUS_DIR"
REPO = Path(__file__).resolve().parents[2]
DEFAULT_CORPUS = REPO.parent / "shared" / "bpmn-corpus"
EXPECTATIONS = ("executable", "reject", "parse-only")


def corpus_dir() -> Path:
    """`$SANFU_CORPUS_DIR`, else `<repo>/../shared/bpmn-corpus`."""
    override = os.environ.get(CORPUS_ENV)
    return Path(override).expanduser().resolve() if override else DEFAULT_CORPUS


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing_message(root: Path) -> str:
    return (f"BPMN corpus not found at {root} (no MANIFEST.tsv): set {CORPUS_ENV} or put the "
            "corpus at ../shared/bpmn-corpus")


@dataclass(frozen=True)
class Row:
    path: str
    origin_repo: str
    origin_path: str
    commit: str
    license: str
    elements: str
    expectation: str


def load_manifest(root: Path) -> list[Row]:
    """The manifest rows, in file order. Raises FileNotFoundError when absent."""
    manifest = root / "MANIFEST.tsv"
    with manifest.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        rows = [Row(r["path_in_corpus"], r["origin_repo"], r["origin_path"], r["commit"],
                    r["license"], r["elements_covered"], r["expectation"].strip()) for r in reader]
    unknown = sorted({r.expectation for r in rows} - set(EXPECTATIONS))
    if unknown:
        raise ValueError(f"{manifest}: unknown expectation value(s) {unknown}")
    return rows


# --- companions: files that deploy as one bundle -------------------------------------------
# Read from the files themselves (calledElement, camunda:decisionRef, flowable
# decisionTableReferenceKey, shared signal names) and from the corpus README's pair list.
# Every row deploys `[row file, *COMPANIONS[row file]]` in one Engine.deploy call.

CP = "camunda-bpm-platform/"
CE = "camunda-bpm-examples/"
FE = "flowable-engine/"
SW = "spiffworkflow/"

COMPANIONS: dict[str, tuple[str, ...]] = {
    # callActivity calledElement="ReviewInvoice"; businessRuleTask decisionRef="invoice-assign-approver"
    CP + "invoice.v2.bpmn": (CP + "reviewInvoice.bpmn", CP + "invoiceBusinessDecisions.dmn"),
    # callActivity calledElement="camunda-testing-job-announcement-publication"
    CE + "camunda-testing-job-announcement.bpmn": (CE + "camunda-testing-job-announcement-publication.bpmn",),
    # businessRuleTask camunda:decisionRef="IntegerDecisionStringOutputTable"
    SW + "ExclusiveGatewayIfElseAndDecision.bpmn": (SW + "test_integer_decision.dmn",),
    # six callActivities calledElement="CallActivity-Escalation-Test-Sub"
    SW + "CallActivity-Escalation-Test.bpmn20.xml": (SW + "CallActivity-Escalation-Test-Sub.bpmn20.xml",),
    # serviceTask flowable:type="dmn", field decisionTableReferenceKey = decision1
    FE + "oneDecisionTaskProcess.bpmn20.xml": (FE + "simple.dmn",),
    # signal "alert" (id alertSignal): one process throws it, the other waits for it
    CP + "SignalEventTests.catchAlertSignal.bpmn20.xml": (CP + "SignalEventTests.throwAlertSignal.bpmn20.xml",),
    CP + "SignalEventTests.throwAlertSignal.bpmn20.xml": (CP + "SignalEventTests.catchAlertSignal.bpmn20.xml",),
}


def bundle_of(row_path: str) -> list[str]:
    return [row_path, *COMPANIONS.get(row_path, ())]


# --- how each executable file is driven ----------------------------------------------------

@dataclass(frozen=True)
class Event:
    """Something from outside the instance the driver delivers when nothing else can move:
    kind "start" starts process `name` (e.g. the signal thrower), "message" / "signal"
    need an engine API (`Engine.send_message` / `Engine.broadcast_signal`)."""
    kind: str
    name: str
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    start_data: dict = field(default_factory=dict)
    # element id -> data for each completion (a list is used in order, its last item repeats)
    task_data: dict = field(default_factory=dict)
    # how many times the clock is moved to the next pending timer *before* open tasks are
    # completed (to take the timer path); afterwards timers fire only when nothing else can
    timer_rounds: int = 0
    events: tuple[Event, ...] = ()
    # processes of the row's file to start (default: every executable process in the file)
    drive: tuple[str, ...] | None = None
    # the run must have shown these user/manual tasks open at some point
    expect_tasks: frozenset[str] = frozenset()
    # task completions per element the run must have needed (multi-instance counts)
    expect_completions: dict = field(default_factory=dict)
    # the instance's data at the end must contain these items
    expect_data: dict = field(default_factory=dict)
    max_steps: int = 60

    def data_for(self, element_id: str, nth: int) -> dict:
        value = self.task_data.get(element_id, {})
        if isinstance(value, list):
            value = value[min(nth, len(value) - 1)] if value else {}
        return dict(value)


PLANS: dict[str, Plan] = {
    # interrupting PT5M timer on firstLineSupport: let it fire, then handle the escalation
    CP + "BoundaryTimerEventTest.testInterruptingTimerDuration.bpmn20.xml": Plan(
        timer_rounds=1, expect_tasks=frozenset({"firstLineSupport", "handleEscalation"})),
    # non-interrupting PT3S timer on SubProcess_2: both UserTask_1 and UserTask_2 must be done
    CP + "BoundaryTimerNonInterruptingEventTest.testTimerOnEmbeddedSubprocess.bpmn20.xml": Plan(
        timer_rounds=1, expect_tasks=frozenset({"UserTask_1", "UserTask_2"})),
    # intermediate PT5M timer, no user task
    CP + "IntermediateTimerEventTest.testCatchingTimerEvent.bpmn20.xml": Plan(),
    # loopCardinality ${nrOfLoops}, completionCondition ${nrOfCompletedInstances == 5}
    CP + "MultiInstanceTest.sequentialUserTasks.bpmn20.xml": Plan(
        start_data={"nrOfLoops": 7}, expect_completions={"miTasks": 5}),
    # loopDataInputRef assigneeList; completionCondition nrOfCompleted/nrOfInstances >= 0.6
    CP + "MultiInstanceTest.testParallelUserTasksBasedOnCollection.bpmn20.xml": Plan(
        start_data={"assigneeList": ["kermit", "gonzo", "mispiggy", "fozzie", "bear"]},
        expect_completions={"miTasks": 3}),
    # parallel split, two branches of two candidateGroups="test" tasks, two plain end events
    CP + "InclusiveGatewayTest.testParentActivationOnNonJoiningEnd.bpmn20.xml": Plan(
        expect_completions={"first_check": 1, "second_check": 1, "first_check_2": 1,
                            "second_check_2": 1}),
    # escalation thrown inside the subprocess, caught by a non-interrupting boundary
    CP + "EscalationEventTest.testThrowEscalationEventFromEmbeddedSubprocess.bpmn20.xml": Plan(
        expect_tasks=frozenset({"taskInSubprocess", "taskAfterCatchedEscalation"})),
    # event subprocess (timer R/PT10S) throws escalation; interrupting boundary catches it
    CP + "EscalationEventSubprocessTest.testThrowEscalationEventFromEventSubprocess.bpmn20.xml": Plan(
        timer_rounds=1, expect_tasks=frozenset({"Task_1f50q9l"})),
    # waits for message continueMessage inside SubProcess_1 (cancelMessage would interrupt)
    CP + "MessageBoundaryEventTest.testBoundaryMessageEventOnSubprocessWithIntermediateMessageCatch.bpmn": Plan(
        events=(Event("message", "continueMessage"),)),
    # waits for signal "alert": the companion throwSignal process throws it
    CP + "SignalEventTests.catchAlertSignal.bpmn20.xml": Plan(
        drive=("catchSignal",), events=(Event("start", "throwSignal"),)),
    CP + "SignalEventTests.throwAlertSignal.bpmn20.xml": Plan(drive=("throwSignal",)),
    # called alone: jobAnnouncementId/twitter/facebook come from the caller (#{twitter}, #{facebook})
    CE + "camunda-testing-job-announcement-publication.bpmn": Plan(
        start_data={"jobAnnouncementId": 42, "twitter": True, "facebook": False}),
    # Pay Invoice completed normally (error/escalation boundaries are thrown by Camunda forms)
    CE + "invoicePayment.bpmn": Plan(expect_tasks=frozenset({"Task_16y91ka"})),
    # timer start (Quartz 0/5 ...), external task in a subprocess; ${invoiceId != null}
    CE + "order-handling.bpmn": Plan(start_data={"invoiceId": None}),
    # timer start, external task, MI subprocess over ${creditScores}, ${score > 5} / ${score <= 5}
    CE + "loan-granting.bpmn": Plan(start_data={"creditScores": [7, 3]}),
    # vacationApproved / resendRequest are 'true'/'false' strings: reject once, resend, approve
    FE + "VacationRequest.bpmn20.xml": Plan(
        start_data={"employeeName": "admin", "numberOfDays": 3, "startDate": "2026-04-01",
                    "vacationMotivation": "family"},
        task_data={"handleRequest": [{"vacationApproved": "false", "managerMotivation": "busy"},
                                     {"vacationApproved": "true"}],
                   "adjustVacationRequestTask": {"resendRequest": "true", "numberOfDays": 2}},
        expect_completions={"handleRequest": 2, "adjustVacationRequestTask": 1}),
    # inclusive split ${a==1} / ${b==1}: take both subprocesses, join, then usertask3
    FE + "InclusiveGatewayTest.testJoinAfterSubprocesses.bpmn20.xml": Plan(
        start_data={"a": 1, "b": 1},
        expect_completions={"usertask1": 1, "usertask2": 1, "usertask3": 1}),
    # ${consult=="yes"} / ${consult=="no"}; first_task assignee ${patient}
    FE + "BoundaryTimerEventTest.testBoundaryTimerEvent.bpmn20.xml": Plan(
        start_data={"doctor": "house", "patient": "admin"},
        task_data={"first_task": {"consult": "yes"}}),
    # escalation end event in the subprocess, caught by a catch-all interrupting boundary
    FE + "BoundaryEscalationEventTest.testCatchEscalationOnEmbeddedSubprocess.bpmn20.xml": Plan(
        expect_tasks=frozenset({"subprocessTask", "taskAfterEscalationCatch"})),
    # parallel MI subprocess, loopCardinality 2, three tasks each
    FE + "MultiInstanceTest.testEndTimeOnMiSubprocess.bpmn20.xml": Plan(
        expect_completions={"usertask1": 2, "usertask2": 2, "usertask3": 2}),
    # decision1 (FIRST): inputVariable1 == 1 -> 'result1'
    FE + "oneDecisionTaskProcess.bpmn20.xml": Plan(
        start_data={"inputVariable1": 1}, expect_data={"outputVariable1": "result1"}),
    # non-interrupting "PT0.2S" timer on the subprocess -> GetReason; work_done == 'Yes' ends the loop
    SW + "timer-non-interrupt-boundary.bpmn": Plan(
        timer_rounds=1, task_data={"Activity_Work": {"work_done": "Yes"},
                                   "GetReason": {"delay_reason": "waited for review"}},
        expect_tasks=frozenset({"Activity_Work", "GetReason"})),
    # NeedClarification == 'Yes' takes the A2 branch
    SW + "lanes.bpmn": Plan(
        task_data={"Activity_A1": {"NewBPMNFeautre": "dark mode"},
                   "Activity_B1": {"NeedClarification": "Yes"},
                   "Activity_A2": {"Clarification": "as in the mock-up"}},
        expect_tasks=frozenset({"Activity_A1", "Activity_B1", "Activity_A2", "Implement_Feature",
                                "SubProcessTask"})),
    # x is neither 1 nor 2 -> default flow -> decision table: x == 3 -> y = "A"
    SW + "ExclusiveGatewayIfElseAndDecision.bpmn": Plan(
        start_data={"x": 3}, expect_data={"y": "A"}),
    CP + "invoice.v2.bpmn": Plan(
        start_data={"creditor": "Great Pizza for Everyone Inc.", "amount": 30.0,
                    "invoiceCategory": "Travel Expenses", "invoiceNumber": "GPFE-23232323"},
        task_data={"approveInvoice": {"approved": True}}),
    CP + "reviewInvoice.bpmn": Plan(task_data={"assignReviewer": {"reviewer": "admin"},
                                               "reviewInvoice": {"clarified": True}}),
    CE + "camunda-testing-job-announcement.bpmn": Plan(
        start_data={"jobAnnouncementId": 42, "twitter": True, "facebook": True},
        task_data={"review": {"approved": True}}),
    SW + "CallActivity-Escalation-Test.bpmn20.xml": Plan(),
    SW + "CallActivity-Escalation-Test-Sub.bpmn20.xml": Plan(start_data={"should_escalate": False}),
}

# --- documented refusals of executable files ----------------------------------------------
# name -> (what is refused, where the engine documents it, pattern its message must match)

POLICIES: dict[str, tuple[str, str, str]] = {
    "method-call": (
        "JUEL method calls (`${bean.method(x)}`, `${dateTime().plusDays(2)}`): there are no "
        "Java beans or date APIs; use a process variable or a Python expression",
        "engine/dialects/camunda.py (module docstring), engine/dialects/juel.py",
        r"method calls are not supported"),
}

# executable file -> (policy, element ids the refusal may name)
POLICY_REFUSALS: dict[str, tuple[str, frozenset[str]]] = {
    # camunda:dueDate="${dateTime().plusDays(2).toDate()}" on user task reviewInvoice
    CP + "reviewInvoice.bpmn": ("method-call", frozenset({"reviewInvoice"})),
    # dueDate ${dateTime().plusWeeks(1).toDate()} (approveInvoice, prepareBankTransfer), and
    # its companion reviewInvoice.bpmn (above)
    CP + "invoice.v2.bpmn": ("method-call", frozenset({"approveInvoice", "prepareBankTransfer",
                                                       "reviewInvoice"})),
    # camunda:assignee="#{jobAnnouncementService.findRequester(jobAnnouncementId)}"
    CE + "camunda-testing-job-announcement.bpmn": ("method-call", frozenset({"review", "correct"})),
}

# --- gaps: what the engine cannot do yet (strict xfail; remove the entry once fixed) --------

KNOWN_GAPS: dict[str, str] = {
    # executable rows
    CE + "order-handling.bpmn":
        "deploys (external service tasks pass through; the cron timer start is scheduled) and each "
        "firing starts an instance, but its conditional boundary ${invoiceId != null} needs "
        "invoiceId, which a Camunda external-task worker would set: the engine has no "
        "external-task API (fetch-and-lock / complete with variables)",
    CE + "loan-granting.bpmn":
        "deploys (external tasks pass through, camunda:collection is mapped, the timer start is "
        "scheduled) and each firing starts an instance, but the multi-instance subprocess loops "
        "over creditScores, which a Camunda external-task worker would set: no external-task API",
    # parse-only rows
    # reject rows
}

# reject file -> what makes it invalid: element ids and/or "line N"; the refusal must name one
REJECT_CULPRITS: dict[str, frozenset[str]] = {
    CP + "BpmnParseTest.testInvalidSubProcessWithTimerStartEvent.bpmn": frozenset({"StartEvent_3"}),
    CP + "EscalationEventParseInvalidProcessTest.invalidEscalationRefOnEndEvent.bpmn20.xml":
        frozenset({"theEnd"}),
    CP + "EventBasedGatewayTest.testEventInvalidSequenceFlow.bpmn20.xml":
        frozenset({"invalidFlow", "signalEvent", "gw1"}),
    CP + "TestWarDeploymentWithBrokenBpmnXml.testXmlInvalid.bpmn20.xml": frozenset({"line 4"}),
    FE + "BpmnParseTest.testInvalidProcessDefinition.bpmn20.xml": frozenset({"bogusProcess"}),
    "bpmn-js/error_duplicate-ids.bpmn": frozenset({"test"}),
    "bpmn-js/error_boundaryEvent-missingAttachToRef.bpmn": frozenset({"BoundaryEvent_1"}),
    SW + "Subprocess-Not-Found.bpmn20.xml": frozenset({"sid-617B0E1F-42DB-4D40-9B4C-ED631BF6E43A"}),
    SW + "invalid_cancel.bpmn": frozenset({"Event_TokenReset"}),
}

# rejects refused for an incidental reason that does not name the culprit (strict xfail)
CULPRIT_GAPS: dict[str, str] = {}


# --- outcomes -------------------------------------------------------------------------------

@dataclass
class Run:
    key: str
    instance_id: int | None = None
    status: str = "not started"  # completed | stuck | error | crashed | not started
    steps: int = 0
    reason: str = ""
    seen_tasks: set[str] = field(default_factory=set)
    completions: Counter = field(default_factory=Counter)
    timers_fired: int = 0
    data: dict = field(default_factory=dict)


@dataclass
class Outcome:
    row: Row
    bundle: list[str]
    result: str = ""             # deployed | refused | crashed | missing
    message: str = ""            # refusal / crash message
    error_type: str = ""
    processes: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    crash: str = ""              # short traceback of a non-SanfuError exception


class Stuck(Exception):
    """The driver cannot move the instance on (e.g. no API for an external event)."""


class Crash(Exception):
    """A non-SanfuError escaped an Engine method (always a failure)."""

    def __init__(self, what: str, exc: BaseException):
        self.what = what
        self.exc = exc
        self.trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-6))
        super().__init__(f"{what}: {type(exc).__name__}: {exc}")


def _call(what: str, fn: Callable, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except SanfuError:
        raise
    except Exception as exc:  # noqa: BLE001 - anything else escaping the facade is a failure
        raise Crash(what, exc) from exc


# --- the harness ----------------------------------------------------------------------------

ADMIN = "admin"
START_AT = datetime(2026, 3, 2, 9, 0, tzinfo=clock.SHANGHAI)  # a Monday, 09:00 Shanghai
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
VENDOR_NS = ("http://camunda.org/schema/1.0/bpmn", "http://activiti.org/bpmn",
             "http://flowable.org/bpmn")
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def _parse(path: Path):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        return etree.parse(str(path), parser).getroot()
    except (etree.XMLSyntaxError, OSError):
        return None


def groups_named(paths: list[Path]) -> list[str]:
    """Every group a file names: lane names (ids when unnamed), candidateGroups (Camunda,
    Activiti/Flowable, spiffworkflow properties) and potentialOwner expressions. Expressions
    (`${...}`) are left out: they resolve at run time."""
    found: list[str] = []
    for path in paths:
        root = _parse(path)
        if root is None:
            continue
        for lane in root.iter(f"{{{BPMN_NS}}}lane"):
            found.append((lane.get("name") or lane.get("id") or "").strip())
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            for ns in VENDOR_NS:
                value = element.get(f"{{{ns}}}candidateGroups")
                if value:
                    found.extend(value.split(","))
            if element.tag == f"{{{SPIFF_NS}}}property" and element.get("name") == "candidateGroups":
                found.extend((element.get("value") or "").split(","))
        for owner in root.iter(f"{{{BPMN_NS}}}potentialOwner"):
            for expr in owner.iter(f"{{{BPMN_NS}}}formalExpression"):
                for part in (expr.text or "").split(","):
                    part = part.strip()
                    if part.startswith("group(") and part.endswith(")"):
                        part = part[6:-1]
                    if part and not part.startswith("user("):
                        found.append(part)
    names = [g.strip() for g in found if g.strip() and "${" not in g and "#{" not in g]
    return list(dict.fromkeys(names))


def executable_processes(path: Path) -> list[str]:
    root = _parse(path)
    if root is None:
        return []
    return [p.get("id") for p in root.iter(f"{{{BPMN_NS}}}process")
            if (p.get("isExecutable") or "true").lower() == "true"]


def decision_ids(path: Path) -> set[str]:
    root = _parse(path)
    if root is None:
        return set()
    return {d.get("id") for d in root.iter() if isinstance(d.tag, str)
            and etree.QName(d).localname == "decision"}


def run_row(row: Row, root: Path, make_engine: Callable[[], object]) -> Outcome:
    """Deploy the row's bundle into a fresh engine and, for executable files, drive every
    deployed process of the row's file to an end state. Never raises for engine behaviour."""
    bundle = bundle_of(row.path)
    outcome = Outcome(row, bundle)
    paths = [root / p for p in bundle]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        outcome.result, outcome.message = "missing", f"corpus file(s) not found: {', '.join(missing)}"
        return outcome
    engine = make_engine()
    try:
        _call("add_user", engine.add_user, ADMIN, groups_named(paths), admin=True)
        with clock.frozen_at(START_AT):
            result = _call("deploy", engine.deploy, paths, ADMIN)
    except SanfuError as err:
        outcome.result, outcome.message, outcome.error_type = "refused", str(err), type(err).__name__
        return outcome
    except Crash as crash:
        outcome.result, outcome.message, outcome.crash = "crashed", str(crash), crash.trace
        return outcome
    outcome.result = "deployed"
    outcome.processes = [p["key"] for p in result.processes]
    outcome.decisions = [d["key"] for d in result.decisions]
    outcome.warnings = list(result.warnings)
    if row.expectation != "executable":
        return outcome
    plan = PLANS.get(row.path, Plan())
    keys = plan.drive if plan.drive is not None else executable_processes(root / row.path)
    for key in keys:
        outcome.runs.append(drive(engine, key, plan))
    return outcome


def drive(engine, key: str, plan: Plan) -> Run:
    """Start `key` as admin and move it on until it completes or cannot move."""
    run = Run(key)
    now = START_AT
    events = list(plan.events)
    rounds = plan.timer_rounds
    try:
        with clock.frozen_at(now):
            started = _call("start", engine.start, key, ADMIN, dict(plan.start_data))
        run.instance_id = started["id"]
        for step in range(plan.max_steps):
            run.steps = step
            with clock.frozen_at(now):
                shown = _call("show", engine.show, run.instance_id)
            run.data = shown.get("data") or {}
            if shown["status"] == "completed":
                run.status = "completed"
                return run
            if shown["status"] != "running":
                run.status, run.reason = "error", f"instance status is {shown['status']!r}"
                return run
            tasks = shown["open_tasks"]
            run.seen_tasks.update(t["element_id"] for t in tasks)
            due = next_timer(engine, run.instance_id)
            if due is not None and (rounds > 0 or not tasks):
                rounds -= 1
                now = max(now, due) + timedelta(seconds=1)
                with clock.frozen_at(now):
                    fired = _call("fire_due_timers", engine.fire_due_timers)
                if fired["failed"]:
                    run.status, run.reason = "error", f"timer failed: {last_timer_failure(engine)}"
                    return run
                run.timers_fired += fired["fired"]
                continue
            if tasks:
                task = tasks[0]
                element = task["element_id"]
                data = plan.data_for(element, run.completions[element])
                run.completions[element] += 1
                with clock.frozen_at(now):
                    _call("complete", engine.complete, task["id"], ADMIN, data)
                continue
            if events:
                deliver(engine, events.pop(0), run)
                continue
            run.status = "stuck"
            run.reason = ("running with no open task, no pending timer and nothing left to "
                          "deliver" + _waiting(shown))
            return run
        run.status, run.reason = "stuck", f"still running after {plan.max_steps} steps"
    except Stuck as stuck:
        run.status, run.reason = "stuck", str(stuck)
    except SanfuError as err:
        run.status, run.reason = "error", f"{type(err).__name__}: {err}"
    except Crash as crash:
        run.status, run.reason = "crashed", f"{crash}\n{crash.trace}"
    return run


def _waiting(shown: dict) -> str:
    last = [h["action"] + (f" {h['detail'].get('element_id')}" if h["detail"].get("element_id") else "")
            for h in shown.get("history", [])[-3:]]
    return f" (last history: {'; '.join(last)})" if last else ""


def deliver(engine, event: Event, run: Run) -> None:
    """Deliver an external event. Messages and signals need an Engine API; while there is
    none, the run is stuck with a message naming what is missing (a gap)."""
    if event.kind == "start":
        with clock.frozen_at(START_AT):
            _call("start", engine.start, event.name, ADMIN, dict(event.data))
        return
    api = {"message": "send_message", "signal": "broadcast_signal"}[event.kind]
    method = getattr(engine, api, None)
    if method is None:
        raise Stuck(f"waiting for {event.kind} {event.name!r}, and the Engine has no API to "
                    f"deliver it (expected Engine.{api})")
    if event.kind == "message":
        _call(api, method, event.name, ADMIN, dict(event.data), instance_id=run.instance_id)
    else:
        _call(api, method, event.name, ADMIN)


def next_timer(engine, instance_id: int) -> datetime | None:
    from sqlalchemy import func, select

    from engine.store.tables import Timer
    with engine.sessions() as session:
        return session.scalar(select(func.min(Timer.due_at)).where(
            Timer.instance_id == instance_id, Timer.status == "pending"))


def last_timer_failure(engine) -> str:
    from sqlalchemy import select

    from engine.store.tables import AuditEvent
    with engine.sessions() as session:
        row = session.scalar(select(AuditEvent).where(AuditEvent.action == "timer_failed")
                             .order_by(AuditEvent.id.desc()).limit(1))
        return (row.detail or {}).get("error", "?") if row is not None else "?"


# --- judging an outcome ---------------------------------------------------------------------

_REPR = re.compile(r"<[^<>]* at 0x[0-9a-fA-F]+>")


def message_problems(message: str) -> list[str]:
    """A refusal is one readable line: no traceback, no object reprs."""
    problems = []
    if "Traceback" in message:
        problems.append("message contains a traceback")
    if "\n" in message.strip() or "\r" in message.strip():
        problems.append("message is not a single line")
    if _REPR.search(message):
        problems.append(f"message leaks an object repr ({_REPR.search(message).group(0)})")
    return problems


def names_location(message: str) -> bool:
    """True when the message names an element id or a line (DefinitionError's format)."""
    return bool(re.search(r"element '[^']+'|\.(?:bpmn|xml|dmn):\d+\b|\bline \d+", message))


def named_elements(message: str) -> set[str]:
    found = set(re.findall(r"element '([^']+)'", message))
    found.update(f"line {n}" for n in re.findall(r"\.(?:bpmn|xml|dmn):(\d+)", message))
    found.update(f"line {n}" for n in re.findall(r"\bline (\d+)", message))
    return found


def problems(outcome: Outcome, root: Path) -> list[str]:
    """Why this outcome does not meet the row's expectation (empty: it does)."""
    row = outcome.row
    if outcome.result == "missing":
        return [outcome.message]
    if outcome.result == "crashed":
        return [f"a non-SanfuError escaped the Engine: {outcome.message}\n{outcome.crash}"]
    found: list[str] = []
    if outcome.result == "refused":
        found += message_problems(outcome.message)
    if row.expectation == "executable":
        found += _executable_problems(outcome, root)
    elif row.expectation == "reject":
        if outcome.result != "refused":
            found.append(f"accepted a negative fixture (deployed {outcome.processes})")
        elif not names_location(outcome.message):
            found.append(f"refusal names no element id or line: {outcome.message}")
    else:  # parse-only: imports, or is refused naming the specific reason
        if outcome.result == "refused" and not names_location(outcome.message):
            found.append(f"refusal names no element id or line: {outcome.message}")
    return found


def _executable_problems(outcome: Outcome, root: Path) -> list[str]:
    row = outcome.row
    policy = POLICY_REFUSALS.get(row.path)
    if outcome.result == "refused":
        if policy is None:
            return [f"executable file refused (not a documented policy): {outcome.message}"]
        name, elements = policy
        pattern = POLICIES[name][2]
        found = []
        if not re.search(pattern, outcome.message):
            found.append(f"refused, but not by the {name!r} policy: {outcome.message}")
        if not named_elements(outcome.message) & elements:
            found.append(f"policy refusal should name one of {sorted(elements)}: {outcome.message}")
        return found
    if policy is not None:
        return [f"deployed, but the {policy[0]!r} policy should refuse it"]
    found = []
    expected_decisions = decision_ids(root / row.path)
    if expected_decisions and not expected_decisions <= set(outcome.decisions):
        found.append(f"decisions deployed {sorted(outcome.decisions)}, file defines "
                     f"{sorted(expected_decisions)}")
    if not row.path.endswith(".dmn") and not outcome.runs:
        found.append("deployed, but no executable process to run")
    plan = PLANS.get(row.path, Plan())
    for run in outcome.runs:
        if run.status != "completed":
            found.append(f"{run.key}: {run.status} after {run.steps} steps: {run.reason}")
            continue
        missing = plan.expect_tasks - run.seen_tasks
        if missing:
            found.append(f"{run.key}: completed without reaching task(s) {sorted(missing)} "
                         f"(saw {sorted(run.seen_tasks)})")
        for element, count in plan.expect_completions.items():
            if run.completions[element] != count:
                found.append(f"{run.key}: task {element} completed {run.completions[element]} "
                             f"time(s), expected {count}")
        for name, value in plan.expect_data.items():
            if run.data.get(name) != value:
                found.append(f"{run.key}: data {name!r} is {run.data.get(name)!r}, expected {value!r}")
    return found


def culprit_problems(outcome: Outcome) -> list[str]:
    """For a reject: the refusal names the element (or line) that makes the file invalid."""
    culprits = REJECT_CULPRITS.get(outcome.row.path, frozenset())
    if outcome.result != "refused":
        return [f"not refused ({outcome.result})"]
    if not named_elements(outcome.message) & culprits:
        return [f"refusal does not name {sorted(culprits)}: {outcome.message}"]
    return []


def summary(outcome: Outcome) -> str:
    """One line for the report: what happened."""
    if outcome.result != "deployed":
        return outcome.message
    parts = []
    if outcome.processes:
        parts.append("processes " + ", ".join(outcome.processes))
    if outcome.decisions:
        parts.append("decisions " + ", ".join(outcome.decisions))
    for run in outcome.runs:
        text = f"{run.key}: {run.status}"
        if run.status == "completed":
            done = sum(run.completions.values())
            text += f" ({done} task(s) completed, {run.timers_fired} timer(s) fired)"
        else:
            text += f" — {run.reason.splitlines()[0] if run.reason else ''}"
        parts.append(text)
    return "; ".join(parts) or "imported"
