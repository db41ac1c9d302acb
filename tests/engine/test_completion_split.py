"""tools/completion_split.py: a completion's time split into the DB-API's, SQLAlchemy's and the
rest, by timers. Run in a process of its own, because its timers patch SQLAlchemy's classes."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.helpers.paths import ROOT


def test_the_split_is_measured_and_adds_up_to_the_completion():
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "completion_split.py"), "--instances", "20", "--json"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT, check=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    split = json.loads(done.stdout)
    parts = ("sqlalchemy_execute_ms", "sqlalchemy_unit_of_work_ms", "sqlalchemy_adopt_ms")
    assert all(split[part] > 0 for part in ("dbapi_ms", "rest_ms", *parts))
    assert abs(split["sqlalchemy_ms"] - sum(split[part] for part in parts)) < 1e-9
    assert abs(split["dbapi_ms"] + split["sqlalchemy_ms"] + split["rest_ms"] - split["completion_ms"]) < 1e-9
