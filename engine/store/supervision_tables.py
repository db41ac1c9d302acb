"""Supervision tables (督办): the escalation ladder's steps, 督办单 records and their history,
催办, 延期申请, 效能告诫, the liaison's service contacts, and the email outbox. Each row is
written in the unit of work of the command (or scheduler job) that creates it."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, TaskId, UtcDateTime

LADDER_STEPS = ("section_head", "leader", "listed")  # human_tasks.ladder_step 1, 2, 3
RECORD_STATUSES = ("open", "verifying", "closed")  # 督办中 → 待复核 → 已销号
EXTENSION_STATUSES = ("pending", "approved", "refused", "withdrawn")
CONTACT_MODES = ("走访", "电话", "视频")
OUTBOX_STATUSES = ("pending", "sent", "failed")
EMAIL_MODES = ("off", "immediate", "digest")


class Escalation(Base):
    """One step of the ladder taken for one task: red → 科室负责人, red + N → 分管领导, red + M →
    挂牌督办. The unique key makes a step happen once per deadline whatever number of schedulers
    run (a deadline moved by an extension starts the ladder again)."""
    __tablename__ = "escalations"
    __table_args__ = (UniqueConstraint("task_id", "step", "due_at"),
                      Index("ix_escalations_at", "at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str] = mapped_column(TaskId)
    instance_id: Mapped[int] = mapped_column(Integer, index=True)
    step: Mapped[str] = mapped_column(String(16))  # section_head | leader | listed
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())  # the deadline that was missed
    recipients: Mapped[list] = mapped_column(JSON, default=list)
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class SupervisionRecord(Base):
    """督办单 (挂牌督办): what, who, since when, the rectification deadline, its status. Open
    records are carried into the next year (跨年) until the supervisor verifies (复核) them."""
    __tablename__ = "supervision_records"
    __table_args__ = (UniqueConstraint("year", "serial"),
                      Index("ix_supervision_records_unit", "unit_id", "status", "opened_at"),
                      Index("ix_supervision_records_status", "status", "year"))
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)  # of opening: 督办〔2026〕12号
    serial: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(String(2000), default="")
    source: Mapped[str] = mapped_column(String(16))  # ladder | manual
    task_id: Mapped[str | None] = mapped_column(TaskId, nullable=True, unique=True)
    instance_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    enterprise_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    unit_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    section_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    responsible: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the person answering for it
    status: Mapped[str] = mapped_column(String(16))  # open | verifying | closed
    deadline: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)  # 限期整改
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    opened_by: Mapped[str] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class SupervisionRecordEvent(Base):
    """A 督办单's history: opened, deadline set, rectification reported, verified or sent back."""
    __tablename__ = "supervision_record_events"
    __table_args__ = (Index("ix_supervision_record_events_record", "record_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("supervision_records.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(String(2000), default="")
    deadline: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class Urge(Base):
    """催办: a supervisor's or leader's message on a task (human_tasks.urge_count counts them)."""
    __tablename__ = "urges"
    __table_args__ = (Index("ix_urges_task", "task_id", "id"), Index("ix_urges_at", "created_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str] = mapped_column(TaskId)
    instance_id: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sender: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str | None] = mapped_column(String(64), nullable=True)
    message: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DeadlineExtension(Base):
    """延期申请: the holder asks for a new due date with a reason; the section head decides.
    An approval moves human_tasks.due_at and keeps the first deadline in original_due_at."""
    __tablename__ = "deadline_extensions"
    __table_args__ = (Index("ix_deadline_extensions_task", "task_id", "id"),
                      Index("ix_deadline_extensions_pending", "section_id", "status"))
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str] = mapped_column(TaskId)
    instance_id: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    section_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    current_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    new_due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reason: Mapped[str] = mapped_column(String(2000), info={"label": "延期理由", "en": "the reason"})
    status: Mapped[str] = mapped_column(String(16))  # pending | approved | refused | withdrawn
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    decision_note: Mapped[str] = mapped_column(String(2000), default="",
                                               info={"label": "审批意见", "en": "the decision note"})


class EfficiencyWarning(Base):
    """效能告诫: issued by a supervisor on an overdue item to the person responsible, recorded
    against that person and counted in the statistics (and the assessment)."""
    __tablename__ = "efficiency_warnings"
    __table_args__ = (Index("ix_efficiency_warnings_person", "person", "created_at"),
                      Index("ix_efficiency_warnings_unit", "unit_id", "created_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str | None] = mapped_column(TaskId, nullable=True)
    instance_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    record_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    person: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    section_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    issued_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(2000), info={"label": "告诫事由", "en": "the reason"})
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ServiceContact(Base):
    """A liaison's service of a paired enterprise: a visit (走访, also written when a visit task
    completes), a phone call or a video call. Monthly coverage counts these."""
    __tablename__ = "service_contacts"
    __table_args__ = (Index("ix_service_contacts_enterprise", "enterprise_id", "contacted_on"),
                      Index("ix_service_contacts_day", "contacted_on"))
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    liaison: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(8))  # 走访 | 电话 | 视频
    contacted_on: Mapped[date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(String(2000), default="")
    instance_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    task_id: Mapped[str | None] = mapped_column(TaskId, nullable=True, unique=True)
    recorded_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OutboxEmail(Base):
    """An email waiting to be sent (a notification, or a day's digest). A command only writes
    this row; the scheduler delivers it, retries with backoff, and marks it sent or failed.
    `dedupe_key` makes a digest or a ladder mail exist once whatever number of schedulers run."""
    __tablename__ = "email_outbox"
    __table_args__ = (Index("ix_email_outbox_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    notification_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)
    status: Mapped[str] = mapped_column(String(16))  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_error: Mapped[str] = mapped_column(String(500), default="")
    lease_owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class ScheduledJobRun(Base):
    """When a periodic scheduler job (the ladder, the monthly service check, the outbox) last
    ran, so several schedulers do not all run it every tick."""
    __tablename__ = "scheduled_job_runs"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_result: Mapped[dict] = mapped_column(JSON, default=dict)
