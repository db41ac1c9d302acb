"""校验 in the browser and for tools lists every error of an upload, not only the first: each
with file, element id and name, in document order, each on its element of the diagram."""
import json
import re

from tests.helpers.broken_ledger import EXPECTED, broken_ledger_matter
from tests.helpers.models import chain, process, user_task
from tests.web.test_designer import latest_version, text_of, upload

BROKEN = broken_ledger_matter().encode()


def diagram_data(response) -> dict:
    return json.loads(re.search(r'id="designer-diagrams">(.*?)</script>', response.get_data(as_text=True), re.S)[1])


def test_the_json_answer_lists_all_four_errors_and_nothing_is_deployed(client, designer, sanfu):
    before = latest_version(sanfu, "ledger_matter")
    answer = upload(client, [("ledger_matter.bpmn", BROKEN)], "/designer/validate?format=json")
    body = answer.get_json()
    assert answer.status_code == 200 and body["ok"] is False
    assert [(e["file"], e["element_id"]) for e in body["errors"]] == [
        ("ledger_matter.bpmn", element) for element, _ in EXPECTED]
    for error, (_element, named) in zip(body["errors"], EXPECTED, strict=True):
        assert named in error["message"] and error["text"]
    assert body["errors"][1]["element_name"] == "交办其他部门"
    assert latest_version(sanfu, "ledger_matter") == before


def test_the_page_lists_every_error_and_puts_each_on_its_element_of_its_own_diagram(client, designer, sanfu):
    other = process("other", chain(user_task("rectify", "另一个整改"))).encode()  # same element id, another file
    page = upload(client, [("ledger_matter.bpmn", BROKEN), ("other.bpmn", other)])
    assert page.status_code == 200 and "校验未通过" in text_of(page) and "部署为新版本" not in text_of(page)
    listed = re.findall(r'<li data-element="([^"]*)">', page.get_data(as_text=True))
    assert listed[:4] == [element for element, _ in EXPECTED]
    errors = [o for o in diagram_data(page)["overlays"] if o["kind"] == "error"]
    assert [(o["id"], o["file"]) for o in errors] == [(element, "ledger_matter.bpmn") for element, _ in EXPECTED]
    assert 'data-file="other.bpmn"' in page.get_data(as_text=True)  # so the badge on rectify stays off other.bpmn
