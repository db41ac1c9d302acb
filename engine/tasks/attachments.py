"""Attachments of a task (photos and PDFs of rectification evidence): the bytes stored
outside the database (engine.tasks.attachment_store), the metadata in `attachments`, read only
by those who may see a task of the instance.

The folder and the size limit are the Engine's settings (engine.config: SANFU_ATTACHMENT_DIR,
default `<instance folder>/attachments`; the web app builds its Engine with its own).
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from uuid import uuid4

from sqlalchemy import func, or_, select

from engine import access, clock
from engine.definitions.forms import (
    attachment_fields,
    attachment_reference,
    attachment_reference_errors,
    referenced_id,
)
from engine.errors import FormValidationError, InvalidInput, NotAllowed, NotFound
from engine.runtime.facade import EngineParts
from engine.store import audit
from engine.store.collab_tables import Attachment
from engine.store.tables import HumanTask
from engine.tasks.attachment_store import TYPE_NAMES, AttachmentStore, TooLarge, sniff

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 20
_ID = re.compile(r"^[0-9a-f]{32}$")
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')
TYPES_TEXT = "JPEG、PNG、WebP 图片或 PDF 文件"


def clean_filename(name: str | None) -> str:
    """The name to show and to offer on download: no folders, no control characters."""
    text = unicodedata.normalize("NFC", str(name or "")).replace("\\", "/").rsplit("/", 1)[-1]
    text = " ".join(_UNSAFE.sub("", text).split()).strip(". ")
    if len(text) > 200:
        stem, dot, ext = text.rpartition(".")
        text = (stem[:190] + dot + ext[:9]) if dot and len(ext) <= 9 else text[:200]
    return text or "附件"


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


class AttachmentCommands(EngineParts):
    """Mixed into engine.service.Engine."""
    attachment_dir: Path  # the Engine sets both from its settings (engine.config)
    attachment_max_bytes: int
    attachment_max_files: int = MAX_FILES

    def attachment_store(self) -> AttachmentStore:
        return AttachmentStore(self.attachment_dir)

    def add_attachment(self, task_id: str, actor: str, filename: str, stream, field: str = "") -> dict:
        """Store an uploaded file for an open task: only whoever may complete the task
        uploads. The file is renamed into place before the commit and removed again if
        the commit fails, so no row lacks its file and no file outlives a failed upload."""
        store, name = self.attachment_store(), clean_filename(filename)
        staged = key = None
        try:
            with self.uow() as uow:
                session = uow.session
                user = access.actor(session, actor)
                row = access.open_task(session, task_id)
                access.require_upload(session, row, user)
                self._check_room(session, row, name)
                staged = self._stage(store, stream, name)
                content_type = sniff(staged.head)
                if content_type is None:
                    raise InvalidInput(f"文件“{name}”不是允许的类型：只能上传{TYPES_TEXT} (file type not allowed)")
                key = store.keep(staged)
                attachment = Attachment(
                    id=uuid4().hex, instance_id=row.instance_id, task_id=row.id, field=str(field or "")[:128],
                    filename=name, content_type=content_type, size=staged.size, sha256=staged.sha256,
                    storage_key=key, uploaded_by=user.name, created_at=clock.now())
                session.add(attachment)
                audit.record(session, user.name, "attachment_added", instance_id=row.instance_id, task_id=row.id,
                             detail={"attachment_id": attachment.id, "filename": name, "size": staged.size,
                                     "content_type": content_type, "field": attachment.field})
                uow.flush()
                result = _attachment_dict(attachment, row, user.name)
        except BaseException:
            store.discard(staged)
            store.remove(key)
            raise
        return result

    def _check_room(self, session, row: HumanTask, name: str) -> None:
        count = session.scalar(select(func.count()).select_from(Attachment).where(
            Attachment.task_id == row.id, Attachment.deleted_at.is_(None)))
        if count >= self.attachment_max_files:
            raise InvalidInput(f"文件“{name}”未上传：每个任务最多 {self.attachment_max_files} 个附件 "
                               "(too many attachments)")

    def _stage(self, store: AttachmentStore, stream, name: str):
        limit = self.attachment_max_bytes
        try:
            staged = store.stage(stream, limit)
        except TooLarge:
            raise InvalidInput(f"文件“{name}”过大：每个文件不能超过 {megabytes(limit)} MB (file too large)") from None
        if staged.size == 0:
            store.discard(staged)
            raise InvalidInput(f"文件“{name}”是空文件 (empty file)")
        return staged

    def delete_attachment(self, attachment_id: str, actor: str) -> dict:
        """Only the uploader deletes, while the task is open. The row stays (soft delete,
        audited) and so does the file: what was once submitted can still be traced."""
        with self.uow() as uow:
            session = uow.session
            user = access.actor(session, actor)
            attachment = _live_attachment(session, attachment_id)
            access.require_uploader(attachment, user.name)
            row = access.open_task(session, attachment.task_id)
            attachment.deleted_at, attachment.deleted_by = clock.now(), user.name
            audit.record(session, user.name, "attachment_deleted", instance_id=attachment.instance_id,
                         task_id=row.id, detail={"attachment_id": attachment.id, "filename": attachment.filename})
            return {"id": attachment.id, "task_id": row.id, "instance_id": attachment.instance_id,
                    "filename": attachment.filename}

    def attachment_for_download(self, attachment_id: str, actor: str) -> dict:
        """An attachment's metadata and the path of its file, for a user who may see a
        task of its instance."""
        with self.uow(write=False) as uow:
            session = uow.session
            user = access.actor(session, actor)
            attachment = _live_attachment(session, attachment_id)
            if not access.may_see_instance(session, user, attachment.instance_id):
                raise NotAllowed("无权查看此附件 (not allowed to see this attachment)")
            path = self.attachment_store().path(attachment.storage_key)
            if not path.is_file():
                raise NotFound(f"附件“{attachment.filename}”的文件已丢失，请联系管理员 (file missing)")
            task = session.get(HumanTask, attachment.task_id) if attachment.task_id else None
            return {**_attachment_dict(attachment, task, user.name), "path": str(path)}

    def attachments_of(self, actor: str, *, task_id: str | None = None, instance_id: int | None = None,
                       others_shown: int | None = None, page: int | None = None) -> dict:
        """The attachments of a task's instance (each saying which task it belongs to),
        or of an instance; with whether `actor` may upload to the task. An instance that goes
        round (a photo each 整改 round) gathers many, so a page asks for fewer: `others_shown`
        — the task's own files and only the newest N of the other steps' (`others_more`: how
        many older ones it left out); `page` — one page of the instance's files, counted back
        from the newest (`attachments_page`, as engine.store.audit.history_page does)."""
        with self.uow(write=False) as uow:
            session = uow.session
            user = access.actor(session, actor)
            task = access.visible_task(session, user.name, task_id)[0] if task_id else None
            if task is not None:
                instance_id = task.instance_id
            elif not access.may_see_instance(session, user, instance_id):
                raise NotAllowed("无权查看此流程的附件 (not allowed to see these attachments)")
            if task is not None and others_shown is not None:
                rows, shown = _own_and_newest_others(session, instance_id, task.id, others_shown)
            elif page is not None:
                rows, shown = _one_page(session, instance_id, page)
            else:
                rows, shown = session.execute(_listed(instance_id).order_by(*OLDEST_FIRST)).all(), {}
            return {"task_id": task_id, "instance_id": instance_id,
                    "can_upload": task is not None and access.may_upload(session, task, user),
                    "max_bytes": self.attachment_max_bytes, "max_files": self.attachment_max_files,
                    "types": list(TYPE_NAMES.values()),
                    "attachments": [_attachment_dict(a, t, user.name) for a, t in rows], **shown}


OLDEST_FIRST = (Attachment.created_at, Attachment.id)
NEWEST_FIRST = (Attachment.created_at.desc(), Attachment.id.desc())
PER_PAGE = 50  # an instance page's files at a time


def _listed(instance_id: int, *conditions):
    """The instance's files (not deleted), each with the task it was attached at."""
    return (select(Attachment, HumanTask).outerjoin(HumanTask, HumanTask.id == Attachment.task_id)
            .where(Attachment.instance_id == instance_id, Attachment.deleted_at.is_(None), *conditions))


