"""The designers' API: a tool lists the deployed definitions, validates files (every problem with
file and element, nothing saved) and deploys them (N+1, or 422 with the errors and nothing saved);
an unchanged file makes no version; staff get 403; hostile XML is refused with the CLI's words."""
import io

import pytest

from tests.helpers.paths import PROCESSES
from tests.helpers.web import PASSWORD

LEDGER = (PROCESSES / "ledger_matter.bpmn").read_bytes()
BROKEN = LEDGER.replace('${decision == "退回"}'.encode(), b"${decision == }")
XXE = b"""<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</bpmn:definitions>"""


@pytest.fixture
def designer(sanfu):
    sanfu.add_user("designer1", roles=("designer",), display_name="流程设计员")
    sanfu.set_password("designer1", PASSWORD, actor="root")
    return "designer1"


def files(*pairs):
    return {"files": [(io.BytesIO(content), name) for name, content in pairs]}


def ledger_version(api, user) -> int:
    catalog = api("GET", "/definitions", user).get_json()
    [ledger] = [p for p in catalog["processes"] if p["key"] == "ledger_matter"]
    return ledger["versions"][0]["version"]


def test_a_tool_validates_then_deploys_the_next_version(api, designer):
    before = ledger_version(api, designer)
    report = api("POST", "/definitions/validate", designer, data=files(("ledger_matter.bpmn", BROKEN)))
    assert report.status_code == 200
    body = report.get_json()
    assert body["ok"] is False and body["errors"][0]["element_id"] == "flow_rework"
    assert body["errors"][0]["file"] == "ledger_matter.bpmn" and "JUEL" in body["errors"][0]["text"]
    refused = api("POST", "/deployments", designer, data=files(("ledger_matter.bpmn", BROKEN)))
    assert refused.status_code == 422
    assert refused.get_json()["error"]["errors"][0]["element_id"] == "flow_rework"
    assert ledger_version(api, designer) == before
    changed = LEDGER.replace('name="整改"'.encode(), 'name="限期整改"'.encode(), 1)
    deployed = api("POST", "/deployments", designer, data=files(("ledger_matter.bpmn", changed)))
    assert deployed.status_code == 200
    assert [(p["key"], p["version"], p["status"]) for p in deployed.get_json()["processes"]] == \
        [("ledger_matter", before + 1, "deployed")]
    again = api("POST", "/deployments", designer, data=files(("ledger_matter.bpmn", changed))).get_json()
    assert again["processes"][0]["status"] == "unchanged" and ledger_version(api, designer) == before + 1
    catalog = api("GET", "/definitions", designer).get_json()
    [ledger] = [p for p in catalog["processes"] if p["key"] == "ledger_matter"]
    assert ledger["versions"][0]["deployed_at"][:4].isdigit() and "T" in ledger["versions"][0]["deployed_at"]


def test_bad_uploads_are_refused_clearly(api, designer):
    hostile = api("POST", "/deployments", designer, data=files(("evil.bpmn", XXE)))
    assert hostile.status_code == 422 and "DOCTYPE" in hostile.get_json()["error"]["message"]
    nothing = api("POST", "/definitions/validate", designer, data={})
    assert nothing.status_code == 422 and "files" in nothing.get_json()["error"]["fields"]
    wrong_kind = api("POST", "/deployments", designer, data=files(("notes.txt", b"hello")))
    assert wrong_kind.status_code == 422 and "notes.txt" in wrong_kind.get_json()["error"]["message"]


def test_staff_get_403(api, sanfu):
    sanfu.add_user("clerk", roles=(), display_name="科员")
    assert api("GET", "/definitions", "clerk").status_code == 403
    assert api("POST", "/deployments", "clerk", data=files(("ledger_matter.bpmn", LEDGER))).status_code == 403
    assert api("POST", "/definitions/validate", "clerk", data=files(("ledger_matter.bpmn", LEDGER))).status_code == 403
