"""抄送 copies, comments, 委派 delegation and drafts of a task.

委派 follows Flowable: the holder delegates a task to a colleague (`owner` = holder,
`assignee` = delegate, `delegation` = pending); the delegate works on it and resolves it
(完成委派), which hands it back to the owner (`delegation` = resolved) with the delegate's
form data as the task's draft. Only the owner completes it."""
from __future__ import annotations

import json

from sqlalchemy import select, update

from engine import access, clock
from engine.definitions.deploy import find_definition
from engine.errors import InvalidInput
from engine.inbox import task_rows
from engine.notifications.centre import mark_task_read, notify, unread_about_task
from engine.runtime.facade import EngineParts
from engine.store import audit
from engine.store.collab_tables import TaskComment, TaskCopy, TaskDraft
from engine.store.tables import HumanTask, User
from engine.tasks.collab_queries import choices, colleague_units
from engine.tasks.view import task_view

MAX_DRAFT_BYTES = 256 * 1024
MAX_COMMENT_CHARS = 2000
MAX_NOTE_CHARS = 2000
MAX_RECIPIENTS = 50


def _text(value: str | None, limit: int, what: str) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise InvalidInput(f"{what}不能超过 {limit} 字 (at most {limit} characters)")
    return text


def _draft_data(data) -> dict:
    """Draft data: a JSON object of bounded size (not validated against the form)."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidInput("草稿必须是 JSON 对象 (a draft must be a JSON object)")
    try:
        size = len(json.dumps(data, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError):
        raise InvalidInput("草稿只能包含 JSON 值 (a draft must be JSON)") from None
    if size > MAX_DRAFT_BYTES:
        raise InvalidInput(f"草稿过大：{size} 字节，上限 {MAX_DRAFT_BYTES} 字节 (draft too large)")
    return data


class CollabCommands(EngineParts):
    """Mixed into engine.service.Engine."""

    # 委派 ------------------------------------------------------------------------------
    def delegate(self, task_id: str, actor: str, to_user: str, note: str | None = None) -> dict:
        """The holder hands the task to `to_user` to work on; it comes back when resolved."""
        note = _text(note, MAX_NOTE_CHARS, "委派说明")
        with self.uow() as uow:
            session = uow.session
            row = access.open_task(session, task_id)
            access.holder(session, row, actor)
            if row.assignee is None:
                raise InvalidInput("请先认领任务再委派 (claim the task before delegating it)")
            delegate = self._colleague(session, row, (to_user or "").strip(), "委派")
            if delegate == row.assignee:
                raise InvalidInput("不能委派给任务的办理人本人 (cannot delegate to the holder)")
            access.instance(session, row.instance_id).updated_at = clock.now()  # serialize on the instance
            owner = row.assignee
            row.owner, row.assignee, row.delegation = owner, delegate, "pending"
            audit.record(session, actor, "task_delegated", instance_id=row.instance_id, task_id=row.id,
                         detail={"from": owner, "to": delegate, **({"note": note} if note else {})})
            notify(session, delegate, "delegated", actor, f"委派给你：{row.name}", task_id=row.id,
                   instance_id=row.instance_id)
            return task_rows.task_dict(row)

    def resolve_delegation(self, task_id: str, actor: str, data: dict | None = None,
                           comment: str | None = None) -> dict:
        """完成委派: the delegate hands the task back to its owner, the form data as entered
        saved as the task's draft (validated only when the owner completes it)."""
        data = _draft_data(data)
        comment = _text(comment, MAX_COMMENT_CHARS, "意见")
        with self.uow() as uow:
            session = uow.session
            access.actor(session, actor)
            row = access.open_task(session, task_id)
            access.require_delegate(session, row, actor)
            access.instance(session, row.instance_id).updated_at = clock.now()
            self._save_draft(session, row, data, actor)
            delegate, row.assignee, row.delegation = row.assignee, row.owner, "resolved"
            if comment:
                self._add_comment(session, row, actor, comment)
            audit.record(session, actor, "delegation_resolved", instance_id=row.instance_id, task_id=row.id,
                         detail={"from": delegate, "to": row.owner, **({"comment": comment} if comment else {})})
            return task_rows.task_dict(row)

    # drafts ----------------------------------------------------------------------------
    def save_draft(self, task_id: str, actor: str, data: dict | None) -> dict:
        """保存草稿: the holder (or the delegate) keeps the form as entered, unvalidated."""
        data = _draft_data(data)
        with self.uow() as uow:
            session = uow.session
            user = access.actor(session, actor)
            row = access.open_task(session, task_id)
            access.require_draft_writer(session, row, user)
            draft = self._save_draft(session, row, data, actor)
            return {"task_id": row.id, "saved_by": draft.saved_by, "saved_at": draft.saved_at.isoformat()}

    def _save_draft(self, session, row: HumanTask, data: dict, actor: str) -> TaskDraft:
        """The form's fields are replaced by what was entered (a field left blank is cleared);
        anything else in the draft (written by other features, e.g. an enterprise's rating
        of a field not on the form) is kept."""
        draft = session.get(TaskDraft, row.id)
        now = clock.now()
        if draft is None:
            draft = TaskDraft(task_id=row.id, data=dict(data), saved_by=actor, saved_at=now)
            session.add(draft)
            return draft
        fields = self._form_fields(session, row)
        kept = {k: v for k, v in (draft.data or {}).items() if fields is not None and k not in fields}
        draft.data, draft.saved_by, draft.saved_at = {**kept, **data}, actor, now
        return draft

    def _form_fields(self, session, row: HumanTask) -> set[str] | None:
        """Top-level fields of the task's form; None when it has none (free key/values)."""
        if not row.form_key:
            return None
        built = self.runtime.specs.get(session, find_definition(session, row.process_key, row.version))
        form = built.forms.get(row.form_key) or {}
        return set((form.get("properties") or {}).keys())

    # 抄送 and comments -----------------------------------------------------------------
    def copy_task(self, task_id: str, actor: str, recipients: list[str], note: str | None = None) -> dict:
        """抄送: whoever may see the task copies it to colleagues (who may then see it).
        Someone already copied is skipped; an unknown or disabled name refuses the whole copy."""
        note = _text(note, MAX_NOTE_CHARS, "抄送说明")
        names = list(dict.fromkeys(n.strip() for n in recipients or [] if n and n.strip()))
        if not names:
            raise InvalidInput("请选择抄送给谁 (choose whom to copy the task to)")
        if len(names) > MAX_RECIPIENTS:
            raise InvalidInput(f"一次最多抄送 {MAX_RECIPIENTS} 人 (at most {MAX_RECIPIENTS} recipients)")
        if actor in names:
            raise InvalidInput("不能抄送给自己 (cannot copy a task to yourself)")
        with self.uow() as uow:
            session = uow.session
            row, _ = access.visible_task(session, actor, task_id, lock=True)
            for name in names:
                self._colleague(session, row, name, "抄送")
            already = set(session.scalars(select(TaskCopy.recipient).where(TaskCopy.task_id == row.id,
                                                                            TaskCopy.recipient.in_(names))))
            added = [n for n in names if n not in already]
            now = clock.now()
            session.add_all(TaskCopy(task_id=row.id, instance_id=row.instance_id, recipient=n, sender=actor,
                                     note=note, created_at=now) for n in added)
            if added:
                audit.record(session, actor, "task_copied", instance_id=row.instance_id, task_id=row.id,
                             detail={"to": added, **({"note": note} if note else {})})
            for name in added:
                notify(session, name, "copied", actor, f"抄送给你：{row.name}", task_id=row.id,
                       instance_id=row.instance_id)
            return {"task_id": row.id, "added": added, "already": sorted(already)}

    def add_comment(self, task_id: str, actor: str, body: str | None) -> dict:
        """A comment on the task's instance by anyone who may see the task."""
        text = _text(body, MAX_COMMENT_CHARS, "意见")
        if not text:
            raise InvalidInput("请填写意见内容 (a comment cannot be empty)")
        with self.uow() as uow:
            session = uow.session
            row, _ = access.visible_task(session, actor, task_id)
            comment = self._add_comment(session, row, actor, text)
            return {"id": comment.id, "instance_id": row.instance_id, "task_id": row.id, "author": actor,
                    "body": text, "created_at": comment.created_at.isoformat()}

    def _add_comment(self, session, row: HumanTask, actor: str, text: str) -> TaskComment:
        comment = TaskComment(instance_id=row.instance_id, task_id=row.id, author=actor, body=text,
                              created_at=clock.now())
        session.add(comment)
        session.flush()
        audit.record(session, actor, "task_commented", instance_id=row.instance_id, task_id=row.id,
                     detail={"comment_id": comment.id, "comment": text})
        return comment

    # reads -------------------------------------------------------------------------------
    def transfer_choices(self, task_id: str, actor: str) -> dict:
        """Whom `actor` may pick: colleagues (users of the task's unit), and for the holder
        the sections of this unit and of other units to transfer to."""
        with self.uow(write=False) as uow:
            session = uow.session
            row, user = access.visible_task(session, actor, task_id)
            holder = row.status == "open" and (user.is_admin or row.assignee in access.acting_users(session, actor))
            return choices(session, row, actor, holder=holder)

    def open_task_page(self, task_id: str, actor: str) -> dict:
        """The task page as `actor` opens it (`task_view`); a copy of it to `actor` not yet
        read, and what `actor` was notified about it, are marked read — in a second, small
        transaction taken only then, so that opening a page stays a lock-free read on SQLite."""
        with self.uow(write=False) as uow:
            view = task_view(self, uow.session, task_id, access.actor(uow.session, actor))
            told = unread_about_task(uow.session, actor, task_id)
        mine = view.get("my_copy")
        unread_copy = mine is not None and mine["read_at"] is None
        if told or unread_copy:
            with self.uow() as uow:
                access.actor(uow.session, actor)
                now = clock.now()
                mark_task_read(uow.session, actor, task_id)
                uow.session.execute(update(TaskCopy).where(TaskCopy.task_id == task_id, TaskCopy.recipient == actor,
                                                           TaskCopy.read_at.is_(None)).values(read_at=now))
        if unread_copy:
            view["my_copy"] = {**mine, "read_at": now.isoformat()}
            view["copies"] = [{**c, "read_at": now.isoformat()} if c["id"] == mine["id"] else c
                              for c in view.get("copies", [])]
        return view

    # helpers -----------------------------------------------------------------------------
    def _colleague(self, session, row: HumanTask, name: str, what: str) -> str:
        """An active user of the task's unit or a unit above it (anyone active when the
        task belongs to no unit)."""
        found = session.execute(select(User.name, User.active, User.unit_id).where(User.name == name)).first()
        if found is None or not name:
            raise InvalidInput(f"用户 '{name}' 不存在 (no such user)")
        if not found.active:
            raise InvalidInput(f"用户 '{name}' 已停用 (disabled)")
        units = colleague_units(session, row.unit_id)
        if units is not None and found.unit_id not in units:
            raise InvalidInput(f"不能{what}给其他单位的用户 '{name}' (not a colleague of this unit)")
        return name

