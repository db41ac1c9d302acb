"""Tables for working on a task together: 抄送 copies, comments, drafts, attachments, and
the enterprise's one-time rating links. Each is written in the unit of work of the command
that creates it, like the inbox rows."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, TaskId, UtcDateTime


class TaskCopy(Base):
    """抄送: a task copied to a colleague for information (the 抄送我的 tab); read once opened."""
    __tablename__ = "task_copies"
    __table_args__ = (UniqueConstraint("task_id", "recipient"),
                      Index("ix_task_copies_recipient", "recipient", "created_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("human_tasks.id", ondelete="CASCADE"))
    instance_id: Mapped[int] = mapped_column(Integer, index=True)
    recipient: Mapped[str] = mapped_column(String(64))
    sender: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class TaskComment(Base):
    """A comment on an instance, made on one of its tasks (shown in the history)."""
    __tablename__ = "task_comments"
    __table_args__ = (Index("ix_task_comments_instance", "instance_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer)
    task_id: Mapped[str | None] = mapped_column(TaskId, nullable=True)
    author: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class TaskDraft(Base):
    """The form of an open task as last saved without submitting: one per task (whoever
    holds the task resumes it; a delegate's resolution and an enterprise's rating land here
    too). Deleted when the task closes."""
    __tablename__ = "task_drafts"
    task_id: Mapped[str] = mapped_column(ForeignKey("human_tasks.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    saved_by: Mapped[str] = mapped_column(String(64))
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Attachment(Base):
    """An uploaded file (photo, PDF) of a task: metadata here, the bytes in the attachment
    folder under `storage_key`, outside the database."""
    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_instance", "instance_id", "created_at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex
    instance_id: Mapped[int] = mapped_column(Integer)
    task_id: Mapped[str | None] = mapped_column(TaskId, nullable=True, index=True)
    field: Mapped[str] = mapped_column(String(128), default="")
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    deleted_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class RatingLink(Base):
    """A one-time link an enterprise rates the service with, without an account. Only the
    token's SHA-256 is stored; the link expires and works once."""
    __tablename__ = "rating_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    instance_id: Mapped[int] = mapped_column(Integer, index=True)
    task_id: Mapped[str] = mapped_column(TaskId)
    enterprise_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    ratings: Mapped[dict] = mapped_column(JSON, default=dict)  # stage -> 1..5
    comment: Mapped[str] = mapped_column(String(2000), default="", info={"label": "评价意见", "en": "the comment"})
    client: Mapped[str] = mapped_column(String(64), default="")


class Notification(Base):
    """A message in a person's notification centre (通知): a task assigned, transferred,
    returned or delegated to them, a copy, later the supervision ladder and 催办. Unread until
    they open it. `dedupe_key` makes a notification that must happen once (a ladder step with
    several schedulers running) a unique row."""
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_recipient", "recipient", "read_at", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    sender: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(String(500))
    task_id: Mapped[str | None] = mapped_column(TaskId, nullable=True)
    instance_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
