"""Designer drafts: a process, decision or form being edited in the browser, saved without
deploying. One draft per (kind, key): saving again replaces it; deploying clears it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, UtcDateTime


class DesignerDraft(Base):
    """`kind` process|decision|form; `key` the process key, decision file or form name;
    `based_on_version` the deployed version the designer started from (None: a new one)."""
    __tablename__ = "designer_drafts"
    __table_args__ = (UniqueConstraint("kind", "key", name="uq_designer_drafts_kind_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200), default="")
    content: Mapped[str] = mapped_column(Text)
    saved_by: Mapped[str] = mapped_column(String(64))
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime())
    based_on_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