def _counted(session, instance_id: int, *conditions) -> int:
    return session.scalar(select(func.count(Attachment.id)).where(
        Attachment.instance_id == instance_id, Attachment.deleted_at.is_(None), *conditions)) or 0


def _own_and_newest_others(session, instance_id: int, task_id: str, shown: int) -> tuple[list, dict]:
    """The task's own files (at most MAX_FILES) and the newest `shown` of the other steps', oldest first."""
    own = session.execute(_listed(instance_id, Attachment.task_id == task_id)).all()
    elsewhere = or_(Attachment.task_id.is_(None), Attachment.task_id != task_id)
    newest = session.execute(_listed(instance_id, elsewhere).order_by(*NEWEST_FIRST).limit(shown)).all()
    more = _counted(session, instance_id, elsewhere) - len(newest) if len(newest) == shown else 0
    rows = sorted(own + newest, key=lambda row: (row[0].created_at, row[0].id))
    return rows, {"others_more": more}


def _one_page(session, instance_id: int, page: int) -> tuple[list, dict]:
    total = _counted(session, instance_id)
    rows = session.execute(_listed(instance_id).order_by(*NEWEST_FIRST)
                           .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return list(reversed(rows)), {"attachments_page": {"page": page, "pages": max(1, -(-total // PER_PAGE)),
                                                       "per_page": PER_PAGE, "total": total}}


def check_attachment_references(session, row: HumanTask, schema: dict | None, data: dict) -> None:
    """On completion: every attachment reference in the form's attachment fields must
    name a (not deleted) attachment of this task."""
    if not attachment_fields(schema):
        return
    wanted = {referenced_id(item) for key, _ in attachment_fields(schema)
              for item in (data.get(key) if isinstance(data.get(key), list) else [])} - {None}
    known = set(session.scalars(select(Attachment.id).where(
        Attachment.task_id == row.id, Attachment.deleted_at.is_(None), Attachment.id.in_(wanted)))) \
        if wanted else set()
    errors = attachment_reference_errors(schema, data, known)
    if errors:
        raise FormValidationError("；".join(errors.values()), errors)


def _live_attachment(session, attachment_id: str) -> Attachment:
    attachment = session.get(Attachment, attachment_id) if _ID.match(attachment_id or "") else None
    if attachment is None or attachment.deleted_at is not None:
        raise NotFound("附件不存在或已被删除 (no such attachment)")
    return attachment


def _attachment_dict(attachment: Attachment, task: HumanTask | None, viewer: str) -> dict:
    return {"id": attachment.id, "ref": attachment_reference(attachment.id), "instance_id": attachment.instance_id,
            "task_id": attachment.task_id, "task_name": task.name if task is not None else "",
            "field": attachment.field, "filename": attachment.filename, "content_type": attachment.content_type,
            "is_image": attachment.content_type.startswith("image/"), "size": attachment.size,
            "sha256": attachment.sha256, "uploaded_by": attachment.uploaded_by,
            "created_at": attachment.created_at.isoformat() if attachment.created_at else None,
            "can_delete": access.may_delete_attachment(attachment, task, viewer)}
