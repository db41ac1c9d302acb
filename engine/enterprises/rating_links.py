"""The enterprise's one-time rating link (回访): issued from the follow-up step, used once, expires.

The holder of an open follow-up task issues a link; the enterprise opens it without an
account, rates each service stage 1–5 and comments. Only the token's SHA-256 is stored, so
the link can be shown only when it is issued; issuing again replaces an unused link. The
rating lands in the follow-up task's draft, so the liaison finds the form filled in.
"""
from __future__ import annotations

import hmac
import re
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import access, clock
from engine.enterprises.queries import header
from engine.enterprises.rating_queries import (
    COMMENT_FIELD,
    COMMENT_MAX,
    RATING_FIELD,
    enterprise_link_ratings,
    latest_link,
    link_dict,
    link_status,
    rating_stages,
    scores,
    task_form,
    token_hash,
)
from engine.errors import Conflict, FormValidationError, Gone, InvalidInput, NotFound
from engine.runtime.facade import EngineParts
from engine.store import audit
from engine.store.collab_tables import RatingLink, TaskDraft
from engine.store.org_tables import Enterprise, Unit
from engine.store.tables import HumanTask, User

DEFAULT_TTL = timedelta(days=7)
MAX_TTL = timedelta(days=90)
# secrets.token_urlsafe(32) gives 43 characters; anything else is not a token we issued.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,128}")
GONE_MESSAGES = {
    "used": "该评价链接已使用，感谢您的评价 (this rating link has already been used)",
    "expired": "该评价链接已过期，请联系联络员重新获取 (this rating link has expired)",
    "revoked": "该评价链接已作废，请使用联络员最新发送的链接 (this rating link was replaced)",
    "closed": "本次回访已办结，评价链接已失效 (the follow-up is closed)",
}
UNKNOWN_LINK = "评价链接不存在 (no such rating link)"


class RatingLinkGone(Gone):
    """The link existed but works no more (used, expired, replaced, or its follow-up closed):
    the web answers 410 Gone. `reason` is one of GONE_MESSAGES' keys."""

    def __init__(self, reason: str):
        super().__init__(GONE_MESSAGES[reason])
        self.reason = reason


class RatingCommands(EngineParts):
    """Mixed into engine.service.Engine."""

    def issue_rating_link(self, task_id: str, actor: str, ttl: timedelta = DEFAULT_TTL) -> dict:
        """A new link for the follow-up task `task_id` (its holder only); an unused earlier
        link of the task is revoked. Returns the token — shown now or never again."""
        if not isinstance(ttl, timedelta) or not timedelta(0) < ttl <= MAX_TTL:
            raise InvalidInput(f"链接有效期须在 0 到 {MAX_TTL.days} 天之间 (ttl out of range)")
        with self.uow() as uow:
            session = uow.session
            row = access.open_task(session, task_id)
            access.holder(session, row, actor)
            stages = _rated_stages(self, session, row)
            if row.enterprise_id is None:
                raise InvalidInput("该回访任务没有关联企业，不能生成评价链接 (the task has no enterprise)")
            if session.scalar(select(RatingLink.id).where(RatingLink.task_id == row.id,
                                                          RatingLink.used_at.is_not(None))) is not None:
                raise Conflict("企业已通过评价链接完成评价，不能再生成链接 (the enterprise has already rated)")
            now = clock.now()
            replaced = session.execute(
                update(RatingLink).where(RatingLink.task_id == row.id, RatingLink.used_at.is_(None),
                                         RatingLink.revoked_at.is_(None)).values(revoked_at=now),
                execution_options={"synchronize_session": False}).rowcount
            token = secrets.token_urlsafe(32)
            link = RatingLink(token_hash=token_hash(token), instance_id=row.instance_id, task_id=row.id,
                              enterprise_id=row.enterprise_id, created_by=actor, created_at=now,
                              expires_at=now + ttl, ratings={}, comment="", client="")
            session.add(link)
            uow.flush()
            audit.record(session, actor, "rating_link_issued", instance_id=row.instance_id, task_id=row.id,
                         detail={"expires_at": link.expires_at.isoformat(), "replaced": replaced})
            return {"token": token, "link_id": link.id, "task_id": row.id, "instance_id": row.instance_id,
                    "created_at": now.isoformat(), "expires_at": link.expires_at.isoformat(),
                    "stages": stages}

    def rating_form(self, token: str) -> dict:
        """What the enterprise's page shows: who is rated and the stages — nothing else.
        NotFound for an unknown token; RatingLinkGone when used, expired or replaced."""
        with self.uow(write=False) as uow:
            session = uow.session
            link, row = _usable_link(session, token)
            stages = _rated_stages(self, session, row)
            return {**_parties(session, link),
                    "stages": [{"key": s["key"], "label": s["label"], "hint": s["hint"]} for s in stages],
                    "comment_max": COMMENT_MAX}

    def submit_rating(self, token: str, ratings: dict, comment: str = "", client: str = "") -> dict:
        """The enterprise's rating: every stage 1–5, an optional comment. Works once: of two
        submissions at the same moment exactly one is saved, the other gets RatingLinkGone."""
        with self.uow() as uow:
            session = uow.session
            link, row = _usable_link(session, token, lock=True)
            stages = _rated_stages(self, session, row)
            clean, text = _valid_ratings(stages, ratings), _valid_comment(comment)
            now = clock.now()
            won = session.execute(
                update(RatingLink).where(RatingLink.id == link.id, RatingLink.used_at.is_(None),
                                         RatingLink.revoked_at.is_(None), RatingLink.expires_at > now)
                .values(used_at=now, ratings=clean, comment=text, client=str(client or "")[:64]),
                execution_options={"synchronize_session": False}).rowcount
            if won != 1:
                raise RatingLinkGone("used")
            parties = _parties(session, link)
            actor = f"企业:{parties['enterprise']}"[:64]
            _merge_into_draft(session, row, clean, text, actor)
            audit.record(session, actor, "rating_submitted", instance_id=row.instance_id, task_id=row.id,
                         detail={"ratings": clean, "comment": text, "link_id": link.id})
            return {"enterprise": parties["enterprise"], "scores": scores(clean, stages), "comment": text}

    def rating_link_state(self, task_id: str, actor: str, token: str | None = None) -> dict | None:
        """For the task page: None when the task is not a follow-up step; else its stages,
        the latest link (issued / expires / used, with the ratings), whether the actor may
        issue one, and whether `token` (kept by the issuer's browser) is the live link's."""
        with self.uow(write=False) as uow:
            session = uow.session
            row, user = access.visible_task(session, actor, task_id)
            stages = rating_stages(task_form(self, session, row))
            if not stages:
                return None
            link = latest_link(session, row.id)
            shown = link_dict(link, stages) if link is not None else None
            if shown is not None and shown["status"] == "active" and row.status != "open":
                shown["status"] = "closed"
            holder = row.status == "open" and (user.is_admin or row.assignee in access.acting_users(session, actor))
            live = shown is not None and shown["status"] == "active"
            return {"stages": stages, "link": shown,
                    "can_issue": holder and (shown is None or shown["status"] != "used"),
                    "token_matches": bool(live and token and hmac.compare_digest(link.token_hash,
                                                                                 token_hash(token)))}

    def ratings_of_enterprise(self, enterprise_id: int, actor: str) -> list[dict]:
        """The ratings the enterprise gave through its links, newest first (for its page)."""
        with self.uow(write=False) as uow:
            session = uow.session
            header(session, access.actor(session, actor), enterprise_id)  # scope check
            return enterprise_link_ratings(session, enterprise_id)


