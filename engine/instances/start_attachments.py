"""Attachments on a start form (发起 with a scanned letter, a photo): uploaded before the
instance exists, then handed to it when it starts.

As for a task (engine.tasks.attachments) the caller uploads first and the form then refers to
the file as "attachment:<id>" in an attachment field (`"x-widget": "attachments"`). Until a start
takes it, an upload is *pending*: its row has instance_id PENDING (no instance has id 0) and no
task, and only its uploader may refer to it. The same store, size and type limits and messages as
a task's attachments. Starting takes the referenced uploads in the start's own transaction, so a
refused start (invalid form, duplicate service) leaves them pending — pointing at no instance — and
the form shown again still lists them ticked. Pending uploads never taken are purged after a day
(`purge_pending_start_attachments`, a periodic job).

No schema change: a pending upload is an ordinary `attachments` row with the reserved instance id.
"""
from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from sqlalchemy import delete, func, select

from engine import access, clock
from engine.definitions.deploy import find_definition
from engine.definitions.forms import attachment_fields, attachment_reference_errors, referenced_id
from engine.dialects.starters import START_KEY
from engine.errors import FormValidationError, InvalidInput
from engine.runtime.facade import EngineParts
from engine.store import audit
from engine.store.collab_tables import Attachment
from engine.store.tables import ProcessDefinition
from engine.tasks.attachment_store import sniff
from engine.tasks.attachments import TYPES_TEXT, _attachment_dict, clean_filename

PENDING = 0  # the instance id of an upload no start has taken yet
PENDING_KEEP = timedelta(days=1)


class StartAttachmentCommands(EngineParts):
    """Mixed into engine.service.Engine, next to AttachmentCommands (its store and limits)."""

    def add_start_attachment(self, key: str, actor: str, filename: str, stream, field: str = "") -> dict:
        """Store a file uploaded on `key`'s start form by someone who may start it. The file is
        renamed into place before the commit and removed again if the commit fails."""
        store, name = self.attachment_store(), clean_filename(filename)
        staged = stored = None
        try:
            with self.uow() as uow:
                session = uow.session
                user = access.actor(session, actor)
                schema = self._start_form(session, user, key)
                field = _attachment_field(schema, field)
                self._check_pending_room(session, user.name, name)
                staged = self._stage(store, stream, name)
                content_type = sniff(staged.head)
                if content_type is None:
                    raise InvalidInput(f"文件“{name}”不是允许的类型：只能上传{TYPES_TEXT} (file type not allowed)")
                stored = store.keep(staged)
                row = Attachment(id=uuid4().hex, instance_id=PENDING, task_id=None, field=field, filename=name,
                                 content_type=content_type, size=staged.size, sha256=staged.sha256,
                                 storage_key=stored, uploaded_by=user.name, created_at=clock.now())
                session.add(row)
                audit.record(session, user.name, "attachment_added",
                             detail={"attachment_id": row.id, "filename": name, "size": staged.size,
                                     "content_type": content_type, "field": field, "process_key": key,
                                     "pending": True})
                uow.flush()
                result = _attachment_dict(row, None, user.name)
        except BaseException:
            store.discard(staged)
            store.remove(stored)
            raise
        return result

    def pending_start_attachments(self, actor: str, refs) -> list[dict]:
        """The caller's pending uploads among `refs` ("attachment:<id>" or ids), to show a start
        form again with the files already uploaded."""
        wanted = {referenced_id(r) or str(r) for r in refs or ()} - {""}
        if not wanted:
            return []
        with self.uow(write=False) as uow:
            rows = uow.session.scalars(select(Attachment).where(
                Attachment.id.in_(sorted(wanted)), Attachment.instance_id == PENDING,
                Attachment.uploaded_by == actor, Attachment.deleted_at.is_(None))
                .order_by(Attachment.created_at, Attachment.id))
            return [_attachment_dict(row, None, actor) for row in rows]

    def purge_pending_start_attachments(self, owner: str = "scheduler") -> dict:
        """Delete pending uploads older than a day (a start form abandoned): rows and files."""
        cutoff = clock.now() - PENDING_KEEP
        with self.uow() as uow:  # one DELETE: two schedulers at once remove each row (and file) once
            keys = list(uow.session.scalars(delete(Attachment).where(
                Attachment.instance_id == PENDING, Attachment.created_at < cutoff).returning(Attachment.storage_key)))
        store = self.attachment_store()
        for stored in keys:
            store.remove(stored)
        return {"purged": len(keys)}

    def _start_form(self, session, user: access.Actor, key: str) -> dict | None:
        definition = find_definition(session, key, None)
        start = session.get(ProcessDefinition, definition.id).bundle.get(START_KEY) or {}
        access.require_start(session, user, start, key)
        form_key = start.get("form_key")
        return self.runtime.specs.get_by_id(session, definition.id).forms.get(form_key) if form_key else None

    def _check_pending_room(self, session, uploader: str, name: str) -> None:
        count = session.scalar(select(func.count()).select_from(Attachment).where(
            Attachment.instance_id == PENDING, Attachment.uploaded_by == uploader, Attachment.deleted_at.is_(None)))
        if count >= self.attachment_max_files:
            raise InvalidInput(f"文件“{name}”未上传：每次发起最多 {self.attachment_max_files} 个附件 "
                               "(too many attachments)")


def _attachment_field(schema: dict | None, field: str) -> str:
    fields = [key for key, _ in attachment_fields(schema)]
    if not fields:
        raise InvalidInput("此流程的发起表单没有附件栏 (this start form takes no attachments)",
                           code="no_attachment_field")
    field = str(field or "")[:128] or fields[0]
    if field not in fields:
        raise InvalidInput(f"发起表单没有附件栏“{field}” (no such attachment field)", code="no_attachment_field")
    return field


def take_start_attachments(session, actor: str, schema: dict | None, data: dict, instance_id: int) -> list[str]:
    """On 发起, in the start's transaction: every reference in the form's attachment fields must be a
    pending upload of the starter; they then belong to the new instance (its attachments, shown on
    the instance page and its tasks)."""
    fields = attachment_fields(schema)
    wanted = {referenced_id(item) for key, _ in fields
              for item in (data.get(key) if isinstance(data.get(key), list) else [])} - {None, ""}
    rows = list(session.scalars(select(Attachment).where(
        Attachment.id.in_(sorted(wanted)), Attachment.instance_id == PENDING, Attachment.uploaded_by == actor,
        Attachment.deleted_at.is_(None)).with_for_update())) if wanted else []
    errors = {name: text.replace("本任务", "本次发起")  # the task's wording, said of a start
              for name, text in attachment_reference_errors(schema, data, {row.id for row in rows}).items()}
    if errors:
        raise FormValidationError("；".join(errors.values()), errors)
    for row in rows:
        row.instance_id = instance_id
    if rows:
        audit.record(session, actor, "start_attachments_taken", instance_id=instance_id,
                     detail={"attachment_ids": [row.id for row in rows],
                             "filenames": [row.filename for row in rows]})
    return [row.id for row in rows]
