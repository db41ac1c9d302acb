"""A deploy builds each process's SpiffWorkflow spec once: validation and the scheduling of
its timer start events share the spec (it was built four times)."""
from engine.config import PROCESSES_DIR
from engine.definitions.parser import SanfuParser


def test_a_deploy_builds_each_spec_once(people, monkeypatch):
    built = []
    real = SanfuParser.get_spec

    def get_spec(self, key, *args, **kwargs):
        built.append(key)
        return real(self, key, *args, **kwargs)

    monkeypatch.setattr(SanfuParser, "get_spec", get_spec)
    result = people.deploy([PROCESSES_DIR / name for name in ("enterprise_service.bpmn", "ledger_matter.bpmn",
                                                              "complaint_12369.bpmn", "routing.dmn")], "designer")
    keys = sorted(p["key"] for p in result.processes)
    assert keys == ["complaint_12369", "enterprise_service", "ledger_matter"]
    assert sorted(built) == keys
