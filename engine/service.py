"""The Engine facade: every command a user, the CLI, the scheduler or the web layer issues.

Each public method is one command = one unit of work = one transaction. Methods take and
return plain values (names, ids, dicts); domain errors (engine.errors) say what went wrong.
"""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine import access, clock, config
from engine.admin.accounts import AccountCommands
from engine.admin.api_tokens import ApiTokenCommands
from engine.admin.audit_log import AuditLogQueries
from engine.admin.calendar import CalendarCommands
from engine.admin.designer_catalog import DesignerQueries
from engine.admin.designer_deploy import DesignerCommands
from engine.admin.designer_drafts import DraftCommands
from engine.admin.designer_forms import FormEditorCommands
from engine.admin.designer_sources import EditorSources
from engine.admin.health import HealthQueries
from engine.admin.organisation import OrgCommands
from engine.admin.queries import AdminQueries
from engine.definitions.deploy import SpecCache, deploy, read_bundle
from engine.definitions.forms import subject_of, validate_submission
from engine.enterprises import visits
from engine.enterprises.ledger import LedgerProjection
from engine.enterprises.queries import EnterpriseQueries
from engine.enterprises.rating_links import RatingCommands
from engine.enterprises.service_contacts import ContactCommands, VisitContactProjection
from engine.enterprises.service_status import ServiceStatusProjection
from engine.errors import Conflict, InvalidInput, NotFound
from engine.exchange.commands import OrgTransfer
from engine.inbox import task_rows
from engine.inbox.bulk import BulkCommands
from engine.inbox.commands import InboxQueries
from engine.inbox.projection import TaskRowsProjection
from engine.inbox.views import open_tasks
from engine.instances.diagram import DiagramQueries
from engine.instances.migration import MigrationCommands
from engine.instances.start_attachments import StartAttachmentCommands
from engine.instances.starting import StartCommands
from engine.jobs import firing, timer_rows
from engine.jobs.periodic import PeriodicJob
from engine.jobs.timer_rows import TimerRowsProjection
from engine.notifications import outbox as mail_outbox
from engine.notifications.centre import NotificationQueries
from engine.notifications.mail_commands import EmailCommands
from engine.org import directory, privacy
from engine.org.lanes import Context
from engine.org.roles import replace_roles
from engine.runtime import events
from engine.runtime.core import Runtime, engine_errors, insert_instance, instance_data, new_instance
from engine.store import audit
from engine.store.db import make_engine, session_factory
from engine.store.tables import Group, Timer, User
from engine.store.uow import UnitOfWork, read_one
from engine.supervision.board import DashboardQueries
from engine.supervision.filings import FilingCommands
from engine.supervision.ladder import LADDER_EVERY, LadderCommands
from engine.supervision.monthly_reminders import MonthlyServiceJob
from engine.supervision.overview import SupervisionQueries
from engine.supervision.record_commands import RecordCommands
from engine.supervision.urging import UrgeCommands
from engine.supervision.warnings import WarningCommands
from engine.tasks.actions import TaskActions
from engine.tasks.attachments import AttachmentCommands, check_attachment_references
from engine.tasks.collab import CollabCommands
from engine.tasks.cosign import CosignCommands
from engine.tasks.cosign_queries import CosignQueries
from engine.tasks.deadlines import move_deadlines
from engine.tasks.extensions import ExtensionCommands
from engine.tasks.send_back import SendBackCommands
from engine.tasks.view import TaskViewQueries


