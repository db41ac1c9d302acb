"""Working on a task together: 委派 delegation (Flowable semantics), 抄送 copies, comments,
drafts — and transfer/return as the task page offers them. On SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from engine.errors import InvalidInput, NotAllowed
from tests.helpers.forms import VISIT
from tests.helpers.paths import PROCESSES
from tests.helpers.province import build_province
from tests.helpers.snapshots import snapshot

MODELS = ("enterprise_service.bpmn", "ledger_matter.bpmn", "routing.dmn")


@pytest.fixture
def county(engine):
    ids = build_province(engine)
    engine.deploy([PROCESSES / name for name in MODELS], "root")
    instance = engine.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})["id"]
    visit = [t for t in engine.tasks("xh_liaison") if t["instance_id"] == instance]
    assert len(visit) == 1 and visit[0]["assignee"] == "xh_liaison"
    return engine, visit[0]


def actions(engine, instance_id: int) -> list[str]:
    return [e["action"] for e in engine.show(instance_id)["history"]]


def todo_ids(engine, user: str) -> list[str]:
    return [t["id"] for t in engine.tasks(user)]


def test_delegate_resolve_then_the_owner_completes_with_the_delegates_draft(county):
    engine, task = county
    delegated = engine.delegate(task["id"], "xh_liaison", "xh_water1", note="请代为填写")
    assert (delegated["owner"], delegated["assignee"], delegated["delegation"]) == ("xh_liaison", "xh_water1", "pending")
    assert task["id"] in todo_ids(engine, "xh_water1") and task["id"] not in todo_ids(engine, "xh_liaison")
    view = engine.task_view(task["id"], "xh_water1")
    assert view["can_resolve"] and view["can_save_draft"] and not view["can_complete"]
    assert not (view["can_transfer"] or view["can_return"] or view["can_delegate"] or view["can_release"])
    owner_view = engine.task_view(task["id"], "xh_liaison")          # the owner still sees it
    assert owner_view["delegation"] == {"state": "pending", "owner": "xh_liaison", "delegate": "xh_water1"}
    assert not (owner_view["can_complete"] or owner_view["can_resolve"] or owner_view["can_transfer"])

    engine.save_draft(task["id"], "xh_water1", {"visit_date": "2026-03-02"})
    entered = {"visit_date": "2026-03-02", "mode": "走访", "members": ["张明"], "needs": "无"}
    back = engine.resolve_delegation(task["id"], "xh_water1", entered, comment="已代填，请核对")
    assert (back["assignee"], back["owner"], back["delegation"]) == ("xh_liaison", "xh_liaison", "resolved")
    view = engine.task_view(task["id"], "xh_liaison")
    assert view["draft"]["data"] == entered and view["draft"]["saved_by"] == "xh_water1"
    assert view["can_complete"] and view["delegation"]["delegate"] == "xh_water1"
    assert [c["body"] for c in view["comments"]] == ["已代填，请核对"]
    assert task["id"] not in todo_ids(engine, "xh_water1")
    with pytest.raises(NotAllowed):
        engine.task_view(task["id"], "xh_water1")                     # handed back: no longer theirs
    engine.complete(task["id"], "xh_liaison", VISIT)
    history = actions(engine, task["instance_id"])
    assert history.index("task_delegated") < history.index("delegation_resolved") < history.index("task_completed")


def test_while_delegated_nobody_completes_or_moves_the_task(county):
    engine, task = county
    engine.delegate(task["id"], "xh_liaison", "xh_water1")
    before = snapshot(engine)
    refused = [
        lambda: engine.complete(task["id"], "xh_water1", VISIT),          # the delegate resolves instead
        lambda: engine.complete(task["id"], "xh_liaison", VISIT),         # the owner waits
        lambda: engine.complete(task["id"], "root", VISIT),               # even an admin
        lambda: engine.transfer(task["id"], "xh_water1", reason="不归我", to_section="air"),
        lambda: engine.return_task(task["id"], "xh_water1", reason="退回"),
        lambda: engine.release(task["id"], "xh_water1", reason="释放"),
        lambda: engine.delegate(task["id"], "xh_water1", "xh_water2"),    # no re-delegation
        lambda: engine.resolve_delegation(task["id"], "xh_liaison", {}),  # only the delegate resolves
        lambda: engine.resolve_delegation(task["id"], "xh_water2", {}),
        lambda: engine.save_draft(task["id"], "xh_liaison", {"needs": "x"}),
    ]
    for attempt in refused:
        with pytest.raises(NotAllowed):
            attempt()
    assert snapshot(engine) == before


def test_delegation_is_to_an_active_colleague_of_the_tasks_unit(county):
    engine, task = county
    engine.set_active("xh_water2", False, actor="root")
    before = snapshot(engine)
    for target, message in (("bj_water1", "其他单位"), ("xh_water2", "停用"), ("nobody", "不存在"),
                            ("xh_liaison", "本人")):
        with pytest.raises(InvalidInput, match=message):
            engine.delegate(task["id"], "xh_liaison", target)
    with pytest.raises(NotAllowed):
        engine.delegate(task["id"], "xh_water1", "xh_air1")           # not the holder
    assert snapshot(engine) == before


def test_a_copy_lets_its_recipient_see_the_task_and_is_marked_read_when_opened(county):
    engine, task = county
    with pytest.raises(NotAllowed):
        engine.task_view(task["id"], "xh_air1")
    result = engine.copy_task(task["id"], "xh_liaison", ["xh_air1", "xh_air1", "hz_super"], note="请知悉")
    assert result["added"] == ["xh_air1", "hz_super"] and result["already"] == []
    again = engine.copy_task(task["id"], "xh_liaison", ["xh_air1", "xh_water1"])
    assert again["added"] == ["xh_water1"] and again["already"] == ["xh_air1"]   # duplicates ignored
    view = engine.task_view(task["id"], "xh_air1")
    assert view["my_copy"]["read_at"] is None and view["my_copy"]["note"] == "请知悉"
    assert not (view["can_complete"] or view["can_transfer"] or view["can_save_draft"]) and view["can_comment"]
    opened = engine.open_task_page(task["id"], "xh_air1")
    assert opened["my_copy"]["read_at"] is not None
    assert engine.task_view(task["id"], "xh_air1")["my_copy"]["read_at"] == opened["my_copy"]["read_at"]
    unread = {c["recipient"]: c["read_at"] for c in engine.task_view(task["id"], "xh_liaison")["copies"]}
    assert unread["hz_super"] is None and unread["xh_water1"] is None and unread["xh_air1"]
    with pytest.raises(NotAllowed):
        engine.task_view(task["id"], "bj_water1")                     # a stranger still may not
    assert "task_copied" in actions(engine, task["instance_id"])


def test_a_copy_naming_anyone_unknown_disabled_or_foreign_is_refused_whole(county):
    engine, task = county
    engine.set_active("xh_water2", False, actor="root")
    before = snapshot(engine)
    for names, error, message in ((["xh_air1", "nobody"], InvalidInput, "不存在"),
                                  (["xh_air1", "xh_water2"], InvalidInput, "停用"),
                                  (["xh_air1", "bj_water1"], InvalidInput, "其他单位"),
                                  ([" ", ""], InvalidInput, "抄送给谁"),
                                  (["xh_liaison"], InvalidInput, "自己")):
        with pytest.raises(error, match=message):
            engine.copy_task(task["id"], "xh_liaison", names)
    with pytest.raises(NotAllowed):
        engine.copy_task(task["id"], "bj_water1", ["xh_air1"])        # cannot see it, cannot copy it
    assert snapshot(engine) == before


def test_a_completed_task_can_still_be_copied_and_commented(county):
    engine, task = county
    engine.complete(task["id"], "xh_liaison", VISIT)
    engine.copy_task(task["id"], "xh_liaison", ["xh_water1"])
    view = engine.task_view(task["id"], "xh_water1")
    assert view["task"]["status"] == "completed" and view["draft"] is None
    engine.add_comment(task["id"], "xh_water1", "已阅")
    assert [c["author"] for c in engine.task_view(task["id"], "xh_liaison")["comments"]] == ["xh_water1"]


def test_comments_are_stripped_bounded_and_listed_oldest_first(county):
    engine, task = county
    before = snapshot(engine)
    with pytest.raises(InvalidInput, match="意见"):
        engine.add_comment(task["id"], "xh_liaison", "   ")
    with pytest.raises(InvalidInput, match="2000"):
        engine.add_comment(task["id"], "xh_liaison", "长" * 2001)
    with pytest.raises(NotAllowed):
        engine.add_comment(task["id"], "bj_water1", "路过")
    assert snapshot(engine) == before
    engine.add_comment(task["id"], "xh_liaison", "  第一条  ")
    engine.add_comment(task["id"], "root", "第二条")
    comments = engine.task_view(task["id"], "xh_liaison")["comments"]
    assert [(c["author"], c["body"]) for c in comments] == [("xh_liaison", "第一条"), ("root", "第二条")]
    assert comments[0]["task_name"] == "记录走访" and comments[0]["author_name"] == "西湖 联络员"
    assert actions(engine, task["instance_id"]).count("task_commented") == 2


def test_a_draft_round_trips_replaces_the_forms_fields_and_keeps_other_keys(county):
    engine, task = county
    saved = engine.save_draft(task["id"], "xh_liaison", {"visit_date": "2026-03-02", "needs": "提标"})
    assert saved["saved_by"] == "xh_liaison"
    with engine.db.begin() as conn:  # another feature (the enterprise's rating) writes the draft too
        conn.execute(text("UPDATE task_drafts SET data = :data WHERE task_id = :id"),
                     {"data": '{"visit_date": "2026-03-02", "needs": "提标", "rated_by_link": 7}',
                      "id": task["id"]})
    engine.save_draft(task["id"], "xh_liaison", {"mode": "电话"})   # needs cleared, date cleared
    draft = engine.task_view(task["id"], "xh_liaison")["draft"]
    assert draft["data"] == {"mode": "电话", "rated_by_link": 7}
    assert engine.task_view(task["id"], "root")["draft"]["data"] == draft["data"]   # an admin may work it too
    engine.complete(task["id"], "xh_liaison", VISIT)
    assert engine.task_view(task["id"], "xh_liaison")["draft"] is None   # stale once closed


def test_drafts_are_for_the_holder_only_and_bounded(county):
    engine, task = county
    before = snapshot(engine)
    with pytest.raises(NotAllowed):
        engine.save_draft(task["id"], "xh_water1", {"needs": "x"})
    with pytest.raises(InvalidInput, match="草稿过大"):
        engine.save_draft(task["id"], "xh_liaison", {"needs": "x" * 300_000})
    with pytest.raises(InvalidInput, match="JSON"):
        engine.save_draft(task["id"], "xh_liaison", ["not", "an", "object"])
    assert snapshot(engine) == before
    assert engine.task_view(task["id"], "xh_liaison")["draft"] is None


def test_choices_offer_colleagues_sections_and_other_units(county):
    engine, task = county
    choices = engine.transfer_choices(task["id"], "xh_liaison")
    users = [u["name"] for u in choices["users"]]
    assert "xh_water1" in users and "xh_liaison" not in users and "bj_water1" not in users
    assert {s["code"] for s in choices["sections"]} == {"water", "air", "office"}
    units = {u["code"]: [s["code"] for s in u["sections"]] for u in choices["units"]}
    assert "xh" not in units and units["bj"] == ["water", "air", "office"]
    engine.copy_task(task["id"], "xh_liaison", ["xh_air1"])
    reader = engine.transfer_choices(task["id"], "xh_air1")       # may copy on, may not transfer
    assert reader["users"] and reader["sections"] == [] and reader["units"] == []
    with pytest.raises(NotAllowed):
        engine.transfer_choices(task["id"], "bj_water1")


def test_transfer_after_a_resolved_delegation_starts_afresh(county):
    engine, task = county
    engine.delegate(task["id"], "xh_liaison", "xh_water1")
    engine.resolve_delegation(task["id"], "xh_water1", {})
    moved = engine.transfer(task["id"], "xh_liaison", reason="改由水科走访", to_user="xh_water2")
    assert (moved["assignee"], moved["owner"], moved["delegation"]) == ("xh_water2", None, None)
    assert engine.task_view(task["id"], "xh_water2")["can_delegate"]


def test_return_is_offered_only_where_there_is_a_previous_step(county):
    engine, task = county
    assert engine.task_view(task["id"], "xh_liaison")["can_return"] is False    # the first step
    engine.save_draft(task["id"], "xh_liaison", {"needs": "草稿"})
    engine.complete(task["id"], "xh_liaison", VISIT)
    check = [t for t in engine.tasks("xh_expert") if t["instance_id"] == task["instance_id"]][0]
    assert engine.task_view(check["id"], "xh_expert")["can_return"] is True
    back = engine.return_task(check["id"], "xh_expert", reason="走访记录不完整")
    assert back["id"] == task["id"] and back["assignee"] == "xh_liaison"
    assert engine.task_view(task["id"], "xh_liaison")["draft"] is None


def test_an_admins_assignment_ends_a_delegation(county):
    engine, task = county
    engine.delegate(task["id"], "xh_liaison", "xh_water1")
    assigned = engine.assign(task["id"], "xh_water2", "root")
    assert (assigned["assignee"], assigned["owner"], assigned["delegation"]) == ("xh_water2", None, None)
    engine.complete(task["id"], "xh_water2", VISIT)                   # an ordinary task again


def test_a_handover_moves_the_departing_owners_delegations(county):
    engine, task = county
    engine.delegate(task["id"], "xh_liaison", "xh_water1")
    moved = engine.handover("xh_liaison", "xh_water2", actor="root")
    assert moved["delegated_tasks"] == 1
    back = engine.resolve_delegation(task["id"], "xh_water1", {"visit_date": "2026-03-02"})
    assert (back["assignee"], back["owner"]) == ("xh_water2", "xh_water2")   # to the colleague taking over
