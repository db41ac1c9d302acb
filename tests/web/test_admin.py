"""The system admin's pages (系统管理员): accounts, the unrouted queue, handover, deputies.
The security and audit admins' pages are in test_admin_split.py."""
from __future__ import annotations

import pytest

from tests.helpers.models import GHOST_MODEL
from tests.helpers.web import PASSWORD, csrf_token, text_of

GETS = ("/admin/", "/admin/accounts", "/admin/unrouted", "/admin/handover", "/admin/deputies", "/admin/import",
        "/admin/import/template.xlsx", "/admin/security", "/admin/audit", "/admin/audit/export.csv")
POSTS = ("/admin/accounts", "/admin/accounts/xh_water1/edit", "/admin/accounts/xh_water1/active",
         "/admin/security/xh_water1/password", "/admin/security/xh_water1/roles", "/admin/security/unlock/xh_water1",
         "/admin/unrouted/x/assign", "/admin/handover", "/admin/deputies", "/admin/import")


@pytest.fixture
def ghost_task(sanfu, tmp_path):
    """An open task whose candidate group has no members: it waits in the unrouted queue."""
    model = tmp_path / "ghostly.bpmn"
    model.write_text(GHOST_MODEL, encoding="utf-8")
    sanfu.deploy([model], "root")
    sanfu.start("ghostly", "xh_water1")
    [task] = sanfu.unrouted("root")
    return task


def test_non_admins_get_403_on_every_admin_route(client, auth, post):
    assert client.get("/admin/accounts").status_code == 302  # not signed in: the sign-in page
    auth.login("xh_water_head")
    assert "管理</a>" not in text_of(client.get("/"))
    for path in GETS:
        response = client.get(path)
        assert response.status_code == 403 and "无权访问" in text_of(response), path
    for path in POSTS:
        assert post(path, {"name": "x", "password": "Abcdefgh12345"}).status_code == 403, path


def test_admin_creates_an_account_that_can_sign_in(client, auth, post, sanfu):
    auth.login("root")
    assert "管理</a>" in text_of(client.get("/"))
    response = post("/admin/accounts", {"name": "xh_new", "display_name": "西湖 新人", "unit": "xh",
                                        "sections": "water, air", "roles": ["staff", "liaison"],
                                        "password": "Welcome2026ok"}, follow_redirects=True)
    assert response.status_code == 200 and "已创建账户 xh_new" in text_of(response)
    [account] = sanfu.accounts("root", q="xh_new")
    assert account["unit_code"] == "xh" and account["sections"] == ["air", "water"]
    assert account["roles"] == ["liaison", "staff"] and account["active"]
    auth.logout()
    auth.login("xh_new", "Welcome2026ok")
    assert client.get("/").status_code == 200
    assert "西湖 新人" in text_of(client.get("/"))


def test_a_weak_password_is_refused_and_nothing_is_created(client, auth, post, sanfu):
    auth.login("root")
    response = post("/admin/accounts", {"name": "xh_weak", "display_name": "弱", "unit": "xh",
                                        "roles": ["staff"], "password": "short1"})
    assert response.status_code == 422
    assert "密码至少 10 位，且须同时包含字母和数字" in text_of(response)
    assert 'value="xh_weak"' in text_of(response)  # the form keeps what was typed
    assert sanfu.accounts("root", q="xh_weak") == []


def test_edit_roles_but_not_administrator_roles_nor_passwords(client, auth, post, sanfu):
    auth.login("root")
    post("/admin/accounts/xh_water1/edit", {"unit": "xh", "sections": "air", "roles": ["staff", "section_head"]})
    [account] = sanfu.accounts("root", q="xh_water1")
    assert account["sections"] == ["air"] and account["roles"] == ["section_head", "staff"]
    assert post("/admin/accounts/xh_water1/edit", {"sections": "nosuch", "roles": ["staff"]}).status_code == 422
    page = text_of(client.get("/admin/accounts"))
    assert 'value="security_admin"' not in page and 'value="admin"' not in page  # business roles only
    refused = post("/admin/accounts/xh_water1/edit", {"unit": "xh", "sections": "air", "roles": ["staff", "admin"]})
    assert refused.status_code == 403 and "系统管理员只能设置业务角色" in text_of(refused)
    assert sanfu.accounts("root", q="xh_water1")[0]["roles"] == ["section_head", "staff"]
    # resetting a password is the security admin's (test_admin_split.py), not the system admin's
    assert post("/admin/security/xh_water1/password", {"password": "Changed2026pw"}).status_code == 403


def test_disabling_an_account_ends_its_session_at_the_next_request(app, client, auth):
    auth.login("xh_water1")
    assert client.get("/").status_code == 200
    admin = app.test_client()
    admin.post("/login", data={"name": "root", "password": PASSWORD, "csrf_token": csrf_token(admin, "/login")})
    response = admin.post("/admin/accounts/xh_water1/active",
                          data={"active": "0", "csrf_token": csrf_token(admin, "/admin/accounts")})
    assert response.status_code == 302
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    admin.post("/admin/accounts/xh_water1/active",
               data={"active": "1", "csrf_token": csrf_token(admin, "/admin/accounts")})
    assert auth.login("xh_water1").status_code == 302


def test_the_unrouted_queue_lists_a_task_and_assigning_puts_it_in_the_inbox(client, auth, post, ghost_task):
    auth.login("root")
    page = text_of(client.get("/admin/unrouted"))
    assert f'data-task="{ghost_task["id"]}"' in page and "无人认领的步骤" in page
    refused = post(f"/admin/unrouted/{ghost_task['id']}/assign", {"user": "nobody"})
    assert refused.status_code == 403 and "不存在" in text_of(refused)
    response = post(f"/admin/unrouted/{ghost_task['id']}/assign", {"user": "xh_water2"}, follow_redirects=True)
    assert "已将「无人认领的步骤」指派给 xh_water2" in text_of(response)
    assert f'data-task="{ghost_task["id"]}"' not in text_of(client.get("/admin/unrouted"))
    auth.logout()
    auth.login("xh_water2")
    assert f'data-task="{ghost_task["id"]}"' in text_of(client.get("/"))


def test_handover_moves_a_task(client, auth, post, sanfu, ghost_task):
    sanfu.assign(ghost_task["id"], "xh_water1", "root")
    auth.login("root")
    response = post("/admin/handover", {"from_user": "xh_water1", "to_user": "xh_water2"})
    assert response.status_code == 200
    assert 'data-moved="tasks">1<' in text_of(response)
    assert [t["id"] for t in sanfu.tasks("xh_water2")] == [ghost_task["id"]]
    assert sanfu.tasks("xh_water1") == []
    assert post("/admin/handover", {"from_user": "xh_water1", "to_user": "xh_water1"}).status_code == 422


def test_admin_names_a_deputy(client, auth, post, sanfu):
    auth.login("root")
    response = post("/admin/deputies", {"user": "xh_water1", "deputy": "xh_water2", "starts": "2026-01-01",
                                        "ends": "2099-12-31"}, follow_redirects=True)
    assert "已指定 xh_water2" in text_of(response)
    assert sanfu.deputies("root")[0]["deputy"] == "xh_water2"
    assert post("/admin/deputies", {"user": "xh_water1", "deputy": "xh_water2", "starts": "2026-02-01",
                                    "ends": "2026-01-01"}).status_code == 422
