"""Designer drafts: what a designer saved in the browser's editor without deploying it.
A draft never deploys and never changes a running process; one per (kind, key), saving
again replaces it, and deploying that key clears it (`clear_draft` in the deploy's unit of work)."""
from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from engine.errors import InvalidInput
from engine.store.designer_tables import DesignerDraft

KINDS = ("process", "decision", "form")
MAX_CONTENT = 2_000_000  # the same order as the workbench's upload limit


def check_draft(kind: str, key: str, content: str) -> None:
    if kind not in KINDS:
        raise InvalidInput("草稿类型无效 (unknown draft kind)", code="bad_draft_kind")
    if not key or len(key) > 200:
        raise InvalidInput("草稿标识不能为空且不超过200字 (draft key required, at most 200)", code="bad_draft_key")
    if not content.strip():
        raise InvalidInput("草稿内容不能为空 (draft content required)", code="empty_draft")
    if len(content) > MAX_CONTENT:
        raise InvalidInput("草稿内容过大 (draft too large)", code="draft_too_large")


def draft_dict(row: DesignerDraft) -> dict:
    return {"kind": row.kind, "key": row.key, "name": row.name, "content": row.content,
            "saved_by": row.saved_by, "saved_at": row.saved_at, "based_on_version": row.based_on_version}


def clear_draft(session: Session, kind: str, key: str) -> bool:
    """Deploying a key makes its draft obsolete; True when there was one."""
    result = session.execute(delete(DesignerDraft).where(DesignerDraft.kind == kind, DesignerDraft.key == key))
    return bool(result.rowcount)
