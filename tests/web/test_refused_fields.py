"""A value too long for its column, or a number out of its range, typed into a page or sent to the
API: a 422 that names the field in Chinese, the form keeps what was typed, nothing is saved — on
SQLite and on PostgreSQL (engine.store.limits refuses it before the database sees it)."""
from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from engine.service import Engine
from engine.store.org_tables import Enterprise
from engine.store.tables import User
from tests.conftest import _fresh_postgres, _postgres_or_skip
from tests.helpers.paths import FORMS
from tests.helpers.web import prepare_database, text_of


@pytest.fixture(params=["sqlite", "postgres"])
def app(request, province_template, tmp_path):
    """The web fixtures' app (client, auth, post, api, sanfu use it) over each database."""
    from web import create_app
    if request.param == "sqlite":
        path = tmp_path / "sanfu.db"
        shutil.copyfile(province_template[0], path)
        url = f"sqlite:///{path}"
    else:
        url = _postgres_or_skip()
        _fresh_postgres(url).dispose()
        prepare_database(tmp_path / "unused.db", url)
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": url, "FORMS_DIR": str(FORMS)})
    yield app
    app.extensions["sanfu"].db.dispose()


def _display_name(sanfu: Engine, name: str) -> str | None:
    with sanfu.uow(write=False) as uow:
        return uow.session.scalar(select(User.display_name).where(User.name == name))


def test_an_overlong_display_name_in_the_account_form_is_named_and_kept(client, auth, post, sanfu):
    auth.login("root")
    typed = "张" * 129
    response = post("/admin/accounts", {"name": "xh_long", "display_name": typed, "unit": "xh",
                                        "roles": ["staff"], "password": "Welcome2026ok"})
    page = text_of(response)
    assert response.status_code == 422
    assert "姓名不能超过 128 字，未保存" in page
    assert f'value="{typed}"' in page            # the form keeps all that was typed
    assert _display_name(sanfu, "xh_long") is None
    response = post("/admin/accounts/xh_water1/edit", {"display_name": typed, "unit": "xh", "sections": "water",
                                                       "roles": ["staff"]})
    assert response.status_code == 422 and "姓名不能超过 128 字" in text_of(response)
    assert _display_name(sanfu, "xh_water1") == "西湖 水 科员1"


def test_an_overlong_login_is_refused_not_cut_to_fit(client, auth, post, sanfu):
    auth.login("root")
    login = "x" * 65
    response = post("/admin/accounts", {"name": login, "display_name": "长", "unit": "xh", "roles": ["staff"],
                                        "password": "Welcome2026ok"})
    assert response.status_code == 422 and "最多 64 位" in text_of(response)
    assert _display_name(sanfu, login[:64]) is None   # before: the first 64 characters became an account


@pytest.fixture
def careless_command(sanfu, monkeypatch):
    """A command whose own checks miss a value (as a new one might): the comment's text is written
    into the commenter's display name and, when it is a number, into the enterprise's pairing year."""
    def add_comment(self, task_id, actor, body):
        with self.uow() as uow:
            uow.session.scalar(select(User).where(User.name == actor)).display_name = body
            if body.isdigit():
                uow.session.scalar(select(Enterprise)).pairing_year = int(body)
        return {}
    monkeypatch.setattr(Engine, "add_comment", add_comment)


@pytest.mark.parametrize(("typed", "field", "code", "text"), [
    ("张" * 129, "display_name", "value_too_long", "姓名不能超过 128 字，未保存"),
    (str(2**31), "pairing_year", "value_out_of_range", "结对年度超出允许的范围（-2147483648 至 2147483647），未保存"),
])
def test_the_api_names_the_refused_field(api, sanfu, careless_command, typed, field, code, text):
    response = api("POST", "/tasks/any-task/comments", "xh_water1", {"body": typed})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"] == text
    assert error["fields"] == {field: text}
    assert _display_name(sanfu, "xh_water1") == "西湖 水 科员1"      # nothing saved, not even the valid half
    with sanfu.uow(write=False) as uow:
        assert uow.session.scalar(select(Enterprise.pairing_year)) == 2026
