"""Task ids compare byte by byte on PostgreSQL, in every column that holds one (migration 0020).

Under the database's own collation each comparison in a task-id index called strcoll; and
an index serves a comparison only under the index's collation, so one task-id column left
behind would make its joins with the others lose their index. Alembic's comparison of the
models with the database does not look at collations: these tests do."""
from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.dialects import postgresql

from engine.store.tables import Base, TaskId

PG = postgresql.dialect()


def _model_task_id_columns() -> set[tuple[str, str]]:
    return {(table.name, column.name) for table in Base.metadata.tables.values() for column in table.columns
            if getattr(column.type.dialect_impl(PG), "collation", None) == "C"}


def test_every_column_holding_a_task_id_is_declared_a_task_id():
    """A task_id column, a foreign key to a task, and the tasks' own key: all TaskId."""
    holding = {(table.name, column.name) for table in Base.metadata.tables.values() for column in table.columns
               if column.name == "task_id" or any(fk.column.table.name == "human_tasks" for fk in column.foreign_keys)}
    holding.add(("human_tasks", "id"))
    assert _model_task_id_columns() == holding
    assert len(holding) >= 19
    assert TaskId.dialect_impl(PG).collation == "C"


def test_the_database_holds_task_ids_as_the_models_declare(db_engine):
    declared = _model_task_id_columns()
    if db_engine.dialect.name != "postgresql":
        # SQLite compares text bytewise (BINARY) already: the columns carry no collation
        columns = inspect(db_engine).get_columns("human_tasks")
        assert [c.get("collation") for c in columns if c["name"] == "id"] == [None]
        return
    with db_engine.connect() as conn:
        collated = {(t, c): coll for t, c, coll in conn.execute(text(
            "SELECT table_name, column_name, collation_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = 'character varying'"))}
    assert {key: collated[key] for key in declared} == dict.fromkeys(declared, "C")
    assert collated[("ledger_matters", "scope")] is None  # the database's own, as before


def test_a_join_of_candidates_and_tasks_keeps_its_index(db_engine):
    """The claimable page's lookup: candidate rows' task ids probing the tasks' key."""
    if db_engine.dialect.name != "postgresql":
        return
    with db_engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        plan = "\n".join(conn.scalars(text(
            "EXPLAIN SELECT h.id FROM task_candidates c JOIN human_tasks h ON h.id = c.task_id "
            "WHERE c.kind = 'section' AND c.name = '1'")))
    assert "human_tasks_pkey" in plan or "ix_human_tasks_claimable_ids" in plan, plan
