"""The API fuzzed against its own OpenAPI document (schemathesis, in-process over WSGI), on SQLite
and on PostgreSQL: every operation, with the bearer tokens of several roles, with generated input
(valid per the document, and deliberately invalid) and with the real ids of a world where claim,
complete, resolve, 加签 and attachments are reachable. No response is a 5xx, and every response's
status, content type and body is what the document says.

Sized for CI on 2 cores (a couple of minutes per database): `derandomize=True` makes every run
generate the same cases, so a failure is reproducible; FUZZ_EXAMPLES=N runs it deeper by hand."""
from __future__ import annotations

import os

import hypothesis.strategies as st
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import load_all_checks
from schemathesis.core.failures import FailureGroup

from engine.service import Engine
from engine.store.db import make_engine
from engine.store.migrate import upgrade
from tests.conftest import _fresh_postgres, _postgres_or_skip
from tests.helpers.cosign_world import pending_cosign
from tests.helpers.paths import FORMS, PROCESSES
from tests.helpers.province import build_province
from tests.helpers.web import MODELS
from tests.web.authz_world import ROLES, _admins, _deadlines, _follow_up, _records, _service

load_all_checks()
from schemathesis.checks import CHECKS  # noqa: E402 (filled by load_all_checks)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "50"))
CHECKED = [CHECKS.get_by_names([name])[0] for name in (
    "not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance")]
FUZZ_ROLES = ("liaison", "staff", "section_head", "supervisor", "other_county", "system_admin")


def _world(url: str, folder) -> dict:
    """The authorization matrix's world (tests/web/authz_world.py) in the database at `url`."""
    db = make_engine(url)
    upgrade(db)
    engine = Engine(db_engine=db, forms_dir=FORMS)
    engine.attachment_dir = folder
    try:
        ids = build_province(engine)
        engine.deploy([PROCESSES / name for name in MODELS], "root")
        world = {"enterprise_id": ids["enterprise_id"], **_admins(engine), **_service(engine, ids),
                 **_follow_up(engine)}
        world.update(_records(engine, world))
        world.update(_deadlines(engine))
        world.update(pending_cosign(engine, ids["enterprise_id"]))
        world["withdrawable"] = engine.start("complaint_12369", "xh_liaison", {})["id"]
        world["tokens"] = {role: engine.create_api_token(ROLES[role], "fuzz") for role in FUZZ_ROLES}
        return world
    finally:
        db.dispose()


def _real_ids(world: dict) -> dict[str, list]:
    """Path parameter → ids that exist, so generated requests reach past the 404."""
    return {
        "task_id": [world[k] for k in ("held", "open", "delegated", "verify", "overdue", "follow_up_task",
                                       "cosigned_task") if k in world],
        "instance_id": [world["service"], world["withdrawable"], world["follow_up"]],
        "enterprise_id": [world["enterprise_id"]], "record_id": [world["record"], world["reported_record"]],
        "extension_id": [world["extension"]], "cosign_id": [world["cosign"]],
        "attachment_id": [world["attachment"]], "key": ["enterprise_service", "complaint_12369"],
    }


@pytest.fixture(params=["sqlite", "postgres"])
def fuzzed(request, tmp_path):
    from web import create_app
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'sanfu.db'}"
    else:
        url = _postgres_or_skip()
        _fresh_postgres(url).dispose()
    world = _world(url, tmp_path / "attachments")
    app = create_app({"TESTING": True, "SECRET_KEY": "fuzz", "DATABASE_URL": url, "FORMS_DIR": str(FORMS),
                      "ATTACHMENT_DIR": str(tmp_path / "attachments")})
    yield app, world
    app.extensions["sanfu"].db.dispose()


def _cases(operation, ids: dict[str, list]):
    """Generated cases: anything the document allows (or, a third of the time, what it refuses), with
    the path's ids either generated or real ones."""
    names = [p.name for p in operation.path_parameters]
    modes = st.sampled_from([GenerationMode.POSITIVE, GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    if not names or not all(ids.get(name) for name in names):
        return modes.flatmap(lambda mode: operation.as_strategy(generation_mode=mode))
    real = st.fixed_dictionaries({name: st.sampled_from(ids[name]) for name in names})
    return st.tuples(modes, st.one_of(st.none(), real, real)).flatmap(
        lambda pair: operation.as_strategy(generation_mode=pair[0], path_parameters=pair[1]))


def test_every_operation_answers_as_documented_and_never_5xx(fuzzed):
    app, world = fuzzed
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    ids, tokens = _real_ids(world), list(world["tokens"].values())
    failures: list[str] = []
    answered: dict[str, set[int]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        # response_schema_conformance checks formats too: every date-time answered is ISO 8601 (web/json_provider.py)
        assert schema.config.checks_config_for(operation=operation).response_schema_conformance.validate_formats

        @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=_cases(operation, ids), token=st.sampled_from(tokens))
        def fuzz(case, token):
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            answered.setdefault(case.operation.label, set()).add(response.status_code)
            try:
                case.validate_response(response, checks=CHECKED, headers={"Authorization": "Bearer …"})
            except (AssertionError, FailureGroup) as failure:
                failures.append(f"{case.operation.label}: {str(failure)[:1500]}")

        fuzz()
    if os.environ.get("FUZZ_SHOW"):
        print("\n".join(f"{label}: {sorted(codes)}" for label, codes in sorted(answered.items())))
    assert not failures, "\n\n".join(failures[:10]) + f"\n\n({len(failures)} failures)"
