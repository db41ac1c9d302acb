"""/healthz: a fresh app says the database answers and the schema is current, but no scheduler has
run yet (degraded, still 200); after a scheduler's periodic jobs ran it is ok; a database behind
its migrations is down (503); no login needed, nothing personal in it."""
from __future__ import annotations

from sqlalchemy import text

from engine.jobs.scheduler import run_periodic_jobs


def test_a_fresh_app_is_degraded_until_a_scheduler_runs(client, sanfu):
    first = client.get("/healthz")
    body = first.get_json()
    assert first.status_code == 200 and body["status"] == "degraded"
    assert body["database"] is True and body["migrations"]["ok"] is True
    assert body["migrations"]["current"] == body["migrations"]["head"]
    assert body["scheduler"] == {"last_seen": None, "age_seconds": None, "ok": False}
    run_periodic_jobs(sanfu, "sched-1")
    after = client.get("/healthz").get_json()
    assert after["status"] == "ok" and after["scheduler"]["age_seconds"] <= 5


def test_a_database_behind_its_migrations_is_down(client, sanfu):
    with sanfu.db.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    answer = client.get("/healthz")
    assert answer.status_code == 503 and answer.get_json()["status"] == "down"
    assert answer.get_json()["migrations"]["current"] == "0001"
