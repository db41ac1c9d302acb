"""`sanfu cosign add|list|sign`: the section head adds a co-signer to 科长审核 from the command
line, the co-signer lists what waits for them and signs; 后加签 completes the step with the
holder's data once agreed; refusals and wrong people answer in words with the usual exit codes."""
from __future__ import annotations

import json

import pytest

from engine.cli.main import main
from engine.service import Engine
from engine.store.db import make_engine
from engine.store.migrate import upgrade
from tests.helpers.forms import CHECK, RECTIFIED, VISIT
from tests.helpers.paths import FORMS, PROCESSES
from tests.helpers.province import build_province

MODELS = ("enterprise_service.bpmn", "ledger_matter.bpmn", "routing.dmn")
CLOSED = {"decision": "销号", "opinion": "整改到位"}


@pytest.fixture
def review(tmp_path, monkeypatch):
    """A water matter at 科长审核, claimed by the section head; the CLI on the same database."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SANFU_DATABASE_URL", url)
    monkeypatch.setenv("SANFU_INSTANCE_PATH", str(tmp_path / "instance"))
    db = make_engine(url)
    upgrade(db)
    engine = Engine(db_engine=db, forms_dir=FORMS)
    ids = build_province(engine)
    engine.deploy([PROCESSES / name for name in MODELS], "root")
    engine.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})
    engine.complete(engine.tasks("xh_liaison")[0]["id"], "xh_liaison", VISIT)
    engine.complete(engine.tasks("xh_expert")[0]["id"], "xh_expert", CHECK)
    [rectify] = [t for t in engine.tasks("xh_water1") if t["name"] == "整改"]
    engine.claim(rectify["id"], "xh_water1")
    engine.complete(rectify["id"], "xh_water1", RECTIFIED)
    [verify] = [t for t in engine.tasks("xh_water_head") if t["name"] == "科长审核"]
    engine.claim(verify["id"], "xh_water_head")
    return engine, verify["id"]


def _json(capsys):
    return json.loads(capsys.readouterr().out)


def test_before_the_cosigner_lists_and_signs_then_the_holder_completes(review, capsys):
    engine, task = review
    assert main(["cosign", "add", task, "--to", "xh_leader", "--mode", "前加签", "--note", "请先把关",
                 "--as", "xh_water_head"]) == 0
    assert "已前加签" in capsys.readouterr().out
    assert main(["cosign", "list", "--json", "--as", "xh_leader"]) == 0
    [waiting] = _json(capsys)
    assert (waiting["task_id"], waiting["task_name"], waiting["mode"], waiting["note"]) == \
        (task, "科长审核", "before", "请先把关")
    assert main(["cosign", "list", "--as", "xh_water1"]) == 0
    assert "没有等待你签署的加签" in capsys.readouterr().out

    assert main(["cosign", "sign", str(waiting["id"]), "--agree", "--as", "xh_water1"]) == 4  # not theirs
    assert "错误" in capsys.readouterr().err
    assert main(["cosign", "sign", str(waiting["id"]), "--agree", "--opinion", "同意销号", "--as", "xh_leader"]) == 0
    out = capsys.readouterr().out
    assert "同意" in out and "已回到 xh_water_head" in out
    assert main(["cosign", "list", "--task", task, "--as", "xh_water_head"]) == 0
    assert "同意" in capsys.readouterr().out
    engine.complete(task, "xh_water_head", CLOSED)  # back with its holder, who completes it


def test_after_the_step_completes_once_the_cosigner_agrees(review, capsys):
    engine, task = review
    assert main(["cosign", "add", task, "--to", "xh_leader", "--mode", "after", "--data", json.dumps(CLOSED),
                 "--json", "--as", "xh_water_head"]) == 0
    added = _json(capsys)
    assert added["status"] == "pending" and added["data"] == CLOSED
    assert main(["cosign", "sign", str(added["id"]), "--refuse", "--as", "xh_leader"]) == 1  # a refusal needs a reason
    assert "理由" in capsys.readouterr().err
    assert main(["cosign", "sign", str(added["id"]), "--agree", "--as", "xh_leader"]) == 0
    assert "任务已完成" in capsys.readouterr().out
    assert task not in [t["id"] for t in engine.tasks("xh_water_head")]
    assert main(["cosign", "sign", str(added["id"]), "--agree", "--as", "xh_leader"]) == 3  # signed already


def test_refused_in_words(review, capsys):
    _, task = review
    assert main(["cosign", "add", task, "--to", "xh_leader", "--mode", "after", "--as", "xh_water_head"]) == 1
    assert "后加签须提交表单数据" in capsys.readouterr().err
    assert main(["cosign", "add", task, "--to", "nobody", "--mode", "before", "--as", "xh_water_head"]) == 1
    assert "不能加签给" in capsys.readouterr().err
    assert main(["cosign", "add", task, "--to", "xh_leader", "--mode", "sideways", "--as", "xh_water_head"]) == 2
    assert main(["cosign", "list", "--task", task, "--as", "xh_air1"]) == 4  # may not see the task
