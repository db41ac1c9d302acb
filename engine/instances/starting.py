"""发起 and 撤回: starting work by hand with a start form, and withdrawing it.

Who may start what is the designer's (camunda:candidateStarterGroups / candidateStarterUsers,
read at deploy into the definition's bundle: engine.dialects.starters) and decided in
engine.access.may_start. The start form is validated like a task form.

Duplicates (扎堆服务, DOMAIN.md: "避免扎堆服务、重复走访"): a second running 结对服务 for the
same enterprise in the same year is refused outright, not confirmed — the running one is where
the next visit belongs, and a confirm button would be clicked through.

撤回: the starter cancels what they started while nobody else has acted on it (the audit
says: engine.access.others_acted); open steps close as cancelled, waiting timers are
cancelled, the withdrawal is audited (instance_withdrawn) and filed like a 退回 (kind withdraw).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm.attributes import set_committed_value

from engine import access, clock
from engine.definitions.deploy import find_definition
from engine.definitions.forms import validate_submission
from engine.dialects.starters import START_KEY
from engine.errors import Conflict, InvalidInput, NotAllowed, NotFound
from engine.instances.start_attachments import take_start_attachments
from engine.jobs import timer_rows
from engine.runtime.facade import EngineParts
from engine.store import audit
from engine.store.ids import storable_id
from engine.store.org_tables import Enterprise, Filing, UserSection
from engine.store.tables import HumanTask, Instance, ProcessDefinition, User

SERVICE_KEY = "enterprise_service"  # the 结对服务: one running per enterprise and year
MAX_REASON = 2000


class StartCommands(EngineParts):
    def startable(self, actor: str) -> list[dict]:
        """The processes (latest versions) `actor` may start, with their start form schema."""
        with self.uow(write=False) as uow:
            session = uow.session
            user = access.actor(session, actor)
            latest = (select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version"))
                      .group_by(ProcessDefinition.key).subquery())
            rows = session.scalars(select(ProcessDefinition).join(
                latest, (latest.c.key == ProcessDefinition.key) & (latest.c.version == ProcessDefinition.version))
                .order_by(ProcessDefinition.key))
            return [self._startable_row(session, d) for d in rows
                    if access.may_start(session, user, d.bundle.get(START_KEY))]

    def _startable_row(self, session, definition: ProcessDefinition) -> dict:
        start = definition.bundle.get(START_KEY) or {}
        form_key = start.get("form_key")
        schema = self.runtime.specs.get_by_id(session, definition.id).forms.get(form_key) if form_key else None
        return {"key": definition.key, "name": definition.name, "version": definition.version,
                "description": start.get("documentation", ""), "form_key": form_key, "form": schema}

    def start_process(self, key: str, actor: str, data: dict | None = None) -> dict:
        """发起: `actor` starts the latest version of `key` with its start form's data."""
        if data is not None and not isinstance(data, dict):
            raise InvalidInput("data 必须是对象 (data must be an object)")
        with self.uow() as uow:
            session = uow.session
            user = access.actor(session, actor)
            definition = find_definition(session, key, None)
            start = session.get(ProcessDefinition, definition.id).bundle.get(START_KEY) or {}
            access.require_start(session, user, start, key)
            form_key = start.get("form_key")
            schema = self.runtime.specs.get_by_id(session, definition.id).forms.get(form_key) if form_key else None
            clean = validate_submission(schema, dict(data or {}))
            _check_enterprise(session, user, key, clean)
            started = self.start_in(uow, definition, actor, clean, actor_unit=user.unit_id)
            take_start_attachments(session, actor, schema, clean, started["id"])  # refused: the start rolls back
            return started

    def may_withdraw(self, instance_id: int, actor: str) -> bool:
        with self.uow(write=False) as uow:
            session = uow.session
            return access.may_withdraw(session, access.actor(session, actor), access.instance(session, instance_id))

    def withdrawable_instances(self, actor: str, instance_ids) -> list[int]:
        """Which of these instances `actor` may withdraw now (the 可撤回 mark in 我发起的)."""
        with self.uow(write=False) as uow:
            session = uow.session
            return access.withdrawable_among(session, access.actor(session, actor), instance_ids)

    def withdraw(self, instance_id: int, actor: str, reason: str | None) -> dict:
        """撤回 with a reason: cancelled, audited, filed for the starter's section."""
        reason = (reason or "").strip()
        if not reason:
            raise InvalidInput("请填写撤回原因 (a reason is required)", code="reason_required")
        if len(reason) > MAX_REASON:
            raise InvalidInput(f"撤回原因不能超过 {MAX_REASON} 字 (reason too long)")
        with self.uow() as uow:
            session = uow.session
            user = access.actor(session, actor)
            found = session.scalar(select(Instance).where(Instance.id == instance_id).with_for_update())
            if found is None:
                raise NotFound(f"实例 {instance_id} 不存在 (no such instance)")
            access.require_withdraw(session, user, found)
            open_rows = list(session.scalars(select(HumanTask.id).where(
                HumanTask.instance_id == found.id, HumanTask.status == "open")))
            loaded = self.runtime.load(session, found)
            loaded.workflow.cancel()
            now = clock.now()
            set_committed_value(found, "status", "cancelled")  # save() writes it with the new state
            set_committed_value(found, "ended_at", now)
            self.runtime.save(session, loaded, actor)
            timer_rows.cancel_all(session, found.id)
            session.add(Filing(kind="withdraw", instance_id=found.id, task_id=(open_rows or [""])[0], actor=actor,
                               reason=reason, section_id=_section_of(session, actor), unit_id=found.unit_id,
                               created_at=now))
            audit.record(session, actor, "instance_withdrawn", instance_id=found.id,
                         detail={"reason": reason, "closed_tasks": open_rows})
            return {"id": found.id, "status": "cancelled"}


