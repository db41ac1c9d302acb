"""Where things are: the repository, its forms and processes, the third-party corpus, and
the environment the suite runs in (PostgreSQL URL, CI)."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
FORMS = ROOT / "forms"
PROCESSES = ROOT / "processes"
CORPUS = ROOT.parent / "shared" / "bpmn-corpus"
POSTGRES_URL = os.environ.get("SANFU_TEST_POSTGRES_URL")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
