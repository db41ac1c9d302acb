"""The world the authorization matrix (test_authorization_matrix.py) walks: the web
fixtures' province plus one object of every kind a route can name, built once into a
SQLite file that each app copies.

- instance `service` (西湖印染, started by xh_liaison): the visit and a health check by
  xh_expert with three 水 findings, so three 整改 tasks for the 西湖 water section:
  `held` (claimed by xh_water1, with a photo `attachment` uploaded by xh_water1),
  `open` (unclaimed: the section's candidates may claim it), `delegated` (claimed by
  xh_water1 and 委派 to xh_water_head, who may resolve it), and a fourth matter already
  rectified by xh_water1 whose 科长审核 task `verify` xh_water_head holds (it may be
  退回 to the 整改 step), and a fifth that xh_water1 转办 to xh_water2: its 备案 `filing`
  waits for the water section head's 知悉;
- instance `follow_up` (a second 西湖 enterprise, same liaison) waiting at its 回访 task
  `follow_up_task` with a live one-time `rating_token`;
- an unrouted task `ghost` (its candidate group has no members) for the admin queue;
- a security admin `xh_sec` and an audit admin `xh_audit` (三员分立), appointed as a
  bureau does;
- an API token for every signed-in role (`tokens`).
"""
from __future__ import annotations

import hashlib
import io
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from engine import clock
from engine.org.creditcode import demo_credit_codes
from engine.org.directory import Pairing, Person
from engine.service import Engine
from tests.helpers.cosign_world import pending_cosign
from tests.helpers.forms import CHECK, NO_FINDINGS, RECTIFIED, VISIT, WATER
from tests.helpers.images import png
from tests.helpers.models import GHOST_MODEL
from tests.helpers.paths import FORMS
from tests.helpers.rating import START
from tests.helpers.web import PASSWORD, prepare_database

#: role → account (None: not signed in).
ROLES = {"anonymous": None, "liaison": "xh_liaison", "expert": "xh_expert", "staff": "xh_water1",
         "section_head": "xh_water_head", "supervisor": "hz_super", "other_county": "bj_water1",
         "system_admin": "root", "security_admin": "xh_sec", "audit_admin": "xh_audit"}
SECOND_ENTERPRISE = "西湖精密机械有限公司"
# Tables a read must never change. Left out: api_tokens (last_used_at moves on every API
# call), login_attempts (the sign-in throttle) and audit_events (compared apart: reads by
# the audit admin are recorded on purpose, see READ_ACTIONS).
SKIPPED_TABLES = {"api_tokens", "login_attempts", "audit_events", "alembic_version"}
# Read receipts: opening a task marks what its reader was told about it read (on purpose, like
# opening a copy). Those columns are left out; a new or deleted notification still counts.
READ_RECEIPTS = {"notifications": "id, recipient, kind, sender, text, task_id, instance_id, dedupe_key, created_at"}


def tiny_png() -> bytes:
    return png(8, 8)


def build_world(path: Path, attachment_dir: Path, url: str | None = None) -> dict:
    """Build the province and the world into the SQLite file `path` (or the empty database at
    `url`; files beside `path` still), attachments' bytes in `attachment_dir`; return the ids the
    routes' URLs are filled with."""
    ids = prepare_database(path, url)
    engine = Engine(url or f"sqlite:///{path}", forms_dir=FORMS)
    engine.attachment_dir = attachment_dir
    try:
        world = {"enterprise_id": ids["enterprise_id"], **_admins(engine), **_service(engine, ids),
                 **_follow_up(engine), **_ghost(engine, path.parent)}
        world.update(_records(engine, world))
        world.update(_deadlines(engine))
        world.update(pending_cosign(engine, ids["enterprise_id"]))  # 加签: `cosign`, on `cosigned_task`
        world["withdrawable"] = engine.start("complaint_12369", "xh_liaison", {})["id"]  # 撤回: nobody acted yet
        world["tokens"] = {role: engine.create_api_token(user, "authz-matrix")
                           for role, user in ROLES.items() if user}
        return world
    finally:
        engine.db.dispose()


def _admins(engine: Engine) -> dict:
    for login in ("xh_sec", "xh_audit"):
        engine.save_person(Person(login, login, "xh", (), ()), actor="root")
        engine.set_password(login, PASSWORD, actor="root")
    engine.appoint_first_admin("xh_sec", "security_admin", actor="root")
    engine.set_roles("xh_audit", ["audit_admin"], actor="xh_sec")
    return {}


