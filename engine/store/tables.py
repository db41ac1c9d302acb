"""The engine's tables (SQLAlchemy 2 ORM).

The workflow state of an instance is one JSON document without its spec: the spec is
stored once per deployed version (as the source files of its bundle) and rebuilt from a
process-wide cache. The inbox, timers and audit are projections written in the same
transaction as the state, so they can never disagree with it.
"""
from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class UtcDateTime(TypeDecorator):
    """All times are stored in UTC and come back timezone-aware, on SQLite (which has no
    time zones) as on PostgreSQL (timestamptz)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC time is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Task ids (SpiffWorkflow's UUIDs, as text) compare byte by byte on PostgreSQL. Under the
# database's own collation (C.UTF-8, zh_CN.UTF-8) every comparison in their indexes called
# strcoll: a busy 科室待认领 queue's deep page probes thousands of them (migration 0020). All
# task-id columns share it: an index serves a comparison only under its own collation.
TaskId = String(36).with_variant(String(36, collation="C"), "postgresql")


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True, info={"label": "账号", "en": "the login name"})
    display_name: Mapped[str] = mapped_column(String(128), default="", info={"label": "姓名", "en": "the display name"})
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True, index=True)
    phone: Mapped[str] = mapped_column(String(32), default="", info={"label": "电话", "en": "the phone"})
    email: Mapped[str] = mapped_column(String(255), default="", server_default="")
    email_mode: Mapped[str] = mapped_column(String(16), default="off", server_default="off")  # off|immediate|digest
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # Bumped to end every web session of the account (sign-out, password reset, disabling).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    groups: Mapped[list[Group]] = relationship(secondary="user_groups", back_populates="members")


class ApiToken(Base):
    """A bearer token for /api/v1: only its SHA-256 is stored (engine.admin.api_tokens)."""
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_name: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(128))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class Group(Base):
    __tablename__ = "groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="", info={"label": "组名称", "en": "the group name"})
    members: Mapped[list[User]] = relationship(secondary="user_groups", back_populates="groups")


class UserGroup(Base):
    __tablename__ = "user_groups"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"),
                                          primary_key=True, index=True)


class SourceFile(Base):
    """A deployed BPMN, DMN or form file, stored once per distinct content."""
    __tablename__ = "source_files"
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # bpmn | dmn | form
    name: Mapped[str] = mapped_column(String(255))
    content: Mapped[str] = mapped_column(Text)


class Deployment(Base):
    __tablename__ = "deployments"
    id: Mapped[int] = mapped_column(primary_key=True)
    deployed_by: Mapped[str] = mapped_column(String(64))
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    summary: Mapped[dict] = mapped_column(JSON, default=dict)


class ProcessDefinition(Base):
    """One version of one executable process. `bundle` lists the source files it is built
    from: {"bpmn": [file ids], "dmn": [...], "forms": {form_key: file id}}."""
    __tablename__ = "process_definitions"
    __table_args__ = (UniqueConstraint("key", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255), default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"))
    bundle: Mapped[dict] = mapped_column(JSON)
    task_meta: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DecisionDefinition(Base):
    """One version of one DMN decision; a DMN file deployed on its own (e.g. a routing
    table designers edit) is versioned per decision like processes are."""
    __tablename__ = "decision_definitions"
    __table_args__ = (UniqueConstraint("key", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255), default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    file_id: Mapped[int] = mapped_column(ForeignKey("source_files.id"))
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Instance(Base):
    __tablename__ = "instances"
    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)  # running|completed|error|cancelled
    state: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, nullable=False)
    started_by: Mapped[str] = mapped_column(String(64), index=True)
    business_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # The business context routing resolves lanes in: the unit the instance belongs to
    # and, for enterprise work, the paired enterprise.
    unit_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    enterprise_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    # What work without an enterprise is about (a form's "x-subject"), for people reading lists.
    subject: Mapped[str | None] = mapped_column(String(200), nullable=True)
    bindings: Mapped[dict] = mapped_column(JSON, default=dict)  # call activity -> bound version
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)

    # Optimistic concurrency: every UPDATE checks and bumps the revision.
    __mapper_args__ = {"version_id_col": revision}


_OPEN = text("status = 'open'")
_COMPLETED = text("status = 'completed'")


class HumanTask(Base):
    """A user task as the inbox sees it; `id` is the SpiffWorkflow task id."""
    __tablename__ = "human_tasks"
    __table_args__ = (
        # The per-person views' indexes hold only the tasks the view shows (migration 0019): a
        # completion moves no entry inside them, only out of the open ones and into 已办's. The
        # status, last, keeps a tab's count index-only on SQLite.
        Index("ix_human_tasks_assignee_open", "assignee", "due_at", "status",
              postgresql_where=_OPEN, sqlite_where=_OPEN),
        Index("ix_human_tasks_instance", "instance_id", "status"),
        # (`unrouted.is_(True)` is `IS true` on PostgreSQL, `IS 1` on SQLite: each index says it so)
        Index("ix_human_tasks_unrouted", "created_at", "id",
              postgresql_where=text("unrouted IS true AND status = 'open'"),
              sqlite_where=text("unrouted IS 1 AND status = 'open'")),
        # 已办: a user's completed tasks, newest first, without scanning every task.
        Index("ix_human_tasks_completed_by", "completed_by", "completed_at", "status",
              postgresql_where=_COMPLETED, sqlite_where=_COMPLETED),
        # 我发起的: open tasks of instances a user started, by due date.
        Index("ix_human_tasks_started_by", "started_by", "due_at", "status",
              postgresql_where=_OPEN, sqlite_where=_OPEN),
        # 科室待认领: only the unclaimed open tasks, in due order (a busy queue's page walks it,
        # reading the ids from the index: migration 0017).
        Index("ix_human_tasks_claimable", "due_at", "id", postgresql_where=text("assignee IS NULL AND status = 'open'"),
              sqlite_where=text("assignee IS NULL AND status = 'open'")),
        # 科室待认领's deep and newest-first pages: the user's candidate task ids looked up with their
        # dates, index-only (migration 0018; engine.inbox.statements.claimable_ids_page).
        Index("ix_human_tasks_claimable_ids", "id", "due_at", "created_at",
              postgresql_where=text("assignee IS NULL AND status = 'open'"),
              sqlite_where=text("assignee IS NULL AND status = 'open'")),
        # 督办: open tasks of these units with their colour moments (the dashboard's counts, the ladder's scan).
        Index("ix_human_tasks_open_unit", "unit_id", "due_at", "yellow_at", "blue_at",
              postgresql_where=_OPEN, sqlite_where=_OPEN),
        # The escalation ladder's scan: open tasks whose next ladder step is due.
        Index("ix_human_tasks_ladder", "ladder_next_at", postgresql_where=_OPEN, sqlite_where=_OPEN),
        # 按期办结率 and handling times: completed tasks of these units in a period.
        Index("ix_human_tasks_done_unit", "unit_id", "completed_at",
              postgresql_where=_COMPLETED, sqlite_where=_COMPLETED),
    )
    id: Mapped[str] = mapped_column(TaskId, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    process_key: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer)
    element_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="")
    lane: Mapped[str | None] = mapped_column(String(255), nullable=True)
    form_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    assignee: Mapped[str | None] = mapped_column(String(64), nullable=True)
    candidate_groups: Mapped[list] = mapped_column(JSON, default=list)
    candidate_users: Mapped[list] = mapped_column(JSON, default=list)
    unrouted: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))  # open|completed|cancelled
    unit_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    enterprise_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    completed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Copied from the instance so 我发起的 is an index range, not a join over instances.
    started_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # 委派: while delegated, `owner` is who the task returns to when the delegate resolves it.
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    delegation: Mapped[str | None] = mapped_column(String(16), nullable=True)  # pending|resolved
    subject: Mapped[str | None] = mapped_column(String(200), nullable=True)  # the instance's, copied
    # When the task turns blue (临近) and yellow (预警): engine.calendar.deadlines.
    blue_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    yellow_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # Supervision: the ladder step reached (0 none, 1 科室负责人, 2 分管领导, 3 挂牌督办) and when the
    # next one falls due, how often
    # it was urged (催办 ×N), and the first deadline when an extension moved due_at (按期办结率).
    ladder_step: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    ladder_next_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)  # None: no step to come
    urge_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    original_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class TaskCandidate(Base):
    """Who may claim an unassigned task: one row per candidate user or group (indexed for
    the 'my sections' unclaimed tasks' query). Removed when the task closes."""
    __tablename__ = "task_candidates"
    __table_args__ = (
        # covering (task_id too, migration 0017): a user's candidate rows give their task ids from the index alone
        Index("ix_task_candidates_lookup", "kind", "name", "task_id"),
        # 科室待认领: the candidate rows of tasks nobody holds (migration 0021)
        Index("ix_task_candidates_claimable", "kind", "name", "task_id",
              postgresql_where=text("claimable IS true"), sqlite_where=text("claimable IS 1")),
    )
    task_id: Mapped[str] = mapped_column(ForeignKey("human_tasks.id", ondelete="CASCADE"),
                                         primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # user | group | section | role
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    # Whether the task is open and held by nobody (assignee IS NULL AND status = 'open'), kept
    # so by the database's triggers (migration 0021), whoever writes the rows: a busy queue's
    # page then probes only these tasks, not also the half its section has already claimed.
    claimable: Mapped[bool] = mapped_column(Boolean, server_default=false(), nullable=False)


class Timer(Base):
    """A waiting timer event of an instance; fired by the scheduler when due."""
    __tablename__ = "timers"
    __table_args__ = (
        UniqueConstraint("instance_id", "task_id"),
        Index("ix_timers_due", "status", "due_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    task_id: Mapped[str] = mapped_column(TaskId)
    element_id: Mapped[str] = mapped_column(String(255))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(16))  # pending|fired|cancelled
    lease_owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    fired_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class StartTimer(Base):
    """A timer start event of a deployed version (not of an instance): each firing starts
    one new instance. Deploying a new version of the process replaces the old schedule."""
    __tablename__ = "start_timers"
    __table_args__ = (
        UniqueConstraint("definition_id", "element_id"),
        Index("ix_start_timers_due", "status", "next_due_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"))
    process_key: Mapped[str] = mapped_column(String(255), index=True)
    element_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(8))  # date|duration|cycle
    text: Mapped[str] = mapped_column(Text)  # the timer value (ISO 8601, 'cron:...')
    next_due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    remaining: Mapped[int] = mapped_column(Integer)  # firings left; -1 unbounded
    fired_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))  # active|done|replaced
    lease_owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_fired_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class AuditEvent(Base):
    """Append-only: who did what, when, to which instance and task, with the data."""
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_instance", "instance_id", "id"),
                      Index("ix_audit_at", "at"),  # the audit viewer and retention purge
                      Index("ix_audit_actor", "actor", "at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    instance_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    task_id: Mapped[str | None] = mapped_column(TaskId, nullable=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class EventSubscription(Base):
    """An instance waiting on a message or signal catch event (a projection of its state)."""
    __tablename__ = "event_subscriptions"
    __table_args__ = (Index("ix_event_subscriptions_lookup", "kind", "name", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str] = mapped_column(TaskId)
    kind: Mapped[str] = mapped_column(String(8))  # message | signal
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CalendarEntry(Base):
    """A date that is not an ordinary Mon–Fri working / Sat–Sun rest day: a 法定节假日 (rest)
    or a 调休 working weekend (work). Edited by the system admin, imported a year at a time."""
    __tablename__ = "calendar_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # rest|work
    name: Mapped[str] = mapped_column(String(64), default="")
