"""Browser tests: Playwright driving Debian's Chromium (/usr/bin/chromium, never
`playwright install`) against the app served by `python -m web` on a free loopback port.

Off CI, the tests are skipped (with the reason) when /usr/bin/chromium is missing; in CI
(CI=true) a missing Chromium is a failure, never a skip. `.ci/run` installs it.
"""
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

import pytest

from tests.conftest import FORMS, IN_CI, ROOT
from tests.web.conftest import prepare_database

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENS = ROOT / "tests" / "_artifacts" / "screens"


@pytest.fixture(scope="session")
def chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    if IN_CI:
        pytest.fail("CI=true but /usr/bin/chromium is missing: .ci/run must install Debian's chromium")
    pytest.skip("Chromium not available: install Debian's chromium (apt-get install chromium) "
                "to run the browser tests")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, chromium):
    return {**browser_type_launch_args, "executable_path": str(chromium), "args": ARGS}


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


@pytest.fixture(scope="session")
def live_app(tmp_path_factory, chromium):
    """A prepared SQLite file served by `python -m web` in a subprocess: yields
    {"url", "database_url", "ids"}."""
    folder = tmp_path_factory.mktemp("live")
    database = folder / "sanfu.db"
    ids = prepare_database(database)
    with serve(database, folder) as url:
        yield {"url": url, "database_url": f"sqlite:///{database}", "ids": ids}


@pytest.fixture
def screens():
    """shot(page, name): a PNG of the viewport (not the full page), in tests/_artifacts/screens/."""
    SCREENS.mkdir(parents=True, exist_ok=True)

    def shot(page, name: str) -> Path:
        path = SCREENS / f"{name}.png"
        page.screenshot(path=str(path), full_page=False)
        return path
    return shot
