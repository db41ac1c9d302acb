"""Run a scenario against a throwaway database: a temporary SQLite file, migrated, with the
scenario's organisation and models, the engine's clock held at the scenario's moment.

Each step runs through the Engine facade as a person would (complete, claim, transfer,
return, messages), a clock step fires what falls due and runs the scheduler's periodic jobs
(the ladder among them), and an expectation compares the instance's open tasks, status and
data with what the file says, difference by difference.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from tempfile import TemporaryDirectory

from sqlalchemy import select

from engine import access, clock
from engine.errors import SanfuError
from engine.jobs.scheduler import run_periodic_jobs
from engine.org import directory
from engine.runtime.core import instance_data
from engine.scenarios.expectations import compare
from engine.scenarios.format import Scenario, jump
from engine.scenarios.orgs import SCENARIO_ADMIN, build_org
from engine.service import Engine
from engine.store.db import make_engine
from engine.store.migrate import upgrade
from engine.store.org_tables import Enterprise
from engine.store.tables import Timer

ACTION_WORDS = {"complete": "办理", "claim": "认领", "transfer": "转办", "return": "退回", "clock": "时钟",
                "message": "消息", "expect": "预期", "start": "发起", "setup": "准备"}


@dataclass
class StepResult:
    index: int                      # 1-based step number; 0 = setting up and starting
    kind: str                       # one of format.ACTIONS, or "setup"/"start"
    summary: str
    status: str = "passed"          # passed | failed | skipped
    differences: list[str] = field(default_factory=list)
    elements: list[str] = field(default_factory=list)   # BPMN element ids the step touched
    note: str = ""                  # the designer's own words for the step

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass
class ScenarioResult:
    name: str
    file: str
    steps: list[StepResult] = field(default_factory=list)
    instance_status: str | None = None
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return all(step.passed for step in self.steps)


class StepFailed(Exception):
    """A step that could not do what it says (no such task, an unexpected refusal)."""


def run_scenario(scenario: Scenario, *, time_limit: float | None = None) -> ScenarioResult:
    """Run every step in a fresh temporary database; the result lists each step's outcome."""
    began = time.monotonic()
    with TemporaryDirectory(prefix="sanfu-scenario-") as folder:
        db = make_engine(f"sqlite:///{Path(folder) / 'scenario.db'}")
        try:
            upgrade(db)
            engine = Engine(db_engine=db, forms_dir=scenario.forms)
            return replay(engine, scenario, time_limit=time_limit, began=began)
        finally:
            db.dispose()


def replay(engine: Engine, scenario: Scenario, *, org_built: bool = False, time_limit: float | None = None,
           began: float | None = None) -> ScenarioResult:
    """Run every step on the caller's engine (its database migrated); `org_built` when an
    earlier replay on that database built the scenario's organisation (sanfu bench replays
    the shipped stories round after round on one engine, as a serving worker runs them)."""
    began = time.monotonic() if began is None else began
    result = ScenarioResult(scenario.name, str(scenario.path))
    _Run(engine, scenario, result, began, time_limit, build_org=not org_built).all_steps()
    result.seconds = round(time.monotonic() - began, 2)
    return result