def _usable_link(session: Session, token: str, lock: bool = False) -> tuple[RatingLink, HumanTask]:
    if not isinstance(token, str) or not _TOKEN_SHAPE.fullmatch(token):
        raise NotFound(UNKNOWN_LINK)
    link = session.scalar(select(RatingLink).where(RatingLink.token_hash == token_hash(token)))
    if link is None:
        raise NotFound(UNKNOWN_LINK)
    status = link_status(link)
    if status != "active":
        raise RatingLinkGone(status)
    # Locked for a submission: the follow-up's holder saving a draft waits for it, or it for them.
    row = session.get(HumanTask, link.task_id, with_for_update=lock)
    if row is None or row.status != "open":
        raise RatingLinkGone("closed")
    return link, row


def _rated_stages(engine, session: Session, row: HumanTask) -> list[dict]:
    stages = rating_stages(task_form(engine, session, row))
    if not stages:
        raise InvalidInput("只有回访步骤可以生成企业评价链接 (only a follow-up step has a rating link)")
    return stages


def _parties(session: Session, link: RatingLink) -> dict:
    """The enterprise, its bureau and its liaison (the issuer when no liaison is set) — names only."""
    found = session.execute(select(Enterprise.name, Unit.name, User.display_name, User.name)
                            .join(Unit, Unit.id == Enterprise.unit_id)
                            .outerjoin(User, User.id == Enterprise.liaison_id)
                            .where(Enterprise.id == link.enterprise_id)).first()
    if found is None:
        raise NotFound(UNKNOWN_LINK)
    liaison = found[2] or found[3]
    if not liaison:
        issuer = session.execute(select(User.display_name, User.name).where(User.name == link.created_by)).first()
        liaison = (issuer[0] or issuer[1]) if issuer else ""
    return {"enterprise": found[0], "unit": found[1], "liaison": liaison}


def _valid_ratings(stages: list[dict], ratings) -> dict:
    if not isinstance(ratings, dict):
        raise InvalidInput("评分格式不正确 (ratings must map each stage to a score)")
    known = {s["key"] for s in stages}
    unknown = [str(k) for k in ratings if k not in known]
    if unknown:
        raise InvalidInput(f"没有这些评价环节：{'、'.join(unknown)} (unknown stages)")
    clean, errors = {}, {}
    for stage in stages:
        value = ratings.get(stage["key"])
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            errors[stage["key"]] = f"请为「{stage['label']}」选择 1–5 分 (score {stage['key']} from 1 to 5)"
        else:
            clean[stage["key"]] = value
    if errors:
        labels = "、".join(s["label"] for s in stages if s["key"] in errors)
        raise FormValidationError(
            f"请为每个环节选择 1–5 分，尚未评分：{labels} (every stage needs a score from 1 to 5)", errors)
    return clean


def _valid_comment(comment) -> str:
    text = str(comment or "").strip()
    if len(text) > COMMENT_MAX:
        raise InvalidInput(f"意见不能超过 {COMMENT_MAX} 字 (comment too long)")
    return text


def _merge_into_draft(session: Session, row: HumanTask, ratings: dict, comment: str, actor: str) -> None:
    """Into the follow-up's draft (one per task): the scores, and the comment if any, so the
    liaison's form opens filled in with what the enterprise answered."""
    draft = session.get(TaskDraft, row.id)
    data = dict(draft.data or {}) if draft is not None else {}
    earlier = data.get(RATING_FIELD) if isinstance(data.get(RATING_FIELD), dict) else {}
    data[RATING_FIELD] = {**earlier, **ratings}
    if comment:
        data[COMMENT_FIELD] = comment
    if draft is None:
        session.add(TaskDraft(task_id=row.id, data=data, saved_by=actor, saved_at=clock.now()))
    else:
        draft.data, draft.saved_by, draft.saved_at = data, actor, clock.now()
