"""Read side of the enterprise's one-time rating links (回访): which stages a follow-up form
rates, a link's state as staff see it, and an enterprise's submitted ratings.

Kept apart from engine.enterprises.rating_links so the enterprise pages (engine.enterprises) can list
ratings without importing the commands (which import the enterprise pages' scope check).
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.definitions.deploy import find_definition
from engine.store.collab_tables import RatingLink
from engine.store.tables import HumanTask

# The follow-up form's fields the enterprise answers (forms/service_followup.json).
RATING_FIELD = "satisfaction"
COMMENT_FIELD = "comments"
COMMENT_MAX = 2000
# Short names for lists and tables (the 服务跟踪卡's stages); the phone page uses the form's titles.
SHORT_LABELS = {"visit": "走访", "health_check": "体检", "rectification": "整改", "overall": "总体"}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def rating_stages(form: dict | None) -> list[dict]:
    """The stages a follow-up form rates 1–5: the integer properties of its `satisfaction`
    object, in the form's order. Empty when the form rates nothing (not a follow-up step)."""
    if not isinstance(form, dict):
        return []
    rated = (form.get("properties") or {}).get(RATING_FIELD)
    if not isinstance(rated, dict) or rated.get("type") != "object":
        return []
    stages = []
    for key, spec in (rated.get("properties") or {}).items():
        if isinstance(spec, dict) and spec.get("type") == "integer":
            stages.append({"key": key, "label": str(spec.get("title") or key),
                           "short": SHORT_LABELS.get(key, str(spec.get("title") or key)),
                           "hint": str(spec.get("description") or "")})
    return stages


def task_form(engine, session: Session, row: HumanTask) -> dict | None:
    """The deployed form of a task (from the version of the process the task belongs to)."""
    if not row.form_key:
        return None
    definition = find_definition(session, row.process_key, row.version)
    return engine.runtime.specs.get_by_id(session, definition.id).forms.get(row.form_key)


def link_status(link: RatingLink, now: datetime | None = None) -> str:
    """used | revoked | expired | active — in that order: a used link stays "used"."""
    if link.used_at is not None:
        return "used"
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at <= (now or clock.now()):
        return "expired"
    return "active"


def scores(ratings: dict, stages: list[dict] | None = None) -> list[dict]:
    """A link's ratings as [{stage, label, score}], in the stages' order when known."""
    labels = {s["key"]: s["short"] for s in stages or []}
    order = [s["key"] for s in stages or []] + [k for k in ratings if k not in labels]
    return [{"stage": key, "label": labels.get(key) or SHORT_LABELS.get(key, key), "score": ratings[key]}
            for key in order if key in (ratings or {})]


def link_dict(link: RatingLink, stages: list[dict] | None = None) -> dict:
    """A link as staff see it — never its token or hash."""
    return {"id": link.id, "task_id": link.task_id, "instance_id": link.instance_id,
            "status": link_status(link), "created_by": link.created_by, "created_at": _iso(link.created_at),
            "expires_at": _iso(link.expires_at), "used_at": _iso(link.used_at),
            "revoked_at": _iso(link.revoked_at), "scores": scores(link.ratings or {}, stages),
            "comment": link.comment or ""}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def latest_link(session: Session, task_id: str) -> RatingLink | None:
    return session.scalar(select(RatingLink).where(RatingLink.task_id == task_id)
                          .order_by(RatingLink.id.desc()).limit(1))


def enterprise_link_ratings(session: Session, enterprise_id: int) -> list[dict]:
    """The ratings an enterprise submitted through its links, newest first."""
    links = session.scalars(select(RatingLink).where(RatingLink.enterprise_id == enterprise_id,
                                                     RatingLink.used_at.is_not(None))
                            .order_by(RatingLink.used_at.desc(), RatingLink.id.desc()))
    return [{**link_dict(link), "date": clock.to_local(link.used_at).strftime("%Y-%m-%d")} for link in links]
