"""Who may see or act on what: every visibility and permission decision, in one place.

Each function works inside the caller's unit of work and either answers a question
(`may_view_task`, `visible_units`) or returns what was asked for and raises the domain error
a user reads (NotFound, NotAllowed, Conflict). The rules:

- an actor is an active account; a disabled one can do nothing;
- 系统管理员 (`is_admin`) administers; 流程设计员 (`designer`) or an admin deploys;
- a task is acted on by its assignee, their deputy (代理人) during a leave, or an admin;
  an unclaimed task by its candidates; a delegated (委派) task by the delegate until resolved;
- a task is seen by its holder, candidates, deputies, the instance's starter, whoever worked
  on the instance, those it was copied to (抄送), supervising roles in scope, admins;
- an instance is seen by admins, its starter, and whoever may see one of its tasks;
- enterprises are seen within the actor's unit, and leaders and supervisors see the units
  below theirs; the security and audit administrators (三员分立) see no business data.
"""
from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import bindparam, exists, or_, select
from sqlalchemy.orm import Session

from engine.definitions.deploy import DefinitionRef, find_definition
from engine.errors import Conflict, NotAllowed, NotFound
from engine.org import directory, roles
from engine.org.lanes import actor_acting_and_candidate_keys, is_task_candidate
from engine.store import by_id
from engine.store.collab_tables import TaskCopy
from engine.store.org_tables import LeaderSection, Section, UserRole, UserSection
from engine.store.supervision_tables import SupervisionRecord
from engine.store.tables import (
    AuditEvent,
    Group,
    HumanTask,
    Instance,
    ProcessDefinition,
    TaskCandidate,
    User,
    UserGroup,
)

SUPERVISING = ("leader", "supervisor")
NOT_ALLOWED_TASK = "无权查看此任务 (not allowed to see this task)"
NOT_ALLOWED_INSTANCE = "无权查看此流程实例 (not allowed to see this instance)"

_ACTOR_QUERY = select(User.name, User.is_admin, User.active, User.unit_id).where(User.name == bindparam("name"))


class Actor(NamedTuple):
    name: str
    is_admin: bool
    unit_id: int | None = None


# --------------------------------------------------------------------------- accounts and roles
def actor(session: Session, name: str) -> Actor:
    """Who is acting: checked on every command (a disabled account can do nothing)."""
    row = session.connection().execute(_ACTOR_QUERY, {"name": name}).first()
    if row is None or not row.active:
        raise _unknown_user(name)
    return Actor(row.name, row.is_admin, row.unit_id)


def actor_and_keys(session: Session, name: str) -> tuple[Actor, list[str], dict[str, set[str]]]:
    """`actor(session, name)` and `acting_and_candidate_keys(session, name)` in one statement:
    the same check and answers, one round trip fewer on every inbox page."""
    found, acting, keys = actor_acting_and_candidate_keys(session, name)
    if found is None:
        raise _unknown_user(name)
    return Actor(*found), acting, keys


def _unknown_user(name: str) -> NotAllowed:
    return NotAllowed(f"用户 '{name}' 不存在或已停用 (unknown user)", code="unknown_user", params={"user": name})


# Who starts, with the latest version of what: one statement for the two reads every start makes first.
_ACTOR_AND_LATEST = select(User.name, User.is_admin, User.active, User.unit_id, ProcessDefinition.id,
                           ProcessDefinition.key, ProcessDefinition.version).select_from(User) \
    .join(ProcessDefinition, ProcessDefinition.key == bindparam("key")).where(User.name == bindparam("name")) \
    .order_by(ProcessDefinition.version.desc()).limit(1)


def actor_and_definition(session: Session, name: str, key: str, version: int | None = None
                         ) -> tuple[Actor, DefinitionRef]:
    """`actor(session, name)`, then `find_definition(session, key, version)`: the latest version
    is asked in one statement with the actor; the same answers and errors, in the same order."""
    if version is None:
        row = session.connection().execute(_ACTOR_AND_LATEST, {"name": name, "key": key}).first()
        if row is not None and row.active:
            return Actor(row.name, row.is_admin, row.unit_id), DefinitionRef(row.id, row.key, row.version)
    return actor(session, name), find_definition(session, key, version)  # one by one, for the right error


