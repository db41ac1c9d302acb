"""A form completion through the web is one write transaction and loads the workflow once:
the POST asks the engine for the form and the permission without loading the workflow
(Engine.task_form), and only Engine.complete loads it, in its own unit of work."""
import pytest
from flask import has_request_context, request

from engine.runtime.core import Runtime
from engine.service import Engine

VISIT = {"visit_date": "2026-03-02", "mode": "走访", "members": "张明\n李华\n", "needs": "希望指导提标改造"}


@pytest.fixture
def counted(monkeypatch):
    """Workflow loads and write units of work made while a POST is being handled."""
    seen = {"loads": 0, "writes": 0}
    real_load, real_uow = Runtime.load, Engine.uow

    def in_post() -> bool:
        return has_request_context() and request.method == "POST"

    def load(self, *args, **kwargs):
        seen["loads"] += in_post()
        return real_load(self, *args, **kwargs)

    def uow(self, write: bool = True):
        seen["writes"] += in_post() and write
        return real_uow(self, write)

    monkeypatch.setattr(Runtime, "load", load)
    monkeypatch.setattr(Engine, "uow", uow)
    return seen


def test_a_form_completion_is_one_write_and_one_workflow_load(auth, sanfu, service, post, counted):
    [task] = sanfu.tasks("xh_liaison")
    auth.login("xh_liaison")
    counted.update(loads=0, writes=0)
    assert post(f"/tasks/{task['id']}", VISIT).status_code == 302
    assert counted == {"loads": 1, "writes": 1}
    assert sanfu.show(task["instance_id"], "xh_liaison")["data"]["members"] == ["张明", "李华"]


def test_a_refused_form_shows_the_page_again_and_saves_nothing(auth, sanfu, service, post):
    [task] = sanfu.tasks("xh_liaison")
    auth.login("xh_liaison")
    response = post(f"/tasks/{task['id']}", {**VISIT, "visit_date": ""})
    assert response.status_code == 422 and "走访日期" in response.get_data(as_text=True)
    assert [t["id"] for t in sanfu.tasks("xh_liaison")] == [task["id"]]
    assert "visit_date" not in sanfu.show(task["instance_id"], "xh_liaison")["data"]
