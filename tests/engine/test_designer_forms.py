"""The form editor's engine side: a form lives in each process version's bundle, so deploying an
edited form makes a new version of exactly the processes whose newest version uses it (in one unit
of work, audited as deploy); an instance started afterwards gets the edited form, one already
running keeps its own. A broken schema deploys nothing and names `<key>.json`; the form's draft is
cleared by deploying it; deploying a DMN clears the decision's draft; only designers and admins."""
import json

import pytest
from sqlalchemy import func, select

from engine.errors import DefinitionError, InvalidInput, NotAllowed
from engine.store.tables import AuditEvent, ProcessDefinition
from tests.helpers.paths import FORMS, PROCESSES

MODELS = [PROCESSES / "enterprise_service.bpmn", PROCESSES / "ledger_matter.bpmn",
          PROCESSES / "complaint_12369.bpmn", PROCESSES / "routing.dmn"]
MATTER = {"category": "固废", "description": "危废暂存间未规范设置标识", "severity": "严重", "source": "日常检查"}


@pytest.fixture
def bureau(people):
    people.forms_dir = FORMS
    people.deploy(MODELS, "designer")
    return people


def edited(form_key: str, prop: str, title: str) -> str:
    schema = json.loads((FORMS / f"{form_key}.json").read_text(encoding="utf-8"))
    schema["properties"][prop]["title"] = title
    return json.dumps(schema, ensure_ascii=False, indent=2)


def versions(engine) -> dict[str, int]:
    with engine.uow(write=False) as uow:
        rows = uow.session.execute(select(ProcessDefinition.key, func.max(ProcessDefinition.version))
                                   .group_by(ProcessDefinition.key))
        return dict(rows.all())


def rectify_form(engine, instance_id: int) -> dict:
    [task] = [t for t in engine.show(instance_id)["open_tasks"] if t["element_id"] == "rectify"]
    return engine.task_view(task["id"], "admin")["form"]


def test_form_sources_list_each_form_with_the_processes_using_it(bureau):
    forms = {f["key"]: f for f in bureau.form_sources("designer")}
    urge = forms["supervision_urge"]
    assert (urge["title"], urge["deployed"], urge["draft"]) == ("督办", True, None)
    assert sorted(p["key"] for p in urge["processes"]) == ["complaint_12369", "ledger_matter"]
    assert urge["content"] == (FORMS / "supervision_urge.json").read_text(encoding="utf-8")
    assert set(forms) >= {p.stem for p in FORMS.glob("*.json")}  # every shipped form, used or not


def test_deploying_a_form_makes_new_versions_of_exactly_the_processes_using_it(bureau):
    before = versions(bureau)
    result = bureau.deploy_form("designer", "supervision_urge", edited("supervision_urge", "urge_mode", "督办形式"))
    deployed = {p["key"]: p["version"] for p in result["processes"] if p["status"] == "deployed"}
    assert deployed == {"ledger_matter": before["ledger_matter"] + 1,
                        "complaint_12369": before["complaint_12369"] + 1}
    assert versions(bureau)["enterprise_service"] == before["enterprise_service"]
    current = {f["key"]: f for f in bureau.form_sources("designer")}["supervision_urge"]
    assert json.loads(current["content"])["properties"]["urge_mode"]["title"] == "督办形式"
    with bureau.uow(write=False) as uow:
        last = uow.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert last.action == "deploy" and last.actor == "designer"


def test_an_instance_started_after_the_deploy_renders_the_new_title(bureau):
    running = bureau.start("ledger_matter", "admin", MATTER)["id"]
    bureau.deploy_form("admin", "matter_rectification", edited("matter_rectification", "measures", "整改措施及成效"))
    started_after = bureau.start("ledger_matter", "admin", MATTER)["id"]
    assert rectify_form(bureau, started_after)["properties"]["measures"]["title"] == "整改措施及成效"
    assert rectify_form(bureau, running)["properties"]["measures"]["title"] == "整改措施"  # stays on its version


@pytest.mark.parametrize("content, reason", [
    ('{"title": "督办", "type": "object",', "表单不是合法 JSON"),
    ('{"title": "督办", "type": "objekt"}', "不是合法的 JSON Schema"),
    ("[1, 2]", "表单必须是 JSON 对象"),
    ('{"a": ' * 100_000 + "1" + "}" * 100_000, "表单嵌套层次过深"),
])
def test_a_broken_schema_deploys_nothing_and_names_the_file(bureau, content, reason):
    before = versions(bureau)
    bureau.save_designer_draft("designer", "form", "supervision_urge", content)
    with pytest.raises(DefinitionError) as err:
        bureau.deploy_form("designer", "supervision_urge", content)
    assert err.value.file == "supervision_urge.json" and reason in str(err.value)
    assert versions(bureau) == before
    assert bureau.designer_draft("designer", "form", "supervision_urge") is not None  # kept to be fixed


def test_deploying_the_form_clears_its_draft_and_an_unused_form_is_refused(bureau):
    text = edited("matter_answer", "answer_date", "答复时间")
    bureau.save_designer_draft("designer", "form", "matter_answer", text)
    bureau.save_designer_draft("designer", "form", "visit_record", "{}")
    bureau.deploy_form("designer", "matter_answer", text)
    assert bureau.designer_draft("designer", "form", "matter_answer") is None
    assert bureau.designer_draft("designer", "form", "visit_record") is not None
    unused = [f["key"] for f in bureau.form_sources("designer") if not f["processes"]]
    assert unused, "a shipped form no deployed process uses"
    with pytest.raises(InvalidInput) as err:
        bureau.deploy_form("designer", unused[0], (FORMS / f"{unused[0]}.json").read_text(encoding="utf-8"))
    assert "没有已部署的流程使用表单" in str(err.value)


def test_deploying_a_decision_clears_its_draft(bureau):
    bureau.save_designer_draft("designer", "decision", "routing", "<definitions id='draft'/>")
    routing = (PROCESSES / "routing.dmn").read_text(encoding="utf-8").replace("每个类别恰好命中一行", "每类恰好命中一行")
    bureau.deploy_upload([("routing.dmn", routing.encode())], "designer")
    assert bureau.designer_draft("designer", "decision", "routing") is None


def test_only_designers_and_admins_edit_forms(bureau):
    text = edited("supervision_urge", "urge_mode", "督办形式")
    with pytest.raises(NotAllowed):
        bureau.deploy_form("water1", "supervision_urge", text)
    with pytest.raises(NotAllowed):
        bureau.form_sources("water1")
    with pytest.raises(NotAllowed):
        bureau.preview_form("water1", "supervision_urge", text)
    assert bureau.preview_form("designer", "supervision_urge", text)["properties"]["urge_mode"]["title"] == "督办形式"