def actor_and_open_task(session: Session, name: str, task_id: str) -> tuple[Actor, HumanTask]:
    """`actor(session, name)`, then `open_task(session, task_id, with_instance=True)`, asked in
    one statement (store.by_id.actor_and_task_for_command); the same answers and errors, in the
    same order: an unknown or disabled user before a missing or closed task."""
    found = by_id.actor_and_task_for_command(session, name, task_id)
    if found is None:  # no such user or no such task: asked one by one, for the right error
        return actor(session, name), open_task(session, task_id, with_instance=True)
    user, row = found
    if not user.actor_active:
        raise _unknown_user(name)
    return Actor(user.actor_name, user.actor_is_admin, user.actor_unit_id), _still_open(row, task_id)


def require_admin(session: Session, name: str) -> Actor:
    user = actor(session, name)
    if not user.is_admin:
        raise NotAllowed("只有管理员可以执行此操作 (admins only)", code="admins_only")
    return user


def require_designer(session: Session, name: str) -> Actor:
    """Deploying changes how every bureau works: process designers and admins only."""
    user = actor(session, name)
    if not user.is_admin and not roles.has_role(session, name, "designer"):
        raise NotAllowed("只有流程设计员或管理员可以部署流程 (designers and admins only)", code="designers_only")
    return user


def require_role(session: Session, name: str, role: str) -> None:
    """One of the separated administrator roles (三员分立: security_admin, audit_admin)."""
    roles.require_role(session, name, role)


def has_role(session: Session, name: str, role: str) -> bool:
    return roles.has_role(session, name, role)


def _held_roles(session: Session, name: str) -> set[str]:
    return set(session.scalars(select(UserRole.role).join(User, User.id == UserRole.user_id)
                               .where(User.name == name)))


# --------------------------------------------------------------------------- tasks
def acting_users(session: Session, name: str) -> list[str]:
    """The user and everyone they currently stand in for as a deputy."""
    return [name] + directory.acting_for(session, name)


def is_candidate(session: Session, row: HumanTask, name: str) -> bool:
    return is_task_candidate(session, name, row.id)


def open_task(session: Session, task_id: str, *, with_instance: bool = False) -> HumanTask:
    """The open task, locked for this command; NotFound, or Conflict when it is closed.
    `with_instance`: the command reads the task's instance next (store.by_id.task_for_command)."""
    # Lock the task row (PostgreSQL; SQLite commands already hold the write lock): two
    # commands on one task then run one after the other, and the second sees the first's
    # claim or completion instead of acting on what it read before.
    row = by_id.task_for_command(session, task_id, with_instance=with_instance)
    if row is None:
        raise NotFound(f"任务 {task_id} 不存在 (no such task)", code="no_such_task", params={"task_id": task_id})
    return _still_open(row, task_id)


def _still_open(row: HumanTask, task_id: str) -> HumanTask:
    if row.status != "open":
        raise Conflict(f"任务 {task_id} 已{'完成' if row.status == 'completed' else '关闭'} "
                       f"(task is {row.status})", code="task_closed", params={"task_id": task_id, "status": row.status})
    return row


def holder(session: Session, row: HumanTask, name: str) -> Actor:
    """The assignee (or their deputy, or an admin) acting on a task they hold."""
    user = actor(session, name)
    refuse_while_cosigning(row)
    if row.delegation == "pending":
        raise NotAllowed(f"任务已委派给 {row.assignee}，须待其完成委派后再操作 "
                         "(the task is delegated: wait until the delegate resolves it)", code="task_delegated",
                         params={"task_id": row.id, "delegate": row.assignee})
    if user.is_admin or (row.assignee is not None and row.assignee in acting_users(session, name)):
        return user
    raise NotAllowed("只有办理人（或其代理人、管理员）可以这样做 (only the assignee may do this)",
                     code="not_assignee", params={"task_id": row.id})


HANDED_OVER = ("pending", "cosign")  # 委派 and 加签: the row's assignee works on it for its holder


