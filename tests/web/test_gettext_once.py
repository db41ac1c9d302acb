"""The templates' `_()` finds the request's translations once (web/gettext_once.py): a page full
of labels asks flask_babel for them one time, and two people reading in different languages,
request after request in one worker, each keep their own language."""
from __future__ import annotations

import flask_babel

import web.gettext_once as gettext_once
from tests.helpers.web import csrf_token
from tests.web.conftest import AuthActions


def _lookups_per_page(client, monkeypatch) -> int:
    calls = []
    real = gettext_once.get_translations
    monkeypatch.setattr(gettext_once, "get_translations", lambda: calls.append(1) or real())
    assert client.get("/").status_code == 200
    return len(calls)


def test_a_page_of_labels_finds_its_translations_once(client, auth, monkeypatch):
    auth.login("xh_liaison")
    assert _lookups_per_page(client, monkeypatch) == 1


def test_two_readers_in_two_languages_each_keep_theirs(app, auth, client):
    auth.login("xh_liaison")
    english = app.test_client()
    AuthActions(english).login("xh_liaison")
    english.post("/lang", data={"lang": "en", "csrf_token": csrf_token(english)})
    for _ in range(3):   # interleaved, in one process: nothing of one request's language leaks
        assert "待办" in client.get("/").get_data(as_text=True)
        page = english.get("/").get_data(as_text=True)
        assert "To do" in page and "待办" not in page


def test_outside_any_app_context_there_is_nothing_to_translate_with():
    assert isinstance(gettext_once.translations(), flask_babel.support.NullTranslations)   # as flask_babel does
