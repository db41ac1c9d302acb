"""加签: the holder of an approval step adds a co-signer before or after themselves (yudao's
前加签/后加签), and the step waits for them.

The workflow is not changed (SpiffWorkflow keeps one ready user task): a co-sign is a record
(engine.store.cosign_tables) and, while it is pending, the inbox row is handed to the
co-signer the way 委派 hands it over (`assignee` = co-signer, `owner` = holder,
`delegation` = "cosign"), so it is in the co-signer's 待办 and nobody completes or passes it
on meanwhile (engine.access.refuse_while_cosigning).

- 前加签 (before): the co-signer signs first; agreeing or refusing, the task returns to its
  holder, who then completes it (the opinion is on the page and in the history).
- 后加签 (after): the holder submits the form (validated as a completion would be) and the
  step waits: when the co-signer agrees, the step completes in the workflow with the
  holder's data, as the holder; when they refuse, it returns to the holder to redo, the
  submitted data kept as the draft.

Only on approval steps: a form saying `"x-approval": true` (科长审核, 审核销号). Only by the
holder; the co-signer is one of the colleagues the holder may transfer to (transfer_choices);
one pending co-sign per task."""
from __future__ import annotations

from sqlalchemy import select, update

from engine import access, clock
from engine.definitions.forms import validate_submission
from engine.errors import Conflict, InvalidInput, NotFound
from engine.inbox import task_rows
from engine.notifications.centre import notify
from engine.runtime.facade import EngineParts
from engine.store import audit
from engine.store.collab_tables import TaskDraft
from engine.store.cosign_tables import TaskCosign
from engine.store.tables import HumanTask, User
from engine.tasks.attachments import check_attachment_references
from engine.tasks.collab_queries import choices

MODES = {"before": "前加签", "after": "后加签"}
MAX_NOTE_CHARS = 2000


def _text(value: str | None, what: str) -> str:
    text = (value or "").strip()
    if len(text) > MAX_NOTE_CHARS:
        raise InvalidInput(f"{what}不能超过 {MAX_NOTE_CHARS} 字 (at most {MAX_NOTE_CHARS} characters)")
    return text


def is_approval_form(form: dict | None) -> bool:
    """An approval step is one whose form says `"x-approval": true`."""
    return isinstance(form, dict) and form.get("x-approval") is True


def cosign_dict(c: TaskCosign, names: dict[str, str] | None = None) -> dict:
    names = names or {}
    return {"id": c.id, "task_id": c.task_id, "instance_id": c.instance_id, "mode": c.mode,
            "mode_name": MODES.get(c.mode, c.mode), "holder": c.holder, "cosigner": c.cosigner,
            "holder_name": names.get(c.holder, c.holder), "cosigner_name": names.get(c.cosigner, c.cosigner),
            "note": c.note, "data": c.data, "status": c.status, "opinion": c.opinion,
            "created_at": c.created_at.isoformat() if c.created_at else None,
            "decided_at": c.decided_at.isoformat() if c.decided_at else None}


def cosign_view(session, row: HumanTask, user, form: dict | None, flags: dict) -> dict:
    """What the task page shows of 加签: the task's co-signs (oldest first), the pending one,
    whether `user` may add one (the holder, on an approval step) or sign the pending one."""
    found = list(session.scalars(select(TaskCosign).where(TaskCosign.task_id == row.id).order_by(TaskCosign.id)))
    people = {p for c in found for p in (c.holder, c.cosigner)}
    names = dict(session.execute(select(User.name, User.display_name).where(User.name.in_(people))).all()) \
        if people else {}
    cosigns = [cosign_dict(c, {k: v for k, v in names.items() if v}) for c in found]
    pending = next((c for c in cosigns if c["status"] == "pending"), None) \
        if row.status == "open" and row.delegation == "cosign" else None
    acting = access.acting_users(session, user.name)
    return {"cosigns": cosigns, "pending_cosign": pending,
            "can_cosign": bool(flags.get("can_transfer")) and row.assignee is not None and is_approval_form(form),
            "can_sign": pending is not None and pending["cosigner"] in acting}


def _drop_stale(session, task_id: str) -> None:
    """A co-sign left pending when an admin's assignment or a 退单 took the task from its
    co-signer can no longer be signed (sign refuses it): mark it so before a new one."""
    session.execute(update(TaskCosign).where(TaskCosign.task_id == task_id, TaskCosign.status == "pending")
                    .values(status="cancelled", decided_at=clock.now()))


