"""Attachments on a start form: the 办公室 uploads a scanned letter while registering a 12369
complaint; the file is stored exactly as a task's (same folder, type and size checks), waits as a
pending upload of its uploader, and belongs to the new instance once the start succeeds. A refused
start leaves it pending — no instance, no row pointing at one — to be referred to again."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import clock
from engine.errors import FormValidationError, InvalidInput, NotAllowed
from engine.instances.start_attachments import PENDING
from engine.store.collab_tables import Attachment
from engine.store.tables import AuditEvent, Instance
from tests.helpers.paths import PROCESSES
from tests.helpers.province import build_province

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"0" * 100
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
MODELS = ("enterprise_service.bpmn", "ledger_matter.bpmn", "complaint_12369.bpmn", "routing.dmn")
COMPLAINT = {"channel": "来信", "summary": "化工厂夜间排放异味"}


@pytest.fixture
def world(engine, tmp_path):
    engine.attachment_dir = tmp_path / "files"
    ids = build_province(engine)
    engine.deploy([PROCESSES / name for name in MODELS], "root")
    return ids


def _rows(engine) -> list[Attachment]:
    with engine.uow(write=False) as uow:
        return list(uow.session.scalars(select(Attachment).order_by(Attachment.created_at)))


def _instances(engine) -> int:
    with engine.uow(write=False) as uow:
        return len(uow.session.scalars(select(Instance.id)).all())


def _files(engine) -> list:
    root = engine.attachment_dir
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_the_office_registers_a_complaint_with_the_scanned_letter(world, engine):
    letter = engine.add_start_attachment("complaint_12369", "xh_liaison", "来信 扫描.pdf", io.BytesIO(PDF),
                                         field="letter")
    assert letter["filename"] == "来信 扫描.pdf" and letter["content_type"] == "application/pdf"
    assert _rows(engine)[0].instance_id == PENDING and _rows(engine)[0].task_id is None
    assert len(_files(engine)) == 1 and _files(engine)[0].read_bytes() == PDF  # the bytes outside the database

    started = engine.start_process("complaint_12369", "xh_liaison",
                                   {**COMPLAINT, "letter": [letter["ref"], "原件存档于办公室"]})
    assert _rows(engine)[0].instance_id == started["id"]
    shown = engine.attachments_of("xh_liaison", instance_id=started["id"])
    assert [a["filename"] for a in shown["attachments"]] == ["来信 扫描.pdf"]
    assert engine.show(started["id"], "root")["data"]["letter"] == [letter["ref"], "原件存档于办公室"]
    first = engine.show(started["id"], "root")["open_tasks"][0]
    on_task = engine.attachments_of("root", task_id=first["id"])
    assert [a["id"] for a in on_task["attachments"]] == [letter["id"]]  # the first task shows it
    assert engine.attachment_for_download(letter["id"], "xh_liaison")["path"] == str(_files(engine)[0])
    with engine.uow(write=False) as uow:
        taken = uow.session.scalars(select(AuditEvent.detail).where(
            AuditEvent.action == "start_attachments_taken", AuditEvent.instance_id == started["id"])).all()
    assert taken == [{"attachment_ids": [letter["id"]], "filenames": ["来信 扫描.pdf"]}]


def test_a_refused_start_leaves_the_upload_pending_for_the_next_try(world, engine):
    letter = engine.add_start_attachment("complaint_12369", "xh_liaison", "letter.jpg", io.BytesIO(JPEG))
    with pytest.raises(FormValidationError) as refused:
        engine.start_process("complaint_12369", "xh_liaison", {"channel": "来信", "letter": [letter["ref"]]})
    assert set(refused.value.fields) == {"summary"}
    assert _instances(engine) == 0 and _rows(engine)[0].instance_id == PENDING
    assert [a["id"] for a in engine.pending_start_attachments("xh_liaison", [letter["ref"]])] == [letter["id"]]

    started = engine.start_process("complaint_12369", "xh_liaison", {**COMPLAINT, "letter": [letter["ref"]]})
    assert _rows(engine)[0].instance_id == started["id"]
    assert engine.pending_start_attachments("xh_liaison", [letter["ref"]]) == []  # taken: no longer pending


def test_a_reference_to_someone_elses_upload_refuses_the_whole_start(world, engine):
    mine = engine.add_start_attachment("complaint_12369", "xh_liaison", "mine.pdf", io.BytesIO(PDF))
    theirs = engine.add_start_attachment("complaint_12369", "root", "theirs.pdf", io.BytesIO(PDF))
    with pytest.raises(FormValidationError, match="本次发起") as refused:
        engine.start_process("complaint_12369", "xh_liaison", {**COMPLAINT, "letter": [mine["ref"], theirs["ref"]]})
    assert set(refused.value.fields) == {"letter.1"}
    # the instance the start created before checking the references is gone with it
    assert _instances(engine) == 0
    assert {row.instance_id for row in _rows(engine)} == {PENDING}
    assert engine.pending_start_attachments("xh_liaison", [theirs["ref"]]) == []  # nor may one see it


def test_the_same_type_and_size_rules_as_a_tasks_attachments(world, engine):
    engine.attachment_max_bytes = 1024
    with pytest.raises(InvalidInput, match="“notes.txt”不是允许的类型"):
        engine.add_start_attachment("complaint_12369", "xh_liaison", "notes.txt", io.BytesIO(b"hello" * 10))
    with pytest.raises(InvalidInput, match="“big.pdf”过大：每个文件不能超过"):
        engine.add_start_attachment("complaint_12369", "xh_liaison", "big.pdf", io.BytesIO(PDF + b"0" * 2000))
    with pytest.raises(InvalidInput, match="空文件"):
        engine.add_start_attachment("complaint_12369", "xh_liaison", "empty.pdf", io.BytesIO(b""))
    assert _rows(engine) == [] and _files(engine) == []


def test_only_a_starter_uploads_and_only_to_an_attachment_field(world, engine):
    with pytest.raises(NotAllowed, match="不能发起流程"):
        engine.add_start_attachment("complaint_12369", "xh_water1", "x.pdf", io.BytesIO(PDF))
    with pytest.raises(InvalidInput, match="没有附件栏") as refused:
        engine.add_start_attachment("ledger_matter", "xh_water1", "x.pdf", io.BytesIO(PDF))
    assert refused.value.code == "no_attachment_field"
    with pytest.raises(InvalidInput, match="没有附件栏“summary”"):
        engine.add_start_attachment("complaint_12369", "xh_liaison", "x.pdf", io.BytesIO(PDF), field="summary")
    assert _rows(engine) == [] and _files(engine) == []


def test_uploads_never_taken_are_purged_after_a_day(world, engine):
    kept = engine.add_start_attachment("complaint_12369", "xh_liaison", "kept.pdf", io.BytesIO(PDF))
    engine.start_process("complaint_12369", "xh_liaison", {**COMPLAINT, "letter": [kept["ref"]]})
    engine.add_start_attachment("complaint_12369", "xh_liaison", "abandoned.pdf", io.BytesIO(PDF))
    assert engine.purge_pending_start_attachments() == {"purged": 0}  # not a day old yet
    job = next(j for j in engine.periodic_jobs() if j.name == "start_attachments")
    with clock.frozen_at(clock.now() + timedelta(days=1, minutes=1)):
        assert job.run("scheduler") == {"purged": 1}
    assert [row.filename for row in _rows(engine)] == ["kept.pdf"] and len(_files(engine)) == 1
