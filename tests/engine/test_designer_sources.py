"""What the browser editors open and deploy: the draft when there is one, else the newest deployed
file, else a blank diagram for a new key; deploying the edited file makes version N+1 under the
deployed file's name and clears the draft; a renamed process id is refused with the file named;
a decision deploys with the processes that call it, so new instances read the new table."""
import pytest

from engine.errors import DefinitionError, InvalidInput, NotAllowed, NotFound
from tests.helpers.paths import PROCESSES

LEDGER = (PROCESSES / "ledger_matter.bpmn").read_text(encoding="utf-8")
ROUTING = (PROCESSES / "routing.dmn").read_text(encoding="utf-8")


@pytest.fixture
def deployed(people):
    people.deploy_upload([("routing.dmn", ROUTING.encode()), ("ledger_matter.bpmn", LEDGER.encode())], "designer")
    return people


def test_the_editor_opens_the_deployed_file_then_the_draft(deployed):
    engine = deployed
    source = engine.designer_source("designer", "process", "ledger_matter")
    assert (source["file_name"], source["deployed_version"], source["draft"]) == ("ledger_matter.bpmn", 1, None)
    assert source["content"] == LEDGER
    engine.save_designer_draft("designer", "process", "ledger_matter", LEDGER.replace("整改", "限期整改"),
                               based_on_version=1)
    again = engine.designer_source("admin", "process", "ledger_matter")
    assert "限期整改" in again["content"] and again["draft"]["saved_by"] == "designer"


def test_a_new_key_opens_a_blank_executable_diagram_and_an_unknown_decision_is_not_found(deployed):
    engine = deployed
    blank = engine.designer_source("designer", "process", "site_check", new_name="现场核查")
    assert blank["deployed_version"] is None and blank["file_name"] == "site_check.bpmn"
    assert 'id="site_check" name="现场核查" isExecutable="true"' in blank["content"]
    with pytest.raises(NotFound):
        engine.designer_source("designer", "decision", "nothing_here")
    with pytest.raises(InvalidInput):
        engine.designer_source("designer", "process", "../etc/passwd")


def test_deploying_the_edited_process_makes_the_next_version_and_clears_the_draft(deployed):
    engine = deployed
    edited = LEDGER.replace('name="整改"', 'name="限期整改"', 1)
    engine.save_designer_draft("designer", "process", "ledger_matter", edited, based_on_version=1)
    result = engine.deploy_from_editor("designer", "process", "ledger_matter", edited)
    assert [(p["key"], p["version"], p["status"]) for p in result["processes"]] == [("ledger_matter", 2, "deployed")]
    assert engine.designer_draft("designer", "process", "ledger_matter") is None
    detail = engine.definition_detail("ledger_matter", 2, "designer")
    assert any(t["name"] == "限期整改" for t in detail["tasks"])
    again = engine.deploy_from_editor("designer", "process", "ledger_matter", edited)
    assert again["processes"][0]["status"] == "unchanged"   # the same file twice is one version


def test_a_broken_or_renamed_model_deploys_nothing_and_names_the_file(deployed):
    engine = deployed
    broken = LEDGER.replace('${decision == "退回"}', "${decision == }")
    with pytest.raises(DefinitionError) as refused:
        engine.deploy_from_editor("designer", "process", "ledger_matter", broken)
    assert (refused.value.file, refused.value.element_id) == ("ledger_matter.bpmn", "flow_rework")
    renamed = LEDGER.replace('<bpmn:process id="ledger_matter"', '<bpmn:process id="ledger_matter_copy"')
    with pytest.raises(DefinitionError) as wrong_key:
        engine.deploy_from_editor("designer", "process", "ledger_matter", renamed)
    assert wrong_key.value.file == "ledger_matter.bpmn" and "ledger_matter_copy" in str(wrong_key.value)
    with pytest.raises(DefinitionError):
        engine.deploy_from_editor("designer", "process", "ledger_matter", "<not-xml")
    assert engine.designer_source("designer", "process", "ledger_matter")["deployed_version"] == 1


def test_a_decision_deploys_with_the_processes_that_call_it(deployed):
    engine = deployed
    edited = ROUTING.replace('<text>"office"</text>', '<text>"water"</text>')  # 其他 → 水环境科
    result = engine.deploy_from_editor("designer", "decision", "routing", edited)
    assert [(d["key"], d["version"]) for d in result["decisions"]] == [("routing", 2)]
    assert [(p["key"], p["version"], p["status"]) for p in result["processes"]] == [("ledger_matter", 2, "deployed")]
    assert engine.designer_source("designer", "decision", "routing")["content"] == edited


def test_only_designers_and_admins_open_or_deploy(deployed):
    with pytest.raises(NotAllowed):
        deployed.designer_source("water1", "process", "ledger_matter")
    with pytest.raises(NotAllowed):
        deployed.deploy_from_editor("water1", "process", "ledger_matter", LEDGER)


def test_a_decision_file_with_an_xml_comment_deploys(deployed):
    commented = ROUTING.replace("<decision ", "<!-- 责任科室：按问题类别 -->\n  <decision ", 1)
    result = deployed.deploy_from_editor("designer", "decision", "routing", commented)
    assert [(d["key"], d["version"]) for d in result["decisions"]] == [("routing", 2)]


def test_a_form_nested_thousands_deep_is_refused_not_a_crash(deployed):
    deep = '{"type": "object", "properties": {"x": ' + "[" * 50000 + "]" * 50000 + "}}"
    report = deployed.validate_upload([("ledger_matter.bpmn", LEDGER.encode()), ("matter_rectification.json",
                                                                                  deep.encode())], "designer")
    assert report["ok"] is False and report["errors"][0]["file"] == "matter_rectification.json"
    assert "嵌套层次过深" in report["errors"][0]["message"]
