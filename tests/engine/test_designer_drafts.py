"""Designer drafts: saving keeps one draft per key (saving again replaces it, audited), nothing
deploys, only designers and admins see or save drafts, discarding removes it."""
import pytest

from engine.errors import InvalidInput, NotAllowed

XML = "<definitions id='d'/>"


def test_saving_replaces_the_draft_of_that_key_and_deploys_nothing(people):
    engine = people
    before = len(engine.definition_catalog("designer")["processes"])
    engine.save_designer_draft("designer", "process", "ledger_matter", XML, name="台账事项", based_on_version=1)
    engine.save_designer_draft("admin", "process", "ledger_matter", XML + "<!-- v2 -->", name="台账事项")
    engine.save_designer_draft("designer", "form", "rectify", '{"type": "object"}')
    drafts = engine.designer_drafts("designer")
    assert [(d["kind"], d["key"]) for d in drafts] == [("form", "rectify"), ("process", "ledger_matter")]
    ledger = engine.designer_draft("designer", "process", "ledger_matter")
    assert (ledger["saved_by"], ledger["content"].endswith("v2 -->"), ledger["based_on_version"]) == \
        ("admin", True, None)
    assert len(engine.definition_catalog("designer")["processes"]) == before


def test_only_designers_and_admins_touch_drafts(people):
    engine = people
    with pytest.raises(NotAllowed):
        engine.save_designer_draft("water1", "process", "ledger_matter", XML)
    with pytest.raises(NotAllowed):
        engine.designer_drafts("water1")
    assert engine.designer_drafts("designer") == []


def test_a_bad_draft_is_refused_and_discarding_removes_it(people):
    engine = people
    with pytest.raises(InvalidInput):
        engine.save_designer_draft("designer", "process", "ledger_matter", "   ")
    with pytest.raises(InvalidInput):
        engine.save_designer_draft("designer", "script", "x", XML)
    engine.save_designer_draft("designer", "decision", "routing.dmn", XML)
    assert engine.discard_designer_draft("designer", "decision", "routing.dmn") is True
    assert engine.discard_designer_draft("designer", "decision", "routing.dmn") is False
    assert engine.designer_draft("designer", "decision", "routing.dmn") is None


def test_deploying_a_process_clears_its_draft_only(people):
    from pathlib import Path
    engine = people
    root = Path(__file__).resolve().parents[2]
    engine.save_designer_draft("designer", "process", "ledger_matter", XML)
    engine.save_designer_draft("designer", "process", "other_key", XML)
    files = [("routing.dmn", (root / "processes/routing.dmn").read_bytes()),
             ("ledger_matter.bpmn", (root / "processes/ledger_matter.bpmn").read_bytes())]
    engine.deploy_upload(files, "designer")
    assert [d["key"] for d in engine.designer_drafts("designer")] == ["other_key"]
