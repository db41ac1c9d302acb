"""Organisation tables: bureaus (units) in a tree, their sections, people's sections, roles
and leadership (分管), deputies for leave, and the paired enterprises each unit serves."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, TaskId, UtcDateTime

LEVELS = ("province", "city", "county")
ROLES = ("staff", "section_head", "leader", "supervisor", "liaison", "expert", "admin", "designer",
         "security_admin", "audit_admin")


class Unit(Base):
    """省厅 → 市局 → 县局."""
    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, info={"label": "单位代码", "en": "the unit code"})
    name: Mapped[str] = mapped_column(String(128), info={"label": "单位名称", "en": "the unit name"})
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True, index=True)


class Section(Base):
    """科室/处室: a stable code (`water`) with the unit's own display name (水环境科)."""
    __tablename__ = "sections"
    __table_args__ = (UniqueConstraint("unit_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    code: Mapped[str] = mapped_column(String(64), info={"label": "科室代码", "en": "the section code"})
    name: Mapped[str] = mapped_column(String(128), info={"label": "科室名称", "en": "the section name"})


class UserSection(Base):
    __tablename__ = "user_sections"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id", ondelete="CASCADE"),
                                            primary_key=True, index=True)


class UserRole(Base):
    __tablename__ = "user_roles"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class LeaderSection(Base):
    """The sections a leader is in charge of (分管)."""
    __tablename__ = "leader_sections"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id", ondelete="CASCADE"),
                                            primary_key=True, index=True)


class Deputy(Base):
    """During [starts_at, ends_at) `deputy_id` sees and acts on `user_id`'s tasks."""
    __tablename__ = "deputies"
    __table_args__ = (Index("ix_deputies_deputy", "deputy_id", "ends_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))


class Enterprise(Base):
    """结对服务企业: one row per pairing of a unit with an enterprise."""
    __tablename__ = "enterprises"
    __table_args__ = (UniqueConstraint("unit_id", "credit_code"),
                      Index("ix_enterprises_credit_code", "credit_code"))
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), info={"label": "企业名称", "en": "the enterprise name"})
    credit_code: Mapped[str] = mapped_column(String(18))
    scale: Mapped[str] = mapped_column(String(4))          # 大 中 小 微
    type: Mapped[str] = mapped_column(String(16))          # 传统产业 …
    priority: Mapped[bool] = mapped_column(Boolean, default=False)  # 雄鹰行动
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    liaison_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    contact_leader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    phone: Mapped[str] = mapped_column(String(32), default="", info={"label": "企业电话", "en": "the phone"})
    pairing_year: Mapped[int] = mapped_column(Integer, info={"label": "结对年度", "en": "the pairing year"})
    status: Mapped[str] = mapped_column(String(16))        # paired served added unpaired
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Filing(Base):
    """否定报告备案: a refusal or a return (退回) is never a silent click — it is filed for the
    head of the section concerned, with the reason, until acknowledged."""
    __tablename__ = "filings"
    __table_args__ = (Index("ix_filings_section_open", "section_id", "acknowledged_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # return | transfer | release
    instance_id: Mapped[int] = mapped_column(Integer, index=True)
    task_id: Mapped[str] = mapped_column(TaskId)
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(2000), info={"label": "理由", "en": "the reason"})
    section_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    unit_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class LedgerMatter(Base):
    """一事一单: one problem of one enterprise, kept in step with the ledger_matter process
    that handles it (written in the same transaction as the process state), so that
    一企一账 (an enterprise's ledger) and 一事一单 are simple queries."""
    __tablename__ = "ledger_matters"
    __table_args__ = (UniqueConstraint("instance_id", "scope"),
                      Index("ix_ledger_enterprise", "enterprise_id", "status"),
                      Index("ix_ledger_unit_status", "unit_id", "status"))
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer)
    scope: Mapped[str] = mapped_column(String(36))  # "" or the call activity's task id
    enterprise_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    unit_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source: Mapped[str] = mapped_column(String(32), default="")
    category: Mapped[str] = mapped_column(String(16), default="")
    description: Mapped[str] = mapped_column(String(4000), default="")
    severity: Mapped[str] = mapped_column(String(8), default="")
    section: Mapped[str] = mapped_column(String(64), default="")
    responsible_person: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(16))
    deadline: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    measures: Mapped[str] = mapped_column(String(4000), default="")
    evidence: Mapped[list] = mapped_column(JSON, default=list)
    explanation: Mapped[str] = mapped_column(String(4000), default="")
    department: Mapped[str] = mapped_column(String(255), default="")
    answer: Mapped[str] = mapped_column(String(4000), default="")
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class LoginAttempt(Base):
    """Failed sign-ins, kept in the database so throttling holds across web workers."""
    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_user", "user_name", "at"),
                      Index("ix_login_attempts_client", "client", "at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    user_name: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
