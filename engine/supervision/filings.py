"""否定报告备案: every 退回 and 转办 is filed for the section it came from (the section whose
queue the task was in, or where its holder works); the section's head and the leader in
charge of it (分管领导) read it and acknowledge it (知悉) — a refusal is never a silent click.
Admins see every unit's filings; acknowledging is the heads' and leaders' own act."""
from __future__ import annotations

from sqlalchemy import select, update

from engine import access, clock
from engine.errors import InvalidInput, NotAllowed
from engine.runtime.facade import EngineParts
from engine.store import audit
from engine.store.org_tables import Enterprise, Filing, Section
from engine.store.tables import HumanTask, Instance

KIND_TEXT = {"return": "退回", "transfer": "转办", "release": "释放", "sent_back": "退单", "withdraw": "撤回"}
MAX_AT_ONCE = 200


def _row(filing: Filing, task_name: str | None, enterprise: str | None, section: str | None) -> dict:
    return {"id": filing.id, "kind": filing.kind, "kind_text": KIND_TEXT.get(filing.kind, filing.kind),
            "instance_id": filing.instance_id, "task_id": filing.task_id, "task_name": task_name or "",
            "enterprise_name": enterprise or "", "section_name": section or "", "actor": filing.actor,
            "reason": filing.reason, "created_at": filing.created_at.isoformat(),
            "acknowledged_by": filing.acknowledged_by,
            "acknowledged_at": filing.acknowledged_at.isoformat() if filing.acknowledged_at else None}


class FilingCommands(EngineParts):
    def filing_list(self, actor: str, *, include_acknowledged: bool = False, limit: int = 200,
                    offset: int = 0) -> dict:
        """A page of the filings of the sections `actor` heads, newest first, with the step, the
        enterprise and the section; unacknowledged only unless asked. `more`: another page follows."""
        with self.uow(write=False) as uow:
            session = uow.session
            user = access.actor(session, actor)
            sections = access.filing_sections(session, user)
            query = (select(Filing, HumanTask.name, Enterprise.name, Section.name)
                     .outerjoin(HumanTask, HumanTask.id == Filing.task_id)
                     .outerjoin(Instance, Instance.id == Filing.instance_id)
                     .outerjoin(Enterprise, Enterprise.id == Instance.enterprise_id)
                     .outerjoin(Section, Section.id == Filing.section_id)
                     .order_by(Filing.id.desc()).limit(max(1, min(limit, 1000)) + 1).offset(max(0, offset)))
            if sections is not None:
                query = query.where(Filing.section_id.in_(sections))
            if not include_acknowledged:
                query = query.where(Filing.acknowledged_at.is_(None))
            rows = [_row(*found) for found in session.execute(query)]
            most = max(1, min(limit, 1000))
            return {"rows": rows[:most], "more": len(rows) > most, "heads_sections": sections is None or bool(sections)}

    def acknowledge_filings(self, filing_ids: list[int], actor: str) -> int:
        """知悉: the head of each filing's section acknowledges it; all or nothing (a filing of
        another section refuses the whole command). Returns how many were newly acknowledged."""
        ids = sorted({int(i) for i in filing_ids})
        if not ids:
            raise InvalidInput("请选择要确认知悉的备案 (choose at least one filing)")
        if len(ids) > MAX_AT_ONCE:
            raise InvalidInput(f"一次最多确认 {MAX_AT_ONCE} 条 (at most {MAX_AT_ONCE} at once)")
        with self.uow() as uow:
            session = uow.session
            user = access.actor(session, actor)
            mine = set(access.filing_sections(session, user._replace(is_admin=False)))
            filings = list(session.scalars(select(Filing).where(Filing.id.in_(ids))))
            if len(filings) != len(ids):
                raise InvalidInput("所选备案不存在 (no such filing)")
            if any(f.section_id not in mine for f in filings):
                raise NotAllowed("只能确认本人任科长的科室的备案 (only the section's head acknowledges)")
            pending = [f.id for f in filings if f.acknowledged_at is None]
            if pending:
                session.execute(update(Filing).where(Filing.id.in_(pending))
                                .values(acknowledged_by=actor, acknowledged_at=clock.now()))
                audit.record(session, actor, "filings_acknowledged", detail={"filings": pending})
            return len(pending)
