"""`sanfu bench-http`: the HTTP path as users feel it — the web application under gunicorn (sync
workers) on a loopback port, C concurrent API clients, each a clerk with a bearer token, for S
seconds: read the inbox (GET /api/v1/inbox), complete what is theirs, else claim from the group's
queue and complete that. Reports completions/s, requests/s, p50/p95/p99 per request kind, the
409 conflicts apart from the errors (any other non-2xx, or no answer).

The database is fresh: a SQLite file (the shipped WAL settings) in a temporary folder, or a
PostgreSQL database given by URL that it empties before and after (refused if it holds tables,
unless --force). The engine never imports Flask: gunicorn runs as a subprocess in a process group
of its own, which is ended on every way out (the end, an exception, Ctrl-C). `app_path` runs
another checkout (the previous release) — both its fill and its server — for side-by-side runs.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from engine.bench import cpu
from engine.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2]
KINDS = ("inbox", "claim", "complete")
STARTUP_SECONDS = 60
STOP_SECONDS = 15


def run_bench_http(workers: int = 2, clients: int = 16, seconds: float = 20, database: str | None = None,
                   force: bool = False, app_path: Path | None = None, per_client: int | None = None) -> dict:
    _check(workers, clients, seconds)
    app_path = Path(app_path or ROOT).resolve()
    per_client = per_client or max(10, int(seconds * 20))  # 2 completions each: ~40/s per client to spare
    with tempfile.TemporaryDirectory(prefix="sanfu-bench-http-") as tmp, _database(database, force, Path(tmp)) as url:
        world = _fill(app_path, url, clients, per_client)
        with _gunicorn(app_path, url, workers, Path(tmp)) as port:
            run = _drive(port, world["tokens"], seconds, _database_name(url))
        lock_waits = _write_lock_waits(Path(tmp) / "gunicorn.log")
    report = _report(run, seconds)
    report["write_lock_waits_over_250ms"] = lock_waits
    report.update(workers=workers, clients=clients, seconds=seconds, port=port,
                  database="sqlite" if database is None else url.split(":", 1)[0].split("+", 1)[0],
                  app_path=str(app_path), instances=world["instances"], fill_seconds=world["fill_seconds"])
    return report


def _check(workers: int, clients: int, seconds: float) -> None:
    if not 1 <= workers <= 64:
        raise InvalidInput("--workers 须在 1–64 之间 (workers 1–64)")
    if not 1 <= clients <= 256:
        raise InvalidInput("--clients 须在 1–256 之间 (clients 1–256)")
    if not 0 < seconds <= 3600:
        raise InvalidInput("--seconds 须在 0–3600 之间 (seconds 0–3600)")


# the database -----------------------------------------------------------------------------
@contextmanager
def _database(url: str | None, force: bool, folder: Path):
    if url is None:
        yield f"sqlite:///{folder / 'bench_http.db'}"
        return
    if not url.startswith("postgresql"):
        raise InvalidInput("--database 须是 PostgreSQL 地址；默认用临时 SQLite 文件 "
                           "(--database takes a PostgreSQL URL; SQLite is the default)")
    _empty_postgres(url, force)
    try:
        yield url
    finally:
        _empty_postgres(url, force=True)


def _empty_postgres(url: str, force: bool) -> None:
    """Drop and recreate the public schema: the bench's database is throwaway."""
    from sqlalchemy import inspect, text

    from engine.store.db import make_engine
    db = make_engine(url)
    try:
        with db.begin() as conn:
            tables = inspect(conn).get_table_names(schema="public")
            if tables and not force:
                raise InvalidInput(f"数据库不是空的（{len(tables)} 张表），压测会清空它；确认请加 --force "
                                   "(the database is not empty and would be wiped: add --force)")
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        db.dispose()


