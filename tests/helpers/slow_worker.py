"""A gunicorn configuration for the fault tests (GUNICORN_CMD_ARGS="--config python:
tests.helpers.slow_worker"): each worker takes longer over every completion — SANFU_TEST_STEP_DELAY
seconds after the engine's steps, before the commit; SANFU_TEST_ANSWER_DELAY seconds after the
commit, before the answer is sent — so that a worker killed in the middle of a completion is
caught either inside its transaction or with the completion saved and its answer lost, as
with a heavy model on a busy server."""
from __future__ import annotations

import os
import time


def post_fork(_server, _worker) -> None:
    from engine.runtime.core import Runtime
    from engine.service import Engine
    before = float(os.environ.get("SANFU_TEST_STEP_DELAY") or 0)
    after = float(os.environ.get("SANFU_TEST_ANSWER_DELAY") or 0)
    advance, complete = Runtime.advance, Engine.complete

    def slow_advance(self, loaded):
        result = advance(self, loaded)
        time.sleep(before)
        return result

    def slow_complete(self, *args, **kwargs):
        result = complete(self, *args, **kwargs)
        time.sleep(after)
        return result

    Runtime.advance, Engine.complete = slow_advance, slow_complete
