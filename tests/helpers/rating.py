"""Reaching an enterprise_service's follow-up (回访) task, and the ratings an enterprise
gives through its one-time rating link."""
from __future__ import annotations

from datetime import timedelta

from engine import clock
from tests.helpers.forms import NO_FINDINGS, VISIT

START = clock.parse_moment("2026-03-02T09:00:00")
GOOD = {"visit": 5, "health_check": 4, "rectification": 3, "overall": 5}


def only(engine, user, name=None):
    tasks = [t for t in engine.tasks(user) if name is None or t["name"] == name]
    assert len(tasks) == 1, (user, [t["name"] for t in engine.tasks(user)])
    return tasks[0]


def reach_follow_up(engine, ids, liaison: str = "xh_liaison") -> dict:
    """Visit, a health check without findings, the 30-day wait: the liaison's 回访 task."""
    with clock.frozen_at(START):
        engine.start("enterprise_service", liaison, {"enterprise_id": ids["enterprise_id"]})
        engine.complete(only(engine, liaison)["id"], liaison, VISIT)
        engine.complete(only(engine, "xh_expert", "环保体检")["id"], "xh_expert", NO_FINDINGS)
    with clock.frozen_at(START + timedelta(days=31)):
        assert engine.fire_due_timers()["fired"] >= 1
    return only(engine, liaison, "回访")