def refuse_while_cosigning(row: HumanTask) -> None:
    """加签 pending: the co-signer holds the row for now; nobody completes or passes the task on."""
    if row.delegation == "cosign":
        raise Conflict(f"等待 {row.assignee} 加签：签署后才能继续办理 (waiting for the co-signer {row.assignee})",
                       code="cosign_pending", params={"task_id": row.id, "cosigner": row.assignee})


def require_cosigner(session: Session, cosigner: str, name: str) -> None:
    """加签: only the co-signer (or their deputy) signs."""
    if cosigner not in acting_users(session, name):
        raise NotAllowed("只有加签人可以签署 (only the co-signer may sign)", code="not_cosigner",
                         params={"cosigner": cosigner})


def check_may_complete(session: Session, row: HumanTask, user: Actor) -> None:
    """May `user` complete the task? Completing an unclaimed task claims it first."""
    refuse_while_cosigning(row)
    if row.delegation == "pending":  # 委派: the delegate resolves it; its owner then completes it
        raise NotAllowed(f"任务已委派给 {row.assignee}：由其“完成委派”交回 {row.owner} 后再办理 "
                         "(a delegated task is resolved by the delegate, then completed by its owner)",
                         code="task_delegated", params={"task_id": row.id, "delegate": row.assignee})
    if row.assignee == user.name or user.is_admin:
        return
    if row.assignee is not None and row.assignee in acting_users(session, user.name):
        return  # a deputy acts for the assignee during their leave
    if row.assignee is None and is_candidate(session, row, user.name):
        row.assignee = user.name
        return
    raise NotAllowed(f"用户 '{user.name}' 不能办理此任务 (not the assignee)", code="not_assignee",
                     params={"task_id": row.id})


def task_permissions(session: Session, row: HumanTask, user: Actor) -> dict[str, bool]:
    """What `user` may do with a task they see (the task page's buttons, the API's flags).
    While a task is delegated (委派 pending) its delegate may only save a draft and resolve
    it; nobody completes, transfers, returns or re-delegates it. (Whether it can be returned
    depends on the workflow: engine.tasks.view adds `can_return`.)"""
    acting = acting_users(session, user.name)
    is_open, pending = row.status == "open", row.delegation in HANDED_OVER
    candidate = is_open and row.assignee is None and is_candidate(session, row, user.name)
    holder = is_open and (row.assignee in acting or user.is_admin)
    acts = holder and not pending
    has_candidates = session.scalar(select(TaskCandidate.task_id).where(TaskCandidate.task_id == row.id)) is not None
    return {"can_claim": candidate, "can_complete": (holder or candidate) and not pending,
            "can_release": acts and row.assignee is not None and has_candidates,
            "can_transfer": acts, "can_delegate": acts and row.assignee is not None,
            "can_resolve": is_open and row.delegation == "pending" and row.assignee in acting,
            "can_save_draft": is_open and row.assignee is not None and row.delegation != "cosign"
            and (row.assignee in acting or acts),
            "can_copy": True, "can_comment": True}


def require_delegate(session: Session, row: HumanTask, name: str) -> None:
    """委派: only the delegate (or their deputy) resolves a pending delegation."""
    if row.delegation != "pending" or row.assignee not in acting_users(session, name):
        raise NotAllowed("只有被委派人可以完成委派 (only the delegate may resolve this task)")


def require_draft_writer(session: Session, row: HumanTask, user: Actor) -> None:
    """保存草稿: the holder or the delegate (or their deputy); an admin unless it is delegated."""
    holder = row.assignee is not None and row.assignee in acting_users(session, user.name) \
        and row.delegation != "cosign"
    if not (holder or (user.is_admin and row.delegation != "pending")):
        raise NotAllowed("只有办理人或被委派人可以保存草稿 (only the holder may save a draft)")


def require_candidate(session: Session, row: HumanTask, user: Actor) -> None:
    """认领: a candidate of the unclaimed task, or an admin."""
    if not (user.is_admin or is_candidate(session, row, user.name)):
        raise NotAllowed(f"用户 '{user.name}' 不是该任务的候选人 (not a candidate)", code="not_candidate",
                         params={"task_id": row.id})


def may_upload(session: Session, row: HumanTask, user: Actor) -> bool:
    """Attachments are added by whoever may work on the open task: its holder (or their
    deputy), an admin, or — while unclaimed — a candidate."""
    if row.status != "open":
        return False
    if user.is_admin or (row.assignee is not None and row.assignee in acting_users(session, user.name)):
        return True
    return row.assignee is None and is_candidate(session, row, user.name)


