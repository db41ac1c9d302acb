"""Attachments on the task page: upload (plain form post and JSON for attachments.js),
type and size limits, download only for those who may see the task, delete only by the
uploader, files kept outside the database and removed when the upload's commit fails,
and the 佐证材料 picker submitting attachment references."""
from __future__ import annotations

import io
import json
import re
import shutil

import pytest

from engine.errors import Conflict
from engine.store.uow import UnitOfWork
from tests.helpers.paths import FORMS
from tests.helpers.web import csrf_token, text_of, to_rectification

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 500
PDF = b"%PDF-1.7\n" + b"0" * 300
MAX_FILE = 64 * 1024


@pytest.fixture
def app(province_template, tmp_path):
    """The app over a copy of the province, with its attachment folder in tmp_path and
    small limits (64 KB per file, 128 KB per request)."""
    from web import create_app
    path = tmp_path / "sanfu.db"
    shutil.copyfile(province_template[0], path)
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": f"sqlite:///{path}",
                      "FORMS_DIR": str(FORMS), "ATTACHMENT_DIR": str(tmp_path / "files"),
                      "ATTACHMENT_MAX_BYTES": MAX_FILE, "MAX_CONTENT_LENGTH": 2 * MAX_FILE})
    yield app
    app.extensions["sanfu"].db.dispose()


@pytest.fixture
def water(sanfu, service) -> dict:
    """The 整改 task of the 水 matter, waiting for the 西湖 water section."""
    return to_rectification(sanfu)


def files_in(app) -> list:
    root = app.extensions["sanfu"].attachment_dir
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def upload(client, task_id: str, content: bytes, name: str, as_json: bool = False):
    headers = {"Accept": "application/json"} if as_json else {}
    return client.post(f"/tasks/{task_id}/attachments", headers=headers, content_type="multipart/form-data",
                       data={"csrf_token": csrf_token(client, f"/tasks/{task_id}"), "field": "evidence",
                             "file": (io.BytesIO(content), name)})


def test_upload_without_javascript_comes_back_to_the_task_page(client, auth, app, water):
    auth.login("xh_water1")
    page = text_of(client.get(f"/tasks/{water['id']}"))
    assert 'enctype="multipart/form-data"' in page and 'accept="image/*,application/pdf"' in page
    response = upload(client, water["id"], JPEG, "整改前.jpg")
    assert response.status_code == 302 and response.location == f"/tasks/{water['id']}#attachments"
    [stored] = files_in(app)
    assert stored.read_bytes() == JPEG and "整改前" not in str(stored)                # a random key
    page = text_of(client.get(f"/tasks/{water['id']}"))
    [att_id] = re.findall(r'data-attachment="([0-9a-f]{32})"', page)
    assert "已上传：整改前.jpg" in page and "xh_water1" in page
    assert f'src="/attachments/{att_id}?inline=1"' in page                          # the thumbnail
    assert f'action="/attachments/{att_id}/delete"' in page                           # the uploader may delete
    assert f'type="checkbox" name="evidence" value="attachment:{att_id}"' in page     # the picker offers it


def test_upload_for_javascript_answers_json(client, auth, water):
    auth.login("xh_water1")
    response = upload(client, water["id"], PDF, "监测报告.pdf", as_json=True)
    assert response.status_code == 200
    [added] = response.get_json()["attachments"]
    assert added["filename"] == "监测报告.pdf" and added["content_type"] == "application/pdf"
    assert added["url"] == f"/attachments/{added['id']}" and added["ref"] == f"attachment:{added['id']}"


def test_a_text_file_named_jpg_is_refused_in_chinese(client, auth, app, water):
    auth.login("xh_water1")
    response = upload(client, water["id"], b"this is plain text, not a photo", "现场.jpg")
    page = text_of(client.get(response.location))
    assert "文件“现场.jpg”不是允许的类型" in page and 'data-attachment="' not in page
    assert files_in(app) == []
    answer = upload(client, water["id"], b"plain text", "现场.jpg", as_json=True)
    assert answer.status_code == 422 and "不是允许的类型" in answer.get_json()["errors"][0]