def _check_enterprise(session, user: access.Actor, key: str, data: dict) -> None:
    """An enterprise named in the start data must be one the starter serves; a 结对服务 only
    by its liaison or contact leader, and not while one runs for it this year."""
    enterprise_id = data.get("enterprise_id")
    if enterprise_id is None:
        if key == SERVICE_KEY:
            raise InvalidInput("请选择结对企业 (choose the enterprise)", code="enterprise_required")
        return
    enterprise = session.get(Enterprise, enterprise_id) if storable_id(enterprise_id) else None
    units = access.visible_units(session, user)
    if enterprise is None or (units is not None and enterprise.unit_id not in units):
        raise NotFound(f"企业 {enterprise_id} 不存在 (no such enterprise)")
    if key != SERVICE_KEY:
        return
    if not access.may_record_contact(session, user, enterprise.liaison_id, enterprise.contact_leader_id):
        raise NotAllowed("只有企业的联络员或联系领导可以发起结对服务 (the liaison or contact leader only)",
                         code="not_liaison")
    now = clock.now()
    running = session.scalar(select(Instance.id).where(
        Instance.process_key == SERVICE_KEY, Instance.enterprise_id == enterprise.id,
        Instance.status == "running", Instance.created_at >= datetime(now.year, 1, 1, tzinfo=now.tzinfo))
        .limit(1))
    if running is not None:
        raise Conflict(f"{enterprise.name} 今年已有进行中的结对服务（实例 {running}），不能重复发起，"
                       "避免扎堆服务、重复走访 (a service for this enterprise is already running this year)",
                       code="duplicate_service", params={"instance": running})


def _section_of(session, name: str) -> int | None:
    """The section a withdrawal is filed for: the starter's (first) section."""
    return session.scalar(select(UserSection.section_id).join(User, User.id == UserSection.user_id)
                          .where(User.name == name).order_by(UserSection.section_id).limit(1))
