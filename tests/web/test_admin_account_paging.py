"""A bureau with more accounts than a page: 账户管理 and 安全管理 page through them (100 a page,
上一页/下一页, the search kept), so no account past the first thousand is out of an admin's reach."""
from __future__ import annotations

import re

from engine.org.directory import Person
from tests.helpers.web import PASSWORD, text_of

EXTRA = 150


def _names(response) -> list[str]:
    return re.findall(r'data-account="([^"]+)"', response.get_data(as_text=True))


def _many_accounts(sanfu) -> None:
    for n in range(EXTRA):
        sanfu.add_user(f"zz_clerk{n:03d}", display_name=f"办事员{n:03d}")


def test_accounts_page_through_every_account_once(client, auth, sanfu):
    _many_accounts(sanfu)
    everyone = [a["name"] for a in sanfu.accounts("root", limit=10_000)]
    auth.login("root")
    seen, page = [], 1
    while True:
        response = client.get(f"/admin/accounts?page={page}")
        assert response.status_code == 200
        rows = _names(response)
        seen += rows
        if "下一页" not in text_of(response):
            break
        assert len(rows) == 100 and f"page={page + 1}" in response.get_data(as_text=True)
        page += 1
    assert seen == everyone and page == -(-len(everyone) // 100)
    assert "上一页" in text_of(client.get("/admin/accounts?page=2"))


def test_the_search_is_kept_across_pages_on_the_security_page(client, auth, sanfu):
    _many_accounts(sanfu)
    sanfu.save_person(Person("xh_sec", "xh_sec", "xh", (), ()), actor="root")
    sanfu.set_password("xh_sec", PASSWORD, actor="root")
    sanfu.appoint_first_admin("xh_sec", "security_admin", actor="root")
    auth.login("xh_sec")
    first = client.get("/admin/security?q=zz_clerk")
    assert _names(first) == [f"zz_clerk{n:03d}" for n in range(100)]
    assert "q=zz_clerk&amp;page=2" in first.get_data(as_text=True)
    second = client.get("/admin/security?q=zz_clerk&page=2")
    assert _names(second) == [f"zz_clerk{n:03d}" for n in range(100, EXTRA)]
    assert "下一页" not in text_of(second)
    assert client.get("/admin/security?q=zz_clerk&page=abc").status_code == 200  # a bad page is page 1
