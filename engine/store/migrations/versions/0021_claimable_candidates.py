"""task_candidates.claimable: whether the row's task is open and held by nobody, kept by triggers.

A busy 科室待认领 queue's deep page looks each of the user's candidate rows' task ids up in
ix_human_tasks_claimable_ids (engine.inbox.statements.claimable_ids_page): at 100,000
instances a section's 3,607 rows, half of them tasks a colleague has already claimed, each
probe a descent of the index that finds nothing. With the flag and its partial index
ix_task_candidates_claimable, the page reads the 1,803 rows of unclaimed tasks and probes
only those: the statement went from 6.5 to 4.4 ms (EXPLAIN ANALYZE, PostgreSQL).

The rows of a claimed task stay: who may act on it, its section, who hears of an escalation
are read from them (engine.org.lanes, engine.org.people, engine.supervision).

The flag is the database's to keep, whoever writes (the engine's commands, a bulk fill, an
administrator's SQL), so that it cannot drift from the task row:
- a candidate row takes its task's state when inserted (a task is written before its
  candidate rows);
- a change of a task's holder or status that makes it claimable or not sets its rows.
The update trigger fires only when claimability changes (a claim, a release, an assignment
of a queued task, its closing while queued), not at every completion.

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

CLAIMABLE_ROWS = {'postgresql': sa.text("claimable IS true"), 'sqlite': sa.text("claimable IS 1")}

POSTGRESQL_UP = (
    """CREATE FUNCTION task_candidate_claimable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.claimable := EXISTS (SELECT 1 FROM human_tasks
                             WHERE id = NEW.task_id AND assignee IS NULL AND status = 'open');
    RETURN NEW;
END $$""",
    """CREATE TRIGGER task_candidates_claimable BEFORE INSERT ON task_candidates
FOR EACH ROW EXECUTE FUNCTION task_candidate_claimable()""",
    """CREATE FUNCTION human_task_claimable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE task_candidates SET claimable = (NEW.assignee IS NULL AND NEW.status = 'open')
    WHERE task_id = NEW.id;
    RETURN NULL;
END $$""",
    """CREATE TRIGGER human_tasks_claimable AFTER UPDATE OF assignee, status ON human_tasks
FOR EACH ROW WHEN ((OLD.assignee IS NULL AND OLD.status = 'open')
                   IS DISTINCT FROM (NEW.assignee IS NULL AND NEW.status = 'open'))
EXECUTE FUNCTION human_task_claimable()""",
)
POSTGRESQL_DOWN = (
    "DROP TRIGGER human_tasks_claimable ON human_tasks",
    "DROP FUNCTION human_task_claimable()",
    "DROP TRIGGER task_candidates_claimable ON task_candidates",
    "DROP FUNCTION task_candidate_claimable()",
)
# SQLite's BEFORE trigger cannot set NEW: a row inserted with the wrong flag is set after, by
# its primary key (the engine's own inserts say it right: engine.inbox.task_rows.open_task).
SQLITE_UP = (
    """CREATE TRIGGER task_candidates_claimable AFTER INSERT ON task_candidates
WHEN NEW.claimable IS NOT EXISTS (
    SELECT 1 FROM human_tasks WHERE id = NEW.task_id AND assignee IS NULL AND status = 'open')
BEGIN
    UPDATE task_candidates SET claimable = EXISTS (
        SELECT 1 FROM human_tasks WHERE id = NEW.task_id AND assignee IS NULL AND status = 'open')
    WHERE task_id = NEW.task_id AND kind = NEW.kind AND name = NEW.name;
END""",
    """CREATE TRIGGER human_tasks_claimable AFTER UPDATE OF assignee, status ON human_tasks
WHEN (OLD.assignee IS NULL AND OLD.status = 'open') IS NOT (NEW.assignee IS NULL AND NEW.status = 'open')
BEGIN
    UPDATE task_candidates SET claimable = (NEW.assignee IS NULL AND NEW.status = 'open')
    WHERE task_id = NEW.id;
END""",
)
SQLITE_DOWN = ("DROP TRIGGER human_tasks_claimable", "DROP TRIGGER task_candidates_claimable")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column('task_candidates', sa.Column('claimable', sa.Boolean(), server_default=sa.false(),
                                               nullable=False))
    op.execute("UPDATE task_candidates SET claimable = true WHERE task_id IN "
               "(SELECT id FROM human_tasks WHERE assignee IS NULL AND status = 'open')")
    op.create_index('ix_task_candidates_claimable', 'task_candidates', ['kind', 'name', 'task_id'],
                    postgresql_where=CLAIMABLE_ROWS['postgresql'], sqlite_where=CLAIMABLE_ROWS['sqlite'])
    for statement in POSTGRESQL_UP if dialect == 'postgresql' else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in POSTGRESQL_DOWN if dialect == 'postgresql' else SQLITE_DOWN:
        op.execute(statement)
    op.drop_index('ix_task_candidates_claimable', table_name='task_candidates')
    with op.batch_alter_table('task_candidates') as batch:
        batch.drop_column('claimable')
