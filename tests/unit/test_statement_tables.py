"""Which tables a statement reads or writes (engine.store.reads): a SELECT of other tables may
run before the writes that wait on PostgreSQL (engine.store.write_behind), so a table it reads
must never be missed — anything not known for sure is None, "could read anything"."""
from __future__ import annotations

import pytest
from sqlalchemy import Column, ForeignKey, Integer, delete, exists, func, insert, literal_column, select, text, update
from sqlalchemy.orm import DeclarativeBase, joinedload, relationship

from engine.org import lanes
from engine.store.org_tables import LedgerMatter
from engine.store.reads import tables_read, tables_written
from engine.store.tables import AuditEvent, HumanTask, TaskCandidate, Timer, User

TASKS, CANDIDATES, USERS = HumanTask.__table__, TaskCandidate.__table__, User.__table__


@pytest.mark.parametrize("statement, read", [
    (select(User.name).where(User.id == 1), {"users"}),
    (select(literal_column("1")).where(TASKS.c.id == "x"), {"human_tasks"}),    # a table only in WHERE
    (select(CANDIDATES.alias("d").c.task_id), {"task_candidates"}),
    (select(User.name).where(User.id == select(TASKS.c.id).scalar_subquery()), {"users", "human_tasks"}),
    (select(func.count()).select_from(select(TASKS.c.id).subquery()), {"human_tasks"}),
    (select(User.name).where(exists().where(CANDIDATES.c.name == User.name)), {"users", "task_candidates"}),
    (select(User.name).where(User.name.in_(select(CANDIDATES.c.name))), {"users", "task_candidates"}),
    (select(literal_column("1")).add_cte(select(TASKS.c.id).cte("x")), {"human_tasks"}),
    (select(func.coalesce(TASKS.c.subject, literal_column("''"))), {"human_tasks"}),
    (select(LedgerMatter).where(LedgerMatter.instance_id == 1), {"ledger_matters"}),   # ORM, loaded alone
    (select(User).where(User.name == "a"), {"users"}),   # its groups load by a statement of their own
    (lanes._SECTION_PEOPLE["staff"], {"sections", "user_sections", "users"}),
])
def test_a_plain_select_names_every_table_it_reads(statement, read):
    assert tables_read(statement) == read
    assert tables_read(statement) == read  # (remembered)


@pytest.mark.parametrize("statement", [
    "SELECT * FROM human_tasks",                                             # exec_driver_sql's text
    text("SELECT id FROM human_tasks"),
    select(literal_column("(SELECT count(*) FROM human_tasks)")),            # SQL in a literal column
    select(User.name).where(text("users.id IN (SELECT 1 FROM human_tasks)")),
    select(TASKS.c.id).with_for_update(),                                    # a locking read
    select(User.name).where(User.name.in_(select(CANDIDATES.c.name).with_for_update())),  # … inside
    select(User).options(joinedload(User.groups)),                           # joins another table in
    update(TASKS).values(subject="x"),
    insert(AuditEvent).values(action="x"),
])
def test_what_is_not_known_for_sure_could_read_anything(statement):
    assert tables_read(statement) is None


class _Other(DeclarativeBase):
    pass


class Parent(_Other):  # a model of no table of ours: its children load with it, joined in
    __tablename__ = "parents"
    id = Column(Integer, primary_key=True)
    children = relationship("Child", lazy="joined")


class Child(_Other):
    __tablename__ = "children"
    id = Column(Integer, primary_key=True)
    parent_id = Column(Integer, ForeignKey("parents.id"))


def test_an_entity_loaded_with_a_joined_relationship_could_read_anything():
    assert tables_read(select(Parent)) is None
    assert tables_read(select(Child)) == {"children"}


def test_a_write_changes_its_table_and_those_whose_rows_reference_it():
    written = tables_written([update(TASKS).values(subject="x")])
    assert {"human_tasks", "task_candidates"} <= written      # candidates reference their task
    assert "instances" not in written and "users" not in written
    assert tables_written([AuditEvent.__table__]) == {"audit_events"}
    assert tables_written([delete(Timer.__table__)]) == {"timers"}
