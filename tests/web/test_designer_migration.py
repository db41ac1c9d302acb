"""迁移 on the designer's workbench: the designer picks a process and two versions, 预演 lists
each running instance with whether it can move and why not, the OLD=NEW mapping makes the
renamed step movable, 迁移 moves them and the instances run on the new version; a bad mapping
comes back with its message and what was typed; nobody else may."""
import pytest

from tests.helpers.migration_world import build_world, open_task, version_of
from tests.helpers.web import PASSWORD, csrf_token


def text_of(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


@pytest.fixture
def world(sanfu, auth, tmp_path):
    sanfu.add_user("designer", roles=("designer",), display_name="流程设计员")
    sanfu.add_user("water1", ["water"])
    sanfu.set_password("designer", PASSWORD, actor="root")
    ids = build_world(sanfu, tmp_path)
    auth.login("designer")
    return ids


def test_the_designer_dry_runs_then_migrates_with_a_mapping(client, sanfu, world):
    page = client.get("/designer/migrate/")
    assert page.status_code == 200 and "chain" in text_of(page)
    plan = client.get("/designer/migrate/", query_string={"key": "chain", "from": "1", "to": "2", "preview": "1"})
    shown = text_of(plan)
    assert plan.status_code == 200
    assert "共 3 个，可迁移 2 个，不可迁移 1 个" in shown and "建议映射 B=B2" in shown
    assert version_of(sanfu, world["A"]) == 1                                      # a dry run writes nothing

    plan = client.get("/designer/migrate/", query_string={"key": "chain", "from": "1", "to": "2",
                                                          "mapping": "B=B2", "preview": "1"})
    assert "共 3 个，可迁移 3 个，不可迁移 0 个" in text_of(plan)
    done = client.post("/designer/migrate/run", data={
        "key": "chain", "from": "1", "to": "2", "mapping": "B=B2", "csrf_token": csrf_token(client, "/designer/migrate/")})
    assert done.status_code == 200 and "共 3 个，已迁移 3 个，未迁移 0 个" in text_of(done)
    assert {version_of(sanfu, i) for i in world.values()} == {2}
    assert open_task(sanfu, world["B"]).element_id == "B2"


def test_a_bad_mapping_is_refused_with_its_message_and_the_form_kept(client, sanfu, world):
    response = client.post("/designer/migrate/run", data={
        "key": "chain", "from": "1", "to": "2", "mapping": "B=Nope", "csrf_token": csrf_token(client, "/designer/migrate/")},
        follow_redirects=True)
    shown = text_of(response)
    assert "版本 2 中没有环节 Nope" in shown and 'value="B=Nope"' not in shown and "B=Nope</textarea>" in shown
    assert {version_of(sanfu, i) for i in world.values()} == {1}
    bad = client.get("/designer/migrate/", query_string={"key": "chain", "from": "x", "to": "2", "preview": "1"})
    assert bad.status_code == 422 and "源版本：请填写版本号" in text_of(bad)


def test_others_are_refused(client, auth, world):
    auth.logout()
    auth.login("xh_water1")
    assert client.get("/designer/migrate/").status_code == 403
    assert client.post("/designer/migrate/run", data={
        "key": "chain", "from": "1", "to": "2", "csrf_token": csrf_token(client, "/")}).status_code == 403