def _service(engine: Engine, ids: dict) -> dict:
    service = engine.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})["id"]
    engine.complete(_only(engine, "xh_liaison")["id"], "xh_liaison", VISIT)
    findings = [dict(WATER, description=f"{WATER['description']}（{n}）") for n in (1, 2, 3, 4, 5)]
    engine.complete(_only(engine, "xh_expert")["id"], "xh_expert", dict(CHECK, findings=findings))
    held, open_, delegated, rectified, transferred = sorted(engine.tasks("xh_water1"), key=lambda t: t["id"])
    engine.claim(transferred["id"], "xh_water1")
    engine.transfer(transferred["id"], "xh_water1", reason="本人出差", to_user="xh_water2")
    [filing] = engine.filing_list("xh_water_head")["rows"]
    engine.claim(rectified["id"], "xh_water1")
    engine.complete(rectified["id"], "xh_water1", RECTIFIED)
    [verify] = [t for t in engine.tasks("xh_water_head") if t["name"] == "科长审核"]
    if verify["assignee"] is None:
        engine.claim(verify["id"], "xh_water_head")
    engine.claim(held["id"], "xh_water1")
    engine.claim(delegated["id"], "xh_water1")
    engine.delegate(delegated["id"], "xh_water1", "xh_water_head", "请科长把关")
    attachment = engine.add_attachment(held["id"], "xh_water1", "整改后.png", io.BytesIO(tiny_png()))
    scope = next(m["scope"] for m in engine.ledger_for(ids["enterprise_id"], "root")
                 if m["description"].endswith("（1）"))
    return {"service": service, "held": held["id"], "open": open_["id"], "delegated": delegated["id"],
            "verify": verify["id"], "filing": filing["id"], "attachment": attachment["id"], "matter_scope": scope}


def _follow_up(engine: Engine) -> dict:
    code = demo_credit_codes(3, seed=41)[2]
    enterprise_id, _ = engine.pair_enterprise(Pairing(SECOND_ENTERPRISE, code, "小", "传统产业", "xh",
                                                      liaison="xh_liaison", year=2026), actor="root")
    with clock.frozen_at(START):
        instance = engine.start("enterprise_service", "xh_liaison", {"enterprise_id": enterprise_id})["id"]
        visit = [t for t in engine.tasks("xh_liaison") if t["instance_id"] == instance]
        engine.complete(visit[0]["id"], "xh_liaison", VISIT)
        check = [t for t in engine.tasks("xh_expert") if t["instance_id"] == instance]
        engine.complete(check[0]["id"], "xh_expert", NO_FINDINGS)
    with clock.frozen_at(START + timedelta(days=31)):   # the 30-day wait before the 回访
        engine.fire_due_timers()
    [task] = [t for t in engine.tasks("xh_liaison") if t["instance_id"] == instance and t["name"] == "回访"]
    token = engine.issue_rating_link(task["id"], "xh_liaison")["token"]
    stages = [s["key"] for s in engine.rating_form(token)["stages"]]
    return {"follow_up": instance, "follow_up_task": task["id"], "rating_token": token, "rating_stages": stages,
            "second_enterprise_id": enterprise_id}


def _records(engine: Engine, world: dict) -> dict:
    """Two 督办单 listed by the city's 督查: one open (on the unclaimed task), one reported and
    waiting for 复核 (on the held task); both answered for by the water section's head."""
    record = engine.list_for_supervision(world["open"], "hz_super", "重点督办")["id"]
    reported = engine.list_for_supervision(world["held"], "hz_super", "重点督办")["id"]
    engine.report_record(reported, "xh_water_head", "已整改")
    return {"record": record, "reported_record": reported}


def _deadlines(engine: Engine) -> dict:
    """The task xh_water1 转办 to xh_water2: xh_water2 asks for an extension (`extension`, for
    the water section's head to decide), then it falls overdue (`overdue`, for 效能告诫).
    `extension_day`: a working day two months on, a date a holder may ask for."""
    from engine.calendar.store import work_calendar
    from engine.store.tables import HumanTask
    [filing] = [f for f in engine.filing_list("xh_water_head")["rows"] if f["kind"] == "transfer"]
    with engine.uow(write=False) as uow:
        day = work_calendar(uow.session).next_working_day(date.today() + timedelta(days=60))
    extension = engine.request_extension(filing["task_id"], "xh_water2", day.isoformat(), "企业停产检修")
    with engine.uow() as uow:
        uow.session.get(HumanTask, filing["task_id"]).due_at = clock.now() - timedelta(days=3)
    return {"overdue": filing["task_id"], "extension": extension["id"], "extension_day": day.isoformat()}


def _ghost(engine: Engine, folder: Path) -> dict:
    model = folder / "ghostly.bpmn"
    model.write_text(GHOST_MODEL, encoding="utf-8")
    engine.deploy([model], "root")
    engine.start("ghostly", "root")
    [task] = engine.unrouted("root")
    return {"ghost": task["id"]}


def _only(engine: Engine, user: str) -> dict:
    tasks = engine.tasks(user)
    assert len(tasks) == 1, (user, [t["name"] for t in tasks])
    return tasks[0]


# what changed ------------------------------------------------------------------------------
class Snapshots:
    """Fingerprints of every table a refused request must leave alone: a hash of its rows
    per table, and the audit events other than `read_actions` (reads recorded on purpose)."""

    def __init__(self, database_url: str, read_actions: frozenset[str]):
        self.db = create_engine(database_url)
        self.read_actions = read_actions
        with self.db.connect() as conn:
            self.tables = [n for n in inspect(conn).get_table_names() if n not in SKIPPED_TABLES]

    def take(self) -> dict:
        with self.db.connect() as conn:
            out = {}
            for name in self.tables:
                columns = READ_RECEIPTS.get(name, "*")
                rows = conn.execute(text(f'SELECT {columns} FROM "{name}"')).fetchall()
                out[name] = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()[:16]
            actions = conn.execute(text("SELECT action FROM audit_events")).scalars().all()
            out["audit_events"] = sorted(a for a in actions if a not in self.read_actions)
            return out

    def close(self) -> None:
        self.db.dispose()


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))

