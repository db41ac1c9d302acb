"""Indexes for a busy 科室待认领 queue's deep and newest-first pages, one per database.

PostgreSQL — ix_human_tasks_claimable_ids: the unclaimed open tasks by id, with their due
and creation dates. Those pages look up the user's candidate rows' task ids in human_tasks
(engine.inbox.statements.claimable_ids_page): through this partial index each lookup is
index-only and a claimed or closed task no entry at all; through the primary key each also
read the table row (bench-inbox at 100k instances: a section's 3,600 candidate rows, 48 ms
a page).

SQLite — ix_human_tasks_claimable_created: the unclaimed open tasks by creation date (then
id), which newest-first pages walk as the due-date pages walk ix_human_tasks_claimable (a
task's candidate rows checked in a list built once): without it each such page sorted all
the user's claimable tasks (25 ms at 100k).

Each is built on one database only; PostgreSQL holds a write lock on human_tasks while it
builds (about a second at a million task rows).

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

CLAIMABLE = sa.text("assignee IS NULL AND status = 'open'")


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index('ix_human_tasks_claimable_ids', 'human_tasks', ['id'],
                        postgresql_include=['due_at', 'created_at'], postgresql_where=CLAIMABLE)
    else:
        op.create_index('ix_human_tasks_claimable_created', 'human_tasks', ['created_at', 'id'],
                        sqlite_where=CLAIMABLE)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_human_tasks_claimable_ids', table_name='human_tasks')
    else:
        op.drop_index('ix_human_tasks_claimable_created', table_name='human_tasks')
