"""`sanfu serve`: refuses a database whose schema is not current (run `sanfu init`), then runs the
app under gunicorn with the workers asked for — /healthz answers through it — and stops cleanly
on SIGTERM."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from engine.cli.main import main

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def test_serve_refuses_an_old_schema_then_serves_with_its_workers_and_stops_on_sigterm(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'sanfu.db'}"
    assert main(["--database", url, "serve"]) == 1
    assert "请先运行 sanfu init" in capsys.readouterr().err
    assert main(["--database", url, "init"]) == 0
    port = free_port()
    env = {**os.environ, "SANFU_SECRET_KEY": "serve-test", "SANFU_INSTANCE_PATH": str(tmp_path / "instance")}
    server = subprocess.Popen([sys.executable, "-m", "engine.cli", "--database", url, "serve", "--workers", "2",
                               "--bind", f"127.0.0.1:{port}"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        body = wait_for_health(port)
        assert body.startswith(b'{') and b'"database":true' in body.replace(b" ", b"")
        assert len(children(server.pid)) == 2                    # the gunicorn master's two workers
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=40)
    assert code == 0, server.stdout.read().decode(errors="replace")[-2000:]


def wait_for_health(port: int) -> bytes:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
                return answer.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
