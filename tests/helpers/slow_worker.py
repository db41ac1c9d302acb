"""A gunicorn configuration for the fault tests (GUNICORN_CMD_ARGS="--config python:
tests.helpers.slow_worker"): each worker takes SANFU_TEST_STEP_DELAY seconds longer over every
workflow advance — after the engine's steps, before the commit — so that a worker killed in
the middle of a completion is usually caught inside its transaction, as with a heavy model."""
from __future__ import annotations

import os
import time


def post_fork(_server, _worker) -> None:
    from engine.runtime.core import Runtime
    delay, original = float(os.environ.get("SANFU_TEST_STEP_DELAY") or 0.05), Runtime.advance

    def slow_advance(self, loaded):
        result = original(self, loaded)
        time.sleep(delay)
        return result

    Runtime.advance = slow_advance