class Engine(InboxQueries, BulkCommands,  # inbox
             TaskViewQueries, TaskActions, CollabCommands, AttachmentCommands,  # tasks
             CosignCommands, CosignQueries,  # 加签
             SupervisionQueries, DashboardQueries, FilingCommands, DiagramQueries,  # supervision, instances
             MigrationCommands,  # moving running instances between versions
             StartCommands, StartAttachmentCommands,  # 发起 with a start form (and its attachments), 撤回
             DraftCommands, EditorSources,  # the browser editor's drafts, what it opens and deploys
             FormEditorCommands,  # the JSON Schema form editor: a form's new version deploys its processes
             LadderCommands, RecordCommands,  # the escalation ladder, 督办单
             UrgeCommands, ExtensionCommands, SendBackCommands, WarningCommands,  # 催办, 延期, 退单, 效能告诫
             EnterpriseQueries, RatingCommands, ContactCommands, MonthlyServiceJob,  # enterprises, 每月服务
             OrgCommands, OrgTransfer, AccountCommands, AdminQueries, AuditLogQueries, ApiTokenCommands,
             CalendarCommands, NotificationQueries, EmailCommands,  # admin, notifications, email
             DesignerQueries, DesignerCommands,  # the designer's workbench
             HealthQueries):  # /healthz
    def __init__(self, url: str | None = None, *, forms_dir: Path | None = None, db_engine=None,
                 settings: config.Settings | None = None):
        """`settings` default to the environment's (engine.config); `url` and `forms_dir`
        override theirs."""
        self.settings = settings or config.from_environ()
        self.db = db_engine or make_engine(url or self.settings.database)
        self.sessions = session_factory(self.db)
        mail_outbox.attach(self.sessions, self.settings.mail)  # notify() queues mail only when email is on
        self.forms_dir = Path(forms_dir) if forms_dir else self.settings.forms_dir
        self.attachment_dir = self.settings.attachments_folder
        self.attachment_max_bytes = self.settings.attachment_max_bytes
        self.runtime = Runtime(SpecCache(), projections=(
            TaskRowsProjection(), TimerRowsProjection(), LedgerProjection(), ServiceStatusProjection(),
            VisitContactProjection()))

    def uow(self, write: bool = True) -> UnitOfWork:
        return UnitOfWork(self.sessions, write)

    def read_one(self, statement, params: dict):
        return read_one(self.db, statement, params)

    # identity -------------------------------------------------------------------
    def add_group(self, name: str, display_name: str = "") -> None:
        with self.uow() as uow:
            if uow.session.scalar(select(Group.id).where(Group.name == name)) is not None:
                raise InvalidInput(f"组 '{name}' 已存在 (group exists)")
            uow.session.add(Group(name=name, display_name=display_name or name))

    def add_user(self, name: str, groups: list[str] = (), admin: bool = False,
                 display_name: str = "", roles: tuple[str, ...] = ()) -> None:
        """A bootstrap account (`sanfu user add`): groups, and business roles such as
        `designer`; accounts of the organisation are made through engine.admin.organisation."""
        with self.uow() as uow:
            session = uow.session
            if session.scalar(select(User.id).where(User.name == name)) is not None:
                raise InvalidInput(f"用户 '{name}' 已存在 (user exists)")
            user = User(name=name, display_name=display_name or name, is_admin=admin,
                        created_at=clock.now())
            for group_name in groups:
                group = session.scalar(select(Group).where(Group.name == group_name))
                if group is None:
                    group = Group(name=group_name, display_name=group_name)
                    session.add(group)
                user.groups.append(group)
            session.add(user)
            if roles:
                session.flush()
                replace_roles(session, user, (*roles, "admin") if admin else roles)

    # definitions ----------------------------------------------------------------
    def deploy(self, paths: list[Path], actor: str):
        docs, forms = read_bundle([Path(p) for p in paths], self.forms_dir)
        with self.uow() as uow:
            access.require_designer(uow.session, actor)
            return deploy(uow.session, docs, forms, actor)

    # instances ------------------------------------------------------------------
    def start(self, key: str, actor: str, data: dict | None = None, version: int | None = None,
              business_key: str | None = None) -> dict:
        data = _require_dict(data)
        with self.uow() as uow:
            session = uow.session
            user, definition = access.actor_and_definition(session, actor, key, version)
            return self.start_in(uow, definition, actor, data, business_key,
                                        actor_unit=user.unit_id)

    def start_in(self, uow, definition, actor: str, data: dict, business_key=None,
                 trigger: dict | None = None, actor_unit: int | None = None) -> dict:
        """The one way instances start, inside the caller's unit of work: by hand (`start`),
        or by a timer start event firing (`trigger` = {"trigger": "timer", "element_id": ...},
        engine.jobs.start_events)."""
        session, key, now = uow.session, definition.key, clock.now()
        unit_id, enterprise_id = directory.business_context(session, data, actor_unit)
        instance = new_instance(definition_id=definition.id, process_key=key, version=definition.version,
                                status="running", state="", started_by=actor, business_key=business_key,
                                bindings={}, created_at=now, updated_at=now, unit_id=unit_id,
                                enterprise_id=enterprise_id)
        loaded = self.runtime.new(session, instance, data, start_event=(trigger or {}).get("element_id"))
        self.runtime.advance(loaded)
        instance.state = self.runtime.encode_new(loaded)
        uow.flush()  # whatever else the start added, as before; then the instance, as one plain INSERT
        insert_instance(session, instance)
        audit.record(session, actor, "instance_started", instance_id=instance.id,
                     detail={"process_key": key, "version": definition.version, "data": data,
                             **(trigger or {})})
        self.runtime.save(session, loaded, actor, new=True)
        events.deliver(self.runtime, session, loaded.thrown, actor)
        return {"id": instance.id, "process_key": key, "version": definition.version,
                "status": instance.status}

    def complete(self, task_id: str, actor: str, data: dict | None = None) -> dict:
        data = _require_dict(data)
        with self.uow() as uow:
            session = uow.session
            user, row = access.actor_and_open_task(session, actor, task_id)
            access.check_may_complete(session, row, user)
            return self.complete_open(session, row, actor, data)

    def complete_open(self, session, row, actor: str, data: dict) -> dict:
        """Complete the open, locked task `row` as `actor` with `data`, inside the caller's
        unit of work (`complete`, and a 后加签 once its co-signer agrees: engine.tasks.cosign)."""
        task_id = row.id
        loaded = self.runtime.load(session, access.instance(session, row.instance_id))
        spiff_task = loaded.workflow.get_task_from_id(_uuid(task_id))
        if not spiff_task.has_state(TaskState.READY):
            raise Conflict(f"任务 {task_id} 已不在待办状态 (task is no longer open)")
        built = loaded.built_for(spiff_task)
        schema = built.forms.get(row.form_key) if row.form_key else None
        clean = validate_submission(schema, data)
        check_attachment_references(session, row, schema, clean)
        subject = subject_of(schema, clean)
        if subject:  # before advancing: the tasks it opens carry it
            loaded.instance.subject = subject
        with engine_errors(row.element_id):
            spiff_task.data.update(clean)
            spiff_task.run()
        self.runtime.advance(loaded)
        task_rows.close_task(session, row, "completed", actor)
        if subject:
            task_rows.retitle_open_tasks(session, row.instance_id, subject)
        warnings = visits.duplicate_visit_warnings(session, row, actor, clean)
        moved = move_deadlines(session, row, schema, clean)
        audit.record(session, actor, "task_completed", instance_id=row.instance_id, task_id=row.id,
                     detail={"element_id": row.element_id, "name": row.name, "data": clean,
                             **({"warnings": warnings} if warnings else {}),
                             **({"deadlines_moved": moved} if moved else {})})
        self.runtime.save(session, loaded, actor)
        events.deliver(self.runtime, session, loaded.thrown, actor)
        return {"instance_id": row.instance_id, "status": loaded.instance.status, "warnings": warnings}

    # messages and signals -------------------------------------------------------
    def send_message(self, name: str, actor: str, data: dict | None = None,
                     instance_id: int | None = None) -> dict:
        """Deliver a message to the instance waiting for it (the one named, or the oldest)."""
        data = _require_dict(data)
        with self.uow() as uow:
            access.actor(uow.session, actor)
            reached = events.deliver(self.runtime, uow.session, [("message", name, data)], actor,
                                     instance_id)
            if not reached:
                where = f"实例 {instance_id} " if instance_id is not None else ""
                raise NotFound(f"{where}没有在等待消息 '{name}' (no instance waits for this message)")
            return {"message": name, "instances": reached}

    def broadcast_signal(self, name: str, actor: str, data: dict | None = None) -> dict:
        """Deliver a signal to every instance waiting for it (none is not an error)."""
        data = _require_dict(data)
        with self.uow() as uow:
            access.actor(uow.session, actor)
            reached = events.deliver(self.runtime, uow.session, [("signal", name, data)], actor)
            return {"signal": name, "instances": reached}

    # queries --------------------------------------------------------------------
    def tasks(self, actor: str, *, limit: int = 200, offset: int = 0) -> list[dict]:
        """The actor's open and claimable tasks, soonest due first, `limit` from `offset`."""
        with self.uow(write=False) as uow:
            access.actor(uow.session, actor)
            return [task_rows.shown(uow.session, r) for r in open_tasks(uow.session, actor, limit, offset)]

    def unrouted(self, actor: str, *, limit: int = 500, offset: int = 0) -> list[dict]:
        with self.uow(write=False) as uow:
            access.require_admin(uow.session, actor)
            return [task_rows.task_dict(r) for r in task_rows.unrouted_tasks(uow.session, limit, offset)]

    def show(self, instance_id: int, actor: str | None = None) -> dict:
        """An instance's state, open tasks and history. Personal data the forms mark
        sensitive is masked unless `actor` is among the people allowed to see it."""
        with self.uow(write=False) as uow:
            return self._shown(uow.session, access.instance(uow.session, instance_id), actor)

    def instance_for(self, instance_id: int, actor: str, history_page: int = 1) -> dict:
        """`show` for an actor who may see the instance (the API): admins, its starter, and
        whoever may see one of its tasks (holders, candidates, those who worked on it, supervisors);
        one page of the history, counted back from the newest (engine.store.audit.history_page)."""
        with self.uow(write=False) as uow:
            return self._shown(uow.session, access.visible_instance(uow.session, actor, instance_id), actor,
                               history_page)

    def _shown(self, session, instance, actor: str | None, history_page: int | None = None) -> dict:
        loaded = self.runtime.load(session, instance)
        data = instance_data(loaded.workflow)
        history, where = audit.history_page(session, instance.id, history_page) if history_page is not None \
            else (audit.history(session, instance.id), None)
        fields, lanes = privacy.sensitive_fields(loaded.specs.owner[loaded.workflow.spec.name].forms)
        if fields and not privacy.may_see(session, actor, lanes,
                                          Context(instance.unit_id, instance.enterprise_id), data):
            data, history = privacy.masked(data, fields), privacy.masked(history, fields)
        return {"id": instance.id, "process_key": instance.process_key, "version": instance.version,
                "status": instance.status, "started_by": instance.started_by, "data": data,
                "unit_id": instance.unit_id, "enterprise_id": instance.enterprise_id, "subject": instance.subject,
                "open_tasks": [task_rows.shown(session, r) for r in task_rows.open_tasks_of(session, instance.id)],
                "history": history, **({"history_page": where} if where else {})}

    # periodic scheduler jobs ------------------------------------------------------
    def periodic_jobs(self) -> list[PeriodicJob]:
        """What `sanfu scheduler` runs besides timers, each by one scheduler at a time
        (engine.jobs.periodic); every job is safe to run twice at once."""
        return [PeriodicJob("ladder", timedelta(seconds=LADDER_EVERY), self.run_ladder),
                *self.email_jobs(),
                self.monthly_service_job(),
                PeriodicJob("start_attachments", timedelta(hours=1), self.purge_pending_start_attachments),
                ]

    # timers ---------------------------------------------------------------------
    def fire_due_timers(self, owner: str = "sanfu") -> dict:
        """Fire every timer due as of `clock.now()`, however many, a claimed batch at a time
        (engine.jobs.firing); returns the counts."""
        return firing.fire_due(self, owner, self._fire_one)

    def _fire_one(self, timer_id: int, owner: str) -> str:
        """Fire a timer `owner` has claimed: 'fired', 'failed', 'skipped' (fired already, or
        its lease lost to another scheduler) or 'conflict' (its instance changed meanwhile)."""
        try:
            if self.db.dialect.name != "sqlite":
                with self.uow() as uow:
                    fired = self._fired_in_memory(uow.session, timer_id, owner)
                    return "fired" if fired and self._save_fired(uow.session, timer_id, owner, *fired) else "skipped"
            # SQLite has one writer at a time: the instance is loaded and advanced before the
            # write lock is taken, so several schedulers work side by side (the save checks
            # that the instance is still at the revision read).
            with self.uow(write=False) as uow:
                fired = self._fired_in_memory(uow.session, timer_id, owner)
            if fired is None:
                return "skipped"
            with firing.writer_turn(self.db), self.uow() as uow:
                return "fired" if self._save_fired(uow.session, timer_id, owner, *fired) else "skipped"
        except (InvalidInput, NotFound) as err:
            with self.uow() as uow:
                timer_rows.mark_failed(uow.session, timer_id)
                audit.record(uow.session, "scheduler", "timer_failed", detail={"timer_id": timer_id,
                                                                               "error": str(err)})
            return "failed"
        except Conflict:
            return "conflict"

    def _fired_in_memory(self, session, timer_id: int, owner: str):
        """(timer row, its instance loaded with the timer fired and the steps after it run),
        nothing written yet; None if the timer is no longer `owner`'s to fire."""
        timer = session.get(Timer, timer_id)
        if timer is None or timer.status != "pending" or timer.lease_owner != owner:
            return None
        loaded = self.runtime.load(session, access.instance(session, timer.instance_id))
        with engine_errors(timer.element_id):
            loaded.workflow.refresh_timers()
        self.runtime.advance(loaded)
        return timer, loaded

    def _save_fired(self, session, timer_id: int, owner: str, timer, loaded) -> bool:
        """Save the firing if the timer is still `owner`'s (timer_rows.hold); whether it was."""
        if not timer_rows.hold(session, timer_id, owner):
            return False
        session.add(loaded.instance)  # on SQLite it was loaded in another session
        self.runtime.save(session, loaded, "scheduler")  # its timer rows audit what fired
        events.deliver(self.runtime, session, loaded.thrown, "scheduler")
        return True


MAX_DATA_BYTES = 1024 * 1024


def _require_dict(data) -> dict:
    """Submitted data: a JSON object of bounded size (it is stored in the state and audit)."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidInput("数据必须是 JSON 对象 (data must be a JSON object)")
    try:
        size = len(json.dumps(data, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError):
        raise InvalidInput("数据只能包含 JSON 值：文本、数字、布尔、列表、对象 (data must be JSON)") from None
    if size > MAX_DATA_BYTES:
        raise InvalidInput(f"提交的数据过大：{size} 字节，上限 {MAX_DATA_BYTES} 字节 (data too large)")
    return data


def _uuid(task_id: str):
    from uuid import UUID
    try:
        return UUID(task_id)
    except ValueError:
        raise NotFound(f"任务 {task_id} 不存在 (no such task)") from None


def _plain(data: dict) -> dict:
    return {k: v for k, v in data.items() if not k.startswith("_")}
