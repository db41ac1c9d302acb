"""Attachments of a task: bytes in a folder outside the database under a random key, the
type decided by the file's first bytes, limits, who may upload/delete/download, and
attachment references in a form checked on completion (SQLite and PostgreSQL)."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from engine.errors import Conflict, FormValidationError, InvalidInput, NotAllowed, NotFound
from engine.service import Engine
from engine.store.collab_tables import Attachment
from engine.store.tables import AuditEvent
from engine.store.uow import UnitOfWork
from engine.tasks.attachments import check_attachment_references
from tests.helpers.models import chain, process, user_task, write

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"0" * 100
RECTIFIED = {"measures": "已完成雨污管网改造", "completion_date": "2026-03-12", "responsible_person": "赵强"}


@pytest.fixture
def office(people, tmp_path):
    """water1/water2 may take the 整改 task (candidate group water); outsider may not."""
    people.attachment_dir = tmp_path / "files"
    xml = process("fix", chain(user_task("rectify", "整改", formKey="matter_rectification",
                                         candidateGroups="water")))
    people.deploy([write(tmp_path, "fix.bpmn", xml)], "designer")
    people.start("fix", "liaison1")
    return people


def task_id(engine: Engine) -> str:
    return engine.tasks("water1")[0]["id"]


def stored_files(engine: Engine) -> list:
    root = engine.attachment_dir
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def rows(engine: Engine) -> list[Attachment]:
    with engine.uow(write=False) as uow:
        return list(uow.session.scalars(select(Attachment)))


def actions(engine: Engine) -> list[str]:
    with engine.uow(write=False) as uow:
        return list(uow.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_candidate_uploads_and_the_bytes_live_outside_the_database(office):
    task = task_id(office)
    added = office.add_attachment(task, "water1", "../../整改前 照片.jpg", io.BytesIO(JPEG), field="evidence")
    assert added["filename"] == "整改前 照片.jpg" and added["content_type"] == "image/jpeg"
    assert added["size"] == len(JPEG) and added["ref"] == "attachment:" + added["id"] and added["is_image"]
    [path] = stored_files(office)
    assert path.read_bytes() == JPEG and "整改" not in str(path) and ".jpg" not in str(path)
    [row] = rows(office)
    assert row.storage_key == path.name != added["id"] and row.field == "evidence" and row.uploaded_by == "water1"
    assert "attachment_added" in actions(office)
    found = office.attachment_for_download(added["id"], "water2")          # a fellow candidate sees it
    assert found["path"] == str(path) and found["filename"] == "整改前 照片.jpg"


@pytest.mark.parametrize("content, kind", [(PNG, "image/png"), (WEBP, "image/webp"), (PDF, "application/pdf")])
def test_types_are_decided_by_the_first_bytes(office, content, kind):
    added = office.add_attachment(task_id(office), "water1", "扫描件.bin", content)
    assert added["content_type"] == kind


def test_a_text_file_named_jpg_is_refused_and_nothing_is_kept(office):
    with pytest.raises(InvalidInput) as refused:
        office.add_attachment(task_id(office), "water1", "照片.jpg", io.BytesIO(b"just some text, not a photo"))
    assert "照片.jpg" in str(refused.value) and "不是允许的类型" in str(refused.value)
    assert stored_files(office) == [] and rows(office) == []


def test_too_big_and_empty_files_are_refused_naming_the_file(office):
    office.attachment_max_bytes = 1024
    with pytest.raises(InvalidInput) as refused:
        office.add_attachment(task_id(office), "water1", "大照片.jpg", JPEG + b"\x00" * 1024)
    assert "大照片.jpg" in str(refused.value) and "过大" in str(refused.value)
    with pytest.raises(InvalidInput, match="空文件"):
        office.add_attachment(task_id(office), "water1", "空.pdf", b"")
    assert stored_files(office) == [] and rows(office) == []


def test_at_most_so_many_files_per_task(office):
    office.attachment_max_files = 2
    task = task_id(office)
    office.add_attachment(task, "water1", "1.jpg", JPEG)
    office.add_attachment(task, "water1", "2.jpg", JPEG)
    with pytest.raises(InvalidInput, match="最多 2 个附件"):
        office.add_attachment(task, "water1", "3.jpg", JPEG)
    assert len(rows(office)) == 2 and len(stored_files(office)) == 2


def test_only_someone_who_may_complete_the_task_uploads(office):
    task = task_id(office)
    with pytest.raises(NotAllowed):
        office.add_attachment(task, "outsider", "x.jpg", JPEG)
    office.claim(task, "water2")                                             # now water2 holds it
    with pytest.raises(NotAllowed):
        office.add_attachment(task, "water1", "x.jpg", JPEG)
    assert office.add_attachment(task, "water2", "x.jpg", JPEG)["uploaded_by"] == "water2"
    assert len(rows(office)) == 1 and len(stored_files(office)) == 1


def test_strangers_cannot_download_or_list(office):
    added = office.add_attachment(task_id(office), "water1", "x.pdf", PDF)
    with pytest.raises(NotAllowed):
        office.attachment_for_download(added["id"], "outsider")
    with pytest.raises(NotAllowed):
        office.attachments_of("outsider", task_id=task_id(office))
    with pytest.raises(NotFound):
        office.attachment_for_download("0" * 32, "water1")
    listed = office.attachments_of("water1", task_id=task_id(office))
    assert [a["id"] for a in listed["attachments"]] == [added["id"]] and listed["can_upload"]
    assert office.attachments_of("liaison1", instance_id=added["instance_id"])["attachments"][0]["id"] == added["id"]


def test_only_the_uploader_deletes_and_only_while_the_task_is_open(office):
    task = task_id(office)
    first = office.add_attachment(task, "water1", "a.jpg", JPEG)
    second = office.add_attachment(task, "water1", "b.jpg", JPEG)
    with pytest.raises(NotAllowed):
        office.delete_attachment(first["id"], "water2")
    deleted = office.delete_attachment(first["id"], "water1")
    assert deleted["task_id"] == task and "attachment_deleted" in actions(office)
    with pytest.raises(NotFound):
        office.attachment_for_download(first["id"], "water1")
    assert [a["id"] for a in office.attachments_of("water1", task_id=task)["attachments"]] == [second["id"]]
    assert len(stored_files(office)) == 2                                    # soft delete: the file is kept
    office.complete(task, "water1", dict(RECTIFIED, evidence=[second["ref"]]))
    with pytest.raises(Conflict):
        office.delete_attachment(second["id"], "water1")                     # the task is closed
    assert office.attachment_for_download(second["id"], "liaison1")["id"] == second["id"]


def test_a_failed_commit_removes_the_file(office, monkeypatch):
    commit = UnitOfWork._commit

    def fail(self, session):
        if not self._write:
            return commit(self, session)
        session.rollback()
        raise Conflict("模拟提交失败 (simulated)")
    monkeypatch.setattr(UnitOfWork, "_commit", fail)
    with pytest.raises(Conflict):
        office.add_attachment(task_id(office), "water1", "a.jpg", JPEG)
    monkeypatch.undo()
    assert stored_files(office) == [] and rows(office) == []


def test_references_are_checked_against_the_task_attachments(office):
    task = task_id(office)
    mine = office.add_attachment(task, "water1", "a.jpg", JPEG)
    gone = office.add_attachment(task, "water1", "b.jpg", JPEG)
    office.delete_attachment(gone["id"], "water1")
    schema = {"properties": {"evidence": {"type": "array", "title": "佐证材料", "x-widget": "attachments"}}}
    with office.uow(write=False) as uow:
        from engine.store.tables import HumanTask
        row = uow.session.get(HumanTask, task)
        check_attachment_references(uow.session, row, schema, {"evidence": [mine["ref"], "纸质验收单"]})
        with pytest.raises(FormValidationError) as refused:
            check_attachment_references(uow.session, row, schema,
                                                {"evidence": [mine["ref"], gone["ref"], "attachment:nope"]})
    assert set(refused.value.fields) == {"evidence.1", "evidence.2"}
    assert refused.value.fields["evidence.1"].startswith("佐证材料：第 2 项不是本任务的附件")


def test_completing_with_a_reference_to_another_tasks_file_is_a_field_error(office):
    office.start("fix", "liaison1")
    first, second = [t["id"] for t in office.tasks("water1")]
    elsewhere = office.add_attachment(second, "water1", "别处.jpg", JPEG)
    with pytest.raises(FormValidationError) as refused:
        office.complete(first, "water1", dict(RECTIFIED, evidence=[elsewhere["ref"]]))
    assert refused.value.fields == {"evidence.0": "佐证材料：第 1 项不是本任务的附件（可能已被删除），请重新选择"}
    assert {t["id"] for t in office.tasks("water1")} == {first, second}      # nothing saved
    mine = office.add_attachment(first, "water1", "本任务.jpg", JPEG)
    office.complete(first, "water1", dict(RECTIFIED, evidence=[mine["ref"], "纸质监测报告"]))


def test_a_full_disk_is_said_clearly_and_leaves_no_row_and_no_partial_file(office, monkeypatch):
    """The attachments' disk is full (the kernel's ENOSPC, from /dev/full): the upload is refused as
    StorageFull (503 on the web), no attachment row, no staged or half-written file; once there is
    room again the same upload succeeds."""
    import os as real_os

    from engine.errors import StorageFull
    from engine.tasks import attachment_store
    engine, task = office, task_id(office)
    engine.claim(task, "water1")

    def full_disk(fd, mode="r", *args, **kwargs):
        real_os.close(fd)
        return open("/dev/full", mode, *args, **kwargs)
    monkeypatch.setattr(attachment_store.os, "fdopen", full_disk)
    with pytest.raises(StorageFull) as refused:
        engine.add_attachment(task, "water1", "整改后.jpg", io.BytesIO(JPEG * 2000))
    assert "存储空间已满" in str(refused.value)
    assert rows(engine) == [] and stored_files(engine) == []
    monkeypatch.undo()
    engine.add_attachment(task, "water1", "整改后.jpg", io.BytesIO(JPEG))
    assert len(rows(engine)) == 1 and len(stored_files(engine)) == 1
