"""`sanfu soak`: a bounded loopback load of a realistic mix, for minutes, to see what a long day
does — the web application under gunicorn (sync workers) on a fresh database, C clerks with API
tokens who read their inboxes (待办, 待认领, 已办), open a task, claim, attach a photo now and then
and complete; alongside them S supervisors (督查, of the province and of its cities), signed in
through the login form, who reload the 督办看板 (/supervision/) every second or so. The clerks work
in the counties of a small province, so the board counts their tasks. Every 10 s it samples each
worker's resident memory and, on PostgreSQL, the connections to the database. The report:
throughput per minute, p50/p95/p99 per request kind (the dashboard one of them), errors (409s
apart), the first and the last minute's p95 (drift), memory and connections over time.

The work never runs out: each clerk's instances loop (认领办理 → 办结 → back to 认领办理, as 整改
rounds do), so a long soak is also a soak of long histories. It reuses bench-http's database and
server (engine/bench/http.py)."""
from __future__ import annotations

import http.client
import json
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from engine.bench import http as bench
from engine.bench.signed_in import SignedIn, SignInFailed
from engine.errors import InvalidInput

KINDS = ("inbox", "task", "claim", "upload", "complete", "dashboard")
SAMPLE_EVERY = 10.0
PHOTO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 2048  # what a phone sends, in small
UPLOAD_EVERY = 5  # one completion in five carries a photo
DASHBOARD_PAUSE = 1.0  # seconds a supervisor looks at the board before reloading it
PASSWORD = "Soak2026board"  # the supervisors' (throwaway database)