def require_upload(session: Session, row: HumanTask, user: Actor) -> None:
    if not may_upload(session, row, user):
        raise NotAllowed("只有此任务的办理人或候选人可以上传附件 (only the assignee or a candidate may upload)")


def may_delete_attachment(attachment, task: HumanTask | None, name: str) -> bool:
    """Only the uploader deletes, while the task is open (what was submitted stays traceable)."""
    return task is not None and task.status == "open" and attachment.uploaded_by == name


def require_uploader(attachment, name: str) -> None:
    if attachment.uploaded_by != name:
        raise NotAllowed("只有上传人可以删除此附件 (only the uploader may delete it)")


def may_view_task(session: Session, name: str, row: HumanTask, instance: Instance, is_admin: bool) -> bool:
    acting = acting_users(session, name)
    if is_admin or row.assignee in acting or row.completed_by == name or instance.started_by == name:
        return True
    if row.owner is not None and row.owner in acting:  # 委派: the owner follows the delegated task
        return True
    if row.status == "open" and row.assignee is None and is_candidate(session, row, name):
        return True
    worked = session.scalar(select(HumanTask.id).where(HumanTask.instance_id == row.instance_id,
                                                       HumanTask.completed_by.in_(acting)).limit(1))
    return worked is not None or _copied_to(session, row, acting) or _supervises(session, name, row)


def visible_task(session: Session, name: str, task_id: str, *, lock: bool = False) -> tuple[HumanTask, Actor]:
    """Load a task the actor may see: NotFound if there is none, NotAllowed if not theirs to see."""
    user = actor(session, name)
    return task_seen_by(session, user, task_id, lock=lock), user


def task_seen_by(session: Session, user: Actor, task_id: str, *, lock: bool = False) -> HumanTask:
    """`visible_task` for an actor already loaded."""
    return task_and_instance_seen_by(session, user, task_id, lock=lock)[0]


def task_and_instance_seen_by(session: Session, user: Actor, task_id: str, *,
                              lock: bool = False) -> tuple[HumanTask, Instance]:
    """`task_seen_by`, with the instance it read to decide (the session keeps loaded rows only
    while someone holds them: a caller that needs the instance takes it from here, not again)."""
    if len(task_id) > 64:
        row = instance = None
    elif lock:   # the task locked first, its instance read after the lock (see by_id.task_for_command)
        row = session.get(HumanTask, task_id, with_for_update=True)
        instance = session.get(Instance, row.instance_id) if row is not None else None
    else:
        row, instance = by_id.task_and_instance(session, task_id)
    if row is None:
        raise NotFound(f"任务 {task_id} 不存在 (no such task)", code="no_such_task", params={"task_id": task_id})
    if not may_view_task(session, user.name, row, instance, user.is_admin):
        raise NotAllowed(NOT_ALLOWED_TASK, code="task_not_visible", params={"task_id": task_id})
    return row, instance


def _copied_to(session: Session, row: HumanTask, acting: list[str]) -> bool:
    """抄送: a copy of this task lets its recipient see it."""
    return session.scalar(select(TaskCopy.id).where(TaskCopy.task_id == row.id,
                                                    TaskCopy.recipient.in_(acting)).limit(1)) is not None


def _supervises(session: Session, name: str, row: HumanTask) -> bool:
    held = _held_roles(session, name)
    if not held & {"leader", "supervisor", "section_head"}:
        return False
    user = session.execute(select(User.id, User.unit_id, User.is_admin).where(User.name == name)).first()
    in_scope = select(HumanTask.id).where(HumanTask.id == row.id, supervision_scope(session, user, held))
    return session.scalar(in_scope) is not None


# --------------------------------------------------------------------------- acting on deadlines
def may_urge(session: Session, row: HumanTask, user: Actor) -> bool:
    """催办: leaders and supervisors on any open task of their unit and below, section heads on
    their sections' tasks (the 督办 scope); not one's own task."""
    return row.status == "open" and row.assignee != user.name and _supervises(session, user.name, row)


