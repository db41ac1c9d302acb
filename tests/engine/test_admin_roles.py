"""三员分立 in the engine: one administrator role per account on every path that sets roles,
nobody changes their own roles, each administrator does only their own work, admin and
security actions are audited, and audit rows are kept at least 180 days."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert, or_, select

from engine import clock
from engine.admin.audit_log import _filtered
from engine.cli.main import main as cli
from engine.errors import Conflict, InvalidInput, NotAllowed
from engine.exchange.commands import ImportRefused
from engine.exchange.pairing import UserRow, write_org
from engine.org.directory import Person
from engine.store.tables import AuditEvent
from tests.helpers.province import build_province

PASSWORD = "Sanfu2026pass"
TWO_ROLES = "不能同时担任"


@pytest.fixture
def province(engine):
    """The scenario province, plus a security admin (xh_sec) and an audit admin (xh_audit)
    set up the way a bureau does: appointed first, then granted by the security admin."""
    build_province(engine)
    for login in ("xh_sec", "xh_audit", "xh_new"):
        engine.save_person(Person(login, login, "xh", (), ()), actor="root")
    engine.appoint_first_admin("xh_sec", "security_admin", actor="root")
    engine.set_roles("xh_audit", ["audit_admin"], actor="xh_sec")
    return engine


def roles(engine, name: str) -> list[str]:
    return engine.accounts("root", q=name)[0]["roles"]


def events(engine, action: str) -> list[AuditEvent]:
    with engine.uow(write=False) as uow:
        return list(uow.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                        .order_by(AuditEvent.id)))


def test_no_account_holds_two_administrator_roles_on_any_path(province, tmp_path):
    engine = province
    with pytest.raises(InvalidInput, match="系统管理员、安全管理员"):     # the security admin's grant
        engine.set_roles("xh_new", ["admin", "security_admin"], actor="xh_sec")
    with pytest.raises(InvalidInput, match="安全管理员、审计管理员"):
        engine.set_roles("xh_new", ["security_admin", "audit_admin", "staff"], actor="xh_sec")
    with pytest.raises(InvalidInput, match="系统管理员、审计管理员"):     # the account form
        engine.save_person(Person("xh_audit", "审计", "xh", (), ("staff", "admin")), actor="root")
    with pytest.raises(InvalidInput, match="系统管理员、安全管理员"):     # account creation
        engine.create_account(Person("xh_two", "两个", "xh", (), ("admin", "security_admin")), PASSWORD,
                              actor="root")
    assert engine.accounts("root", q="xh_two") == []
    engine.add_user("ops", admin=True)                                   # the CLI's `user add --admin`
    assert cli(["--database", _url(engine), "admin-role", "appoint", "ops", "audit_admin", "--as", "root"]) == 3
    engine.set_active("xh_audit", False, actor="root")
    assert cli(["--database", _url(engine), "admin-role", "appoint", "ops", "audit_admin", "--as", "root"]) == 1
    assert roles(engine, "xh_sec") == ["security_admin"] and roles(engine, "xh_audit") == ["audit_admin"]

    path = tmp_path / "org.xlsx"                                         # the org import
    write_org([], [], [UserRow("xh_sec", "安全", "xh", ("water",), ("staff", "admin"))], path)
    with pytest.raises(ImportRefused, match="系统管理员、安全管理员"):
        engine.import_org(path, actor="root")
    report = engine.import_org(path, actor="root", good_rows_only=True)
    assert report.imported == 0 and report.problems[0]["column"] == "角色"
    assert roles(engine, "xh_sec") == ["security_admin"]


def test_the_system_admin_sets_business_roles_only_and_keeps_administrator_roles(province):
    engine = province
    with pytest.raises(NotAllowed, match="系统管理员只能设置业务角色"):
        engine.save_person(Person("xh_new", "新", "xh", (), ("staff", "audit_admin")), actor="root")
    with pytest.raises(NotAllowed, match="系统管理员只能设置业务角色"):
        engine.create_account(Person("xh_adm", "新", "xh", (), ("admin",)), PASSWORD, actor="root")
    engine.save_person(Person("xh_sec", "安全", "xh", ("water",), ("staff",)), actor="root")
    assert roles(engine, "xh_sec") == ["security_admin", "staff"]  # an edit keeps the admin role
    engine.set_roles("xh_new", ["admin"], actor="xh_sec")           # the security admin grants it
    assert engine.account("xh_new")["is_admin"] is True
    engine.set_roles("xh_new", ["staff"], actor="xh_sec")
    assert engine.account("xh_new")["is_admin"] is False
    assert roles(engine, "xh_new") == ["staff"]


def test_no_one_changes_their_own_roles(province):
    engine = province
    with pytest.raises(NotAllowed, match="不能修改自己的角色"):
        engine.set_roles("xh_sec", ["security_admin", "staff"], actor="xh_sec")
    engine.set_roles("xh_new", ["admin"], actor="xh_sec")
    with pytest.raises(NotAllowed, match="不能修改自己的角色"):
        engine.save_person(Person("xh_new", "新", "xh", ("water",), ("staff",)), actor="xh_new")
    engine.save_person(Person("xh_new", "新", "xh", ("water",), ()), actor="xh_new")  # unit/sections only
    assert roles(engine, "xh_new") == ["admin"]
    with pytest.raises(NotAllowed):
        engine.appoint_first_admin("root", "security_admin", actor="root")


def test_each_administrator_does_only_their_own_work(province):
    engine = province
    for actor in ("root", "xh_audit", "xh_water1"):
        with pytest.raises(NotAllowed):
            engine.set_roles("xh_water1", ["staff", "section_head"], actor=actor)
        with pytest.raises(NotAllowed):
            engine.unlock_login("xh_water1", actor=actor)
    for actor in ("xh_sec", "xh_audit"):
        with pytest.raises(NotAllowed):
            engine.save_person(Person("xh_water1", "水", "xh", ("water",), ("staff",)), actor=actor)
        with pytest.raises(NotAllowed):
            engine.set_active("xh_water1", False, actor=actor)
        with pytest.raises(NotAllowed):
            engine.unrouted(actor)
    for actor in ("root", "xh_sec", "xh_water1"):
        with pytest.raises(NotAllowed):
            engine.audit_events(actor)
    with pytest.raises(NotAllowed):
        engine.accounts("xh_audit")
    with pytest.raises(Conflict):  # appointing is for setting up only: the security admin exists
        engine.appoint_first_admin("xh_new", "security_admin", actor="root")


def test_passwords_resets_and_unlocks(province):
    engine = province
    engine.set_password("xh_water1", PASSWORD, actor="root")          # an initial password: allowed
    with pytest.raises(NotAllowed, match="安全管理员"):                # a reset: the security admin's
        engine.set_password("xh_water1", "Other2026pass", actor="root")
    for _ in range(5):
        with pytest.raises(NotAllowed):
            engine.authenticate("xh_water1", "wrong-password-1", client="10.0.0.9")
    assert engine.locked_logins("xh_sec")[0] == {**engine.locked_logins("xh_sec")[0], "user": "xh_water1",
                                                  "failures": 5, "locked": True}
    with pytest.raises(NotAllowed, match="15 分钟"):
        engine.authenticate("xh_water1", PASSWORD, client="10.0.0.9")
    assert engine.unlock_login("xh_water1", actor="xh_sec") == 5
    assert engine.authenticate("xh_water1", PASSWORD, client="10.0.0.9")["name"] == "xh_water1"
    engine.set_password("xh_water1", "Reset2026pass", actor="xh_sec")
    assert engine.authenticate("xh_water1", "Reset2026pass")["name"] == "xh_water1"
    assert engine.set_initial_passwords(["xh_water1", "xh_water2"], "Initial2026pw", actor="root") == 1
    assert engine.authenticate("xh_water1", "Reset2026pass")["name"] == "xh_water1"  # kept its own


def test_admin_and_security_actions_are_audited_with_their_actor(province):
    engine = province
    engine.create_account(Person("xh_made", "新建", "xh", ("water",), ("staff",)), PASSWORD, actor="root")
    engine.set_active("xh_made", False, actor="root")
    engine.set_password("xh_made", "Reset2026pass", actor="xh_sec")
    engine.unlock_login("xh_made", actor="xh_sec")
    engine.record_logout("xh_sec", client="10.0.0.1")
    expected = {"account_created": "root", "user_disabled": "root", "password_reset": "xh_sec",
                "login_unlocked": "xh_sec", "logout": "xh_sec", "roles_set": "xh_sec",
                "admin_appointed": "root", "person_saved": "root"}
    for action, actor in expected.items():
        assert events(engine, action) and events(engine, action)[-1].actor == actor, action
    [granted] = events(engine, "roles_set")
    assert granted.detail == {"user": "xh_audit", "before": [], "after": ["audit_admin"]}
    with pytest.raises(InvalidInput):
        engine.set_active("root", False, actor="root")


def _url(engine) -> str:
    return engine.db.url.render_as_string(hide_password=False)


def _age(engine, days_ago: list[int]) -> None:
    now = clock.now()
    with engine.uow() as uow:
        for days in days_ago:
            uow.session.execute(insert(AuditEvent).values(at=now - timedelta(days=days), actor="old",
                                                          action="login", detail={"days": days}))


def test_purge_keeps_180_days_and_deletes_only_older_rows(province):
    engine = province
    _age(engine, [400, 181, 179, 1])
    with pytest.raises(InvalidInput, match="至少保留 180 天"):
        engine.purge_audit(179, "operator")
    assert cli(["--database", _url(engine), "audit-purge", "--older-than-days", "30"]) == 1
    kept_before = len(events(engine, "login"))
    result = engine.purge_audit(180, "operator")
    assert result["deleted"] == 2
    assert sorted(e.detail["days"] for e in events(engine, "login")) == [1, 179]
    assert len(events(engine, "login")) == kept_before - 2
    [purge] = events(engine, "audit_purged")
    assert purge.actor == "operator" and purge.detail["deleted"] == 2 and purge.detail["older_than_days"] == 180
    assert cli(["--database", _url(engine), "audit-purge", "--older-than-days", "365"]) == 0
    assert [e.detail["deleted"] for e in events(engine, "audit_purged")] == [2, 0]


def test_the_audit_log_filters_pages_newest_first_and_records_its_readers(province):
    engine = province
    _age(engine, [3] * 5 + [10])
    page = engine.audit_events("xh_audit", who="old", limit=2)
    assert [r["detail"]["days"] for r in page["rows"]] == [3, 3] and page["next"]
    seen = [r["id"] for r in page["rows"]]
    while page["next"]:
        page = engine.audit_events("xh_audit", who="old", limit=2, after=page["next"])
        seen += [r["id"] for r in page["rows"]]
    assert len(seen) == len(set(seen)) == 6  # ties on one instant are neither skipped nor repeated
    since = clock.now() - timedelta(days=5)
    assert len(engine.audit_events("xh_audit", who="old", since=since)["rows"]) == 5
    assert {r["action"] for r in engine.audit_events("xh_audit", kind="account")["rows"]} >= {"roles_set",
                                                                                              "person_saved"}
    with pytest.raises(InvalidInput):
        engine.audit_events("xh_audit", kind="nonsense")
    csv_text = engine.export_audit_csv("xh_audit", who="old")
    assert csv_text.startswith("\ufeff编号,时间,操作人,操作") and csv_text.count("\n") == 7
    viewed = events(engine, "audit_viewed")
    assert viewed[-1].actor == "xh_audit" and events(engine, "audit_exported")[-1].detail["rows"] == 6


def _plan(engine, query) -> str:
    compiled = query.compile(dialect=engine.db.dialect, compile_kwargs={"render_postcompile": True})
    params = tuple(str(compiled.params[key]) if isinstance(compiled.params[key], datetime) else compiled.params[key]
                   for key in compiled.positiontup)
    with engine.db.connect() as conn:
        return " ".join(row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), params))


def test_the_log_pages_use_the_time_and_actor_indexes_on_sqlite(province):
    """Every page is a range on an index, read in order: no scan of the table, no sort."""
    engine = province
    if engine.db.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan")
    at = clock.now()
    page = _filtered(None, None, None, None, None).where(
        AuditEvent.at <= at, or_(AuditEvent.at < at, AuditEvent.id < 5)).limit(51)
    plan = _plan(engine, page)
    assert "ix_audit_at" in plan and "TEMP B-TREE" not in plan, plan
    plan = _plan(engine, _filtered(at - timedelta(days=7), at, "xh_sec", "login", None).limit(51))
    assert "ix_audit_actor" in plan and "TEMP B-TREE" not in plan, plan
    plan = _plan(engine, _filtered(at - timedelta(days=7), at, None, "account", None).limit(51))
    assert "ix_audit_at" in plan and "TEMP B-TREE" not in plan, plan
