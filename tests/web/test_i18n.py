"""English everywhere, Chinese first (flask-babel): after switching to English the pages'
chrome (navigation, headings, buttons, table headers, labels, hints, aria labels) has no
Chinese left; the data (enterprise, people's and unit names, step names, JSON Schema form
texts, history) stays as entered. The catalog translates every extracted message, and a
new session is Chinese."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.helpers.forms import VISIT
from tests.helpers.web import csrf_token, only_task, text_of

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "web" / "translations" / "en" / "LC_MESSAGES"
# Han characters, CJK punctuation (、。「」…) and the full-width （），：；！？
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff01\uff08\uff09\uff0c\uff1a\uff1b\uff1f]")
SHOWN_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "data-label")
# The language switch names Chinese in Chinese on purpose.
NOT_TRANSLATED = {"中文"}


class _ShownText(HTMLParser):
    """The text a user reads or hears: text nodes and the labelling attributes."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        self.parts += [value for name, value in attrs if name in SHOWN_ATTRIBUTES and value]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(data)


def strings_in(value) -> set[str]:
    """Every string in what the engine returned (keys too): the page's data."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(strings_in(k) | strings_in(v) for k, v in value.items())) if value else set()
    if isinstance(value, (list, tuple, set)):
        return set().union(*(strings_in(v) for v in value)) if value else set()
    return set()


def chinese_chrome(body: str, *data) -> list[str]:
    """The shown texts still holding Chinese once the data is taken out."""
    known = {s.strip() for d in data for s in strings_in(d)} | NOT_TRANSLATED
    known = sorted((s for s in known if CJK.search(s)), key=len, reverse=True)
    parser = _ShownText()
    parser.feed(body)
    left = []
    for text in parser.parts:
        for piece in known:
            text = text.replace(piece, "")
        if CJK.search(text):
            left.append(text.strip())
    return left


def to_english(client) -> None:
    response = client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client)})
    assert response.status_code == 302


@pytest.fixture
def health_check(sanfu, service):
    """The expert's 体检 task, after the liaison's visit: a form with repeatable findings,
    a history with a completed step, and the transfer/delegate/copy panels."""
    sanfu.complete(only_task(sanfu, "xh_liaison")["id"], "xh_liaison", VISIT)
    return only_task(sanfu, "xh_expert")


def test_the_inbox_and_a_task_page_have_english_chrome(client, auth, sanfu, health_check):
    auth.login("xh_expert")
    to_english(client)
    me = sanfu.account("xh_expert")

    inbox = text_of(client.get("/"))
    assert '<html lang="en">' in inbox and "Section queue" in inbox and "Due" in inbox
    assert chinese_chrome(inbox, me, sanfu.inbox("xh_expert", "todo", options=True)) == []

    task = client.get(f"/tasks/{health_check['id']}")
    body = text_of(task)
    assert task.status_code == 200
    for chrome in ("Transfer", "Delegate", "Copy to", "Submit", "Save draft", "History", "Add a row"):
        assert chrome in body, chrome
    view = sanfu.task_view(health_check["id"], "xh_expert")
    assert chinese_chrome(body, me, view) == []


def test_the_enterprise_pages_have_english_chrome(client, auth, sanfu, ids, health_check):
    sanfu.complete(health_check["id"], "xh_expert", {"check_date": "2026-03-03", "experts": ["王工"],
                                                      "summary": "未发现问题", "findings": []})
    auth.login("xh_liaison")
    to_english(client)
    me = sanfu.account("xh_liaison")

    listing = text_of(client.get("/enterprises"))
    assert "Enterprise ledger" in listing and "Liaison" in listing and "Export ledger (xlsx)" in listing
    data = (me, sanfu.enterprises("xh_liaison"), sanfu.enterprise_filters("xh_liaison"))
    assert chinese_chrome(listing, *data) == []

    page = text_of(client.get(f"/enterprises/{ids['enterprise_id']}"))
    assert "Unified social credit code" in page and "Visits" in page and "Environmental health checks" in page
    assert chinese_chrome(page, me, sanfu.enterprise("xh_liaison", ids["enterprise_id"])) == []


def test_an_admin_page_and_an_error_page_have_english_chrome(client, auth, sanfu):
    auth.login("root")
    to_english(client)
    accounts = text_of(client.get("/admin/accounts"))
    assert "New account" in accounts and "Business roles" in accounts
    data = (sanfu.account("root"), sanfu.accounts("root"), sanfu.admin_options("root"))
    assert chinese_chrome(accounts, *data) == []

    missing = client.get("/tasks/00000000-0000-0000-0000-000000000000")
    body = text_of(missing)
    assert missing.status_code == 404 and "Page not found" in body and "Back to my tasks" in body
    assert chinese_chrome(body, sanfu.account("root")) == []


def test_a_flash_message_follows_the_language(client, auth, sanfu, service):
    auth.login("xh_liaison")
    to_english(client)
    response = client.post("/logout", data={"csrf_token": csrf_token(client)}, follow_redirects=True)
    body = text_of(response)
    assert "You have signed out." in body and "已退出登录" not in body
    assert chinese_chrome(body) == []                               # the sign-in page too


def test_the_catalog_translates_every_message_and_is_compiled():
    with open(CATALOG / "messages.po", "rb") as handle:
        catalog = read_po(handle, locale="en")
    messages = [m for m in catalog if m.id]
    assert not [m.id for m in messages if not m.string], "untranslated"
    assert not [m.id for m in messages if m.fuzzy], "fuzzy"
    assert not [m.id for m in messages if CJK.search(m.string)], "Chinese left in a translation"
    assert not [(m.id, e) for m, e in catalog.check()], "placeholders differ"

    with open(ROOT / "web" / "babel.cfg", encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    extracted = {message for _, _, message, *_ in extract_from_dir(str(ROOT), method_map, options_map,
                                                                      keywords=keywords)}
    assert extracted and not sorted(extracted - {m.id for m in messages}), "not in the catalog: run pybabel update"

    with open(CATALOG / "messages.mo", "rb") as handle:
        compiled = {m.id: m.string for m in read_mo(handle) if m.id}
    assert compiled == {m.id: m.string for m in messages}, "messages.mo is stale: run pybabel compile"


def test_chinese_stays_the_default_for_a_new_session(app, client, auth):
    other = app.test_client()
    to_english(other)                                                # someone else reads English
    fresh = text_of(client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}))
    assert '<html lang="zh-CN">' in fresh and "<h1>登录</h1>" in fresh and "Sign in" not in fresh
    auth.login("xh_liaison")
    inbox = text_of(client.get("/"))
    assert "科室待认领" in inbox and "Section queue" not in inbox
    assert '<html lang="en">' in text_of(other.get("/login"))       # their session kept English


def test_the_scripts_get_their_texts_in_the_page_language(client, auth):
    auth.login("xh_expert")

    def messages() -> dict:
        body = text_of(client.get("/"))
        raw = re.search(r'<script type="application/json" id="js-messages">(.*?)</script>', body, re.S).group(1)
        return json.loads(raw)

    assert messages()["pick_first"] == "请先勾选任务" and messages()["picked"] == "已选 {n} 项"
    to_english(client)
    english = messages()
    assert english["pick_first"] == "Select tasks first" and english["picked"] == "{n} selected"
    assert not [text for text in english.values() if CJK.search(text)]