def require_urge(session: Session, row: HumanTask, user: Actor) -> None:
    if not may_urge(session, row, user):
        raise NotAllowed("只有领导、督查人员和科长可以催办其督办范围内的任务 (only supervising roles urge, "
                         "within their scope)", code="not_supervising", params={"task_id": row.id})


def may_warn(session: Session, row: HumanTask, user: Actor) -> bool:
    """效能告诫: supervisors and leaders (not section heads) on an open task in their units' scope."""
    held = _held_roles(session, user.name) & set(SUPERVISING)
    if row.status != "open" or not held or user.unit_id is None:
        return False
    in_scope = select(HumanTask.id).where(HumanTask.id == row.id,
                                          HumanTask.unit_id.in_(directory.units_below(session, user.unit_id)))
    return session.scalar(in_scope) is not None


def require_warn(session: Session, row: HumanTask, user: Actor) -> None:
    if not may_warn(session, row, user):
        raise NotAllowed("只有督查人员和领导可以对其督办范围内的任务发出效能告诫 (only supervisors and leaders "
                         "issue efficiency warnings, within their scope)", code="not_supervising",
                         params={"task_id": row.id})


def may_act_as_holder(session: Session, row: HumanTask, user: Actor) -> bool:
    """`holder` as a question: the assignee, their deputy or an admin, on an open task not delegated."""
    if row.status != "open" or row.delegation in HANDED_OVER:
        return False
    return user.is_admin or (row.assignee is not None and row.assignee in acting_users(session, user.name))


def may_decide_extension(session: Session, section_id: int | None, requested_by: str, user: Actor) -> bool:
    """延期审批: the head of the task's section (or an admin) — never the one who asked."""
    if user.name == requested_by:
        return False
    return user.is_admin or (section_id is not None and section_id in directory.headed_sections(session, user.name))


def require_extension_decider(session: Session, section_id: int | None, requested_by: str, user: Actor) -> None:
    if not may_decide_extension(session, section_id, requested_by, user):
        raise NotAllowed("只有任务所在科室的科长可以审批延期申请，且不能审批自己的申请 (only the section's head "
                         "decides, and not on their own request)", code="not_section_head")


def require_warnings_reader(session: Session, user: Actor, person: str) -> None:
    """Someone's 效能告诫 are read by themselves, admins, and leaders and supervisors whose
    units include the person's unit."""
    if user.is_admin or user.name == person:
        return
    unit_id = session.scalar(select(User.unit_id).where(User.name == person))
    held = _held_roles(session, user.name) & set(SUPERVISING)
    if held and user.unit_id is not None and unit_id in directory.units_below(session, user.unit_id):
        return
    raise NotAllowed("无权查看此人的效能告诫 (not allowed to see this person's warnings)", code="not_supervising")


def extension_sections(session: Session, user: Actor) -> list[int] | None:
    """The sections whose 延期申请 `user` decides; None = every section (admins)."""
    return None if user.is_admin else directory.headed_sections(session, user.name)


# --------------------------------------------------------------------------- instances
def instance(session: Session, instance_id: int) -> Instance:
    found = by_id.get(session, Instance, instance_id)
    if found is None:
        raise NotFound(f"流程实例 {instance_id} 不存在 (no such instance)", code="no_such_instance",
                       params={"instance_id": instance_id})
    return found


def may_view_instance(session: Session, user: Actor, found: Instance) -> bool:
    if user.is_admin or found.started_by == user.name:
        return True
    rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == found.id)
                           .order_by(HumanTask.created_at))
    return any(may_view_task(session, user.name, row, found, False) for row in rows)


def may_see_instance(session: Session, user: Actor, instance_id: int | None) -> bool:
    found = session.get(Instance, instance_id) if instance_id is not None else None
    return found is not None and may_view_instance(session, user, found)


def visible_instance(session: Session, name: str, instance_id: int) -> Instance:
    user = actor(session, name)
    found = instance(session, instance_id)
    if not may_view_instance(session, user, found):
        raise NotAllowed(NOT_ALLOWED_INSTANCE, code="instance_not_visible", params={"instance_id": instance_id})
    return found