def _fill(app_path: Path, url: str, clients: int, per_client: int) -> dict:
    source = (Path(__file__).parent / "http_fill.py").read_text(encoding="utf-8")
    args = json.dumps({"url": url, "clients": clients, "per_client": per_client})
    done = subprocess.run([sys.executable, "-c", source, args], cwd=app_path, env=_env(app_path, url),
                          capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"bench-http fill failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _env(app_path: Path, url: str, folder: Path | None = None) -> dict:
    env = {**os.environ, "PYTHONPATH": str(app_path), "SANFU_DATABASE_URL": url,
           "SANFU_FORMS_DIR": str(app_path / "forms"), "SANFU_SECRET_KEY": "bench-http"}
    if folder is not None:
        env["SANFU_INSTANCE_PATH"] = str(folder / "instance")
    env.pop("GUNICORN_CMD_ARGS", None)
    return env


# the server -------------------------------------------------------------------------------
def _database_name(url: str) -> str | None:
    """The PostgreSQL database's name, whose backends' CPU the report counts apart."""
    parsed = make_url(url)
    return parsed.database if parsed.get_backend_name() == "postgresql" else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _gunicorn(app_path: Path, url: str, workers: int, folder: Path):
    """gunicorn with N sync workers, in a process group of its own, ended however the block ends."""
    port, log = free_port(), folder / "gunicorn.log"
    argv = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", "sync",
            "--bind", f"127.0.0.1:{port}", "--timeout", "60", "--graceful-timeout", "10", "web:create_app()"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, cwd=app_path, env=_env(app_path, url, folder), stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_answering(proc, port, log)
        yield port
    finally:
        _stop(proc)


def _wait_until_answering(proc: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if _request(port, "GET", "/api/v1/openapi.json", None)[0] == 200:
                return
        except (OSError, http.client.HTTPException):
            time.sleep(0.1)
    tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
    raise RuntimeError(f"gunicorn did not answer on port {port}:\n{tail}")


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the whole group (graceful), SIGKILL if it lingers: nothing is left running."""
    for sig, wait in ((signal.SIGTERM, STOP_SECONDS), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
            if sig == signal.SIGTERM:
                os.killpg(proc.pid, signal.SIGKILL)  # a worker that outlived its master
        except subprocess.TimeoutExpired:
            continue
        except ProcessLookupError:
            pass
        break
    proc.wait(timeout=5)


def _write_lock_waits(log: Path) -> list[int]:
    """The SQLite write-lock waits the server logged (engine.store.db: ≥ 250 ms), in ms."""
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return [int(ms) for ms in re.findall(r"SQLite write lock waited (\d+) ms", text)]


# the clients ------------------------------------------------------------------------------
def _request(port: int, method: str, path: str, token: str | None, body: dict | None = None) -> tuple[int, dict]:
    """One request on a connection of its own (gunicorn's sync workers close each one)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        payload = None
        if body is not None:
            payload, headers["Content-Type"] = json.dumps(body), "application/json"
        conn.request(method, path, body=payload, headers=headers)
        answer = conn.getresponse()
        raw = answer.read()
        return answer.status, (json.loads(raw) if raw and answer.status == 200 else {})
    finally:
        conn.close()


@dataclass
class _Run:
    port: int
    began: float = 0.0
    deadline: float = 0.0
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    samples: list[tuple[str, int | None, float, float]] = field(default_factory=list)  # kind, status, took, at
    exhausted: int = 0
    cpu: dict = field(default_factory=dict)

    def call(self, kind: str, method: str, path: str, token: str, body: dict | None = None) -> dict | None:
        sent = time.perf_counter()
        try:
            status, answer = _request(self.port, method, path, token, body)
        except (OSError, http.client.HTTPException, ValueError):
            status, answer = None, {}
        now = time.perf_counter()
        with self.lock:
            self.samples.append((kind, status, now - sent, now))
        return answer if status == 200 else None

    def clerk(self, token: str, ready: threading.Barrier) -> None:
        """What a clerk does: read the inbox, finish what they hold (待办), else claim from the
        group's queue (待认领) and finish that; one inbox read per piece of work."""
        self.call("warmup", "GET", "/api/v1/inbox?view=todo&per_page=10", token)
        ready.wait()
        while not self.stop.is_set():
            todo = self.call("inbox", "GET", "/api/v1/inbox?view=todo&per_page=10", token)
            if todo is None:
                continue
            if todo["rows"]:
                self._complete(token, todo["rows"][0]["id"])
                continue
            claimable = self.call("inbox", "GET", "/api/v1/inbox?view=claimable&per_page=10", token)
            if claimable is None:
                continue
            if not claimable["rows"]:
                with self.lock:
                    self.exhausted += 1
                return
            task_id = claimable["rows"][0]["id"]
            if self.call("claim", "POST", f"/api/v1/tasks/{task_id}/claim", token, {}) is not None:
                self._complete(token, task_id)

    def _complete(self, token: str, task_id: str) -> None:
        self.call("complete", "POST", f"/api/v1/tasks/{task_id}/complete", token,
                  {"data": {"note": "压测办结", "amount": 3}})


def _drive(port: int, tokens: dict[str, str], seconds: float, database: str | None = None) -> _Run:
    run = _Run(port)
    ready = threading.Barrier(len(tokens) + 1)
    threads = [threading.Thread(target=run.clerk, args=(token, ready), daemon=True) for token in tokens.values()]
    for thread in threads:
        thread.start()
    ready.wait(timeout=STARTUP_SECONDS)   # every client has made one request: workers are warm
    server, load = cpu.server_group(port), os.getloadavg()[0]
    at_start = cpu.snapshot(server, database)
    run.began = time.perf_counter()
    run.deadline = run.began + seconds
    try:
        while time.perf_counter() < run.deadline and any(t.is_alive() for t in threads):
            time.sleep(0.05)
        run.cpu = cpu.spent(at_start, cpu.snapshot(server, database), load)
    finally:
        run.stop.set()
        for thread in threads:
            thread.join(60)
    return run


# the report -------------------------------------------------------------------------------
def _percentile(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _report(run: _Run, seconds: float) -> dict:
    window = [s for s in run.samples if s[0] != "warmup" and s[3] <= run.deadline]
    elapsed = min(seconds, max(s[3] for s in window) - run.began) if window else seconds
    kinds = {}
    for kind in KINDS:
        took = sorted(s[2] * 1000 for s in window if s[0] == kind)
        kinds[kind] = {"count": len(took), **({f"p{p}_ms": round(_percentile(took, p), 2) for p in (50, 95, 99)}
                                              | {"max_ms": round(took[-1], 2)} if took else {})}
    completions = sum(1 for kind, status, *_ in window if kind == "complete" and status == 200)
    return {
        "completions": completions,
        "completions_per_s": round(completions / elapsed, 1),
        "requests": len(window),
        "requests_per_s": round(len(window) / elapsed, 1),
        "conflicts": sum(1 for s in run.samples if s[1] == 409),
        "errors": sum(1 for s in run.samples if s[1] is None or (s[1] >= 300 and s[1] != 409)),
        "exhausted_clients": run.exhausted,
        "elapsed_s": round(elapsed, 2),
        "kinds": kinds,
        "cpu": run.cpu,
        "cpu_per_completion": cpu.per_unit(run.cpu, completions),
    }


def describe(report: dict) -> list[str]:
    lines = [f"bench-http: {report['database']}, gunicorn {report['workers']} sync workers, "
             f"{report['clients']} clients, {report['seconds']} s ({report['instances']} instances filled "
             f"in {report['fill_seconds']} s)",
             f"  completions/s {report['completions_per_s']}  requests/s {report['requests_per_s']}  "
             f"errors {report['errors']}  409 conflicts {report['conflicts']}"]
    for kind, figures in report["kinds"].items():
        if figures["count"]:
            lines.append(f"  {kind:<8} n={figures['count']:<6} p50 {figures['p50_ms']} ms  p95 {figures['p95_ms']} ms"
                         f"  p99 {figures['p99_ms']} ms  max {figures['max_ms']} ms")
    if report.get("cpu"):
        c = report["cpu"]
        database = f"database {c['database_cpu_s']}, " if "database_cpu_s" in c else ""
        lines.append(f"  CPU: machine {c['machine_busy_pct']}% busy of {c['cores']} cores "
                     f"(load {c['load_avg_1m_at_start']} at start); seconds: server {c['server_cpu_s']}, "
                     f"clients {c['client_cpu_s']}, {database}other {c['other_cpu_s']} "
                     f"({'anything else running' if database else 'the database, anything else running'})")
    if report.get("cpu_per_completion"):
        u = report["cpu_per_completion"]
        rest = f"database {u['database_ms']} ms" if "database_ms" in u else f"other {u['other_ms']} ms"
        lines.append(f"  CPU per completion: server {u['server_ms']} ms, clients {u['client_ms']} ms, {rest} → "
                     f"these cores sustain at most {u['ceiling_per_s']} completions/s at this cost, "
                     f"{u['ceiling_without_server_per_s']}/s with a server that took no CPU at all")
    if report["database"] == "sqlite":
        waits = report.get("write_lock_waits_over_250ms", [])
        longest = f" (longest {max(waits)} ms)" if waits else ""
        lines.append(f"  SQLite write-lock waits ≥ 250 ms: {len(waits)}{longest}")
    if report["exhausted_clients"]:
        lines.append(f"  note: {report['exhausted_clients']} clients ran out of tasks before the end")
    return lines
