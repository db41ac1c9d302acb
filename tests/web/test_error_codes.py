"""The API's error envelope carries the domain error's code beside its message, so that a
client branches on the code, never on the text."""


def test_errors_carry_their_code(api, sanfu, service):
    [visit] = sanfu.tasks("xh_liaison")
    missing = api("GET", "/tasks/" + "0" * 32, "xh_liaison")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "no_such_task"
    stranger = api("GET", f"/tasks/{visit['id']}", "bj_water1")
    assert stranger.status_code == 403 and stranger.get_json()["error"]["code"] == "task_not_visible"
    refused = api("POST", f"/tasks/{visit['id']}/complete", "xh_liaison", {"data": {"mode": "走访"}})
    error = refused.get_json()["error"]
    assert refused.status_code == 422 and error["code"] == "form_invalid" and "visit_date" in error["fields"]
    unauthenticated = api("GET", "/inbox")
    assert unauthenticated.status_code == 401 and unauthenticated.get_json()["error"]["code"] == "unauthorized"


def test_a_claim_on_a_claimed_task_says_so_in_its_code(api, sanfu, service):
    from tests.helpers.web import to_rectification
    water = to_rectification(sanfu)
    assert api("POST", f"/tasks/{water['id']}/claim", "xh_water1").status_code == 200
    taken = api("POST", f"/tasks/{water['id']}/claim", "xh_water2")
    error = taken.get_json()["error"]
    assert taken.status_code == 409 and error["code"] == "already_claimed"
    missing = api("GET", "/instances/999999", "xh_water1").get_json()["error"]
    assert missing["code"] == "no_such_instance"
