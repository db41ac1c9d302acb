"""inbox covering indexes: the 科室待认领 walks read only indexes.

ix_task_candidates_lookup gains task_id (kind, name, task_id): a user's candidate rows give
their task ids from the index alone (PostgreSQL: an index-only scan per candidate kind;
SQLite: a covering index), before one primary-key probe into human_tasks each.
ix_human_tasks_claimable gains id (due_at, id), still only the unclaimed open tasks: a busy
queue's page by due date walks its window of the queue without reading the table.
(bench-inbox at 100k instances; see engine/inbox/statements.py.)

Each index is dropped and built again under the same name: on PostgreSQL that holds a write
lock on the table while it builds (seconds at a million task rows).

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

CLAIMABLE = sa.text("assignee IS NULL AND status = 'open'")


def _claimable(columns: list[str]) -> None:
    op.drop_index('ix_human_tasks_claimable', table_name='human_tasks')
    op.create_index('ix_human_tasks_claimable', 'human_tasks', columns,
                    postgresql_where=CLAIMABLE, sqlite_where=CLAIMABLE)


def _lookup(columns: list[str]) -> None:
    op.drop_index('ix_task_candidates_lookup', table_name='task_candidates')
    op.create_index('ix_task_candidates_lookup', 'task_candidates', columns)


def upgrade() -> None:
    _claimable(['due_at', 'id'])
    _lookup(['kind', 'name', 'task_id'])


def downgrade() -> None:
    _claimable(['due_at'])
    _lookup(['kind', 'name'])