def run_soak(minutes: float = 10, clients: int = 20, workers: int = 2, database: str | None = None,
             force: bool = False, supervisors: int | None = None) -> dict:
    """`supervisors` defaults to one per ten clients (at least one)."""
    supervisors = max(1, clients // 10) if supervisors is None else supervisors
    if not 0 < minutes <= 24 * 60:
        raise InvalidInput("--minutes 须在 0–1440 之间 (minutes 0–1440)")
    if not 0 <= supervisors <= 64:
        raise InvalidInput("--supervisors 须在 0–64 之间 (supervisors 0–64)")
    bench._check(workers, clients, 1)
    seconds = minutes * 60
    with tempfile.TemporaryDirectory(prefix="sanfu-soak-") as tmp, \
            bench._database(database, force, Path(tmp)) as url:
        world = _fill(url, clients, supervisors, Path(tmp))
        with bench._gunicorn(bench.ROOT, url, workers, Path(tmp)) as port:
            run = _Soak(port, url)
            run.drive(world["tokens"], world["supervisors"], seconds)
    return run.report(seconds) | {"minutes": minutes, "clients": clients, "supervisors": supervisors,
                                  "workers": workers,
                                  "database": "sqlite" if database is None else "postgresql",
                                  "instances": world["instances"], "fill_seconds": world["fill_seconds"]}


LOOP = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Defs_{key}" targetNamespace="http://sanfu.local/soak">
  <bpmn:process id="{key}" name="浸泡测试{n}" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="take" name="认领办理" camunda:candidateGroups="{group}"/>
    <bpmn:userTask id="finish" name="办结" camunda:assignee="{clerk}"/>
    <bpmn:exclusiveGateway id="again" default="f_again"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="take"/>
    <bpmn:sequenceFlow id="f1" sourceRef="take" targetRef="finish"/>
    <bpmn:sequenceFlow id="f2" sourceRef="finish" targetRef="again"/>
    <bpmn:sequenceFlow id="f_again" sourceRef="again" targetRef="take"/>
    <bpmn:sequenceFlow id="f_end" sourceRef="again" targetRef="end">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${{note == "结束"}}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
  </bpmn:process>
</bpmn:definitions>
"""
INSTANCES_PER_CLERK = 3
CITIES, COUNTIES_PER_CITY = 2, 2


def _fill(url: str, clients: int, supervisors: int, folder: Path) -> dict:
    """A small province (2 cities of 2 counties); one clerk per client in a county (with a deputy,
    so 认领办理 waits in the group's queue), an API token each, and a few looping instances each in
    the clerk's county; supervisors of the province and of each city in turn, with passwords."""
    from engine.service import Engine
    from engine.store.db import make_engine
    from engine.store.migrate import upgrade
    began, db = time.perf_counter(), make_engine(url)
    try:
        upgrade(db)
        engine = Engine(db_engine=db, forms_dir=folder / "no-forms")
        engine.add_user("root", admin=True)
        counties, boards = _province(engine), _supervisors(engine, supervisors)
        tokens, paths = {}, []
        for n in range(clients):
            clerk, group = f"clerk{n}", f"soak_clerks{n}"
            engine.add_user(clerk, [group])
            engine.add_user(f"deputy{n}", [group])
            tokens[clerk] = engine.create_api_token(clerk, "soak")
            paths.append(folder / f"soak_{n}.bpmn")
            paths[-1].write_text(LOOP.format(key=f"soak_{n}", n=n, group=group, clerk=clerk), encoding="utf-8")
        engine.deploy(paths, "root")
        for n in range(clients):
            for _ in range(INSTANCES_PER_CLERK):
                engine.start(f"soak_{n}", "root", {"unit_id": counties[n % len(counties)]})
    finally:
        db.dispose()
    return {"tokens": tokens, "supervisors": boards, "instances": clients * INSTANCES_PER_CLERK,
            "fill_seconds": round(time.perf_counter() - began, 2)}


def _province(engine) -> list[int]:
    """省 soak_p, its cities soak_c0… and their counties soak_c0_x0…; the counties' ids."""
    engine.add_unit("soak_p", "浸泡省", "province", actor="root")
    counties = []
    for c in range(CITIES):
        engine.add_unit(f"soak_c{c}", f"浸泡{c}市", "city", "soak_p", actor="root")
        for x in range(COUNTIES_PER_CITY):
            counties.append(engine.add_unit(f"soak_c{c}_x{x}", f"浸泡{c}市{x}县", "county", f"soak_c{c}",
                                            actor="root"))
    return counties


def _supervisors(engine, count: int) -> list[str]:
    """督查 accounts: the first of the province, the next of each city in turn."""
    from engine.org.directory import Person
    names = []
    for s in range(count):
        unit = "soak_p" if s % (CITIES + 1) == 0 else f"soak_c{s % (CITIES + 1) - 1}"
        names.append(f"super{s}")
        engine.save_person(Person(names[-1], f"督查{s}", unit, roles=("supervisor",)), actor="root")
        engine.set_password(names[-1], PASSWORD, actor="root")
    return names


@dataclass
class _Soak:
    port: int
    url: str
    began: float = 0.0
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    samples: list[tuple[str, int | None, float, float]] = field(default_factory=list)
    memory: list[dict] = field(default_factory=list)

    def drive(self, tokens: dict[str, str], supervisors: list[str], seconds: float) -> None:
        threads = [threading.Thread(target=self.clerk, args=(token,), daemon=True) for token in tokens.values()]
        boards = [threading.Thread(target=self.supervisor, args=(name,), daemon=True) for name in supervisors]
        sampler = threading.Thread(target=self.sample, daemon=True)
        self.began = time.perf_counter()
        for thread in (*threads, *boards, sampler):
            thread.start()
        deadline = self.began + seconds
        while time.perf_counter() < deadline and any(t.is_alive() for t in threads):
            time.sleep(0.2)
        self.stop.set()
        for thread in (*threads, *boards, sampler):
            thread.join(60)

    def call(self, kind: str, method: str, path: str, token: str, body=None, upload: bytes | None = None):
        sent = time.perf_counter()
        try:
            status, answer = (_upload(self.port, path, token, upload) if upload is not None
                              else bench._request(self.port, method, path, token, body))
        except (OSError, http.client.HTTPException, ValueError):
            status, answer = None, {}
        self.record(kind, status, sent)
        return answer if status == 200 else None

    def record(self, kind: str, status: int | None, sent: float) -> None:
        now = time.perf_counter()
        with self.lock:
            self.samples.append((kind, status, now - sent, now - self.began))

    def supervisor(self, name: str) -> None:
        """A 督查 signed in through the login form, reloading the 督办看板 (signing in again if the
        session ends: that reload counts as an error)."""
        browser = None
        while not self.stop.is_set():
            status = None
            try:
                browser = browser or SignedIn(self.port, name, PASSWORD).sign_in()
                sent = time.perf_counter()  # the board, not the signing in
                status = browser.get("/supervision/")[0]
            except (OSError, http.client.HTTPException, SignInFailed):
                sent = time.perf_counter()
            self.record("dashboard", status, sent)
            if status != 200:
                browser = None
            self.stop.wait(DASHBOARD_PAUSE)

    def clerk(self, token: str) -> None:
        done = 0
        while not self.stop.is_set():
            todo = self.call("inbox", "GET", "/api/v1/inbox?view=todo&per_page=20", token)
            if todo is None:
                continue
            if not todo["rows"]:
                task_id = self.take(token)
                if task_id is None:
                    return  # out of work (sized not to happen)
            else:
                task_id = todo["rows"][0]["id"]
            self.call("task", "GET", f"/api/v1/tasks/{task_id}", token)
            done += 1
            if done % UPLOAD_EVERY == 0:
                self.call("upload", "POST", f"/api/v1/tasks/{task_id}/attachments", token, upload=PHOTO)
            if done % 10 == 0:
                self.call("inbox", "GET", "/api/v1/inbox?view=done&per_page=20", token)
            self.call("complete", "POST", f"/api/v1/tasks/{task_id}/complete", token,
                      {"data": {"note": "浸泡测试办结"}})

    def take(self, token: str) -> str | None:
        claimable = self.call("inbox", "GET", "/api/v1/inbox?view=claimable&per_page=20", token)
        if not claimable or not claimable["rows"]:
            return None
        task_id = claimable["rows"][0]["id"]
        return task_id if self.call("claim", "POST", f"/api/v1/tasks/{task_id}/claim", token, {}) is not None \
            else None

    def sample(self) -> None:
        while True:
            self.memory.append({"at_s": round(time.perf_counter() - self.began, 1), "rss_mb": _worker_rss(self.port),
                                "db_connections": _connections(self.url)})
            if self.stop.wait(SAMPLE_EVERY):
                return

    def report(self, seconds: float) -> dict:
        minutes = max(1, int(seconds // 60))
        per_minute = self.per_minute("complete", minutes)
        kinds = {kind: _figures([t for k, _s, t, _at in self.samples if k == kind])
                 | {"errors": sum(1 for k, s, _t, _at in self.samples if k == kind and _failed(s))} for kind in KINDS}
        first = [t for _k, _s, t, at in self.samples if at < 60]
        last = [t for _k, _s, t, at in self.samples if at >= seconds - 60]
        rss = [m["rss_mb"] for m in self.memory if m["rss_mb"]]
        connections = [m["db_connections"] for m in self.memory if m["db_connections"] is not None]
        return {
            "completions": sum(per_minute), "completions_per_minute": per_minute,
            "dashboards_per_minute": self.per_minute("dashboard", minutes),
            "requests": len(self.samples),
            "errors": sum(1 for s in self.samples if _failed(s[1])),
            "conflicts": sum(1 for s in self.samples if s[1] == 409),
            "kinds": kinds,
            "p95_first_minute_ms": _figures(first).get("p95_ms"), "p95_last_minute_ms": _figures(last).get("p95_ms"),
            "p95_per_minute_ms": [_figures([t for _k, _s, t, at in self.samples if m * 60 <= at < (m + 1) * 60])
                                  .get("p95_ms") for m in range(minutes)],
            "worker_rss_mb": {"first": rss[0] if rss else None, "last": rss[-1] if rss else None,
                              "max": max((max(r) for r in rss), default=None)},
            "db_connections": {"min": min(connections, default=None), "max": max(connections, default=None),
                               "last": connections[-1] if connections else None},
            "samples": self.memory,
        }


    def per_minute(self, kind: str, minutes: int) -> list[int]:
        """Successful requests of `kind` in each minute."""
        counts = [0] * minutes
        for k, status, _took, at in self.samples:
            if k == kind and status == 200 and at < minutes * 60:
                counts[int(at // 60)] += 1
        return counts


def _failed(status: int | None) -> bool:
    """No answer, or one that is neither a success nor a 409 (a conflict is the workload's, not a fault)."""
    return status is None or (status >= 300 and status != 409)


def _figures(took: list[float]) -> dict:
    if not took:
        return {"count": 0}
    ordered = sorted(t * 1000 for t in took)
    return {"count": len(ordered), **{f"p{p}_ms": round(bench._percentile(ordered, p), 1) for p in (50, 95, 99)}}


def _upload(port: int, path: str, token: str, content: bytes) -> tuple[int, dict]:
    """A multipart upload of one photo, as the API takes attachments (`file` part)."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"现场.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path, body=body, headers={"Authorization": f"Bearer {token}",
                                                       "Content-Type": f"multipart/form-data; boundary={boundary}"})
        answer = conn.getresponse()
        raw = answer.read()
        return answer.status, (json.loads(raw) if raw and answer.status == 200 else {})
    finally:
        conn.close()


def _worker_rss(port: int) -> list[float]:
    """Resident memory (MB) of each gunicorn worker listening on `port`: the master's children."""
    master = _master_pid(port)
    if master is None:
        return []
    children = Path(f"/proc/{master}/task/{master}/children")
    pids = children.read_text().split() if children.exists() else []
    return [round(_rss_kb(int(pid)) / 1024, 1) for pid in pids if _rss_kb(int(pid))]


def _master_pid(port: int) -> int | None:
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"gunicorn" in b" ".join(cmdline) and f"127.0.0.1:{port}".encode() in cmdline:
            return int(proc.name)
    return None


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _connections(url: str) -> int | None:
    if not url.startswith("postgresql"):
        return None
    from sqlalchemy import text

    from engine.store.db import make_engine
    db = make_engine(url, pool_size=1)
    try:
        with db.connect() as conn:  # this one included, then subtracted
            return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"))\
                .scalar() - 1
    finally:
        db.dispose()


def describe(report: dict) -> list[str]:
    lines = [f"soak: {report['database']}, {report['workers']} workers, {report['clients']} clients, "
             f"{report['supervisors']} supervisors, "
             f"{report['minutes']} min — {report['completions']} completions, {report['requests']} requests, "
             f"errors {report['errors']}, 409 {report['conflicts']}",
             f"  completions per minute: {report['completions_per_minute']}",
             f"  dashboards per minute: {report['dashboards_per_minute']}",
             f"  p95 first minute {report['p95_first_minute_ms']} ms, last minute {report['p95_last_minute_ms']} ms"]
    for kind, figures in report["kinds"].items():
        if figures["count"]:
            failed = f"  errors {figures['errors']}" if figures["errors"] else ""
            lines.append(f"  {kind:<9} n={figures['count']:<7} p50 {figures['p50_ms']} ms  p95 {figures['p95_ms']} ms"
                         f"  p99 {figures['p99_ms']} ms{failed}")
    lines.append(f"  p95 per minute (all kinds, ms): {report['p95_per_minute_ms']}")
    lines.append(f"  worker RSS (MB): first {report['worker_rss_mb']['first']}, last {report['worker_rss_mb']['last']}")
    each_minute = report["samples"][::int(60 // SAMPLE_EVERY)]  # a sample every 10 s: one a minute here
    lines.append(f"  worker RSS each minute (MB): {[m['rss_mb'] for m in each_minute]}")
    if report["db_connections"]["max"] is not None:
        lines.append(f"  PostgreSQL connections: min {report['db_connections']['min']}, "
                     f"max {report['db_connections']['max']}, last {report['db_connections']['last']}; "
                     f"each minute {[m['db_connections'] for m in each_minute]}")
    return lines