# --------------------------------------------------------------------------- scopes
def supervision_scope(session: Session, user, held: set[str]):
    """The open tasks a supervising role watches (督办): leaders and supervisors their unit
    and every unit below it; section heads their sections' queues and members' tasks."""
    clauses = []
    if held & set(SUPERVISING) and user.unit_id is not None:
        clauses.append(HumanTask.unit_id.in_(directory.units_below(session, user.unit_id)))
    if "section_head" in held:
        sections = list(session.scalars(select(UserSection.section_id).where(UserSection.user_id == user.id)))
        members = select(User.name).join(UserSection, UserSection.user_id == User.id) \
            .where(UserSection.section_id.in_(sections))
        claimable = exists().where(TaskCandidate.task_id == HumanTask.id, TaskCandidate.kind == "section",
                                   TaskCandidate.name.in_([str(s) for s in sections]))
        clauses += [claimable, HumanTask.assignee.in_(members)]
    if not clauses:
        raise NotAllowed("只有领导、督查人员和科长可以查看督办视图 (supervising roles only)")
    return or_(*clauses)


def filing_sections(session: Session, user: Actor) -> list[int] | None:
    """备案: the sections whose filings `user` reads and acknowledges — those they head and
    those they are in charge of (分管领导); None = every section (admins read all)."""
    if user.is_admin:
        return None
    led = select(LeaderSection.section_id).join(User, User.id == LeaderSection.user_id).where(User.name == user.name)
    return sorted(set(directory.headed_sections(session, user.name)) | set(session.scalars(led)))


def visible_units(session: Session, user: Actor) -> list[int] | None:
    """The units whose enterprises `user` sees; None = all (admins)."""
    if user.is_admin:
        return None
    if user.unit_id is None:
        return []
    held = _held_roles(session, user.name)
    if held and held <= {"security_admin", "audit_admin"}:
        return []  # 三员分立: the security and audit administrators see no business data
    if held & set(SUPERVISING):
        return directory.units_below(session, user.unit_id)
    return [user.unit_id]


# --------------------------------------------------------------------------- 督办单
def supervises_unit(session: Session, user: Actor, unit_id: int | None) -> bool:
    """A leader or supervisor of the unit or a unit above it (or an admin): who sets 限期整改,
    verifies (复核) and lists tasks for supervision (挂牌督办) there."""
    if user.is_admin:
        return True
    if unit_id is None or user.unit_id is None or not _held_roles(session, user.name) & set(SUPERVISING):
        return False
    return unit_id in directory.units_below(session, user.unit_id)


def record_scope(session: Session, user: Actor):
    """The 督办单 `user` sees: listed publicly to leaders and supervisors of the unit and
    above; section heads see their sections'; the person responsible (or their deputy) their
    own; admins all. None = every record."""
    if user.is_admin:
        return None
    clauses = [SupervisionRecord.responsible.in_(acting_users(session, user.name))]
    held = _held_roles(session, user.name)
    if held & set(SUPERVISING) and user.unit_id is not None:
        clauses.append(SupervisionRecord.unit_id.in_(directory.units_below(session, user.unit_id)))
    headed = directory.headed_sections(session, user.name) if "section_head" in held else []
    led = list(session.scalars(select(LeaderSection.section_id).join(User, User.id == LeaderSection.user_id)
                               .where(User.name == user.name)))
    if headed or led:
        clauses.append(SupervisionRecord.section_id.in_(headed + led))
    return or_(*clauses)


def may_report_record(session: Session, user: Actor, record) -> bool:
    """整改情况: the person responsible, a head of the record's section, or an admin."""
    return (user.is_admin or record.responsible in acting_users(session, user.name)
            or record.section_id in directory.headed_sections(session, user.name))


def dashboard_scope(session: Session, name: str) -> tuple[Actor, list[int] | None, list[int] | None]:
    """督办看板 (as the overview's supervision_scope): (user, units, sections). Admins: units None
    (all); leaders and supervisors: their unit and below; a section head without a supervising
    role: their unit, and `sections` = the sections they are in. Anyone else is refused."""
    user = actor(session, name)
    if user.is_admin:
        return user, None, None
    held = _held_roles(session, name)
    if held & set(SUPERVISING) and user.unit_id is not None:
        return user, directory.units_below(session, user.unit_id), None
    if "section_head" in held and user.unit_id is not None:
        sections = list(session.scalars(select(UserSection.section_id).join(User, User.id == UserSection.user_id)
                                        .where(User.name == name)))
        return user, [user.unit_id], sections
    raise NotAllowed("只有领导、督查人员和科长可以查看督办看板 (supervising roles only)", code="not_supervising")


