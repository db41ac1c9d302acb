"""The fault tests' world: clerks with API tokens and open tasks on PostgreSQL, `sanfu serve`
(gunicorn, sync workers) over it on a free loopback port, API clients that work through their
inboxes and note what each request got back, and the check that nothing is half-written.

Each clerk has a process of their own — 认领办理 (claimed from the clerk's own group) then 办结
(assigned to the clerk) — so clients never race one another: every conflict or failure a test
sees comes from the fault it injects, not from the workload.
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine.service import Engine
from engine.store.tables import AuditEvent, HumanTask, Instance
from tests.helpers.models import chain, process, user_task, write
from tests.helpers.paths import FORMS, ROOT

CUT = "cut"  # a request that got no HTTP answer: the connection was refused or dropped


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# the world ----------------------------------------------------------------------------------
@dataclass
class World:
    tokens: dict[str, str]            # clerk → API token
    instances: list[int]


def build_world(engine: Engine, tmp_path: Path, clerks: int, per_clerk: int) -> World:
    """`clerks` clerks, each with `per_clerk` instances waiting at 认领办理 in their group."""
    engine.add_user("root", admin=True)
    paths, tokens = [], {}
    for n in range(clerks):
        name = f"clerk{n}"
        engine.add_user(name, [f"clerks{n}"])
        engine.add_user(f"deputy{n}", [f"clerks{n}"])   # two in the group: 认领办理 waits to be claimed
        tokens[name] = engine.create_api_token(name, "fault test")
        body = chain(user_task("take", "认领办理", candidateGroups=f"clerks{n}"),
                     user_task("finish", "办结", assignee=name))
        paths.append(write(tmp_path, f"fault{n}.bpmn", process(f"fault{n}", body, name=f"故障测试{n}")))
    engine.deploy(paths, "root")
    instances = [engine.start(f"fault{n}", "root", {})["id"]
                 for n in range(clerks) for _ in range(per_clerk)]
    return World(tokens, instances)


# the server ---------------------------------------------------------------------------------
@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    log: Path
    mid_request: int = 0   # kills that caught a worker holding a client's connection
    killed: set[int] = field(default_factory=set)

    def workers(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def kill_worker(self, serving_for: float = 1.0, timeout: float = 60) -> int:
        """kill -9 of a worker in the middle of a request (it holds a client's connection) that
        has been up `serving_for` seconds, or of any worker up that long if none is caught mid-
        request within a second (gunicorn's master starts another); its pid."""
        deadline, patience = time.monotonic() + timeout, time.monotonic() + 1.0
        while True:
            ready = [pid for pid in self.workers()
                     if pid not in self.killed and _age(pid) >= serving_for and _alive(pid)]
            busy = [pid for pid in ready if self._holds_a_client(pid)]
            if busy or (ready and time.monotonic() > patience):
                victim = (busy or ready)[0]
                try:
                    os.kill(victim, signal.SIGKILL)
                    self.killed.add(victim)
                    self.mid_request += bool(busy)
                    return victim
                except ProcessLookupError:
                    pass  # a worker killed before, not yet reaped by the master
            assert time.monotonic() < deadline, "no gunicorn worker stayed up"
            time.sleep(0.002)

    def _holds_a_client(self, pid: int) -> bool:
        """Whether the worker has an established connection on the server's port (a request)."""
        try:
            inodes = {os.readlink(f"/proc/{pid}/fd/{fd}")[8:-1] for fd in os.listdir(f"/proc/{pid}/fd")}
        except OSError:
            return False
        port = f":{self.port:04X}"
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1].endswith(port) and fields[3] == "01" and fields[9] in inodes:
                return True
        return False

    def wait_for_workers(self, count: int, timeout: float = 60) -> None:
        _wait(lambda: len(self.workers()) == count and health(self.port) == 200, timeout,
              f"gunicorn did not come back to {count} answering workers:\n{self.output()[-3000:]}")

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def _alive(pid: int) -> bool:
    """Running, not a zombie the master has yet to reap."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _age(pid: int) -> float:
    """Seconds since the process started (/proc/<pid>/stat field 22, in clock ticks since boot)."""
    try:
        started = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return 0.0  # gone meanwhile
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return uptime - started / os.sysconf("SC_CLK_TCK")


@contextmanager
def serve(database_url: str, folder: Path, workers: int = 2, step_delay: float | None = None,
          answer_delay: float = 0.0):
    """`sanfu serve --workers N` on `database_url`, until the block ends (SIGTERM, then kill).
    `step_delay`, `answer_delay`: seconds each completion takes longer before its commit and
    after it (tests.helpers.slow_worker)."""
    port, log = free_port(), folder / "gunicorn.log"
    env = {**os.environ, "SANFU_SECRET_KEY": "fault-tests", "SANFU_INSTANCE_PATH": str(folder / "instance"),
           "SANFU_FORMS_DIR": str(FORMS), "PYTHONPATH": str(ROOT)}
    if step_delay is not None:
        env |= {"GUNICORN_CMD_ARGS": "--config python:tests.helpers.slow_worker",
                "SANFU_TEST_STEP_DELAY": str(step_delay), "SANFU_TEST_ANSWER_DELAY": str(answer_delay)}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "--database", database_url, "serve",
                                 "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--timeout", "30"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(proc, port, log)
    try:
        server.wait_for_workers(workers)
        yield server
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def health(port: int) -> int | None:
    try:
        return call(port, "GET", "/healthz", None, timeout=5).status
    except (OSError, http.client.HTTPException):
        return None


def _wait(ready, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.2)


# the clients --------------------------------------------------------------------------------
@dataclass
class Reply:
    status: int
    headers: dict
    body: dict


def call(port: int, method: str, path: str, token: str | None, body: dict | None = None,
         timeout: float = 20) -> Reply:
    """One request on a connection of its own (gunicorn's sync workers close each one);
    raises OSError / HTTPException when it gets no answer."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        payload = None
        if body is not None:
            payload, headers["Content-Type"] = json.dumps(body), "application/json"
        conn.request(method, path, body=payload, headers=headers)
        answer = conn.getresponse()
        raw = answer.read()
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {"text": raw.decode(errors="replace")[:500]}
        return Reply(answer.status, {k.lower(): v for k, v in answer.getheaders()}, parsed)
    finally:
        conn.close()


@dataclass
class Outcome:
    kind: str          # inbox | claim | complete
    task_id: str | None
    status: int | str  # the HTTP status, or CUT
    at: float          # time.monotonic() when the answer (or the failure) came
    retry_after: str | None = None
    took: float = 0.0  # seconds


@dataclass
class Clients:
    """Threads, one per clerk, each working through its inbox until it is empty or `stop`."""
    port: int
    tokens: dict[str, str]
    stop: threading.Event = field(default_factory=threading.Event)
    outcomes: list[Outcome] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Clients:
        self.threads = [threading.Thread(target=self._work, args=(name, token), daemon=True)
                        for name, token in self.tokens.items()]
        for thread in self.threads:
            thread.start()
        return self

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.stop.set()
        for thread in self.threads:
            thread.join(30)
        assert not any(t.is_alive() for t in self.threads), "a client thread hung"

    def busy(self) -> bool:
        return any(t.is_alive() for t in self.threads)

    def acknowledged(self, kind: str) -> set[str]:
        return {o.task_id for o in self.outcomes if o.kind == kind and isinstance(o.status, int) and o.status < 300}

    def statuses(self) -> Counter:
        return Counter((o.kind, o.status) for o in self.outcomes)

    def _work(self, name: str, token: str) -> None:
        """What a clerk does: finish what they hold (待办), else claim from the group (待认领)."""
        while not self.stop.is_set():
            rows = self._inbox(token, "todo")
            claim = rows == []
            if claim:
                rows = self._inbox(token, "claimable")
            if rows == []:
                return  # all done
            for row in rows or []:
                if self.stop.is_set():
                    return
                if claim:
                    self._request(token, "claim", row["id"], "POST", f"/api/v1/tasks/{row['id']}/claim", {})
                self._request(token, "complete", row["id"], "POST", f"/api/v1/tasks/{row['id']}/complete",
                              {"data": {"note": f"{name} 办理"}})

    def _inbox(self, token: str, view: str) -> list[dict] | None:
        reply = self._request(token, "inbox", None, "GET", f"/api/v1/inbox?view={view}&per_page=10")
        if reply is None:
            time.sleep(0.05)
            return None
        return reply.body["rows"]

    def _request(self, token: str, kind: str, task_id: str | None, method: str, path: str,
                 body: dict | None = None) -> Reply | None:
        sent = time.monotonic()
        try:
            reply = call(self.port, method, path, token, body)
        except (OSError, http.client.HTTPException):
            self.outcomes.append(Outcome(kind, task_id, CUT, time.monotonic(), took=time.monotonic() - sent))
            return None
        self.outcomes.append(Outcome(kind, task_id, reply.status, time.monotonic(),
                                     reply.headers.get("retry-after"), time.monotonic() - sent))
        return reply if reply.status == 200 else None


# the checks ---------------------------------------------------------------------------------
def assert_nothing_half_written(engine: Engine, completed: set[str]) -> dict:
    """Every acknowledged completion is there and advanced its instance; no task completed
    twice; every instance's open inbox rows are exactly its workflow's ready user tasks.
    Some counts, for the report."""
    with engine.uow(write=False) as uow:
        session = uow.session
        rows = {row.id: row for row in session.scalars(select(HumanTask))}
        completions = Counter(session.scalars(select(AuditEvent.task_id)
                                              .where(AuditEvent.action == "task_completed")))
        instances = session.scalars(select(Instance)).all()
        for instance in instances:
            open_rows = {r.id for r in rows.values() if r.instance_id == instance.id and r.status == "open"}
            ready = set() if instance.status != "running" else _ready_user_tasks(engine, session, instance)
            assert open_rows == ready, f"instance {instance.id}: inbox rows {open_rows} ≠ workflow {ready}"
    lost = [t for t in completed if rows[t].status != "completed"]
    assert not lost, f"acknowledged completions not saved: {lost}"
    took = {rows[t].instance_id for t in completed if rows[t].element_id == "take"}
    advanced = {r.instance_id for r in rows.values() if r.element_id == "finish"}
    assert took <= advanced, f"acknowledged 认领办理 whose instance did not advance: {took - advanced}"
    assert not completions or max(completions.values()) == 1, \
        f"completed twice: {[t for t, n in completions.items() if n > 1]}"
    assert sum(completions.values()) == sum(r.status == "completed" for r in rows.values())
    return {"instances": len(instances), "completed_tasks": sum(completions.values()),
            "finished_instances": sum(i.status == "completed" for i in instances)}


def _ready_user_tasks(engine: Engine, session, instance) -> set[str]:
    loaded = engine.runtime.load(session, instance)
    return {str(t.id) for t in loaded.workflow.get_tasks(state=TaskState.READY)
            if t.task_spec.__class__.__name__.endswith("UserTask")}