class _Run:
    def __init__(self, engine: Engine, scenario: Scenario, result: ScenarioResult, began: float,
                 time_limit: float | None, build_org: bool = True):
        self.engine, self.scenario, self.result, self.build_org = engine, scenario, result, build_org
        self.deadline = began + time_limit if time_limit else None
        self.now: datetime = scenario.at or clock.now()
        self.instance_id: int | None = None

    @contextmanager
    def at_now(self):
        with clock.frozen_at(self.now):
            yield

    def all_steps(self) -> None:
        if not self.set_up():
            return self.skip_from(0)
        for index, step in enumerate(self.scenario.steps, start=1):
            if self.deadline and time.monotonic() > self.deadline:
                self.result.steps.append(StepResult(index, "timeout", "超过时间限制，停止运行 (time limit)",
                                                    "failed"))
                return self.skip_from(index)
            outcome = self.one_step(index, step)
            self.result.steps.append(outcome)
            if outcome.status == "failed" and outcome.kind != "expect":
                return self.skip_from(index)  # the story broke here: later steps would only echo it
        with self.at_now():
            self.result.instance_status = self.engine.show(self.instance_id)["status"]

    def skip_from(self, done: int) -> None:
        for index, step in enumerate(self.scenario.steps[done:], start=done + 1):
            kind = _kind(step)
            self.result.steps.append(StepResult(index, kind, describe(kind, step[kind]), "skipped"))

    def set_up(self) -> bool:
        start = self.scenario.start
        outcome = StepResult(0, "start", f"发起 {start['process']}（{start['as']}）")
        try:
            with self.at_now():
                if self.build_org:
                    build_org(self.engine, self.scenario.org)
                self.engine.deploy(self.scenario.processes, SCENARIO_ADMIN)
                data = {**(start.get("data") or {}), **self.business_ids(start)}
                self.instance_id = self.engine.start(start["process"], start["as"], data)["id"]
            outcome.elements = [task["element_id"] for task in self.open_tasks()]
        except (SanfuError, StepFailed) as err:
            outcome.status, outcome.differences = "failed", [str(err)]
        self.result.steps.append(outcome)
        return outcome.passed

    def business_ids(self, start: dict) -> dict:
        """`enterprise:` and `unit:` in the start name what the data carries as ids."""
        ids = {}
        with self.engine.uow(write=False) as uow:
            if start.get("unit"):
                ids["unit_id"] = directory.unit_by_code(uow.session, start["unit"]).id
            if start.get("enterprise"):
                found = uow.session.scalar(select(Enterprise.id).where(Enterprise.name == start["enterprise"]))
                if found is None:
                    raise StepFailed(f"组织中没有企业 {start['enterprise']} (no such enterprise)")
                ids["enterprise_id"] = found
        return ids

    def one_step(self, index: int, step: dict) -> StepResult:
        kind = _kind(step)
        body = step[kind]
        outcome = StepResult(index, kind, describe(kind, body), note=step.get("note") or "")
        if step.get("expect_error"):
            outcome.summary += f"，预期错误 {step['expect_error']}"
        try:
            with self.at_now():
                if kind == "expect":
                    outcome.differences, outcome.elements = compare(body, self.open_tasks(), self.instance())
                elif kind == "clock":
                    outcome.elements = self.move_clock(body, index)
                    if str(body).startswith(("+", "P")):
                        outcome.summary += f" → {clock.to_local(self.now):%Y-%m-%d %H:%M}"
                else:
                    outcome.differences = self.command(kind, body, step.get("expect_error"), outcome.elements)
        except (SanfuError, StepFailed) as err:
            outcome.differences = [str(err)]
        outcome.status = "failed" if outcome.differences else "passed"
        return outcome

    def command(self, kind: str, body: dict, expected_error: str | None, elements: list[str]) -> list[str]:
        """Run a person's command (adding the task's element to `elements`); the differences
        from what the step expects: an error that did not come, or another one."""
        task = self.find_task(body) if "task" in body else None
        if task:
            elements.append(task["element_id"])
        try:
            self.issue(kind, body, task)
        except SanfuError as err:
            if expected_error in (err.code, type(err).code):
                return []
            if expected_error:
                return [f"预期错误 {expected_error}，实际错误 {err.code}：{err}"]
            raise
        if expected_error:
            return [f"预期错误 {expected_error}，但命令成功了 (expected an error)"]
        return []

    def issue(self, kind: str, body: dict, task: dict | None) -> None:
        engine, actor = self.engine, body.get("as") or SCENARIO_ADMIN
        if kind == "complete":
            engine.complete(task["id"], actor, body.get("data") or {})
        elif kind == "claim":
            engine.claim(task["id"], actor)
        elif kind == "transfer":
            engine.transfer(task["id"], actor, reason=body.get("reason") or "场景测试转办",
                            to_user=body.get("to_user"), to_section=body.get("to_section"),
                            to_unit=body.get("to_unit"))
        elif kind == "return":
            engine.return_task(task["id"], actor, body.get("reason") or "场景测试退回")
        elif kind == "message":
            engine.send_message(body["name"], actor, body.get("data") or {}, instance_id=self.instance_id)

    def move_clock(self, text: str, index: int) -> list[str]:
        """Move the clock, fire the timers now due and run the periodic jobs; the elements of
        the timers that fired."""
        moment = jump(text, self.now, f"第 {index} 步 时钟（clock）")
        if moment < self.now:
            raise StepFailed(f"时钟不能倒退：{clock.to_local(moment):%Y-%m-%d %H:%M} 早于当前 (clock moves forward)")
        self.now = moment
        with clock.frozen_at(moment):
            with self.engine.uow(write=False) as uow:
                due = uow.session.scalars(select(Timer.element_id).where(
                    Timer.instance_id == self.instance_id, Timer.status == "pending",
                    Timer.due_at <= clock.now())).all()
            self.engine.fire_due_timers("scenario")
            run_periodic_jobs(self.engine, "scenario")
        return list(due)

    def open_tasks(self) -> list[dict]:
        return self.engine.show(self.instance_id)["open_tasks"]

    def instance(self) -> dict:
        """Status and data as the process holds them (unmasked: the designer's own test)."""
        with self.engine.uow(write=False) as uow:
            row = access.instance(uow.session, self.instance_id)
            loaded = self.engine.runtime.load(uow.session, row)
            return {"status": row.status, "data": instance_data(loaded.workflow)}

    def find_task(self, body: dict) -> dict:
        """The open task named by element id or name; among several, those the actor may work
        on, then the `nth` (default: the first)."""
        name, actor = body["task"], body.get("as")
        tasks = self.open_tasks()
        matching = [t for t in tasks if name in (t["element_id"], t["name"])]
        if len(matching) > 1 and actor:
            theirs = {t["id"] for t in self.engine.tasks(actor)}
            matching = [t for t in matching if t["id"] in theirs] or matching
        nth = body.get("nth", 1)
        if len(matching) < nth:
            open_now = "、".join(f"{t['element_id']}（{t['name']}）" for t in tasks) or "无"
            which = f"（第 {nth} 个）" if nth > 1 else ""
            raise StepFailed(f"没有待办任务 {name}{which}；当前待办：{open_now} "
                             "(no such open task)")
        return matching[nth - 1]


def _kind(step: dict) -> str:
    return next(key for key in step if key in ACTION_WORDS)


def describe(kind: str, body) -> str:
    """One line for the report: `办理 record_visit（xh_liaison）`."""
    word = ACTION_WORDS.get(kind, kind)
    if kind == "clock":
        return f"{word} {body}"
    if kind == "message":
        return f"{word} {body['name']}"
    if kind == "expect":
        return word + "：" + "、".join({"tasks": "待办", "status": "状态", "data": "数据"}[k] for k in body)
    return f"{word} {body['task']}（{body['as']}）"