def test_too_big_a_file_or_body(client, auth, app, water):
    auth.login("xh_water1")
    response = upload(client, water["id"], JPEG + b"\x00" * MAX_FILE, "大照片.jpg")    # over the per-file limit
    assert "文件“大照片.jpg”过大" in text_of(client.get(response.location))
    response = upload(client, water["id"], JPEG + b"\x00" * (2 * MAX_FILE), "更大.jpg")  # over the body limit
    body = text_of(response)
    assert response.status_code == 413 and "提交的内容过大" in body and "Traceback" not in body
    assert files_in(app) == []


def test_download_only_for_those_who_may_see_the_task(client, auth, sanfu, water):
    added = sanfu.add_attachment(water["id"], "xh_water1", "整改后 照片.jpg", io.BytesIO(JPEG))
    pdf = sanfu.add_attachment(water["id"], "xh_water1", "报告.pdf", io.BytesIO(PDF))
    auth.login("xh_water2")                                                            # a fellow candidate
    response = client.get(f"/attachments/{added['id']}")
    assert response.status_code == 200 and response.data == JPEG
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''%E6%95%B4" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Type"] == "image/jpeg"
    assert client.get(f"/attachments/{added['id']}?inline=1").headers["Content-Disposition"].startswith("inline")
    assert client.get(f"/attachments/{pdf['id']}?inline=1").headers["Content-Disposition"].startswith("attachment")
    auth.logout()
    auth.login("bj_water1")                                                            # another county
    refused = client.get(f"/attachments/{added['id']}")
    assert refused.status_code == 403 and "无权访问" in text_of(refused) and refused.data != JPEG
    assert client.get("/attachments/not-an-id").status_code == 404


def test_only_the_uploader_deletes(client, auth, sanfu, post, water):
    added = sanfu.add_attachment(water["id"], "xh_water1", "a.jpg", io.BytesIO(JPEG))
    auth.login("xh_water2")
    response = post(f"/attachments/{added['id']}/delete")
    assert response.status_code == 403 and "只有上传人可以删除此附件" in text_of(response)
    assert f'action="/attachments/{added["id"]}/delete"' not in text_of(client.get(f"/tasks/{water['id']}"))
    auth.logout()
    auth.login("xh_water1")
    response = post(f"/attachments/{added['id']}/delete")
    assert response.status_code == 302 and response.location == f"/tasks/{water['id']}#attachments"
    page = text_of(client.get(response.location))
    assert "已删除附件「a.jpg」" in page and f'data-attachment="{added["id"]}"' not in page
    assert client.get(f"/attachments/{added['id']}").status_code == 404


def test_the_file_is_removed_when_the_upload_transaction_fails(client, auth, app, sanfu, water, monkeypatch):
    auth.login("xh_water1")
    token = csrf_token(client, f"/tasks/{water['id']}")

    commit = UnitOfWork._commit

    def failing_commit(self, session):  # writes fail at commit; reads (the signed-in user) go on
        if not self._write:
            return commit(self, session)
        session.rollback()
        raise Conflict("模拟：数据库提交失败 (simulated)")
    monkeypatch.setattr(UnitOfWork, "_commit", failing_commit)
    response = client.post(f"/tasks/{water['id']}/attachments", content_type="multipart/form-data",
                           data={"csrf_token": token, "file": (io.BytesIO(JPEG), "a.jpg")})
    monkeypatch.undo()
    assert response.status_code == 409 and "模拟：数据库提交失败" in text_of(response)
    assert files_in(app) == [] and sanfu.attachments_of("xh_water1", task_id=water["id"])["attachments"] == []


def test_the_picker_submits_references_and_the_ledger_shows_file_names(client, auth, sanfu, post, water, ids):
    added = sanfu.add_attachment(water["id"], "xh_water1", "整改后.jpg", io.BytesIO(JPEG), field="evidence")
    auth.login("xh_water1")
    response = post(f"/tasks/{water['id']}", {"measures": "完成雨污管网改造", "evidence": added["ref"],
                                              "completion_date": "2026-03-12", "responsible_person": "赵强"})
    assert response.status_code == 302
    history = sanfu.show(water["instance_id"], "xh_water1")["history"]
    done = [e for e in history if e["action"] == "task_completed"][-1]
    assert done["detail"]["data"]["evidence"] == [added["ref"]]
    water_matter = [m for m in sanfu.ledger_for(ids["enterprise_id"], "root") if m["category"] == "水"][0]
    assert water_matter["evidence"] == ["整改后.jpg"]                                 # readable in the ledger
    page = text_of(client.get(f"/tasks/{water['id']}"))                               # done: listed, no upload
    assert "整改后.jpg" in page and 'id="attachments-upload"' not in page


