"""加签 (co-signing, yudao's 前加签/后加签): the holder of an approval step asks a colleague to
sign it before or after themselves. The workflow does not change: the co-sign is a record
here, and while it is pending the inbox row (human_tasks) is handed to the co-signer
(`assignee` = co-signer, `owner` = holder, `delegation` = "cosign"), the way 委派 hands a task over."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, TaskId, UtcDateTime


class TaskCosign(Base):
    """One request to co-sign a task. `mode` before: the co-signer signs first and the task
    returns to the holder; after: the holder has submitted `data` (validated) and the step
    completes with it once the co-signer agrees. `status` pending|agreed|refused|cancelled."""
    __tablename__ = "task_cosigns"
    __table_args__ = (Index("ix_task_cosigns_task", "task_id", "status"),
                      Index("ix_task_cosigns_cosigner", "cosigner", "status"))
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str] = mapped_column(TaskId)
    instance_id: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(16))
    holder: Mapped[str] = mapped_column(String(64))
    cosigner: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(2000), default="")
    data: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    opinion: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
