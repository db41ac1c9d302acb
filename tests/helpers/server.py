"""The web application served by `python -m web` in a subprocess, on a free loopback port,
for the browser tests."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from tests.helpers.paths import FORMS, ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"python -m web exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/login", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise RuntimeError(f"python -m web did not answer within 30 s:\n{log.read_text()}")


@contextmanager
def serve(database: Path, folder: Path, **settings: str):
    """`python -m web` on `database` in a subprocess, on a free loopback port; yields its URL.
    `settings` are extra SANFU_* environment variables (e.g. SANFU_ATTACHMENT_DIR)."""
    port = _free_port()
    env = {**os.environ, "SANFU_DATABASE_URL": f"sqlite:///{database}", "SANFU_SECRET_KEY": "browser-tests",
           "SANFU_INSTANCE_PATH": str(folder / "instance"), "SANFU_FORMS_DIR": str(FORMS),
           "PYTHONPATH": str(ROOT), **settings}
    log = folder / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "web", "--host", "127.0.0.1", "--port", str(port)],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
