"""Snapshots of the rows a task command may touch, to show that a refused command changes none."""
from __future__ import annotations

from sqlalchemy import text

TABLES = ("human_tasks", "task_copies", "task_comments", "task_drafts", "audit_events", "filings", "instances")


def snapshot(engine) -> dict:
    """Every row of the tables these commands touch: a refused command changes none."""
    with engine.db.connect() as conn:
        return {table: sorted(map(repr, conn.execute(text(f"SELECT * FROM {table}")).all())) for table in TABLES}