class CosignCommands(EngineParts):
    """Mixed into engine.service.Engine."""

    def add_cosigner(self, task_id: str, actor: str, to_user: str, mode: str, note: str | None = None,
                     data: dict | None = None) -> dict:
        """加签: `mode` "before" hands the task to `to_user` to sign first; "after" submits
        `data` (validated like a completion) and holds the step until `to_user` signs."""
        if mode not in MODES:
            raise InvalidInput("加签方式只能是前加签或后加签 (mode must be before or after)", code="cosign_mode")
        note = _text(note, "加签说明")
        if mode == "after" and not isinstance(data, dict):
            raise InvalidInput("后加签须提交表单数据 (after-signing submits the form)", code="cosign_data")
        with self.uow() as uow:
            session = uow.session
            row = access.open_task(session, task_id)
            access.holder(session, row, actor)  # refuses a second co-sign while one is pending
            if row.assignee is None:
                raise InvalidInput("请先认领任务再加签 (claim the task before adding a co-signer)")
            form = self.runtime.form_of(session, row)
            if not is_approval_form(form):
                raise InvalidInput(f"“{row.name}”不是审批环节，不能加签 (co-signers are added on approval steps only)",
                                   code="not_approval_step", params={"task_id": row.id})
            cosigner = self._cosign_target(session, row, actor, (to_user or "").strip())
            if mode == "after":  # bounded like any submission: the form's schema limits each field
                data = validate_submission(form, data)
                check_attachment_references(session, row, form, data)
            access.instance(session, row.instance_id).updated_at = clock.now()  # serialize on the instance
            _drop_stale(session, row.id)
            cosign = TaskCosign(task_id=row.id, instance_id=row.instance_id, mode=mode, holder=row.assignee,
                                cosigner=cosigner, note=note, data=data if mode == "after" else None,
                                status="pending", opinion="", created_at=clock.now())
            session.add(cosign)
            session.flush()
            row.owner, row.assignee, row.delegation = row.assignee, cosigner, "cosign"
            audit.record(session, actor, "cosign_added", instance_id=row.instance_id, task_id=row.id,
                         detail={"cosign_id": cosign.id, "mode": mode, "from": cosign.holder, "to": cosigner,
                                 **({"note": note} if note else {}), **({"data": data} if data else {})})
            notify(session, cosigner, "cosign", actor, f"请你加签（{MODES[mode]}）：{row.name}",
                   task_id=row.id, instance_id=row.instance_id)
            return cosign_dict(cosign)

    def sign(self, cosign_id: int, actor: str, agree: bool, opinion: str | None = None) -> dict:
        """The co-signer signs: agree, or refuse with a reason. The task returns to its holder
        (before; after a refusal), or the step completes with the holder's data (after, agreed)."""
        opinion = _text(opinion, "加签意见")
        if not agree and not opinion:
            raise InvalidInput("不同意时请填写理由 (a refusal needs a reason)", code="cosign_reason",
                               params={"field": "opinion"})
        with self.uow() as uow:
            session = uow.session
            access.actor(session, actor)
            cosign = self._pending_cosign(session, cosign_id)
            access.require_cosigner(session, cosign.cosigner, actor)
            row = access.open_task(session, cosign.task_id)
            if row.delegation != "cosign" or row.assignee != cosign.cosigner:
                raise Conflict("此加签已失效：任务已被改派 (the task was reassigned meanwhile)",
                               code="cosign_stale", params={"cosign_id": cosign.id})
            access.instance(session, row.instance_id).updated_at = clock.now()
            row.assignee, row.owner, row.delegation = cosign.holder, None, None
            cosign.status, cosign.opinion, cosign.decided_at = ("agreed" if agree else "refused"), opinion, clock.now()
            audit.record(session, actor, "cosign_signed", instance_id=row.instance_id, task_id=row.id,
                         detail={"cosign_id": cosign.id, "mode": cosign.mode, "agree": bool(agree),
                                 "to": cosign.holder, **({"opinion": opinion} if opinion else {})})
            if cosign.mode == "after" and agree:
                completed = self.complete_open(session, row, cosign.holder, dict(cosign.data or {}))
                return {"cosign": cosign_dict(cosign), "task": task_rows.task_dict(row), "completed": completed}
            if cosign.mode == "after":  # refused: the holder redoes the step from what they submitted
                self._keep_as_draft(session, row, cosign)
            verdict = "同意" if agree else f"不同意（{opinion}）"
            notify(session, cosign.holder, "cosign", actor, f"{MODES[cosign.mode]}{verdict}：{row.name}",
                   task_id=row.id, instance_id=row.instance_id)
            return {"cosign": cosign_dict(cosign), "task": task_rows.task_dict(row), "completed": None}

    # helpers -----------------------------------------------------------------------------
    def _cosign_target(self, session, row: HumanTask, actor: str, name: str) -> str:
        """The co-signer: one of the colleagues the holder may transfer the task to."""
        if not name:
            raise InvalidInput("请选择加签人 (choose the co-signer)", code="cosigner_required",
                               params={"field": "to_user"})
        allowed = {u["name"] for u in choices(session, row, actor, holder=True)["users"]} - {row.assignee}
        if name not in allowed:
            raise InvalidInput(f"不能加签给 '{name}'：只能加签给可转办的本单位同事 "
                               "(the co-signer must be a colleague the task may be transferred to)",
                               code="cosigner_not_allowed", params={"field": "to_user", "user": name})
        return name

    @staticmethod
    def _pending_cosign(session, cosign_id) -> TaskCosign:
        try:
            cosign = session.get(TaskCosign, int(cosign_id), with_for_update=True)
        except (TypeError, ValueError):
            cosign = None
        if cosign is None:
            raise NotFound(f"加签 {cosign_id} 不存在 (no such co-sign)", code="no_such_cosign")
        if cosign.status != "pending":
            raise Conflict(f"加签 {cosign_id} 已签署 (already signed)", code="cosign_signed",
                           params={"cosign_id": cosign.id, "status": cosign.status})
        return cosign

    @staticmethod
    def _keep_as_draft(session, row: HumanTask, cosign: TaskCosign) -> None:
        draft = session.get(TaskDraft, row.id)
        data, now = dict(cosign.data or {}), clock.now()
        if draft is None:
            session.add(TaskDraft(task_id=row.id, data=data, saved_by=cosign.holder, saved_at=now))
        else:
            draft.data, draft.saved_by, draft.saved_at = {**(draft.data or {}), **data}, cosign.holder, now
