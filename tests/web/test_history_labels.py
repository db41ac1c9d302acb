"""Every action the engine writes to an instance's or the system's audit trail has a name the
history and the audit log show (engine.admin.audit_log.ACTION_LABELS): a page never shows a raw
`task_urged`. The actions are read from the engine's own `audit.record(…, "action", …)` calls."""
from __future__ import annotations

import re

from engine.admin.audit_log import ACTION_LABELS
from tests.helpers.paths import ROOT

RECORDED = re.compile(r'audit\.record\(\s*[\w.]+,\s*[\w.]+,\s*"(\w+)"(?:\s+if [^,]+ else\s+"(\w+)")?')


def _recorded_actions() -> set[str]:
    found = set()
    for path in (ROOT / "engine").rglob("*.py"):
        for match in RECORDED.finditer(path.read_text(encoding="utf-8")):
            found |= {action for action in match.groups() if action}
    return found


def test_every_recorded_action_has_a_label():
    recorded = _recorded_actions()
    assert {"task_urged", "extension_refused", "instance_started"} <= recorded  # the scan finds them
    assert sorted(recorded - ACTION_LABELS.keys()) == []


def test_an_urge_reads_as_chinese_on_the_instance_page(client, auth, sanfu, service):
    from tests.helpers.web import only_task, text_of
    task = only_task(sanfu, "xh_liaison")
    sanfu.urge(task["id"], "hz_super", "请本周内完成走访")
    auth.login("xh_liaison")
    body = text_of(client.get(f"/instances/{service}"))
    assert "task_urged" not in body and "message：" not in body
    assert "催办" in body and "内容：请本周内完成走访" in body and "次数：1" in body
