"""ix_human_tasks_claimable_ids (PostgreSQL): the unclaimed open tasks by id, with their due
and creation dates.

A busy 科室待认领 queue's deep pages and its newest-first pages probe each of the user's
candidate rows into human_tasks (engine.inbox.statements.claimable_ids_page): through this
partial index the probe is index-only, and a claimed or closed task is no entry at all;
through the primary key each probe also read the table row (bench-inbox at 100k instances:
a section's 3,600 candidate rows, 48 ms a page). SQLite pages the same by walking
ix_human_tasks_claimable in due order and does not use such an index, so it gets none.

On PostgreSQL the build holds a write lock on human_tasks while it runs (about a second at
a million task rows).

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.create_index('ix_human_tasks_claimable_ids', 'human_tasks', ['id'],
                    postgresql_include=['due_at', 'created_at'],
                    postgresql_where=sa.text("assignee IS NULL AND status = 'open'"))


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.drop_index('ix_human_tasks_claimable_ids', table_name='human_tasks')
