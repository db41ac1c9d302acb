"""human_tasks' per-person indexes hold only the tasks their views show.

The 待办 (assignee), 我发起的 (started_by) and unrouted indexes held every task, closed ones
included, with `status` as a key column; the 已办 (completed_by) index every task too, open
ones under a NULL person. So each completion moved an entry in all four (its status changed)
and each new task added one to all four. As partial indexes, keyed the way their views read
them (engine.inbox.views: `status = 'open'` / `'completed'` written into the SQL, so both
databases may use them):

- ix_human_tasks_assignee_open: (assignee, due_at) of open tasks;
- ix_human_tasks_started_by: (started_by, due_at) of open tasks;
- ix_human_tasks_completed_by: (completed_by, completed_at) of completed tasks;
- ix_human_tasks_unrouted: (created_at, id) of open, unrouted tasks (the admin's list).

The first three end with the status, one value throughout, so that a tab's capped count still
reads the index alone: SQLite does not treat a term its partial index implies as answered by
the index, and without the column it read up to 100 table rows per count.

A completion now removes one entry from each open index and adds one to the completed index;
a new task adds none to the completed or the unrouted index. `sanfu bench`'s workload on
SQLite, 6 interleaved runs against the release before (tools/bench_hot_path.py): a completion
1.61 → 1.54 ms, p95 1.83 → 1.67 ms.

Each index is dropped and built again under its name: on PostgreSQL that holds a write lock
on the table while it builds (seconds at a million task rows).

Revision ID: 0019
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

OPEN_ONLY = sa.text("status = 'open'")
COMPLETED_ONLY = sa.text("status = 'completed'")
# `unrouted.is_(True)` is written `IS 1` by SQLAlchemy on SQLite and `IS true` on PostgreSQL:
# each database's index says it the way its queries do, or the planner cannot match them.
UNROUTED_POSTGRESQL = sa.text("unrouted IS true AND status = 'open'")
UNROUTED_SQLITE = sa.text("unrouted IS 1 AND status = 'open'")

NEW = (
    ('ix_human_tasks_assignee_open', ['assignee', 'due_at', 'status'], OPEN_ONLY, OPEN_ONLY),
    ('ix_human_tasks_started_by', ['started_by', 'due_at', 'status'], OPEN_ONLY, OPEN_ONLY),
    ('ix_human_tasks_completed_by', ['completed_by', 'completed_at', 'status'], COMPLETED_ONLY, COMPLETED_ONLY),
    ('ix_human_tasks_unrouted', ['created_at', 'id'], UNROUTED_POSTGRESQL, UNROUTED_SQLITE),
)
OLD = (
    ('ix_human_tasks_assignee_open', ['assignee', 'status', 'due_at']),
    ('ix_human_tasks_started_by', ['started_by', 'status', 'due_at']),
    ('ix_human_tasks_completed_by', ['completed_by', 'status', 'completed_at']),
    ('ix_human_tasks_unrouted', ['unrouted', 'status']),
)


def upgrade() -> None:
    for name, columns, on_postgresql, on_sqlite in NEW:
        op.drop_index(name, table_name='human_tasks')
        op.create_index(name, 'human_tasks', columns, postgresql_where=on_postgresql, sqlite_where=on_sqlite)


def downgrade() -> None:
    for name, columns in OLD:
        op.drop_index(name, table_name='human_tasks')
        op.create_index(name, 'human_tasks', columns)