def test_the_picker_splits_ticked_attachments_from_other_material():
    from web.schema_form import build_fields
    schema = json.loads((FORMS / "matter_rectification.json").read_text(encoding="utf-8"))
    ref = "attachment:" + "a" * 32
    fields = {f.name: f for f in build_fields(schema, {"evidence": [ref, "纸质验收单"]},
                                               {"evidence.0": "佐证材料：第 1 项不是本任务的附件"})}
    picker = fields["evidence"]
    assert picker.widget == "attachments" and picker.attrs["picked"] == [ref]
    assert picker.attrs["notes"] == "纸质验收单" and picker.error == "佐证材料：第 1 项不是本任务的附件"


def _earlier_rounds_files(sanfu, instance_id: int, count: int) -> None:
    """`count` photos of earlier 整改 rounds on the instance, oldest first (metadata only: the
    pages list them, nobody downloads them here)."""
    from datetime import timedelta

    from engine import clock
    from engine.store.collab_tables import Attachment
    with sanfu.uow() as uow:
        for n in range(1, count + 1):
            uow.session.add(Attachment(
                id=f"{n:032x}", instance_id=instance_id, task_id=None, field="", filename=f"第{n}轮整改.jpg",
                content_type="image/jpeg", size=1000, sha256="0" * 64, storage_key=f"none/{n}",
                uploaded_by="xh_water1", created_at=clock.now() - timedelta(hours=count - n + 1)))


def test_a_long_running_matter_shows_the_newest_files_and_pages_the_rest(client, auth, sanfu, water):
    _earlier_rounds_files(sanfu, water["instance_id"], 60)
    auth.login("xh_water1")
    assert upload(client, water["id"], JPEG, "本轮整改后.jpg").status_code in (302, 303)
    page = text_of(client.get(f"/tasks/{water['id']}"))
    shown = re.findall(r'class="attachment-name"[^>]*>([^<]+)<', page)
    assert shown == ["本轮整改后.jpg"] + [f"第{n}轮整改.jpg" for n in range(41, 61)]  # own, then the newest 20
    assert "另有 40 个更早的附件" in page
    assert f'href="/instances/{water["instance_id"]}#attachments">在流程实例页查看全部' in page
    newest = text_of(client.get(f"/instances/{water['instance_id']}"))
    names = re.findall(r'class="attachment-name"[^>]*>([^<]+)<', newest)
    assert names == [f"第{n}轮整改.jpg" for n in range(12, 61)] + ["本轮整改后.jpg"]
    assert '<span class="count">61</span>' in newest and "第 1 / 2 页" in newest
    assert f'href="/instances/{water["instance_id"]}?attachments_page=2#attachments">更早的附件' in newest
    oldest = text_of(client.get(f"/instances/{water['instance_id']}?attachments_page=2"))
    assert re.findall(r'class="attachment-name"[^>]*>([^<]+)<', oldest) == [f"第{n}轮整改.jpg" for n in range(1, 12)]
    assert "较新的附件" in oldest and "更早的附件" not in oldest


def test_the_api_lists_a_tasks_files_as_its_page_does_and_pages_the_instances(sanfu, water, api):
    _earlier_rounds_files(sanfu, water["instance_id"], 60)
    listed = api("GET", f"/tasks/{water['id']}/attachments", "xh_water1").get_json()
    assert [a["filename"] for a in listed["attachments"]] == [f"第{n}轮整改.jpg" for n in range(41, 61)]
    assert listed["others_more"] == 40
    fewer = api("GET", f"/tasks/{water['id']}/attachments?others=5", "xh_water1").get_json()
    assert len(fewer["attachments"]) == 5 and fewer["others_more"] == 55
    second = api("GET", f"/tasks/{water['id']}/attachments?page=2", "xh_water1").get_json()
    assert second["attachments_page"] == {"page": 2, "pages": 2, "per_page": 50, "total": 60}
    assert [a["filename"] for a in second["attachments"]] == [f"第{n}轮整改.jpg" for n in range(1, 11)]
    assert api("GET", f"/tasks/{water['id']}/attachments?others=201", "xh_water1").status_code == 422
