"""Browser tests: Playwright driving Debian's Chromium (/usr/bin/chromium, never
`playwright install`) against the app served by `python -m web` on a free loopback port.

Off CI, the tests are skipped (with the reason) when /usr/bin/chromium is missing; in CI
(CI=true) a missing Chromium is a failure, never a skip. `.ci/run` installs it.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.paths import IN_CI, ROOT
from tests.helpers.server import serve
from tests.helpers.web import prepare_database

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


@pytest.fixture(scope="session")
def live_app(tmp_path_factory, chromium):
    """A prepared SQLite file served by `python -m web` in a subprocess: yields
    {"url", "database_url", "ids"}."""
    folder = tmp_path_factory.mktemp("live")
    database = folder / "sanfu.db"
    ids = prepare_database(database)
    with serve(database, folder) as url:
        yield {"url": url, "database_url": f"sqlite:///{database}", "ids": ids}


@pytest.fixture(scope="module")
def served(tmp_path_factory, chromium):
    """A server and database of the test module's own (attachments saved under "files"), so
    no other browser test's inbox counts are disturbed: yields
    {"url", "database_url", "ids", "files"}."""
    folder = tmp_path_factory.mktemp("attachments-live")
    database = folder / "sanfu.db"
    ids = prepare_database(database)
    files = folder / "files"
    with serve(database, folder, SANFU_ATTACHMENT_DIR=str(files)) as url:
        yield {"url": url, "database_url": f"sqlite:///{database}", "ids": ids, "files": files}


@pytest.fixture
def screens():
    """shot(page, name): a PNG of the viewport (not the full page), in tests/_artifacts/screens/."""
    SCREENS.mkdir(parents=True, exist_ok=True)

    def shot(page, name: str) -> Path:
        path = SCREENS / f"{name}.png"
        page.screenshot(path=str(path), full_page=False)
        return path
    return shot