def may_record_contact(session: Session, user: Actor, liaison_id: int | None, contact_leader_id: int | None) -> bool:
    """记录服务 (每月服务): an enterprise's liaison (or a deputy standing in for them), its
    contact leader, or an admin; the caller has checked the enterprise is in the user's scope."""
    if user.is_admin:
        return True
    people = {liaison_id, contact_leader_id} - {None}
    if not people:
        return False
    acting = session.scalars(select(User.id).where(User.name.in_(acting_users(session, user.name))))
    return bool(people & set(acting))


# --------------------------------------------------------------------------- starting and withdrawing (发起, 撤回)
def _starter_keys(session: Session, user: Actor) -> set[str]:
    """What a camunda:candidateStarterGroups entry may name for this user: their roles, the
    codes and names of their sections, and their groups (engine.dialects.starters)."""
    keys = _held_roles(session, user.name)
    for code, name in session.execute(select(Section.code, Section.name)
                                      .join(UserSection, UserSection.section_id == Section.id)
                                      .join(User, User.id == UserSection.user_id).where(User.name == user.name)):
        keys |= {code, name}
    keys |= set(session.scalars(select(Group.name).join(UserGroup, UserGroup.group_id == Group.id)
                                .join(User, User.id == UserGroup.user_id).where(User.name == user.name)))
    return keys


def may_start(session: Session, user: Actor, start: dict | None) -> bool:
    """发起: admins start anything; others a process naming them (or a role, section or group
    of theirs) as a starter. A process naming no starters is for admins only."""
    if user.is_admin:
        return True
    start = start or {}
    if user.name in (start.get("starter_users") or ()):
        return True
    groups = set(start.get("starter_groups") or ())
    return bool(groups) and bool(groups & _starter_keys(session, user))


def require_start(session: Session, user: Actor, start: dict | None, key: str) -> None:
    if not may_start(session, user, start):
        raise NotAllowed(f"你不能发起流程 {key} (not a starter of this process)", code="not_starter",
                         params={"process": key})


# Actors that move an instance without being "someone else acting on it".
_MACHINE_ACTORS = ("scheduler", "system")


def others_acted(session: Session, found: Instance) -> bool:
    """Whether anyone but its starter (and the scheduler) has done anything to the instance:
    completed, claimed, transferred, returned a step, urged it, …: the audit says."""
    return session.scalar(select(exists().where(
        AuditEvent.instance_id == found.id, AuditEvent.actor != found.started_by,
        AuditEvent.actor.notin_(_MACHINE_ACTORS)))) or False


def may_withdraw(session: Session, user: Actor, found: Instance) -> bool:
    return (found.status == "running" and found.started_by == user.name
            and not others_acted(session, found))


def withdrawable_among(session: Session, user: Actor, instance_ids) -> list[int]:
    """Which of these instances `user` may withdraw now (their 我发起的 list): one query."""
    ids = sorted({int(i) for i in instance_ids})[:1000]
    if not ids:
        return []
    others = exists().where(AuditEvent.instance_id == Instance.id, AuditEvent.actor != Instance.started_by,
                            AuditEvent.actor.notin_(_MACHINE_ACTORS))
    return list(session.scalars(select(Instance.id).where(
        Instance.id.in_(ids), Instance.started_by == user.name, Instance.status == "running", ~others)))


def require_withdraw(session: Session, user: Actor, found: Instance) -> None:
    """撤回: only its starter, only while it runs and nobody else has acted on it."""
    if found.started_by != user.name:
        raise NotAllowed("只有发起人可以撤回 (only the starter withdraws)", code="not_the_starter")
    if found.status != "running":
        raise Conflict("流程已结束，不能撤回 (the instance is no longer running)", code="not_running")
    if others_acted(session, found):
        raise Conflict("已有他人办理，不能撤回 (someone else has already acted on it)", code="already_acted")
