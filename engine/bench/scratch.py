"""What the volume benchmarks share: a PostgreSQL schema of their own for the run, and fresh
statistics after a bulk fill."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import text

from engine.store.db import make_engine


def connect(url: str, schema: str | None = None):
    """An engine on `url`, inside `schema` when given (PostgreSQL's search_path)."""
    if schema:
        return make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    return make_engine(url)


@contextmanager
def own_schema(url: str, schema: str):
    """A fresh, empty PostgreSQL schema for the block (never public), dropped afterwards."""
    admin = make_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        yield schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def analyze(db) -> None:
    """Statistics after the bulk fill; on PostgreSQL also the visibility map (VACUUM), as
    autovacuum would have set it after a million inserts, so index-only scans stay so."""
    if db.dialect.name == "postgresql":
        with db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with db.begin() as conn:
            conn.execute(text("ANALYZE"))
