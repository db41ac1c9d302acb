"""三员分立 on the web: the system admin, the security admin and the audit admin each reach
only their own pages; the security admin grants roles and resets passwords; the audit
admin reads, filters, pages and exports the log; the system admin imports the pairing
list with a preview that lists every bad row."""
from __future__ import annotations

import csv
import io
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from engine import clock
from engine.errors import NotAllowed
from engine.exchange.pairing import PairingRow, read_pairing, write_pairing
from engine.org.creditcode import demo_credit_codes
from engine.org.directory import Person
from engine.store.org_tables import Enterprise
from engine.store.tables import AuditEvent
from tests.helpers.web import PASSWORD, text_of

SYSTEM_PAGES = ("/admin/accounts", "/admin/unrouted", "/admin/handover", "/admin/deputies", "/admin/import",
                "/admin/import/template.xlsx")
SECURITY_PAGES = ("/admin/security",)
AUDIT_PAGES = ("/admin/audit", "/admin/audit/export.csv")
OWN_PAGES = {"root": SYSTEM_PAGES, "xh_sec": SECURITY_PAGES, "xh_audit": AUDIT_PAGES, "xh_water1": ()}
NAV = {"root": "/admin/accounts", "xh_sec": "/admin/security", "xh_audit": "/admin/audit"}


@pytest.fixture
def admins(sanfu):
    """A security admin and an audit admin, set up as a bureau does: the system admin
    appoints the first security admin, who grants the audit admin role."""
    for login in ("xh_sec", "xh_audit"):
        sanfu.save_person(Person(login, login, "xh", (), ()), actor="root")
        sanfu.set_password(login, PASSWORD, actor="root")
    sanfu.appoint_first_admin("xh_sec", "security_admin", actor="root")
    sanfu.set_roles("xh_audit", ["audit_admin"], actor="xh_sec")
    return sanfu


def events(sanfu, **where) -> list[AuditEvent]:
    with sanfu.uow(write=False) as uow:
        query = select(AuditEvent).filter_by(**where).order_by(AuditEvent.id)
        return list(uow.session.scalars(query))


@pytest.mark.parametrize("user", list(OWN_PAGES))
def test_each_administrator_reaches_only_their_own_pages(client, auth, admins, user):
    auth.login(user)
    home = text_of(client.get("/"))
    for name, link in NAV.items():
        assert (f'href="{link}"' in home) == (name == user), link
    for path in SYSTEM_PAGES + SECURITY_PAGES + AUDIT_PAGES:
        response = client.get(path)
        if path in OWN_PAGES[user]:
            assert response.status_code == 200, path
        else:
            assert response.status_code == 403 and "无权访问" in text_of(response), path
    index = client.get("/admin/")
    if user in NAV:
        assert index.status_code == 302 and index.headers["Location"].endswith(NAV[user])
    else:
        assert index.status_code == 403


def test_the_security_admin_grants_roles_and_resets_passwords(client, auth, post, admins):
    sanfu = admins
    auth.login("xh_sec")
    page = text_of(client.get("/admin/security"))
    assert 'value="security_admin"' in page and 'value="audit_admin"' in page
    response = post("/admin/security/xh_water1/roles", {"roles": ["staff", "section_head"]})
    assert response.status_code == 302
    assert sanfu.accounts("root", q="xh_water1")[0]["roles"] == ["section_head", "staff"]
    refused = post("/admin/security/xh_water2/roles", {"roles": ["staff", "admin", "security_admin"]})
    assert refused.status_code == 422 and "不能同时担任系统管理员、安全管理员" in text_of(refused)
    assert sanfu.accounts("root", q="xh_water2")[0]["roles"] == ["staff"]
    own = post("/admin/security/xh_sec/roles", {"roles": ["security_admin", "staff"]})
    assert own.status_code == 403 and "不能修改自己的角色" in text_of(own)
    assert post("/admin/security/xh_water1/password", {"password": "weak"}).status_code == 422
    assert post("/admin/security/xh_water1/password", {"password": "Changed2026pw"}).status_code == 302
    assert sanfu.authenticate("xh_water1", "Changed2026pw")["name"] == "xh_water1"
    [granted] = [e for e in events(sanfu, action="roles_set") if e.detail["user"] == "xh_water1"]
    assert granted.actor == "xh_sec" and granted.detail["after"] == ["section_head", "staff"]
    assert events(sanfu, action="password_reset")[-1].actor == "xh_sec"


def test_the_security_admin_unlocks_a_throttled_sign_in(client, auth, post, admins):
    for _ in range(5):  # from another address, so that the security admin's own sign-in is not throttled
        with pytest.raises(NotAllowed):
            admins.authenticate("xh_water1", "wrong-password-1", client="10.9.9.9")
    assert "15 分钟" in text_of(auth.login("xh_water1"))
    auth.login("xh_sec")
    assert 'data-locked="xh_water1"' in text_of(client.get("/admin/security"))
    assert post("/admin/security/unlock/xh_water1").status_code == 302
    auth.logout()
    assert auth.login("xh_water1").status_code == 302


def _old_events(sanfu, count: int, actor: str = "bulk", action: str = "login") -> None:
    now = clock.now()
    with sanfu.uow() as uow:
        for i in range(count):
            uow.session.execute(insert(AuditEvent).values(at=now - timedelta(hours=i + 1), actor=actor,
                                                          action=action, detail={"i": i}))


