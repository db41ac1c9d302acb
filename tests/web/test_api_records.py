"""督办单 over the API: the city 督查 lists the liaison's overdue visit, the liaison reports,
the 督查 sends it back and then closes it; errors name the field; the document describes it all."""
from jsonschema import Draft202012Validator

from tests.helpers.web import only_task


def _schema(doc: dict, name: str) -> dict:
    return {**doc["components"]["schemas"][name], "$defs": doc["components"]["schemas"]}


def test_a_record_through_its_lifecycle_over_the_api(api, client, sanfu, service):
    task = only_task(sanfu, "xh_liaison")
    refused = api("POST", f"/tasks/{task['id']}/supervision", "xh_water_head", {"note": "重点督办"})
    assert refused.status_code == 403
    missing = api("POST", f"/tasks/{task['id']}/supervision", "hz_super", {"deadline": "2026-13-40"})
    assert missing.status_code == 422 and "note" in missing.get_json()["error"]["fields"]
    listed = api("POST", f"/tasks/{task['id']}/supervision", "hz_super", {"note": "重点督办", "deadline": "2099-03-31"})
    assert listed.status_code == 422 and "一年" in listed.get_json()["error"]["message"]
    listed = api("POST", f"/tasks/{task['id']}/supervision", "hz_super", {"note": "重点督办"})
    assert listed.status_code == 200, listed.get_json()
    record_id = listed.get_json()["id"]
    page = api("GET", "/supervision/records", "hz_super").get_json()
    assert [r["id"] for r in page["rows"]] == [record_id] and page["counts"]["open"] == 1
    assert api("GET", f"/supervision/records/{record_id}", "bj_water1").status_code == 404
    bad = api("POST", f"/supervision/records/{record_id}/deadline", "hz_super", {"deadline": "明天"})
    assert bad.status_code == 422 and "deadline" in bad.get_json()["error"]["fields"]
    assert api("POST", f"/supervision/records/{record_id}/verify", "hz_super", {"approve": "yes"}).status_code == 422
    assert api("POST", f"/supervision/records/{record_id}/verify", "hz_super", {"approve": True}).status_code == 409
    assert api("POST", f"/supervision/records/{record_id}/report", "xh_water1", {"note": "已整改"}).status_code == 404
    assert api("POST", f"/supervision/records/{record_id}/report", "hz_super", {"note": "已整改"}).status_code == 403
    # the liaison holds the visit: the person responsible reports
    assert api("POST", f"/supervision/records/{record_id}/report", "xh_liaison", {"note": "已走访"}).status_code == 200
    back = api("POST", f"/supervision/records/{record_id}/verify", "hz_super", {"approve": False, "note": "仍有问题"})
    assert back.get_json() == {"id": record_id, "status": "open"}
    api("POST", f"/supervision/records/{record_id}/report", "xh_liaison", {"note": "已复查"})
    done = api("POST", f"/supervision/records/{record_id}/verify", "hz_super", {"approve": True})
    assert done.get_json()["status"] == "closed"
    shown = api("GET", f"/supervision/records/{record_id}", "xh_liaison").get_json()
    assert [e["action"] for e in shown["history"]] == ["opened", "reported", "rejected", "reported", "verified"]
    doc = client.get("/api/v1/openapi.json").get_json()
    Draft202012Validator(_schema(doc, "SupervisionRecord")).validate(shown)
    for row in api("GET", "/supervision/records?status=closed", "hz_super").get_json()["rows"]:
        Draft202012Validator(_schema(doc, "SupervisionRecord")).validate(row)
    assert api("GET", "/supervision/records?status=gone", "hz_super").status_code == 422
