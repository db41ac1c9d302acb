"""What the web tests share: the prepared database the apps run on, the CSRF token of a
page, a user's only task, a response's text, the inbox's tabs and rows, and the way to a
water matter's 整改 task."""
from __future__ import annotations

import re
from pathlib import Path

from engine.service import Engine
from engine.store.db import make_engine
from engine.store.migrate import upgrade
from tests.helpers.forms import CHECK, VISIT, WATER
from tests.helpers.paths import FORMS, PROCESSES
from tests.helpers.province import build_province

PASSWORD = "Sanfu2026pass"
USERS = ("root", "xh_liaison", "xh_expert", "xh_water1", "xh_water2", "xh_water_head", "xh_air1",
         "hz_super", "bj_water1", "xh_leader")
MODELS = ("enterprise_service.bpmn", "ledger_matter.bpmn", "routing.dmn", "bench_three_user_tasks.bpmn",
          "complaint_12369.bpmn")
_TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def prepare_database(path: Path, url: str | None = None) -> dict:
    """Build the province with passwords and models into the SQLite file `path` (or the empty
    database at `url`)."""
    db = make_engine(url or f"sqlite:///{path}")
    upgrade(db)
    engine = Engine(db_engine=db, forms_dir=FORMS)
    ids = build_province(engine)
    for user in USERS:
        engine.set_password(user, PASSWORD, actor="root")
    engine.deploy([PROCESSES / name for name in MODELS], "root")
    db.dispose()
    return ids


def csrf_token(client, path: str = "/") -> str:
    page = client.get(path, follow_redirects=True)
    match = _TOKEN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def only_task(engine: Engine, user: str, name: str | None = None) -> dict:
    tasks = [t for t in engine.tasks(user) if name is None or t["name"] == name]
    assert len(tasks) == 1, [t["name"] for t in engine.tasks(user)]
    return tasks[0]


def text_of(response) -> str:
    return response.get_data(as_text=True)


TAB = re.compile(r'data-view="(\w+)"[^>]*>\s*([^<]+?)\s*<span class="count[^"]*"[^>]*>(\d+\+?)</span>')


def tabs(body: str) -> dict[str, tuple[str, int | str]]:
    """Each tab's label and count: a number, or "99+" beyond the cap."""
    return {view: (label, count if count.endswith("+") else int(count))
            for view, label, count in TAB.findall(body)}


def rows(body: str) -> list[str]:
    return re.findall(r'class="task-link">([^<]+)</a>', body)


def to_rectification(sanfu) -> dict:
    """Visit and health check done: one 水 matter waits in the 西湖 water section's queue."""
    sanfu.complete(only_task(sanfu, "xh_liaison")["id"], "xh_liaison", VISIT)
    sanfu.complete(only_task(sanfu, "xh_expert")["id"], "xh_expert", dict(CHECK, findings=[WATER]))
    return only_task(sanfu, "xh_water1")