def test_the_audit_log_filters_pages_and_exports_csv(client, auth, admins):
    sanfu = admins
    _old_events(sanfu, 60)
    _old_events(sanfu, 1, actor="=HYPERLINK(\"http://x\")", action="login_failed")
    auth.login("xh_water1")
    auth.logout()
    auth.login("xh_audit")
    first = text_of(client.get("/admin/audit?actor=bulk&kind=login"))
    assert first.count('data-action="login"') == 50 and "登录" in first
    assert first.index("i：0</span>") < first.index("i：1</span>") < first.index("i：49</span>")  # newest first
    next_link = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    second = text_of(client.get(next_link))
    assert second.count('data-action="login"') == 10 and 'rel="next"' not in second
    assert "回到最新" in second
    logout = text_of(client.get("/admin/audit?actor=xh_water1&kind=login"))
    assert 'data-action="logout"' in logout and "退出登录" in logout and 'data-action="login"' in logout
    assert text_of(client.get("/admin/audit?actor=bulk&kind=password")).count("data-event=") == 0
    today = clock.to_local(clock.now()).date().isoformat()
    assert "data-event=" in text_of(client.get(f"/admin/audit?from={today}&to={today}&actor=xh_water1"))
    assert client.get("/admin/audit?from=not-a-day").status_code == 422

    export = client.get("/admin/audit/export.csv?kind=login")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["编号", "时间", "操作人", "操作"]
    actors = [row[2] for row in rows[1:]]
    assert actors.count("bulk") == 60 and "'=HYPERLINK(\"http://x\")" in actors  # never a live formula
    assert all(row[3] in ("登录", "登录失败", "退出登录") for row in rows[1:])
    assert events(sanfu, action="audit_viewed")[-1].actor == "xh_audit"
    assert events(sanfu, action="audit_exported")[-1].detail["rows"] == len(rows) - 1


def _pairing_file() -> bytes:
    """Three rows (the second naming an unknown liaison) and a fourth whose credit code is
    wrong: rows 3 and 5 of the sheet are bad, rows 2 and 4 good."""
    codes = demo_credit_codes(3, seed=31)
    rows = [PairingRow(n + 1, f"结对企业{n + 1}", code, "小", "传统产业", "西湖区分局", "西湖 联络员",
                       "13800000000", "西湖 分管局长", False, 2026, "paired") for n, code in enumerate(codes)]
    rows[1] = PairingRow(**{**rows[1].__dict__, "liaison": "查无此人"})
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "list.csv"
        write_pairing(rows, path)
        data = path.read_bytes()
    bad_code = "9133010" + "0" * 11  # fails the check digit: an error found reading the file
    bad_row = f"4,坏企业,{bad_code},小,传统产业,西湖区分局,西湖 联络员,13800000000,西湖 分管局长,否,2026,结对\r\n"
    return data + bad_row.encode()


def _enterprises(sanfu) -> int:
    with sanfu.uow(write=False) as uow:
        return len(list(uow.session.scalars(select(Enterprise.id))))


def _upload(post, data: bytes, **form):
    return post("/admin/import", {"file": (io.BytesIO(data), "名单.csv"), **form},
                content_type="multipart/form-data")


def test_pairing_import_previews_and_a_bad_row_imports_nothing(client, auth, post, sanfu):
    auth.login("root")
    before = _enterprises(sanfu)
    page = text_of(client.get("/admin/import"))
    assert "/admin/import/template.xlsx" in page and "只导入正确的行" in page
    preview = _upload(post, _pairing_file(), action="preview")
    body = text_of(preview)
    assert preview.status_code == 200 and 'data-outcome="preview"' in body
    assert 'data-row="3"' in body and "联络员" in body and "查无此人" in body    # row 3: 序号 2
    assert 'data-row="5"' in body and "统一社会信用代码" in body                  # the appended bad row
    assert 'data-count="created">2<' in body and 'data-count="skipped">2<' in body
    assert _enterprises(sanfu) == before                                         # a preview writes nothing
    refused = _upload(post, _pairing_file(), action="import")
    assert refused.status_code == 422 and "未导入任何数据" in text_of(refused)
    assert _enterprises(sanfu) == before


def test_pairing_import_of_the_good_rows_only_and_the_template(client, auth, post, sanfu, tmp_path):
    auth.login("root")
    before = _enterprises(sanfu)
    done = _upload(post, _pairing_file(), action="import", good_rows_only="1")
    body = text_of(done)
    assert done.status_code == 200 and 'data-outcome="imported"' in body
    assert 'data-count="created">2<' in body and 'data-count="skipped">2<' in body
    assert _enterprises(sanfu) == before + 2
    again = text_of(_upload(post, _pairing_file(), action="import", good_rows_only="1"))
    assert 'data-count="created">0<' in again and 'data-count="updated">2<' in again
    assert _enterprises(sanfu) == before + 2
    assert events(sanfu, action="pairing_imported")[-1].actor == "root"
    template = client.get("/admin/import/template.xlsx")
    assert template.status_code == 200 and template.data[:2] == b"PK"
    (tmp_path / "t.xlsx").write_bytes(template.data)
    read = read_pairing(tmp_path / "t.xlsx")
    assert read.ok and read.rows == []
    wrong = text_of(_upload(post, "不是名单\r\n1\r\n".encode(), action="preview"))
    assert 'data-row="1"' in wrong and "表头不对" in wrong
    typed = post("/admin/import", {"file": (io.BytesIO(b"x"), "名单.txt"), "action": "preview"},
                 content_type="multipart/form-data")
    assert typed.status_code == 422 and "只能导入 .xlsx 或 .csv" in text_of(typed)


@pytest.mark.parametrize("user", ["xh_sec", "xh_audit"])
def test_security_and_audit_admins_see_no_business_data(client, auth, admins, ids, user):
    auth.login(user)
    listing = client.get("/enterprises")
    assert listing.status_code == 200 and "西湖印染" not in text_of(listing)
    assert client.get(f"/enterprises/{ids['enterprise_id']}").status_code == 403
    assert admins.enterprises(user)["total"] == 0
