"""The access rules that engine/access.py made explicit: deploying is for process designers
and admins, and an enterprise's ledger is read only within the reader's scope."""
import pytest

from engine.cli.main import main
from engine.errors import NotAllowed
from tests.helpers.paths import PROCESSES


def test_a_user_without_the_designer_role_cannot_deploy(people):
    people.add_user("clerk", ["water"])
    with pytest.raises(NotAllowed, match="流程设计员或管理员"):
        people.deploy([PROCESSES / "demo_visit.bpmn"], "clerk")
    assert people.deploy([PROCESSES / "demo_visit.bpmn"], "designer").processes[0]["version"] == 1
    assert people.deploy([PROCESSES / "demo_visit.bpmn"], "admin").processes[0]["status"] == "unchanged"


def test_the_cli_deploy_names_the_missing_role(engine, tmp_path, capsys):
    url = str(engine.db.url.render_as_string(hide_password=False))
    engine.add_user("clerk")
    code = main(["--database", url, "deploy", str(PROCESSES / "demo_visit.bpmn"), "--as", "clerk"])
    assert code == 4 and "只有流程设计员或管理员可以部署流程" in capsys.readouterr().err


def test_the_ledger_is_read_within_scope_only(engine):
    from tests.helpers.province import build_province
    ids = build_province(engine)
    assert engine.ledger_for(ids["enterprise_id"], "root") == []
    engine.add_user("stranger")  # no unit: sees no enterprise
    with pytest.raises(NotAllowed):
        engine.ledger_for(ids["enterprise_id"], "stranger")
