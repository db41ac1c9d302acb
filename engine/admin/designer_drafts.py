"""The browser editor's drafts as Engine commands: process designers and admins only
(the rules of a draft are in engine/definitions/drafts.py)."""
from __future__ import annotations

from sqlalchemy import select

from engine import access, clock
from engine.definitions.drafts import check_draft, clear_draft, draft_dict
from engine.runtime.facade import EngineParts
from engine.store import audit
from engine.store.designer_tables import DesignerDraft


class DraftCommands(EngineParts):
    """Save, read, list and discard drafts: process designers and admins only."""

    def save_designer_draft(self, actor: str, kind: str, key: str, content: str, *, name: str = "",
                   based_on_version: int | None = None) -> dict:
        check_draft(kind, key, content)
        with self.uow() as uow:
            session = uow.session
            access.require_designer(session, actor)
            row = session.scalar(select(DesignerDraft).where(DesignerDraft.kind == kind, DesignerDraft.key == key))
            if row is None:
                row = DesignerDraft(kind=kind, key=key)
                session.add(row)
            row.name, row.content, row.saved_by = name[:200], content, actor
            row.saved_at, row.based_on_version = clock.now(), based_on_version
            audit.record(session, actor, "save_draft", detail={"kind": kind, "key": key})
            session.flush()
            return draft_dict(row)

    def designer_draft(self, actor: str, kind: str, key: str) -> dict | None:
        with self.uow(write=False) as uow:
            access.require_designer(uow.session, actor)
            row = uow.session.scalar(select(DesignerDraft).where(DesignerDraft.kind == kind,
                                                                 DesignerDraft.key == key))
            return draft_dict(row) if row else None

    def designer_drafts(self, actor: str) -> list[dict]:
        with self.uow(write=False) as uow:
            access.require_designer(uow.session, actor)
            rows = uow.session.scalars(select(DesignerDraft).order_by(DesignerDraft.saved_at.desc()))
            return [draft_dict(r) for r in rows]

    def discard_designer_draft(self, actor: str, kind: str, key: str) -> bool:
        with self.uow() as uow:
            access.require_designer(uow.session, actor)
            gone = clear_draft(uow.session, kind, key)
            if gone:
                audit.record(uow.session, actor, "discard_draft", detail={"kind": kind, "key": key})
            return gone
