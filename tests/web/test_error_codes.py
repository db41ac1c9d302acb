"""The API's error envelope carries the domain error's code beside its message, so that a
client branches on the code, never on the text."""


def test_errors_carry_their_code(api, sanfu, service):
    [visit] = sanfu.tasks("xh_liaison")
    missing = api("GET", "/tasks/" + "0" * 32, "xh_liaison")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    stranger = api("GET", f"/tasks/{visit['id']}", "bj_water1")
    assert stranger.status_code == 403 and stranger.get_json()["error"]["code"] == "not_allowed"
    refused = api("POST", f"/tasks/{visit['id']}/complete", "xh_liaison", {"data": {"mode": "走访"}})
    error = refused.get_json()["error"]
    assert refused.status_code == 422 and error["code"] == "form_invalid" and "visit_date" in error["fields"]
    unauthenticated = api("GET", "/inbox")
    assert unauthenticated.status_code == 401 and unauthenticated.get_json()["error"]["code"] == "unauthorized"
