"""The enterprise's one-time rating link (回访), on SQLite and PostgreSQL: issued by the
follow-up's holder only, works once (also when two submissions race), expires, refuses a
bad score without saving anything, and fills the follow-up's draft."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import clock
from engine.enterprises.rating_links import RatingLinkGone
from engine.errors import Conflict, FormValidationError, InvalidInput, NotAllowed, NotFound
from engine.store.collab_tables import RatingLink, TaskDraft
from engine.store.tables import AuditEvent
from tests.helpers.paths import FORMS, PROCESSES
from tests.helpers.province import build_province
from tests.helpers.rating import GOOD, START, only, reach_follow_up


@pytest.fixture
def county(engine):
    ids = build_province(engine)
    engine.forms_dir = FORMS
    engine.deploy([PROCESSES / "enterprise_service.bpmn", PROCESSES / "ledger_matter.bpmn",
                   PROCESSES / "routing.dmn"], "root")
    return engine, ids


@pytest.fixture
def follow_up(county):
    engine, ids = county
    return engine, ids, reach_follow_up(engine, ids)


def links(engine, task_id):
    with engine.uow(write=False) as uow:
        return list(uow.session.scalars(select(RatingLink).where(RatingLink.task_id == task_id)
                                        .order_by(RatingLink.id)))


def draft_of(engine, task_id):
    with engine.uow(write=False) as uow:
        draft = uow.session.get(TaskDraft, task_id)
        return dict(draft.data) if draft is not None else None


def test_only_the_holder_issues_and_only_the_hash_is_stored(follow_up):
    engine, ids, task = follow_up
    for stranger in ("xh_water1", "bj_water1", "xh_expert"):
        with pytest.raises(NotAllowed):
            engine.issue_rating_link(task["id"], stranger)
    assert links(engine, task["id"]) == []
    issued = engine.issue_rating_link(task["id"], "xh_liaison")
    assert len(issued["token"]) >= 43
    assert [s["key"] for s in issued["stages"]] == ["visit", "health_check", "rectification", "overall"]
    stored = links(engine, task["id"])
    assert len(stored) == 1 and stored[0].token_hash != issued["token"]
    assert len(stored[0].token_hash) == 64 and issued["token"] not in repr(stored[0].__dict__)
    assert stored[0].enterprise_id == ids["enterprise_id"]
    assert clock.parse_moment(issued["expires_at"]) - stored[0].created_at == timedelta(days=7)


def test_a_step_that_is_not_the_follow_up_has_no_link(county):
    engine, ids = county
    with clock.frozen_at(START):
        engine.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})
    visit = only(engine, "xh_liaison", "记录走访")
    with pytest.raises(InvalidInput, match="回访"):
        engine.issue_rating_link(visit["id"], "xh_liaison")
    assert engine.rating_link_state(visit["id"], "xh_liaison") is None


def test_the_page_shows_names_and_stages_only(follow_up):
    engine, ids, task = follow_up
    token = engine.issue_rating_link(task["id"], "xh_liaison")["token"]
    form = engine.rating_form(token)
    assert form["enterprise"] == "西湖印染有限公司" and form["unit"] == "西湖区分局"
    assert form["liaison"] == "西湖 联络员"
    assert [s["label"] for s in form["stages"]] == ["走访服务满意度", "环保体检满意度", "整改帮扶满意度", "总体满意度"]
    assert set(form) == {"enterprise", "unit", "liaison", "stages", "comment_max"}
    with pytest.raises(NotFound) as unknown:
        engine.rating_form(token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert not isinstance(unknown.value, RatingLinkGone)
    with pytest.raises(NotFound):
        engine.rating_form("../../etc/passwd")


def test_submit_once_fills_the_draft_and_is_audited(follow_up):
    engine, ids, task = follow_up
    token = engine.issue_rating_link(task["id"], "xh_liaison")["token"]
    result = engine.submit_rating(token, GOOD, "  服务很及时  ", client="10.0.0.8")
    assert [(s["label"], s["score"]) for s in result["scores"]] == [("走访", 5), ("体检", 4), ("整改", 3), ("总体", 5)]
    assert draft_of(engine, task["id"]) == {"satisfaction": GOOD, "comments": "服务很及时"}
    with pytest.raises(RatingLinkGone) as second:
        engine.submit_rating(token, {k: 1 for k in GOOD}, "改主意了")
    assert second.value.reason == "used"
    with pytest.raises(RatingLinkGone):
        engine.rating_form(token)
    stored = links(engine, task["id"])[0]
    assert stored.ratings == GOOD and stored.comment == "服务很及时" and stored.client == "10.0.0.8"
    with engine.uow(write=False) as uow:
        event = uow.session.scalar(select(AuditEvent).where(AuditEvent.action == "rating_submitted"))
    assert event.actor == "企业:西湖印染有限公司" and event.task_id == task["id"]
    assert event.detail["ratings"] == GOOD
    state = engine.rating_link_state(task["id"], "xh_liaison", token)
    assert state["link"]["status"] == "used" and state["can_issue"] is False
    assert [s["score"] for s in state["link"]["scores"]] == [5, 4, 3, 5]
    with pytest.raises(Conflict):
        engine.issue_rating_link(task["id"], "xh_liaison")      # rated: no second link
    # The liaison then completes the follow-up with what the enterprise answered.
    engine.complete(task["id"], "xh_liaison", {"followup_date": "2026-04-03", "mode": "电话",
                                               **draft_of(engine, task["id"])})
    assert engine.show(task["instance_id"])["status"] == "completed"


def test_the_draft_keeps_what_the_liaison_saved(follow_up):
    engine, ids, task = follow_up
    with engine.uow() as uow:
        uow.session.add(TaskDraft(task_id=task["id"], data={"mode": "走访", "satisfaction": {"visit": 2}},
                                  saved_by="xh_liaison", saved_at=clock.now()))
    token = engine.issue_rating_link(task["id"], "xh_liaison")["token"]
    engine.submit_rating(token, GOOD, "")
    assert draft_of(engine, task["id"]) == {"mode": "走访", "satisfaction": GOOD}


@pytest.mark.parametrize("bad", [{**GOOD, "overall": 6}, {**GOOD, "visit": 0}, {**GOOD, "health_check": "5"},
                                 {k: v for k, v in GOOD.items() if k != "rectification"},
                                 {**GOOD, "visit": True}])
def test_an_invalid_score_is_refused_and_nothing_saved(follow_up, bad):
    engine, ids, task = follow_up
    token = engine.issue_rating_link(task["id"], "xh_liaison")["token"]
    with pytest.raises(FormValidationError) as refused:
        engine.submit_rating(token, bad, "意见")
    (stage,) = refused.value.fields
    assert GOOD.get(stage) != bad.get(stage)
    label = {"visit": "走访服务满意度", "health_check": "环保体检满意度", "rectification": "整改帮扶满意度",
             "overall": "总体满意度"}[stage]
    assert label in str(refused.value) and label in refused.value.fields[stage]
    assert links(engine, task["id"])[0].used_at is None and draft_of(engine, task["id"]) is None
    engine.submit_rating(token, GOOD, "")                       # the link still works


def test_unknown_stages_and_long_comments_are_refused(follow_up):
    engine, ids, task = follow_up
    token = engine.issue_rating_link(task["id"], "xh_liaison")["token"]
    with pytest.raises(InvalidInput, match="评价环节"):
        engine.submit_rating(token, {**GOOD, "price": 5})
    with pytest.raises(InvalidInput, match="2000"):
        engine.submit_rating(token, GOOD, "很" * 2001)
    assert links(engine, task["id"])[0].used_at is None


def test_expired_link_is_refused(follow_up):
    engine, ids, task = follow_up
    with clock.frozen_at(START + timedelta(days=31)):
        token = engine.issue_rating_link(task["id"], "xh_liaison", ttl=timedelta(days=2))["token"]
    with clock.frozen_at(START + timedelta(days=32, hours=23)):
        assert engine.rating_form(token)["enterprise"] == "西湖印染有限公司"
    with clock.frozen_at(START + timedelta(days=33, minutes=1)):
        with pytest.raises(RatingLinkGone) as gone:
            engine.submit_rating(token, GOOD, "")
        assert gone.value.reason == "expired"
        assert engine.rating_link_state(task["id"], "xh_liaison")["link"]["status"] == "expired"
    assert draft_of(engine, task["id"]) is None
    with pytest.raises(InvalidInput):
        engine.issue_rating_link(task["id"], "xh_liaison", ttl=timedelta(days=-1))


def test_issuing_again_revokes_the_unused_link(follow_up):
    engine, ids, task = follow_up
    first = engine.issue_rating_link(task["id"], "xh_liaison")["token"]
    second = engine.issue_rating_link(task["id"], "xh_liaison")["token"]
    with pytest.raises(RatingLinkGone) as gone:
        engine.submit_rating(first, GOOD, "")
    assert gone.value.reason == "revoked"
    state = engine.rating_link_state(task["id"], "xh_liaison", second)
    assert state["link"]["status"] == "active" and state["token_matches"] is True
    assert engine.rating_link_state(task["id"], "xh_liaison", first)["token_matches"] is False
    engine.submit_rating(second, GOOD, "")


def test_a_closed_follow_up_ends_its_link(follow_up):
    engine, ids, task = follow_up
    token = engine.issue_rating_link(task["id"], "xh_liaison")["token"]
    engine.complete(task["id"], "xh_liaison", {"followup_date": "2026-04-03", "mode": "电话",
                                               "satisfaction": GOOD, "comments": "无"})
    with pytest.raises(RatingLinkGone) as gone:
        engine.rating_form(token)
    assert gone.value.reason == "closed"


def test_concurrent_double_submit_saves_exactly_one(follow_up):
    engine, ids, task = follow_up
    token = engine.issue_rating_link(task["id"], "xh_liaison")["token"]
    barrier, outcomes = threading.Barrier(2), []

    def submit(score: int):
        barrier.wait()
        try:
            engine.submit_rating(token, {k: score for k in GOOD}, f"第 {score} 次")
            outcomes.append(("saved", score))
        except (RatingLinkGone, Conflict) as err:
            outcomes.append(("refused", type(err).__name__))

    threads = [threading.Thread(target=submit, args=(n,)) for n in (2, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    saved = [score for kind, score in outcomes if kind == "saved"]
    assert len(outcomes) == 2 and len(saved) == 1, outcomes
    stored = links(engine, task["id"])[0]
    assert stored.ratings == {k: saved[0] for k in GOOD} and stored.comment == f"第 {saved[0]} 次"
    assert draft_of(engine, task["id"])["satisfaction"] == {k: saved[0] for k in GOOD}
    with engine.uow(write=False) as uow:
        events = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "rating_submitted")).all()
    assert len(events) == 1


def test_ratings_of_enterprise_respect_scope(follow_up):
    engine, ids, task = follow_up
    token = engine.issue_rating_link(task["id"], "xh_liaison")["token"]
    assert engine.ratings_of_enterprise(ids["enterprise_id"], "xh_liaison") == []
    engine.submit_rating(token, GOOD, "满意")
    (rating,) = engine.ratings_of_enterprise(ids["enterprise_id"], "xh_liaison")
    assert rating["comment"] == "满意" and rating["date"] == clock.to_local(clock.now()).strftime("%Y-%m-%d")
    assert {s["stage"]: s["score"] for s in rating["scores"]} == GOOD
    assert engine.ratings_of_enterprise(ids["enterprise_id"], "hz_super")[0]["id"] == rating["id"]
    with pytest.raises(NotAllowed):
        engine.ratings_of_enterprise(ids["enterprise_id"], "bj_water1")
    page = engine.enterprise("xh_liaison", ids["enterprise_id"])
    assert [r["id"] for r in page["link_ratings"]] == [rating["id"]]
    with pytest.raises(NotAllowed):
        engine.rating_link_state(task["id"], "bj_water1")
