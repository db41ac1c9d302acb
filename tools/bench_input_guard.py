"""What checking every request at the edge (web/converters.py, web/input_guard.py) costs: API
requests per second through the Flask test client on a small SQLite province — inbox pages
(query parameters checked against the OpenAPI document), task views (a path id), comments
(a JSON body scanned for NUL and validated against its documented schema, web/api_bodies.py)
and refused comments (a body of the wrong type: 422 in both releases, here before the view).

Run from a checkout (cwd = its root, PYTHONPATH = that root) to compare two releases:
    python tools/bench_input_guard.py [--requests N]
Prints one JSON line: requests/s per kind and overall. Where web/api_bodies.py exists it adds
what the body check alone costs, measured in the same process (immune to a shared machine's drift):
ms per comment and per refused comment with the check and without it, medians of 7 interleaved rounds."""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))

from tests.helpers.paths import FORMS  # noqa: E402
from tests.helpers.web import prepare_database  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    count = parser.parse_args().requests
    from web import create_app
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sanfu.db"
        ids = prepare_database(path)
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{path}",
                          "FORMS_DIR": str(FORMS)})
        engine = app.extensions["sanfu"]
        engine.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})
        headers = {"Authorization": f"Bearer {engine.create_api_token('xh_liaison', 'bench')}"}
        client = app.test_client()
        task_id = client.get("/api/v1/inbox", headers=headers).get_json()["rows"][0]["id"]
        kinds = {
            "inbox": lambda: client.get("/api/v1/inbox?view=todo&q=西湖&task_name=走访&page=1", headers=headers),
            "task": lambda: client.get(f"/api/v1/tasks/{task_id}", headers=headers),
            "comment": lambda: client.post(f"/api/v1/tasks/{task_id}/comments", headers=headers,
                                           json={"body": "已电话联系企业，约定下周走访。" * 5}),
            "refused_comment": lambda: client.post(f"/api/v1/tasks/{task_id}/comments", headers=headers,
                                                   json={"body": 42}),
        }
        expected = {"refused_comment": 422}
        out, total, spent = {}, 0, 0.0
        for name, call in kinds.items():
            call()  # warm
            started = time.perf_counter()
            for _ in range(count):
                assert call().status_code == expected.get(name, 200)
            elapsed = time.perf_counter() - started
            out[f"{name}_per_s"] = round(count / elapsed, 1)
            total, spent = total + count, spent + elapsed
        out["all_per_s"] = round(total / spent, 1)
        out.update(_body_check_alone({name: kinds[name] for name in ("comment", "refused_comment")}, expected, count))
        engine.db.dispose()
    print(json.dumps(out))
    return 0


def _body_check_alone(kinds: dict, expected: dict, count: int) -> dict:
    """ms per request with web/api_bodies.py's check and with it skipped, rounds interleaved."""
    try:
        from web import api_bodies
    except ImportError:  # a release before the check
        return {}
    checked = api_bodies.body_validator
    rounds: dict[str, list[float]] = {}
    for _ in range(7):
        for label, validator in (("checked", checked), ("unchecked", lambda path, method: None)):
            api_bodies.body_validator = validator
            for name, call in kinds.items():
                started = time.perf_counter()
                for _ in range(max(count // 5, 20)):
                    assert call().status_code == expected.get(name, 200)
                rounds.setdefault(f"{name}_ms_{label}", []).append(
                    (time.perf_counter() - started) * 1000 / max(count // 5, 20))
    api_bodies.body_validator = checked
    return {key: round(statistics.median(values), 3) for key, values in rounds.items()}


if __name__ == "__main__":
    sys.exit(main())
