"""A start form with an attachment field on the web and the API: the 办公室 registers a 12369
complaint with the scanned letter chosen in the form; the file is uploaded with the form, stored as
a task's attachment is, and shown on the new instance and its first task. A refused start (or a
refused file) shows the form again with what was typed and the files already uploaded, ticked."""
from __future__ import annotations

import io
import re
import shutil

import pytest
from sqlalchemy import func, select

from engine.store.collab_tables import Attachment
from engine.store.tables import Instance
from tests.helpers.paths import FORMS
from tests.helpers.web import csrf_token

PDF = b"%PDF-1.7\n" + b"0" * 300
MAX_FILE = 64 * 1024


@pytest.fixture
def app(province_template, tmp_path):
    """The app over a copy of the province, its attachment folder in tmp_path, 64 KB per file."""
    from web import create_app
    path = tmp_path / "sanfu.db"
    shutil.copyfile(province_template[0], path)
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": f"sqlite:///{path}",
                      "FORMS_DIR": str(FORMS), "ATTACHMENT_DIR": str(tmp_path / "files"),
                      "ATTACHMENT_MAX_BYTES": MAX_FILE, "MAX_CONTENT_LENGTH": 4 * MAX_FILE})
    yield app
    app.extensions["sanfu"].db.dispose()


def _register(client, fields: dict, files: list[tuple[bytes, str]] = ()):
    data = {"csrf_token": csrf_token(client, "/start/complaint_12369"), **fields,
            "letter.files": [(io.BytesIO(content), name) for content, name in files]}
    return client.post("/start/complaint_12369", data=data, content_type="multipart/form-data")


def _complaints(sanfu) -> list[int]:
    with sanfu.uow(write=False) as uow:
        return list(uow.session.scalars(select(Instance.id).where(Instance.process_key == "complaint_12369")))


def _attachment_rows(sanfu) -> list[tuple[int, str]]:
    with sanfu.uow(write=False) as uow:
        return [(a.instance_id, a.filename) for a in uow.session.scalars(select(Attachment))]


def test_the_office_registers_a_complaint_with_the_letter_attached(client, auth, sanfu, app):
    auth.login("xh_liaison")
    form = client.get("/start/complaint_12369").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form and 'name="letter.files"' in form and "来信/举报材料" in form
    response = _register(client, {"channel": "来信", "summary": "化工厂夜间排放异味", "letter": "原件存档"},
                         [(PDF, "群众来信.pdf")])
    assert response.status_code == 302
    [instance_id] = _complaints(sanfu)
    assert _attachment_rows(sanfu) == [(instance_id, "群众来信.pdf")]
    stored = [p for p in (app.extensions["sanfu"].attachment_dir).rglob("*") if p.is_file()]
    assert [p.read_bytes() for p in stored] == [PDF]
    shown = client.get(f"/instances/{instance_id}").get_data(as_text=True)
    assert re.search(r'<a class="attachment-name" href="/attachments/[0-9a-f]{32}" download>群众来信.pdf</a>', shown)
    assert "发起时上传" in shown
    data = sanfu.show(instance_id, "root")["data"]
    assert data["letter"][1] == "原件存档" and data["letter"][0].startswith("attachment:")
    first = sanfu.show(instance_id, "root")["open_tasks"][0]
    auth.logout()
    auth.login("root")
    task_page = client.get(f"/tasks/{first['id']}").get_data(as_text=True)
    assert "群众来信.pdf" in task_page and "发起时上传" in task_page  # the instance's files, on its first task


def test_a_refused_start_keeps_what_was_typed_and_the_uploaded_letter(client, auth, sanfu):
    auth.login("xh_liaison")
    refused = _register(client, {"channel": "来信", "summary": ""}, [(PDF, "举报照片.pdf")])
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "请修改标出的内容" in page and 'id="e-summary"' in page
    assert _complaints(sanfu) == [] and _attachment_rows(sanfu) == [(0, "举报照片.pdf")]  # pending, no instance
    ticked = re.search(r'<input type="checkbox" name="letter" value="(attachment:[0-9a-f]{32})" checked>', page)
    assert ticked and "举报照片.pdf" in page and 'value="来信" selected' in page
    again = _register(client, {"channel": "来信", "summary": "夜间异味", "letter": ticked.group(1)})
    assert again.status_code == 302
    [instance_id] = _complaints(sanfu)
    assert _attachment_rows(sanfu) == [(instance_id, "举报照片.pdf")]  # the same file, not a second copy


def test_a_refused_file_is_named_beside_the_field_and_nothing_starts(client, auth, sanfu):
    auth.login("xh_liaison")
    refused = _register(client, {"channel": "来信", "summary": "夜间异味"},
                        [(b"just text", "letter.txt"), (PDF, "扫描件.pdf")])
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="e-letter"' in page and "“letter.txt”不是允许的类型" in page
    assert 'value="夜间异味"' in page and "扫描件.pdf" in page  # the good file is kept, ticked
    assert _complaints(sanfu) == []
    too_big = _register(client, {"channel": "来信", "summary": "夜间异味"}, [(PDF + b"0" * MAX_FILE, "大.pdf")])
    assert too_big.status_code == 422 and "“大.pdf”过大" in too_big.get_data(as_text=True)


def test_the_api_uploads_first_then_starts_with_the_reference(api, sanfu):
    uploaded = api("POST", "/processes/complaint_12369/attachments", "xh_liaison",
                   data={"file": (io.BytesIO(PDF), "来信.pdf"), "field": "letter"},
                   content_type="multipart/form-data")
    assert uploaded.status_code == 200, uploaded.get_data(as_text=True)
    ref = uploaded.get_json()["attachments"][0]["ref"]
    refused = api("POST", "/processes/complaint_12369/start", "xh_liaison",
                  {"data": {"channel": "来信", "letter": [ref]}})
    assert refused.status_code == 422 and _complaints(sanfu) == []
    started = api("POST", "/processes/complaint_12369/start", "xh_liaison",
                  {"data": {"channel": "来信", "summary": "夜间异味", "letter": [ref]}})
    assert started.status_code == 200
    assert _attachment_rows(sanfu) == [(started.get_json()["id"], "来信.pdf")]
    not_a_starter = api("POST", "/processes/complaint_12369/attachments", "xh_water1",
                        data={"file": (io.BytesIO(PDF), "x.pdf")}, content_type="multipart/form-data")
    assert not_a_starter.status_code == 403
    with sanfu.uow(write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Attachment)) == 1
